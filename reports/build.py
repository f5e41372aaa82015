"""Build the static area-report site from the published DuckDB file (read-only), beside it.

``python -m reports.build [--published PATH] [--out DIR] [--no-pdf] [--no-partners]``. Writes ``index.html`` (map of
authorities and wards, search by name or postcode district, what the publication holds), one page per
authority and per ward, a consultations page, ``style.css`` and — when Chromium is installed — one A4 PDF
per authority (``pdf/<code>.pdf``). The site is built in a temporary folder and swapped in, so readers
never see half a site. Then one restricted site per partner file (``reports/partner_site.py``) in
``partner_sites/<id>/``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from reports import sections as S
from reports.data import Published, load
from reports.html import CSS, fmt, link, page, table
from reports.palette import AREA, AUTHORITY, PARTNERSHIP, TINTS
from reports.partner_site import build_partner_sites, partner_sites_line, swap_in
from reports.svg import Shape, area_map

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

SEARCH_JS = """
(function(){
  var data=JSON.parse(document.getElementById('search-data').textContent);
  var box=document.getElementById('q'),out=document.getElementById('results'),st=document.getElementById('status');
  function norm(s){return s.toLowerCase().replace(/\\s+/g,' ').trim();}
  box.addEventListener('input',function(){
    var q=norm(box.value);out.innerHTML='';
    if(!q){st.textContent='';return;}
    var qc=q.replace(/ /g,''),hits=data.filter(function(d){
      return norm(d.n).indexOf(q)>=0||d.p.some(function(p){
        return p.toLowerCase()===qc||p.toLowerCase().indexOf(qc)===0;});
    }).slice(0,30);
    hits.forEach(function(d){var li=document.createElement('li'),a=document.createElement('a');
      a.href=d.u;a.textContent=d.n;li.appendChild(a);li.appendChild(document.createTextNode(' ('+d.t+')'));
      out.appendChild(li);});
    st.textContent=hits.length+' area'+(hits.length===1?'':'s')+' found';
  });
})();
"""


def _areas(pub: Published) -> tuple[list[S.Area], list[S.Area]]:
    b = pub["area_boundaries"]
    lads = []
    for (code, name), sub in b.groupby(["lad_code", "lad_name"], sort=True):
        wards = sorted(set(zip(sub["ward_code"], sub["ward_name"], strict=True)), key=lambda w: w[1])
        lads.append(S.Area("lad", code, name, code, name, wards))
    wards = [S.Area("ward", wc, wn, lad.code, lad.name) for lad in lads for wc, wn in lad.wards]
    return lads, wards


def _context(bounds: pd.DataFrame, sub: pd.DataFrame, deciles: dict[str, int]) -> list[Shape]:
    """Neighbouring LSOAs (grey) whose boxes touch the area's box, for a map's surroundings."""
    x0, x1, y0, y1 = sub["min_lon"].min(), sub["max_lon"].max(), sub["min_lat"].min(), sub["max_lat"].max()
    near = bounds[(bounds["max_lon"] >= x0) & (bounds["min_lon"] <= x1) & (bounds["max_lat"] >= y0)
                  & (bounds["min_lat"] <= y1) & ~bounds["lsoa_code"].isin(sub["lsoa_code"])]
    return S.lsoa_shapes(near, deciles)


def _deciles(profiles: pd.DataFrame) -> dict[str, int]:
    return {r.lsoa_code: int(r.imd_decile) for r in S.records(profiles) if not S._is_na(r.imd_decile)}


LOCAL_LEVELS = ("ward", "lsoa")
INDEX_DETAIL_LIMIT = 5000  # LSOAs; above this the index map draws wards (a county has a few hundred LSOAs)


def by_authority(pub: Published, lads: list[S.Area]) -> dict[str, dict[str, pd.DataFrame]]:
    """Each authority's slice of every mart: its own ward and LSOA rows plus every row above that level.

    An area page only reads rows of its area, its authority and the partnership (and all authority rows
    for partnership totals), so its sections filter a small slice instead of the whole mart — at England
    scale that is the difference between minutes and hours. Rows keep their original order.
    ``area_boundaries`` stays whole (maps draw neighbours across authority borders).
    """
    b = pub["area_boundaries"]
    lad_of = pd.concat([pd.Series(b["lad_code"].values, index=b["lsoa_code"]),
                        pd.Series(b["lad_code"].values, index=b["ward_code"])])
    lad_of = lad_of[~lad_of.index.duplicated()]
    out: dict[str, dict[str, pd.DataFrame]] = {lad.code: {} for lad in lads}
    for name, frame in pub.tables.items():
        if name == "area_boundaries" or not ({"area_level", "area_code"} <= set(frame.columns)
                                              or "lad_code" in frame.columns):
            for slices in out.values():
                slices[name] = frame
            continue
        if {"area_level", "area_code"} <= set(frame.columns):
            owner = frame["area_code"].map(lad_of).where(frame["area_level"].isin(LOCAL_LEVELS))
        else:
            owner = frame["lad_code"]
        shared = frame[owner.isna()]
        groups = dict(tuple(frame[owner.notna()].groupby(owner[owner.notna()], sort=False)))
        for code, slices in out.items():
            own = groups.get(code)
            slices[name] = shared if own is None else pd.concat([shared, own]).sort_index()
    return out


def area_page(area: S.Area, pub: Published, palette: dict[str, str], partnership: str, pdfs: bool = True, *,
              deciles: dict[str, int] | None = None, consultations: str | None = None) -> str:
    """One authority or ward page. ``deciles`` (every LSOA's) and ``consultations`` (the same section on
    every page) may be passed in once for the whole build; ``pub`` may be the authority's slice."""
    tables = pub.tables
    bounds = pub["area_boundaries"]
    key = "ward_code" if area.level == "ward" else "lad_code"
    sub = S._rows(bounds, **{key: area.code})
    profiles = S._rows(pub["area_profiles"], **{key: area.code})
    deciles = _deciles(pub["area_profiles"]) if deciles is None else deciles
    comparators: list[tuple[str, str, str, str | None]] = [(area.name, AREA, area.level, area.code)]
    if area.level == "ward":
        comparators.append((area.lad_name, AUTHORITY, "lad", area.lad_code))
    comparators.append((partnership, PARTNERSHIP, "partnership", None))
    hrefs = {w: f"../ward/{w}.html" for w in sub["ward_code"].unique()} if area.level == "lad" else None
    shapes = S.lsoa_shapes(sub, deciles, hrefs)
    title = (f"{area.name}: neighbourhoods by deprivation (IMD decile, 1 = most deprived 10% in England, "
             "10 = least)" + ("; each ward links to its page" if hrefs else ""))
    decile_counts = profiles["imd_decile"].value_counts().sort_index()
    desc = (f"Map of {len(shapes)} neighbourhoods (LSOAs) of {area.name} coloured by IMD decile; "
            + "; ".join(f"decile {int(d)}: {n}" for d, n in decile_counts.items()))
    svg = area_map(title, desc, shapes, context=_context(bounds, sub, deciles), legend=S.decile_legend())
    lsoa_table = table(f"Neighbourhoods of {area.name}", ["Neighbourhood", "Ward", "Residents", "IMD decile"],
                       [[str(r.lsoa_name), str(r.ward_name), fmt(S._num(r.population_total), 0),
                         fmt(S._num(r.imd_decile), 0)] for r in S.records(profiles.sort_values("lsoa_name"))],
                       [False, False, True, True])
    parent = (f'Ward in {link("../authority/" + area.lad_code + ".html", area.lad_name)}' if area.level == "ward"
              else f"Local authority in {escape(partnership)}; {len(area.wards)} wards")
    wards_list = ""
    if area.level == "lad":
        wards_list = ('<h3>Wards</h3><ul class="cols">' + "".join(
            f"<li>{link(f'../ward/{c}.html', n)}</li>" for c, n in area.wards) + "</ul>")
    pdf = (f' · <a href="../pdf/{area.code}.pdf">PDF for printing</a>' if area.level == "lad" and pdfs else "")
    toc = "".join(f'<li><a href="#{i}">{t}</a></li>' for i, t in [
        ("who", "Who lives here"), ("qol", "Quality of life"), ("heard", "Who we are not hearing from"),
        ("overlap", "Duplicate surveying"), ("services", "Services"), ("volunteering", "Volunteering"),
        ("consultations", "Consultations")])
    body = (f'<h1>{escape(area.name)}</h1><p class="lede">{parent} · code {escape(area.code)}{pdf}</p>'
            f'<nav class="toc" aria-label="Sections"><ul>{toc}</ul></nav>'
            f'<section id="map"><h2>Where it is</h2>' + S.figure(svg, title, lsoa_table) + wards_list + "</section>"
            + S.who_lives_here(area, tables, comparators, profiles)
            + S.quality_of_life(area, tables, comparators)
            + S.not_hearing(area, tables)
            + S.duplicate_surveying(area, tables)
            + S.services(area, tables, shapes, palette)
            + S.volunteering(area, tables)
            + (S.consultation_overview(tables, "../") if consultations is None else consultations))
    return page(area.name, body, root="../", description=f"Area report for {area.name} ({area.kind})")


def index_page(pub: Published, lads: list[S.Area], wards: list[S.Area], partnership: str, pdfs: bool = True) -> str:
    bounds = pub["area_boundaries"]
    lad_fill = {lad.code: TINTS[i % len(TINTS)] for i, lad in enumerate(lads)}
    hrefs = {w.code: f"ward/{w.code}.html" for w in wards}
    shapes = S.lsoa_shapes(bounds, {}, hrefs, fill_by="lad", lad_fill=lad_fill)
    digits = 1
    if len(shapes) > INDEX_DETAIL_LIMIT:  # England: one linked shape per ward, whole pixels, authority borders
        merged: dict[str, Shape] = {}
        lad_of = dict(zip(bounds["ward_code"], bounds["lad_code"], strict=True))
        for shape in shapes:
            ward = merged.setdefault(str(shape.group), Shape([], shape.fill, shape.label, shape.href,
                                                             lad_of[shape.group]))
            ward.rings.extend(shape.rings)
        shapes, digits = list(merged.values()), 0
    legend = [(lad.name, lad_fill[lad.code]) for lad in lads]
    title = f"{partnership}: {len(lads)} authorities and {len(wards)} wards; each ward links to its page"
    desc = "Map of the partnership area; authorities: " + ", ".join(
        f"{lad.name} ({len(lad.wards)} wards)" for lad in lads)
    svg = area_map(title, desc, shapes, legend=legend, digits=digits)
    postcodes: dict[str, set[str]] = {}
    for r in S.records(bounds):
        for pc in str(r.postcode_districts or "").split(","):
            if pc.strip():
                postcodes.setdefault(r.ward_code, set()).add(pc.strip())
                postcodes.setdefault(r.lad_code, set()).add(pc.strip())
    entries = [{"n": a.name, "t": a.kind if a.level == "ward" else "authority",
                "u": a.url, "p": sorted(postcodes.get(a.code, ()))} for a in [*lads, *wards]]
    for e, a in zip(entries, [*lads, *wards], strict=True):
        if a.level == "ward":
            e["t"] = f"ward in {a.lad_name}"
    rec = pub.record
    contents = table("Tables in this publication", ["Table", "Rows"],
                     [[t, n] for t, n in pub.all_tables.items()], [False, True])
    lad_list = "".join(
        f"<li>{link(lad.url, lad.name)} ({len(lad.wards)} wards"
        + (f' · <a href="pdf/{lad.code}.pdf">PDF</a>' if pdfs else "") + ")<ul "
        "class=cols>" + "".join(f"<li>{link(f'ward/{c}.html', n)}</li>" for c, n in lad.wards) + "</ul></li>"
        for lad in lads)
    data = json.dumps(entries, separators=(",", ":")).replace("</", "<\\/")
    body = (f"<h1>{escape(partnership)}: area reports</h1>"
            f'<p class="lede">Published {escape(str(rec.get("published_at", "unknown"))[:16].replace("T", " "))} UTC '
            f'(run {escape(str(rec.get("run_id", "unknown")))}). Maps, charts and numbers for every authority and '
            'ward, readable offline and printable.</p>'
            '<div class="search" role="search"><label for="q">Find an area by name or postcode district '
            '(e.g. GL3)</label><br><input id="q" type="search" autocomplete="off" aria-describedby="status">'
            '<p id="status" role="status" class="note"></p><ul id="results"></ul></div>'
            f'<section id="map"><h2>The partnership</h2>' + S.figure(svg, title, table(
                "Authorities", ["Authority", "Wards"], [[link(lad.url, lad.name), len(lad.wards)] for lad in lads],
                [False, True])) + "</section>"
            f'<section id="areas"><h2>All areas</h2><ul>{lad_list}</ul>'
            f'<p>{link("consultations.html", "All consultation results")}</p></section>'
            f'<section id="contents"><h2>What this publication holds</h2>{contents}</section>'
            f'<script type="application/json" id="search-data">{data}</script><script>{SEARCH_JS}</script>')
    return page(partnership, body, root="", description="Area reports for every authority and ward")


def chromium() -> str | None:
    return next((c for c in CHROMIUM if Path(c).exists()), None)


def print_pdfs(site: Path, lads: list[S.Area], workers: int = 1) -> list[Path]:
    """One A4 PDF per authority page, printed by headless Chromium (skipped when it is not installed)."""
    exe = chromium()
    if exe is None:
        return []
    out = site / "pdf"
    out.mkdir(exist_ok=True)

    def one(lad: S.Area) -> Path:
        target = out / f"{lad.code}.pdf"
        with tempfile.TemporaryDirectory(prefix="cg-chromium-") as profile:  # one profile per browser
            subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync", "--no-first-run",
                            f"--user-data-dir={profile}", "--no-pdf-header-footer",
                            f"--print-to-pdf={target}", (site / lad.url).as_uri()],
                           check=True, capture_output=True, timeout=180)
        return target

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:  # browsers in parallel, one per CPU
        return list(pool.map(one, lads))


_JOB: dict[str, Any] = {}  # one build's shared state; forked workers inherit it (nothing is pickled)


def _render(i: int) -> str:
    """Draw and write area page ``i`` of the running build; returns its path in the site."""
    job = _JOB
    area = job["areas"][i]
    local = Published(tables=job["slices"][area.lad_code], all_tables=job["pub"].all_tables,
                      record=job["pub"].record)
    html = area_page(area, local, job["palette"], job["partnership"], job["pdf"], deciles=job["deciles"],
                     consultations=job["consultations"])
    (job["tmp"] / area.url).write_text(html, encoding="utf-8")
    return area.url


def _render_all(count: int, workers: int) -> list[str]:
    """Every area page, in ``workers`` forked processes when there are enough pages to be worth it."""
    if workers <= 1 or count < PARALLEL_FROM:
        return [_render(i) for i in range(count)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return list(pool.imap_unordered(_render, range(count), chunksize=8))


PARALLEL_FROM = 100  # pages; below that, starting workers costs more than it saves


def build_site(published_path: Path, out_dir: Path | None = None, *, pdf: bool = True,
               partnership: str = "The partnership", workers: int | None = None,
               authorities: Collection[str] | None = None) -> dict[str, Any]:
    """Build the whole site; returns {path, pages, pdfs, bytes, seconds}.

    ``workers`` (default: every CPU) draws area pages in parallel; ``authorities`` limits the area pages
    (and PDFs) to those authorities and their wards — for benchmarks only, the index still lists all.
    """
    t0 = time.monotonic()
    out_dir = out_dir or published_path.parent / "site"
    pub = load(published_path)
    S.clear_caches()
    lads, wards = _areas(pub)
    palette = S._category_colours(pub["service_map"])
    tmp = Path(tempfile.mkdtemp(prefix=".site.", dir=out_dir.parent))
    try:
        (tmp / "authority").mkdir()
        (tmp / "ward").mkdir()
        (tmp / "style.css").write_text(CSS, encoding="utf-8")
        pdf = pdf and chromium() is not None  # no PDF links without a browser to print them
        pages = {"index.html": index_page(pub, lads, wards, partnership, pdf),
                 "consultations.html": page("Consultations", S.consultation_page(pub.tables), root="",
                                            description="Consultation results")}
        for rel, html in pages.items():
            (tmp / rel).write_text(html, encoding="utf-8")
        files = list(pages)
        drawn = [a for a in [*lads, *wards] if authorities is None or a.lad_code in authorities]
        _JOB.update(areas=drawn, pub=pub, slices=by_authority(pub, lads), palette=palette, pdf=pdf,
                    partnership=partnership, deciles=_deciles(pub["area_profiles"]), tmp=tmp,
                    consultations=S.consultation_overview(pub.tables, "../"))
        try:
            files += _render_all(len(drawn), workers or os.cpu_count() or 1)
        finally:
            _JOB.clear()
            S.clear_caches()
        printed = [lad for lad in lads if authorities is None or lad.code in authorities]
        pdfs = print_pdfs(tmp, printed, workers or os.cpu_count() or 1) if pdf else []
        manifest = {"published": str(published_path), "run_id": pub.record.get("run_id"),
                    "files": sorted(files), "pdf_files": [p.name for p in pdfs],
                    "authorities": len(lads), "wards": len(wards),
                    **({"only_authorities": sorted(authorities)} if authorities is not None else {})}
        (tmp / "site.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    size = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    result = {"path": str(out_dir / "index.html"), "pages": len(files), "pdfs": len(pdfs), "bytes": size,
              "seconds": round(time.monotonic() - t0, 2)}
    (out_dir / "site.json").write_text(json.dumps({**manifest, **result}, indent=1), encoding="utf-8")
    return result


def site_line(published_path: Path) -> str:
    """Lines for the run summary: where the open site and the partner sites are, size, build time."""
    site = published_path.parent / "site"
    manifest = site / "site.json"
    if not manifest.exists():
        return "Area report site: not built (no publication yet)"
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    return (f"Area report site: {site / 'index.html'} ({doc['pages']} pages, {doc['pdfs']} PDFs, "
            f"{doc.get('bytes', 0) / 1e6:.1f} MB, built in {doc.get('seconds', 0):.1f}s)\n"
            + partner_sites_line(published_path))


def main(argv: list[str] | None = None) -> int:
    from warehouse.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--published", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--no-partners", action="store_true", help="skip the restricted partner sites")
    args = parser.parse_args(argv)
    published = args.published or get_settings().published_path
    result = build_site(published, args.out, pdf=not args.no_pdf)
    print(f"site: {result['path']} ({result['pages']} pages, {result['pdfs']} PDFs, "
          f"{result['bytes'] / 1e6:.1f} MB, {result['seconds']:.1f}s)")
    if not args.no_partners:
        for pid, r in build_partner_sites(published).items():
            print(f"partner site {pid}: {r['path']} ({r['pages']} pages, {r['bytes'] / 1e6:.2f} MB, "
                  f"{r['seconds']:.1f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
