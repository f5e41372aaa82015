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


def platform_activities(data_dir: Path) -> dict[str, dict]:
    """The VDS platform's snapshot (the same at every epoch), read straight from the generated file: advert
    key → {"closing_date", "has_label"}; the closing date is its sessions' latest end."""
    doc = json.loads((data_dir / "bureaus" / "platform" / "activities.json").read_text(encoding="utf-8"))
    return {f"bureau_platform_vacancies:{a['id']}": {
                "closing_date": max(t["end"][:10] for s in a["session"] for t in s["time"]),
                "has_label": bool(a["label"].strip())}
            for a in doc["@graph"] if a["type"] == "Activity"}


def open_adverts(data_dir: Path, epoch: int, as_of: str = AS_OF) -> set[str]:
    """Advert keys (``<source>:<id>``) live and not past their closing date on the as-of date: the RPDE
    bureaus' at ``epoch`` and the VDS platform's labelled activities."""
    return {f"bureau_{bureau}_vacancies:{item['id']}"
            for bureau in ("north", "south") for item in feed_view(data_dir, bureau, epoch)
            if item["state"] == "updated" and (item["data"].get("closing_date") or "9999") >= as_of} | {
        key for key, a in platform_activities(data_dir).items() if a["has_label"] and a["closing_date"] >= as_of}


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
    assert rows[0] > 1500 and len(set(rows[:6])) == 1  # every role located, with organisation, skills, dates
    # hours: every role an RPDE bureau advertises (VDS has no hours field, so a platform-only role has none)
    assert private.execute("SELECT count(*), count(hours_per_week) FROM marts.volunteer_vacancies "
                           "WHERE bureau_feeds <> 'bureau_platform_vacancies'").fetchall()[0] == (rows[6],) * 2
    assert rows[6] < rows[0]


def test_vds_platform_activities_are_listed_merged_or_excluded_with_a_reason(private, county_data, county_manifest):
    """Every landed platform activity: in exactly one role (merged with the RPDE advert of the same role when
    cross-posted) or excluded as expired; the unlabelled one quarantined at ingest."""
    platform = platform_activities(county_data)
    audit = private.execute("SELECT vacancy_key, outcome, exclusion_reason, located_by FROM "
                            "intermediate.int_vacancy_adverts_audit WHERE source_format = 'vds'").fetchall()
    assert {k for k, *_ in audit} == {k for k, a in platform.items() if a["has_label"]}
    expected = {k: "listed" if a["closing_date"] >= AS_OF else "expired" for k, a in platform.items() if a["has_label"]}
    assert {k: o if o == "listed" else r for k, o, r, _ in audit} == expected
    section = county_manifest["bureaus"]["_vds_platform"]
    assert section["bad_activities"] == {"no_label": 1}
    located = [by for _, o, _, by in audit if o == "listed"]
    assert set(located) == {"postcode", "coordinates"} and section["without_postcode"] > 0
    # a listed cross-post shares its role with the open RPDE adverts of the same canonical role
    truth = truth_roles(county_data)
    uid = dict((k, u) for u, k in private.execute(
        "SELECT vacancy_uid, vacancy_key FROM intermediate.int_vacancy_lineage").fetchall())
    cross = [(k, r) for k, r in uid.items() if k.startswith("bureau_platform")
             for r in [r for r in uid if not r.startswith("bureau_platform") and truth[r] == truth[k]]]
    assert len(cross) > 100
    assert sum(uid[k] == uid[r] for k, r in cross) >= 0.99 * len(cross)
