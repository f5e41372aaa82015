"""One full-pipeline differencing case (docs/disclosure.md): the survey marts are built from the county demo
surveys, then rebuilt after exactly one added response (a new resident appended to the health survey's
export, through the real demo server, harvest and dbt). The private cells change only where the new
resident is counted, by exactly +1, so exact counts would give them away; the published cells are re-drawn
across the whole period, so the cells that moved do not single out the respondent's cells."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.conftest import use_var_dir

SURVEY = "health_wellbeing_2026"
# a new resident (identifiers nobody else has), in the LSOA of the survey's first respondent's postcode
NEW_ROW = "99001,2026-07-30T18:00:00Z,new.respondent.13@example.org,Quillfeather,1988-02-29,KK4 2HZ," \
          "9,9,8,2,1,1,2,4,F,1\n"
MARTS = {
    "survey_representation": ("area_level, area_code, period, dimension, category_code", "respondents"),
    "quality_of_life": ("area_level, area_code, period, measure_id", "unweighted_n"),
    "consultation_summary": ("scope, survey_id, period, question_id, response_code", "response_count"),
    "survey_overlap": ("area_level, area_code, period, measure_id", "residents_asked"),
}
PRIVATE = {
    "survey_representation": ("int_survey_representation_cells", "respondents"),
    "quality_of_life": ("int_quality_of_life_cells", "unweighted_n"),
    "consultation_summary": ("int_consultation_response_counts", "response_count"),
    "survey_overlap": ("int_survey_overlap_cells", "residents_asked"),
}


def _build(tmp_path_factory, county_data, name: str, extra_row: str | None) -> dict:
    from demo.server import running
    from ingest.harvest import harvest_source
    from warehouse.dbt_build import invoke, summarise
    from warehouse.settings import get_settings

    data_dir = tmp_path_factory.mktemp(f"{name}_data")
    for part in ("area", "surveys", "ground_truth"):
        shutil.copytree(county_data / part, data_dir / part)
    if extra_row:
        with (data_dir / "surveys" / SURVEY / "responses.csv").open("a", encoding="utf-8") as f:
            f.write(extra_row)
    with pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, tmp_path_factory.mktemp(f"{name}_var"))
        settings = get_settings()
        with running(data_dir) as base_url:
            for source in ("ons_area", "surveys"):
                harvest_source(source, base_url=base_url, settings=settings)
        selection = [f"+{m}" for m in MARTS]
        result = summarise(invoke(["build", "--indirect-selection", "cautious", "--select", *selection], settings))
        assert result["success"], result["failures"]
        out = {}
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            for mart, (keys, column) in MARTS.items():
                out[mart] = {tuple(r[:-1]): r[-1] for r in con.execute(
                    f"SELECT {keys}, {column} FROM marts.{mart}").fetchall()}
                table, private = PRIVATE[mart]
                out[f"private {mart}"] = {tuple(r[:-1]): r[-1] for r in con.execute(
                    f"SELECT {keys}, {private} FROM intermediate.{table}").fetchall()}
            out["residents"] = con.execute("SELECT count(*) FROM intermediate.int_survey_residents_profiled"
                                           ).fetchone()[0]
    return out


@pytest.fixture(scope="module")
def publications(tmp_path_factory, county_data):
    before = _build(tmp_path_factory, county_data, "before", None)
    return before, _build(tmp_path_factory, county_data, "after", NEW_ROW)


def test_one_added_response_redraws_the_period_instead_of_naming_its_cells(publications, capsys):
    before, after = publications
    assert after["residents"] == before["residents"] + 1  # exactly one new resident
    lines = []
    for mart in MARTS:
        private_b, private_a = before[f"private {mart}"], after[f"private {mart}"]
        own = {k for k in private_a if private_a[k] != private_b.get(k, 0)}
        # exact counts: the new resident's cells, and only those, move, each by exactly +1
        assert own and all(private_a[k] - private_b.get(k, 0) == 1 for k in own), mart
        published_b, published_a = before[mart], after[mart]
        cells = [k for k in published_a if published_a[k] is not None and published_b.get(k) is not None]
        moved = {k for k in cells if published_a[k] != published_b[k]}
        own_moved = len(moved & own) / max(len(own & set(cells)), 1)
        other_moved = len(moved - own) / max(len(set(cells) - own), 1)
        lines.append(f"{mart}: {len(own)} of {len(cells)} cells hold the new respondent; published cells moved: "
                     f"{100 * own_moved:.0f} % of theirs, {100 * other_moved:.0f} % of the others")
        # with exact counts the moved cells would be exactly the respondent's; published, most moved cells are
        # someone else's, so "the cells that moved" names nobody (about 1 in 5 cells moves either way)
        assert len(moved - own) > 5 * len(moved & own) and other_moved > 0.1, lines[-1]
    with capsys.disabled():
        print("\nfull pipeline, one added response:\n  " + "\n  ".join(lines))
