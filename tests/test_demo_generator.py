"""The demo data generator: determinism, manifest accuracy, ground truth and deliberate messiness."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from demo.generate import generate, main
from demo.questionnaires import SURVEYS

AREA_BAD = {"census_age_sex.csv", "census_ethnicity.csv"}


@pytest.fixture(scope="session")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("county")
    generate("county", 42, out)
    return out


@pytest.fixture(scope="session")
def manifest(county: Path) -> dict:
    return json.loads((county / "manifest.json").read_text(encoding="utf-8"))


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _csv_rows(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def _responses(root: Path, survey_id: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows as the reader sees them: a declared tool layout (SurveyMonkey) made one-header first."""
    from ingest.feeds.survey_exports import normalise_export

    survey = next(s for s in SURVEYS if s.survey_id == survey_id)
    path = root / "surveys" / survey_id / "responses.csv"
    if survey.export:
        body = normalise_export(path.read_bytes(), survey.export, what=survey_id).decode("utf-8")
        rows = list(csv.reader(io.StringIO(body, newline="")))
    else:
        rows = _csv_rows(path, survey.encoding)
    return rows[0], rows[1:]


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    generate("tiny", 7, tmp_path / "a")
    # a separate process with another string-hash seed must still write the same bytes
    subprocess.run([sys.executable, "-m", "demo.generate", "--scale", "tiny", "--seed", "7", "--out",
                    str(tmp_path / "b"), "--quiet"], check=True, cwd=Path(__file__).resolve().parents[1],
                   env={**os.environ, "PYTHONHASHSEED": "12345"}, capture_output=True)
    generate("tiny", 8, tmp_path / "c")
    a, b, c = _digests(tmp_path / "a"), _digests(tmp_path / "b"), _digests(tmp_path / "c")
    assert len(a) > 20
    assert a == b
    assert a["surveys/council_residents_2026/responses.csv"] != c["surveys/council_residents_2026/responses.csv"]


def test_manifest_header_and_file_sizes(county: Path, manifest: dict) -> None:
    assert manifest["scale"] == "county" and manifest["seed"] == 42
    assert manifest["reference_date"] == "2026-10-01"
    assert manifest["generator_version"]
    on_disk = {p.relative_to(county).as_posix(): p.stat().st_size for p in county.rglob("*")
               if p.is_file() and p.name != "manifest.json"}
    assert manifest["files"] == on_disk
    c = manifest["counts"]
    assert c["lsoas"] == 500 and c["districts"] == 5 and 25 <= c["wards"] <= 35
    assert c["surveys"] == 4 and c["directories"] == 3 and c["bureaus"] == 2


def test_area_row_counts_match_manifest(county: Path, manifest: dict) -> None:
    for name, rows in manifest["area"]["rows"].items():
        assert len(_csv_rows(county / "area" / name)) - 1 == rows, name
    lookup = pd.read_csv(county / "area" / "lsoa_lookup.csv", dtype=str)
    # the ONS lookup has no coordinates: the population-weighted centroids are their own file
    assert list(lookup.columns) == ["LSOA21CD", "LSOA21NM", "WD24CD", "WD24NM", "LAD24CD", "LAD24NM", "ObjectId"]
    assert lookup["LSOA21CD"].str.fullmatch(r"E01\d{6}").all() and lookup["LSOA21CD"].is_unique
    assert lookup["LAD24CD"].str.fullmatch(r"E0[67]\d{6}").all()
    centroids = pd.read_csv(county / "area" / "lsoa_centroids.csv", dtype=str)
    assert list(centroids.columns) == ["FID", "LSOA21CD", "GlobalID", "x", "y"]
    assert list(centroids["LSOA21CD"]) == list(lookup["LSOA21CD"])
    lat, lon = centroids["y"].astype(float), centroids["x"].astype(float)
    assert lat.between(49.9, 55.9).all() and lon.between(-5.8, 1.8).all()
    pcs = pd.read_csv(county / "area" / "postcodes.csv", dtype=str, keep_default_na=False)
    assert list(pcs.columns) == ["pcd7", "pcd8", "pcds", "dointr", "doterm", "lad25cd", "wd25cd", "lsoa21cd", "lat",
                                 "long"]
    assert pcs["pcd7"].str.len().eq(7).all() and pcs["pcd8"].str.len().eq(8).all()
    assert pcs["pcds"].is_unique and set(pcs["lsoa21cd"]) == set(lookup["LSOA21CD"])
    terminated = (pcs["doterm"] != "").mean()
    assert 0.02 < terminated < 0.08
    assert 12 <= pcs.groupby("lsoa21cd").size().mean() <= 18


def test_census_tables_are_consistent(county: Path, manifest: dict) -> None:
    codes = set(pd.read_csv(county / "area" / "lsoa_lookup.csv", dtype=str)["LSOA21CD"])
    totals = {}
    for name in sorted(AREA_BAD):
        table = pd.read_csv(county / "area" / name, dtype=str, keep_default_na=False)
        code_col = table.columns[0]
        bad_code = ~table[code_col].isin(codes)
        numeric = table["Observation"].str.fullmatch(r"\d+")
        bad = manifest["area"]["bad_rows"][name]
        assert bad_code.sum() == bad["malformed_lsoa_code"] > 0
        assert (~numeric & ~bad_code).sum() == bad["non_numeric_observation"] > 0
        clean = table[~bad_code & numeric]
        totals[name] = clean.groupby(code_col)["Observation"].apply(lambda s: s.astype(int).sum())
    age_sex, eth = totals["census_age_sex.csv"], totals["census_ethnicity.csv"]
    assert len(age_sex) == 500
    assert age_sex.sort_index().equals(eth.sort_index())
    assert age_sex.between(1500, 1700).all()
    assert age_sex.sum() == manifest["area"]["residents"]
    eth_table = pd.read_csv(county / "area" / "census_ethnicity.csv", dtype=str, keep_default_na=False)
    assert (eth_table.loc[eth_table.iloc[:, 2] == "-8", "Observation"] == "0").all()


def test_survey_encodings(county: Path) -> None:
    police = (county / "surveys" / "police_confidence_2026" / "responses.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        police.decode("utf-8")
    text = police.decode("cp1252")
    assert any(ch in text for ch in "’ëéü")
    assert police.split(b"\n", 1)[0].endswith(b"\r")
    housing = (county / "surveys" / "housing_tenants_2026" / "responses.csv").read_bytes()
    assert housing.startswith(b"\xef\xbb\xbf")
    assert "Don’t know" in housing.decode("utf-8-sig")
    for sid in ("council_residents_2026", "health_wellbeing_2026"):
        raw = (county / "surveys" / sid / "responses.csv").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8")


def test_survey_headers_follow_questionnaires(county: Path) -> None:
    index = json.loads((county / "surveys" / "index.json").read_text(encoding="utf-8"))
    assert [s["survey_id"] for s in index["surveys"]] == [s.survey_id for s in SURVEYS]
    for entry in index["surveys"]:
        q = json.loads((county / entry["questionnaire"].lstrip("/")).read_text(encoding="utf-8"))
        header, _ = _responses(county, entry["survey_id"])
        key = "text" if q["header_style"] == "text" else "id"
        assert header == [c[key] for c in q["columns"]]
        roles = [c["role"] for c in q["columns"]]
        assert roles.count("response_id") == 1 and roles.count("submitted_at") == 1
        assert {c["identifier"] for c in q["columns"] if c["role"] == "identifier"} == {
            "email", "surname", "dob", "postcode"}


def _parse_submitted(value: str) -> bool:
    for fmt in ("%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S"):  # the last: SurveyMonkey's, made ISO
        try:
            datetime.strptime(value, fmt)
            return True
        except ValueError:
            continue
    return False


def test_bad_survey_rows_reconcile_with_manifest(county: Path, manifest: dict) -> None:
    for entry in SURVEYS:
        q = json.loads((county / "surveys" / entry.survey_id / "questionnaire.json").read_text(encoding="utf-8"))
        _, rows = _responses(county, entry.survey_id)
        stats = manifest["surveys"][entry.survey_id]
        assert len(rows) == stats["rows"]
        ids = [r[0] for r in rows]
        seen: set[str] = set()
        repeats = 0
        for rid in ids:
            repeats += rid in seen and rid != ""
            seen.add(rid)
        bad_time = sum(not _parse_submitted(r[1]) for r in rows)
        invalid = 0
        for row in rows:
            for col, cell in zip(q["columns"], row, strict=True):
                if col["role"] != "question" or col["type"] == "text" or cell == "":
                    continue
                allowed = {o["code" if q["value_style"] == "code" else "label"] for o in col.get("options", [])}
                if col["type"] == "scale" and cell.isdigit() and col["min"] <= int(cell) <= col["max"]:
                    continue
                invalid += cell not in allowed
        found = {"missing_response_id": ids.count(""), "duplicate_response_id": repeats,
                 "unparsable_submitted_at": bad_time, "invalid_answer": invalid}
        assert found == stats["bad_rows"], entry.survey_id
        assert all(v >= 1 for v in found.values())
        assert stats["valid_rows"] == len(rows) - sum(found.values())


def test_respondent_ground_truth_covers_every_response(county: Path, manifest: dict) -> None:
    truth = pd.read_csv(county / "ground_truth" / "respondents.csv", dtype=str)
    assert not truth.duplicated(["survey_id", "response_id"]).any()
    persons = pd.read_csv(county / "ground_truth" / "persons.csv", dtype=str)
    assert truth["person_id"].isin(persons["person_id"]).all()
    for entry in SURVEYS:
        _, rows = _responses(county, entry.survey_id)
        in_file = {r[0] for r in rows if r[0]}
        mine = set(truth.loc[truth["survey_id"] == entry.survey_id, "response_id"])
        assert in_file == mine
    per_person = truth.groupby("person_id").size()
    assert 0.18 < (per_person >= 2).mean() < 0.32
    assert (per_person >= 3).sum() > 0
    assert manifest["ground_truth"]["respondents.csv"] == len(truth)


def test_response_bias_and_deprivation_signal(county: Path) -> None:
    truth = pd.read_csv(county / "ground_truth" / "respondents.csv", dtype=str)
    persons = pd.read_csv(county / "ground_truth" / "persons.csv", dtype=str).set_index("person_id")
    census = pd.read_csv(county / "area" / "census_age_sex.csv", dtype=str, keep_default_na=False)
    census = census[census["Observation"].str.fullmatch(r"\d+")]
    census["n"] = census["Observation"].astype(int)
    adults = census[census["Age (7 categories) Code"] != "1"]
    old_pop = adults.loc[adults["Age (7 categories) Code"].isin(["6", "7"]), "n"].sum() / adults["n"].sum()
    who = persons.loc[truth["person_id"].unique()]
    assert (who["age_band_code"] == "1").sum() == 0
    assert who["age_band_code"].isin(["6", "7"]).mean() > old_pop + 0.05
    assert (who["sex_code"] == "1").mean() > 0.52
    # council satisfaction with the area is higher in the least deprived places
    header, rows = _responses(county, "council_residents_2026")
    imd = pd.read_csv(county / "area" / "imd.csv", dtype=str).set_index("LSOA code (2021)")
    council = pd.DataFrame(rows, columns=header)
    council = council.merge(truth[truth["survey_id"] == "council_residents_2026"], left_on="Respondent ID",
                            right_on="response_id")
    council["decile"] = imd.loc[persons.loc[council["person_id"], "LSOA21CD"],
                                "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
                                ].astype(int).to_numpy()
    q1 = council.columns[6]
    satisfied = council[q1].isin(["Very satisfied", "Fairly satisfied"])
    assert satisfied[council["decile"] >= 8].mean() > satisfied[council["decile"] <= 3].mean() + 0.1


def test_same_person_answers_consistently(county: Path) -> None:
    truth = pd.read_csv(county / "ground_truth" / "respondents.csv", dtype=str)
    scores = {}
    for sid, col, scale in (("council_residents_2026", 6, ["Very satisfied", "Fairly satisfied",
                                                          "Neither satisfied nor dissatisfied",
                                                          "Fairly dissatisfied", "Very dissatisfied"]),
                            ("housing_tenants_2026", 6, ["Very satisfied", "Satisfied", "Dissatisfied",
                                                         "Very dissatisfied"])):
        header, rows = _responses(county, sid)
        frame = pd.DataFrame(rows, columns=header)
        frame = frame.merge(truth[truth["survey_id"] == sid], left_on=header[0], right_on="response_id")
        frame["score"] = frame[header[col]].map({lab: i for i, lab in enumerate(scale)})
        scores[sid] = frame.dropna(subset=["score"]).drop_duplicates("person_id").set_index("person_id")["score"]
    both = pd.concat(scores, axis=1, join="inner").astype(float)
    assert len(both) > 100
    assert both.corr(method="spearman").iloc[0, 1] > 0.4


def test_directories_listings_and_ground_truth(county: Path, manifest: dict) -> None:
    index = json.loads((county / "directories" / "index.json").read_text(encoding="utf-8"))
    versions = {d["id"]: d["api_version"] for d in index["directories"]}
    assert sorted(versions.values()) == ["1", "3", "3"]
    truth = pd.read_csv(county / "ground_truth" / "services.csv", dtype=str)
    taxonomy = pd.read_csv(county / "ground_truth" / "taxonomy.csv", dtype=str)
    keys = set()
    for d, version in versions.items():
        records = json.loads((county / "directories" / d / "services.json").read_text(encoding="utf-8"))
        assert len(records) == manifest["directories"][d]["records"]
        for rec in records:
            for sal in rec["service_at_locations"]:
                keys.add((d, rec["id"], sal["location"]["id"]))
                assert ("addresses" if version == "3" else "physical_addresses") in sal["location"]
            # HSDS 3.0 categories: `taxonomy_terms` (our earlier layout) or `attributes[].taxonomy_term` (the
            # NHS directory's real HSDS-UK 3.0 layout, demo/directory_layouts.py)
            category_keys = ("taxonomy_terms", "attributes") if version == "3" else ("service_taxonomys",)
            assert any(k in rec for k in category_keys)
        by_id = {r["id"]: r for r in records}
        for bad in manifest["directories"][d]["invalid_records"]:
            rec = by_id[bad["id"]]
            if bad["problem"] == "missing_name":
                assert not rec["name"]
            if bad["problem"] == "unknown_status":
                assert rec["status"] not in ("active", "inactive", "defunct", "temporarily closed")
        assert 1 <= len(manifest["directories"][d]["invalid_records"]) <= 0.01 * len(records) + 1
    assert keys == set(zip(truth["directory"], truth["service_id"], truth["location_id"], strict=True))
    share = manifest["directories"]["_totals"]["duplicate_listing_share"]
    assert 0.22 < share < 0.38
    # each directory words categories its own way
    labels = taxonomy.pivot(index="category", columns="directory", values="term").dropna()
    assert (labels.nunique(axis=1) > 1).mean() > 0.5
    assert taxonomy.groupby("category")["directory"].nunique().min() == 1


def test_bureau_histories_and_volunteers(county: Path, manifest: dict) -> None:
    vac_truth = pd.read_csv(county / "ground_truth" / "vacancies.csv", dtype=str)
    vol_truth = pd.read_csv(county / "ground_truth" / "volunteers.csv", dtype=str)
    for bureau in ("north", "south"):
        lines = (county / "bureaus" / bureau / "vacancy_items.jsonl").read_text(encoding="utf-8").splitlines()
        items = [json.loads(x) for x in lines]
        stats = manifest["bureaus"][bureau]
        assert len(items) == stats["vacancy_items"]
        epochs = np.bincount([i["epoch"] for i in items], minlength=3)
        assert epochs.tolist() == [stats["items_by_epoch"][str(e)] for e in range(3)]
        later = [i for i in items if i["epoch"] > 0]
        assert {i["state"] for i in later} == {"updated", "deleted"}
        assert min(i["modified"] for i in later) > max(i["modified"] for i in items if i["epoch"] == 0)
        with_data = {i["id"] for i in items if "data" in i}
        assert with_data == set(vac_truth.loc[vac_truth["bureau"] == bureau, "vacancy_id"])
        vols = json.loads((county / "bureaus" / bureau / "volunteers.json").read_text(encoding="utf-8"))
        assert len(vols) == stats["volunteers"]
        assert {v["id"] for v in vols} == set(vol_truth.loc[vol_truth["bureau"] == bureau, "volunteer_id"])
    rpde = vac_truth[vac_truth["bureau"].isin(["north", "south"])]
    cross = rpde.groupby("canonical_role_id")["bureau"].nunique()
    assert 0.10 < (cross == 2).mean() < 0.20
    # the VDS platform: its activities are the ground truth's "platform" rows, most re-advertising RPDE roles
    doc = json.loads((county / "bureaus" / "platform" / "activities.json").read_text(encoding="utf-8"))
    activities = {a["id"] for a in doc["@graph"] if a["type"] == "Activity" and a["label"].strip()}
    platform = vac_truth[vac_truth["bureau"] == "platform"]
    assert set(platform["vacancy_id"]) == activities
    shared = platform["canonical_role_id"].isin(rpde["canonical_role_id"])
    assert shared.sum() == manifest["bureaus"]["_vds_platform"]["cross_posted"] > 100 and (~shared).sum() > 0
    both = vol_truth.groupby("person_id")["bureau"].nunique()
    assert (both == 2).sum() > 0


def test_cli_refuses_to_overwrite_a_non_demo_folder(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["--scale", "tiny", "--out", str(tmp_path), "--quiet"])
    assert (tmp_path / "precious.txt").exists()
    target = tmp_path / "demo"
    assert main(["--scale", "tiny", "--seed", "3", "--out", str(target), "--quiet"]) == 0
    assert main(["--scale", "tiny", "--seed", "4", "--out", str(target), "--quiet"]) == 0
    assert json.loads((target / "manifest.json").read_text(encoding="utf-8"))["seed"] == 4
