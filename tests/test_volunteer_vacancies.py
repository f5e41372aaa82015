"""volunteer_vacancies: exactly the open roles, cross-posted adverts merged (precision/recall vs ground truth)."""

from __future__ import annotations

import csv
import itertools
import json
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

AS_OF = "2026-10-01"  # the demo's reference date (CG_AS_OF_DATE in tests)


def feed_view(data_dir: Path, bureau: str, epoch: int) -> list[dict]:
    """The bureau's RPDE feed at ``epoch`` read straight from the generated files: latest item per id."""
    latest: dict[str, dict] = {}
    with (data_dir / "bureaus" / bureau / "vacancy_items.jsonl").open() as fh:
        for line in fh:
            item = json.loads(line)
            if item["epoch"] <= epoch:
                latest[item["id"]] = item
    return list(latest.values())


def open_adverts(data_dir: Path, epoch: int) -> set[str]:
    """Advert keys (``<source>:<id>``) live and not past their closing date on the as-of date."""
    return {f"bureau_{bureau}_vacancies:{item['id']}"
            for bureau in ("north", "south") for item in feed_view(data_dir, bureau, epoch)
            if item["state"] == "updated" and (item["data"].get("closing_date") or "9999") >= AS_OF}


def truth_roles(data_dir: Path) -> dict[str, str]:
    with (data_dir / "ground_truth" / "vacancies.csv").open() as fh:
        return {f"bureau_{r['bureau']}_vacancies:{r['vacancy_id']}": r["canonical_role_id"] for r in csv.DictReader(fh)}


def pairs(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {p for members in groups.values() for p in itertools.combinations(sorted(members), 2)}


def dedupe_accuracy(lineage: list[tuple[str, str]], truth: dict[str, str]) -> dict[str, float]:
    """Pairwise precision/recall of (vacancy_uid, advert key) rows against the canonical roles."""
    predicted, actual = defaultdict(list), defaultdict(list)
    for uid, key in lineage:
        predicted[uid].append(key)
        actual[truth[key]].append(key)
    p, a = pairs(predicted), pairs(actual)
    tp = len(p & a)
    return {"predicted_pairs": len(p), "true_pairs": len(a), "precision": tp / len(p) if p else 1.0,
            "recall": tp / len(a) if a else 1.0}


@pytest.fixture(scope="module")
def private(built):
    settings, dbt, _ = built
    assert dbt["success"], dbt["failures"]
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    yield con
    con.close()


def test_lists_exactly_the_open_adverts_each_once(private, county_data):
    lineage = private.execute("SELECT vacancy_uid, vacancy_key FROM intermediate.int_vacancy_lineage").fetchall()
    expected = open_adverts(county_data, 0)
    assert {key for _, key in lineage} == expected
    assert len(lineage) == len(expected)
    listed = private.execute("SELECT vacancy_uid, source_vacancy_keys, advert_count FROM marts.volunteer_vacancies"
                             ).fetchall()
    by_uid = defaultdict(set)
    for uid, key in lineage:
        by_uid[uid].add(key)
    assert {uid: set(keys.split("; ")) for uid, keys, _ in listed} == dict(by_uid)
    assert sum(n for _, _, n in listed) == len(expected)


def test_deleted_and_expired_adverts_are_excluded(private, county_data):
    items = {f"bureau_{b}_vacancies:{it['id']}": it for b in ("north", "south") for it in feed_view(county_data, b, 0)}
    listed = {k for (keys,) in private.execute("SELECT source_vacancy_keys FROM marts.volunteer_vacancies").fetchall()
              for k in keys.split("; ")}
    deleted = {k for k, it in items.items() if it["state"] == "deleted"}
    expired = {k for k, it in items.items() if it["state"] == "updated" and it["data"]["closing_date"] < AS_OF}
    assert deleted and expired  # the demo has both
    assert not listed & (deleted | expired)
    closing = [r[0] for r in private.execute("SELECT closing_date FROM marts.volunteer_vacancies").fetchall()]
    assert min(c.isoformat() for c in closing if c) >= AS_OF


def test_cross_bureau_dedupe_precision_and_recall(private, county_data, capsys):
    lineage = private.execute("SELECT vacancy_uid, vacancy_key FROM intermediate.int_vacancy_lineage").fetchall()
    truth = truth_roles(county_data)
    accuracy = dedupe_accuracy(lineage, truth)
    with capsys.disabled():
        print(f"\nvacancy dedupe on open adverts: {accuracy}")
    assert accuracy["true_pairs"] > 200
    assert accuracy["precision"] >= 0.99 and accuracy["recall"] >= 0.99
    roles = {truth[k] for _, k in lineage}
    (listed,) = private.execute("SELECT count(*) FROM marts.volunteer_vacancies").fetchall()[0]
    assert abs(listed - len(roles)) <= len(roles) * 0.005


def test_skill_and_cause_wordings_map_to_the_right_canonical_terms(private, county_data):
    with (county_data / "ground_truth" / "skills.csv").open() as fh:
        truth = {(r["kind"], r["text"]): r["canonical"] for r in csv.DictReader(fh)}
    mapped = private.execute("SELECT term_kind, term_text, term_code FROM intermediate.int_volunteering_terms_mapped"
                             ).fetchall()
    assert len(mapped) >= 80
    wrong = [(kind, text, code, truth.get((kind, text))) for kind, text, code in mapped
             if code != truth.get((kind, text))]
    assert wrong == []
    assert private.execute("SELECT count(*) FROM intermediate.int_skills_unmapped").fetchall() == [(0,)]


def test_vacancy_mart_has_location_and_details(private):
    rows = private.execute("""SELECT count(*), count(lsoa_code), count(ward_code), count(organisation_name),
                                     count(skills_needed), count(closing_date), count(hours_per_week)
                              FROM marts.volunteer_vacancies""").fetchall()[0]
    assert rows[0] > 1500 and len(set(rows)) == 1  # every role located, with organisation, skills, dates, hours
