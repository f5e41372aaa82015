"""The county demo site in a real browser: headless Debian Chromium, driven over the DevTools protocol.

Every page opens with no console errors or failed loads, every chart and map is drawn, every link on
the site resolves (file and fragment), search finds areas by postcode district, axe-core finds no WCAG
2.1 A/AA violations on each page type, a partner's restricted site renders likewise, and screenshots
of the index and a ward page are written to
``var/test-artifacts/site/`` (or ``$CG_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.browser import CHROMIUM, Browser
from tests.test_site import partner_sites, site  # noqa: F401  (the built site fixtures)
from warehouse.settings import REPO_ROOT

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Chromium missing: run scripts/install_chromium.sh (make test does)")
ARTIFACTS = Path(os.environ.get("CG_TEST_ARTIFACTS", REPO_ROOT / "var" / "test-artifacts")) / "site"

CHECK_PAGE = """(() => {
  const charts = [...document.querySelectorAll('svg[data-chart]')].map(s => {
    const box = s.getBoundingClientRect();
    return {kind: s.dataset.chart, marks: +s.dataset.marks, drawn: s.querySelectorAll('.mark').length,
            w: box.width, h: box.height, title: !!s.querySelector('title'), desc: !!s.querySelector('desc')};
  });
  const images = [...document.images].map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0}));
  const links = [...document.querySelectorAll('a[href]')]
    .map(a => new URL(a.getAttribute('href'), document.baseURI).href);  // SVG <a> too
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  return {charts, images, links, ids, title: document.title, h1: document.querySelectorAll('h1').length};
})()"""


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


def _ids(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        cache[path] = set(re.findall(r'\sid="([^"]+)"', path.read_text(encoding="utf-8")))
    return cache[path]


def _page_problems(browser: Browser, root: Path, rel: str, ids: dict[Path, set[str]], maps: bool) -> list[str]:
    """Console errors, missing images, charts not drawn, broken links or anchors on one page."""
    browser.open((root / rel).as_uri())
    info = browser.evaluate(CHECK_PAGE)
    problems = [f"{rel}: {e}" for e in browser.errors()]
    problems += [f"{rel}: image {i['src']} missing" for i in info["images"] if not i["ok"]]
    if info["h1"] != 1:
        problems.append(f"{rel}: {info['h1']} h1 elements")
    for chart in info["charts"]:
        if chart["w"] < 50 or chart["h"] < 20 or not (chart["title"] and chart["desc"]):
            problems.append(f"{rel}: {chart['kind']} chart not drawn or lacks alt text: {chart}")
        if chart["kind"] != "map" and chart["drawn"] != chart["marks"]:
            problems.append(f"{rel}: {chart['kind']} drew {chart['drawn']} of {chart['marks']} marks")
    if maps and not any(c["kind"] == "map" and c["drawn"] > 0 for c in info["charts"]):
        problems.append(f"{rel}: no map drawn")
    for href in info["links"]:
        url = urlsplit(href)
        if url.scheme in ("http", "https", "mailto"):
            continue  # partners' websites: not reachable offline, not part of the site
        target = Path(unquote(url.path))
        if not target.exists():
            problems.append(f"{rel}: broken link {href}")
        elif url.fragment and target.suffix == ".html" and url.fragment not in _ids(target, ids):
            problems.append(f"{rel}: link {href} names a missing anchor")
    return problems


def test_every_page_renders_with_charts_maps_and_working_links(site, browser):  # noqa: F811
    _, root, _ = site
    pages = json.loads((root / "site.json").read_text())["files"]
    assert len(pages) > 10
    ids: dict[Path, set[str]] = {}
    problems: list[str] = []
    for rel in pages:
        problems += _page_problems(browser, root, rel, ids, maps=rel != "consultations.html")
    assert not problems, "\n".join(problems[:60])


def test_a_partner_site_renders_with_working_links_and_passes_axe(partner_sites, browser):  # noqa: F811
    """One bureau's site, its index and its smallest authority matches page: the other pages (and the other
    bureau's site) come from the same two templates, so one of each keeps this test quick (axe-core on a
    page of 800 roles' tables takes minutes)."""
    _, out, results = partner_sites
    root = out / "bureau_north"
    pages = json.loads((root / "site.json").read_text())["files"]
    assert results["bureau_north"]["pages"] == len(pages) > 1
    ids: dict[Path, set[str]] = {}
    problems: list[str] = []
    smallest = min((p for p in pages if p.startswith("matches/")), key=lambda p: (root / p).stat().st_size)
    for rel in ("index.html", smallest):
        problems += _page_problems(browser, root, rel, ids, maps=False)
        problems += [f"{rel}: axe {v}" for v in browser.axe()]
    assert not problems, "\n".join(problems[:60])


def test_search_finds_wards_by_postcode_district_and_name(site, browser):  # noqa: F811
    db, root, _ = site
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    ward, name, districts = con.execute(
        """SELECT ward_code, ward_name, postcode_districts FROM area_boundaries
           WHERE postcode_districts IS NOT NULL ORDER BY lsoa_code LIMIT 1""").fetchone()
    con.close()
    district = districts.split(",")[0].strip()
    browser.open((root / "index.html").as_uri())
    for query in (district, name.lower()):
        hits = browser.evaluate(f"""(() => {{ const q = document.getElementById('q'); q.value = {json.dumps(query)};
            q.dispatchEvent(new Event('input')); return [...document.querySelectorAll('#results a')]
            .map(a => a.getAttribute('href')); }})()""")
        assert f"ward/{ward}.html" in hits, (query, hits)
    assert browser.errors() == []


def test_screenshots_of_index_and_a_ward_page(site, browser):  # noqa: F811
    _, root, _ = site
    ward = sorted((root / "ward").glob("*.html"))[0]
    for name, page in (("index.png", root / "index.html"), ("ward.png", ward)):
        browser.open(page.as_uri())
        browser.screenshot(ARTIFACTS / name)
        assert (ARTIFACTS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (ARTIFACTS / name).stat().st_size > 20_000  # a blank page compresses to a few kB


@pytest.mark.parametrize("kind", ["index", "authority", "ward", "consultations"])
def test_accessibility_axe_core_on_every_page_type(site, browser, kind):  # noqa: F811
    _, root, _ = site
    page = {"index": root / "index.html", "consultations": root / "consultations.html",
            "authority": sorted((root / "authority").glob("*.html"))[0],
            "ward": sorted((root / "ward").glob("*.html"))[-1]}[kind]
    browser.open(page.as_uri())
    assert browser.axe() == []
