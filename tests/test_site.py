"""The area-report site: built from the published file only, numbers match the marts, boundaries feed."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from ingest.feeds.boundaries import geometry_problem
from reports.palette import AREA, AUTHORITY, MUTED, PARTNERSHIP, TEXT, contrast
from tests.conftest import use_var_dir


@pytest.fixture(scope="session")
def site(built, tmp_path_factory):
    """Publish the built county warehouse, then build the site from a copy of the published file alone."""
    from reports.build import build_site
    from warehouse.publish import publish
    from warehouse.settings import get_settings

    settings, _, _ = built
    var_dir = tmp_path_factory.mktemp("site_var")
    (var_dir / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, var_dir / "warehouse" / "private.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, var_dir)
        published = publish("site-test", get_settings())
    alone = tmp_path_factory.mktemp("published_alone")  # nothing but the published file (and its record)
    shutil.copy(published["path"], alone / "common_ground.duckdb")
    shutil.copy(Path(published["path"]).parent / "PUBLISHED.json", alone / "PUBLISHED.json")
    (alone / "partners").mkdir()  # and the partner files, for the partner sites (not read by the open site)
    for info in published["partner_files"].values():
        shutil.copy(info["path"], alone / "partners" / Path(info["path"]).name)
    result = build_site(alone / "common_ground.duckdb", pdf=True)
    return alone / "common_ground.duckdb", Path(result["path"]).parent, result


@pytest.fixture(scope="session")
def partner_sites(site):
    """One restricted site per partner file, built from copies of the partner files alone."""
    from reports.partner_site import build_partner_sites

    db, _, _ = site
    return db.parent / "partners", db.parent / "partner_sites", build_partner_sites(db)


def _q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


class Tables(HTMLParser):
    """Every <table> of a page as (caption, rows of cell text)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(("", []))
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self.tables[-1] = ("".join(self._caption).strip(), self.tables[-1][1])
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def tables_of(path: Path) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return {caption: rows for caption, rows in parser.tables}


def test_a_page_per_authority_and_ward(site):
    db, root, result = site
    lads = {r[0] for r in _q(db, "SELECT DISTINCT lad_code FROM area_profiles")}
    wards = {r[0] for r in _q(db, "SELECT DISTINCT ward_code FROM area_profiles")}
    assert {p.stem for p in (root / "authority").glob("*.html")} == lads
    assert {p.stem for p in (root / "ward").glob("*.html")} == wards
    assert result["pages"] == len(lads) + len(wards) + 2  # + index and consultations
    manifest = json.loads((root / "site.json").read_text())
    assert manifest["authorities"] == len(lads) and manifest["wards"] == len(wards)


def test_ward_page_quality_of_life_matches_the_mart(site):
    db, root, _ = site
    ward, lad, period = _q(db, """SELECT area_code, parent_area_code, max(period) FROM quality_of_life
                                  WHERE area_level = 'ward' AND pct_positive IS NOT NULL
                                  GROUP BY ALL ORDER BY count(*) DESC, area_code LIMIT 1""")[0]
    mart = {label: (pct, lo, hi) for label, pct, lo, hi in _q(db, """
        SELECT measure_label, pct_positive, pct_positive_ci_lower, pct_positive_ci_upper FROM quality_of_life
        WHERE area_level = 'ward' AND area_code = ? AND period = ?""", [ward, period])}
    authority = dict(_q(db, """SELECT measure_label, pct_positive FROM quality_of_life
                               WHERE area_level = 'lad' AND area_code = ? AND period = ?""", [lad, period]))
    rows = tables_of(root / "ward" / f"{ward}.html")[f"Quality of life, {period}"]
    header, body = rows[0], rows[1:]
    assert len(body) == len(mart)
    for row in body:
        label = row[0]
        pct, lo, hi = mart[label]
        assert row[2] == ("–" if pct is None else f"{pct:.1f}%")
        assert row[3] == ("–" if lo is None or hi is None else f"{lo:.1f}–{hi:.1f}")
        auth = authority.get(label)
        assert row[header.index(_q(db, "SELECT any_value(lad_name) FROM area_profiles WHERE lad_code = ?",
                                   [lad])[0][0])] == ("–" if auth is None else f"{auth:.1f}%")
        real = pct is not None and lo is not None and hi is not None and auth is not None and not lo <= auth <= hi
        assert real == ("higher than " + header[4] in row[-1] or "lower than " + header[4] in row[-1])


def test_authority_page_counts_match_the_marts(site):
    db, root, _ = site
    lad, name = _q(db, "SELECT lad_code, any_value(lad_name) FROM area_profiles GROUP BY 1 ORDER BY 1 LIMIT 1")[0]
    tables = tables_of(root / "authority" / f"{lad}.html")
    services = _q(db, "SELECT count(*) FROM service_map WHERE lad_code = ?", [lad])[0][0]
    assert len(tables[f"Services listed in {name}"]) - 1 == services
    gaps = _q(db, "SELECT count(*) FROM service_coverage WHERE lad_code = ? AND gap_flag", [lad])[0][0]
    assert len(tables.get("Gaps: high need and few or no active services", [[]])) - 1 == gaps or gaps == 0
    lsoas = _q(db, "SELECT count(*), sum(population_total) FROM area_profiles WHERE lad_code = ?", [lad])[0]
    assert len(tables[f"Neighbourhoods of {name}"]) - 1 == lsoas[0]
    page = (root / "authority" / f"{lad}.html").read_text(encoding="utf-8")
    assert f"{lsoas[1]:,} residents" in page
    ages = _q(db, """SELECT category_label, 100.0 * population / sum(population) OVER () FROM survey_representation
                     WHERE area_level = 'lad' AND area_code = ? AND dimension = 'age_band'
                       AND period = (SELECT max(period) FROM survey_representation)""", [lad])
    shown = {r[0]: r[1] for r in tables["Age: share of residents"][1:]}
    assert {k: f"{v:.1f}%" for k, v in ages} == shown


def test_boundaries_feed_quarantines_bad_features_and_covers_every_lsoa(site, built):
    db, _, _ = site
    settings, _, _ = built
    assert _q(db, "SELECT count(*) FILTER (WHERE NOT has_boundary), count(*) FROM area_boundaries")[0][0] == 0
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        reasons = [r[0] for r in con.execute(
            "SELECT reason FROM raw.quarantine WHERE entity = 'area_boundaries' ORDER BY reason").fetchall()]
        ledger = con.execute("""SELECT received, loaded, quarantined FROM meta.load_ledger
                                WHERE source = 'ons_boundaries' ORDER BY finished_at DESC LIMIT 1""").fetchone()
    finally:
        con.close()
    assert len(reasons) == 2
    assert any("not in the LSOA lookup" in r for r in reasons)
    assert any("not closed" in r for r in reasons)
    assert ledger[0] == ledger[1] + ledger[2] and ledger[2] == 2


@pytest.mark.parametrize(("geometry", "problem"), [
    ({"type": "Polygon", "coordinates": [[[-2.0, 51.0], [-1.9, 51.0], [-1.9, 51.1], [-2.0, 51.0]]]}, None),
    ({"type": "Polygon", "coordinates": [[[-2.0, 51.0], [-1.9, 51.0], [-1.9, 51.1], [-2.0, 51.1]]]}, "not closed"),
    ({"type": "Polygon", "coordinates": [[[-2.0, 51.0], [-1.9, 51.0], [-2.0, 51.0]]]}, "fewer than 4"),
    ({"type": "Polygon", "coordinates": [[[-2.0, 51.0], [-1.9, 51.0], [-1.8, 51.0], [-2.0, 51.0]]]}, "no area"),
    ({"type": "Polygon", "coordinates": [[[20.0, 51.0], [21, 51.0], [21, 52], [20.0, 51.0]]]}, "outside"),
    ({"type": "Point", "coordinates": [-2.0, 51.0]}, "not Polygon"),
    (None, "no geometry"),
])
def test_geometry_validation(geometry, problem):
    found = geometry_problem(geometry)
    assert (found is None) if problem is None else (problem in found)


def test_palette_passes_wcag_aa_on_white():
    for colour in (AREA, AUTHORITY, PARTNERSHIP, TEXT, MUTED):
        assert contrast(colour, "#ffffff") >= 4.5, colour


def test_site_is_offline_no_external_resources(site):
    _, root, _ = site
    for page in root.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', html), page
        assert "<svg" in html


def test_authority_pdfs_are_a4(site):
    _, root, result = site
    pdfs = sorted((root / "pdf").glob("*.pdf"))
    assert result["pdfs"] == len(pdfs) == len(list((root / "authority").glob("*.html")))
    for pdf in pdfs:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF")
        boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
        assert boxes and all(abs(float(w) - 595.9) < 2 and abs(float(h) - 842.9) < 2 for w, h in boxes), boxes[:3]


def _site_text(root: Path) -> str:
    """Every file of a site (PDFs too, as far as their bytes are text) as one string."""
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(root.rglob("*")) if p.is_file())


def _all_tables(path: Path) -> list[tuple[str, list[list[str]]]]:
    parser = Tables()  # every table, also when two share a caption (two roles with one title)
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def _matches(partner_file: Path) -> list[tuple[str, str]]:
    return _q(partner_file, "SELECT vacancy_uid, volunteer_ref FROM volunteer_matches") if "volunteer_matches" in {
        r[0] for r in _q(partner_file, "SELECT table_name FROM duckdb_tables()")} else []


def test_a_restricted_site_per_partner_file_showing_its_own_matches(partner_sites):
    from warehouse.partner_files import load_partners

    files, out, results = partner_sites
    partners = {p["id"]: p for p in load_partners()}
    assert set(results) == {p.stem for p in files.glob("*.duckdb")} == set(partners)
    with_rows = 0
    for pid, result in results.items():
        root = out / pid
        manifest = json.loads((root / "site.json").read_text())
        assert manifest["published"] == str(files / f"{pid}.duckdb")  # its own file, nothing else
        for page in root.rglob("*.html"):  # every page says whose restricted view it is
            assert f"Restricted — for {partners[pid]['name']} only." in page.read_text(encoding="utf-8"), page
        matches = _matches(files / f"{pid}.duckdb")
        shown = [row for page in sorted((root / "matches").glob("*.html")) for caption, rows in
                 _all_tables(page) if caption.startswith("Suggested volunteers for ") for row in rows[1:]]
        assert sorted(r[1] for r in shown) == sorted(ref for _, ref in matches)  # every match, once
        lads = {r[0] for r in _q(files / f"{pid}.duckdb", """SELECT DISTINCT v.lad_code FROM volunteer_matches m
            JOIN volunteer_vacancies v USING (vacancy_uid)""")} if matches else set()
        assert {p.stem for p in (root / "matches").glob("*.html")} == lads
        assert result["pages"] == 1 + len(lads)
        with_rows += bool(matches)
    assert with_rows == sum(bool(p.get("restricted")) for p in partners.values()) == 2  # the two bureaus


def test_no_site_holds_another_partners_restricted_rows(partner_sites, site, built):
    files, out, _ = partner_sites
    _, open_site, _ = site
    rows = {p.stem: _matches(p) for p in files.glob("*.duckdb")}
    settings, _, _ = built
    private_refs = {r[0] for r in _q(settings.warehouse_path, "SELECT volunteer_ref FROM marts.volunteer_matches")}
    assert private_refs and sum(bool(v) for v in rows.values()) == 2
    everyone = {ref for pairs in rows.values() for _, ref in pairs}
    for pid in rows:
        text = _site_text(out / pid)
        own_roles = {uid for uid, _ in rows[pid]}
        for other, pairs in rows.items():
            if other == pid:
                continue
            others_refs = {ref for _, ref in pairs}
            others_roles = {uid for uid, _ in pairs} - own_roles  # a role in both bureaus' feeds is both's
            assert not [r for r in others_refs if r in text], (pid, other)
            assert not [u for u in others_roles if f">{u}<" in text], (pid, other)
        assert all(ref in text for _, ref in rows[pid])  # the check above can find a pseudonym when present
        assert not [r for r in private_refs if r in text], pid  # the warehouse's own pseudonyms never
    text = _site_text(open_site)
    assert not [r for r in everyone | private_refs if r in text]
    assert "Suggested volunteers for" not in text and "Restricted — for" not in text


def test_partner_site_of_a_removed_partner_is_deleted(partner_sites, tmp_path):
    from reports.partner_site import build_partner_sites

    files, _, _ = partner_sites
    published = tmp_path / "common_ground.duckdb"
    (tmp_path / "partners").mkdir()
    shutil.copy(files / "bureau_north.duckdb", tmp_path / "partners" / "bureau_north.duckdb")
    (tmp_path / "partner_sites" / "bureau_south").mkdir(parents=True)  # left from an earlier publication
    (tmp_path / "partner_sites" / "bureau_south" / "index.html").write_text("old restricted page")
    assert set(build_partner_sites(published)) == {"bureau_north"}
    assert sorted(p.name for p in (tmp_path / "partner_sites").iterdir()) == ["bureau_north"]
