"""Later harvests flow through to the marts: updates, deletions and expiry, and the run summary counts."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
import requests

from tests.conftest import reset_server, use_var_dir
from tests.test_volunteer_vacancies import AS_OF, dedupe_accuracy, feed_view, open_adverts, truth_roles

VACANCY_SOURCES = ("bureau_north_vacancies", "bureau_south_vacancies")
SELECT = ["--select", "stg_bureaus__vacancies+", "stg_bureaus__vacancy_attributes+", "stg_meta__load_ledger+"]
LATER = "2026-12-01"


def read(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def advanced(built, demo_url, tmp_path_factory):
    """The built warehouse, harvested again at epochs 1 and 2, rebuilt, gated and summarised."""
    from expectations.gate import all_suites, run_gate
    from ingest.harvest import harvest_source
    from warehouse.dbt_build import invoke
    from warehouse.run_summary import collect
    from warehouse.settings import get_settings

    settings, _, _ = built
    var_dir = tmp_path_factory.mktemp("epochs_var")
    (var_dir / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, var_dir / "warehouse" / "private.duckdb")
    out: dict = {"loads": {}}
    with pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, var_dir)
        reset_server(demo_url)
        try:
            for epoch in (1, 2):
                requests.post(f"{demo_url}/_control/advance", timeout=5).raise_for_status()
                for source in VACANCY_SOURCES:
                    out["loads"][(source, epoch)] = harvest_source(source, base_url=demo_url, run_key=f"e{epoch}")[0]
        finally:
            reset_server(demo_url)
        settings = get_settings()
        assert invoke(["build", *SELECT], settings).success
        out["gx"] = run_gate("epochs", settings, [s for s in all_suites() if "volunteer" in s.name])
        out["summary"] = collect("epochs", settings)
        path = settings.warehouse_path
        out["lineage"] = read(path, "SELECT vacancy_uid, vacancy_key FROM intermediate.int_vacancy_lineage")
        out["roles"] = read(path, "SELECT vacancy_uid, source_vacancy_keys, closing_date, hours_per_week "
                                  "FROM marts.volunteer_vacancies")
        out["matches"] = read(path, "SELECT count(*), count(DISTINCT vacancy_uid) FROM marts.volunteer_matches")[0]
        mp.setenv("CG_AS_OF_DATE", LATER)  # the same data judged two months later: more roles have closed
        assert invoke(["build", "--select", "int_vacancies_filtered+"], settings).success
        out["later_lineage"] = read(path, "SELECT vacancy_key FROM intermediate.int_vacancy_lineage")
        out["later_gx"] = run_gate("later", settings, [s for s in all_suites() if "volunteer" in s.name])
    return out


def test_harvests_see_each_epochs_changes(advanced, county_manifest):
    for (source, epoch), load in advanced["loads"].items():
        bureau = source.split("_")[1]
        change = county_manifest["bureaus"][bureau]["changes_by_epoch"][str(epoch)]
        assert load["received"] == county_manifest["bureaus"][bureau]["items_by_epoch"][str(epoch)]
        assert (load["new"], load["updated"], load["deleted"]) == (change["new"], change["updated"], change["deleted"])


def test_marts_follow_updates_and_deletions(advanced, county_data):
    listed = {key for _, key in advanced["lineage"]}
    assert listed == open_adverts(county_data, 2)
    accuracy = dedupe_accuracy(advanced["lineage"], truth_roles(county_data))
    assert accuracy["precision"] >= 0.99 and accuracy["recall"] >= 0.99, accuracy
    gone = open_adverts(county_data, 0) - open_adverts(county_data, 2)
    assert len(gone) > 100  # roles deleted in epochs 1 and 2 have left the list
    # a role whose closing date or hours were updated shows the new values
    latest = {f"bureau_{b}_vacancies:{it['id']}": it for b in ("north", "south") for it in feed_view(county_data, b, 2)}
    first = {f"bureau_{b}_vacancies:{it['id']}": it for b in ("north", "south") for it in feed_view(county_data, b, 0)}
    checked = 0
    for _, keys, closing, hours in advanced["roles"]:
        if "; " in keys or keys not in latest:  # merged, or only the VDS platform (a static snapshot) lists it
            continue
        new, old = latest[keys]["data"], (first.get(keys) or {}).get("data")
        if old and new != old:
            assert closing.isoformat() == new["closing_date"] and hours == new["time_commitment_hours_per_week"]
            checked += 1
    assert checked > 50
    assert all(r["success"] for r in advanced["gx"]), [r for r in advanced["gx"] if not r["success"]]
    count, roles = advanced["matches"]
    assert roles == len(advanced["roles"]) and count == 5 * roles  # the demo skill bank is deep enough


def test_expiry_follows_the_as_of_date(advanced, county_data):
    later = {key for (key,) in advanced["later_lineage"]}
    expected = open_adverts(county_data, 2, LATER)  # RPDE adverts at epoch 2 and the VDS platform's
    assert later == expected
    assert len(open_adverts(county_data, 2)) - len(later) > 100  # closed between 1 October and 1 December
    assert AS_OF < LATER and all(r["success"] for r in advanced["later_gx"])


def test_run_summary_reports_this_runs_changes(advanced, county_manifest):
    feeds = {f["source"]: f for f in advanced["summary"]["volunteering"]["vacancy_feeds"]}
    for source in VACANCY_SOURCES:
        change = county_manifest["bureaus"][source.split("_")[1]]["changes_by_epoch"]["2"]
        assert (feeds[source]["new"], feeds[source]["updated"], feeds[source]["deleted"]) == (
            change["new"], change["updated"], change["deleted"])
    from warehouse.run_summary import render

    text = render(json.loads(json.dumps(advanced["summary"], default=str)))
    assert "Volunteering: vacancy changes applied by the latest harvest" in text
    assert "open roles now" in text and "matches made" in text
