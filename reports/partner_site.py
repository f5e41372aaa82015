"""A restricted site per partner file: what that partner's file holds beyond the open publication.

``build_partner_sites(published_path)`` writes ``<published>/partner_sites/<id>/`` for every file in
``<published>/partners/`` (warehouse/partner_files.py). Each site is built from that one partner file,
opened read-only — never from the private warehouse or another partner's file — and every page says it
is that partner's restricted view. The open marts in a partner file are copies of the open file, so their
pages are not drawn again: a partner site renders only what differs (today ``volunteer_matches``, the
matches for the partner's own roles with per-partner, per-role pseudonyms and banded distances) and links
to the open site for the area reports. A partner with no restricted rows gets one page saying so. Each
site is built in a temporary folder and swapped in; sites of partners that no longer have a file are
removed, so no restricted page outlives its file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from html import escape
from itertools import groupby
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from reports.html import CSS, figure, fmt, link, page, table
from reports.palette import AREA
from reports.svg import grouped_bars

BANDS = ("under 2 km", "2–5 km", "5–10 km", "10 km+")
OPEN_SITE = "../../site/index.html"  # partner_sites/<id>/ → site/


def _shell(partner: dict[str, Any], title: str, body: str, root: str) -> str:
    name = str(partner.get("name") or partner["id"])
    footer = (f"Restricted: built from {escape(name)}'s partner file only (partners/{escape(partner['id'])}.duckdb)"
              " for that partner's use. Do not publish or forward.")
    return page(title, _banner(partner) + body, root=root, description=f"Restricted view for {name}",
                site_name=f"{name}: restricted view", header_class="site partner", footer=footer)


def _banner(partner: dict[str, Any]) -> str:
    name = escape(str(partner.get("name") or partner["id"]))
    return (f'<div class="restricted" role="note"><strong>Restricted — for {name} only.</strong> This site is '
            f"built from {name}'s own partner file and shows rows that only {name} receives. Volunteers appear "
            f"under pseudonyms issued to {name} for each role; the data team resolves them to your own "
            "volunteers. Do not publish or forward.</div>")


def _read(partner_file: Path) -> tuple[dict[str, int], pd.DataFrame | None]:
    """Row counts of every table, and the partner's matches joined to their roles (None when absent)."""
    con = duckdb.connect(str(partner_file), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                                            "ORDER BY 1").fetchall()]
        counts = {t: int(con.execute(f"SELECT count(*) FROM main.{t}").fetchone()[0]) for t in tables}
        matches = None
        if "volunteer_matches" in counts and "volunteer_vacancies" in counts:
            matches = con.execute("""
                SELECT m.vacancy_uid, m.vacancy_title, m.match_rank, m.volunteer_ref, m.distance_band,
                       m.skills_score, m.availability_score, m.cause_score, m.reasons,
                       v.organisation_name, v.ward_name, v.lad_code, v.lad_name, v.closing_date
                FROM main.volunteer_matches AS m JOIN main.volunteer_vacancies AS v USING (vacancy_uid)
                ORDER BY v.lad_name, m.vacancy_title, m.vacancy_uid, m.match_rank""").df()
    finally:
        con.close()
    return counts, matches


def _pct(v: object) -> str:
    return "–" if v is None or pd.isna(v) else f"{float(v) * 100:.0f}%"


def _text(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT else str(v)


def _authority_page(partner: dict[str, Any], lad_name: str, sub: pd.DataFrame) -> str:
    """Every one of the partner's roles in one authority, each with its suggested volunteers."""
    rows = sub.to_dict("records")  # plain dicts: thousands of small frames would dominate the build
    parts = [f"<h1>Matches for your roles in {escape(lad_name)}</h1>"
             f'<p class="lede">{len({r["vacancy_uid"] for r in rows})} of your roles, {len(rows)} suggested '
             f'volunteers (top 5 per role) · <a href="../index.html">all your matches</a> · '
             f'<a href="../{OPEN_SITE}">open area reports</a></p>']
    for (uid, title), group in groupby(rows, key=lambda r: (r["vacancy_uid"], r["vacancy_title"])):
        role = list(group)
        first = role[0]
        closes = f" · closes {_text(first['closing_date'])[:10]}" if _text(first["closing_date"]) else ""
        parts.append(f"<section><h2>{escape(_text(title))}</h2><p class=note>"
                     f"{escape(_text(first['organisation_name']))} · {escape(_text(first['ward_name']))}"
                     f"{escape(closes)} · role id <code>{escape(_text(uid))}</code></p>")
        parts.append(table(f"Suggested volunteers for {_text(title)}",
                           ["Rank", "Volunteer (pseudonym)", "Distance", "Skills", "Availability", "Causes",
                            "Why"],
                           [[int(r["match_rank"]), _text(r["volunteer_ref"]), _text(r["distance_band"]),
                             _pct(r["skills_score"]), _pct(r["availability_score"]), _pct(r["cause_score"]),
                             _text(r["reasons"])] for r in role],
                           [True, False, False, True, True, True, False]) + "</section>")
    return _shell(partner, f"Matches in {lad_name}", "".join(parts), "../")


def _index(partner: dict[str, Any], counts: dict[str, int], restricted: list[str], matches: pd.DataFrame | None
           ) -> str:
    name = escape(str(partner.get("name") or partner["id"]))
    held = table("Tables in your partner file", ["Table", "Rows", "Restricted to you"],
                 [[t, n, "yes" if t in restricted else "no (open)"] for t, n in counts.items()],
                 [False, True, False])
    body = [f"<h1>{name}: restricted view</h1>"]
    if matches is None or matches.empty:
        what = ("no restricted tables: every table in it is open" if matches is None else
                "no restricted rows in this publication (none of your roles has a suggested volunteer)")
        body.append(f'<p class="lede">Your partner file holds {what}, so the '
                    f'{link(OPEN_SITE, "open area reports")} show all of it.</p>')
    else:
        lads = matches.groupby(["lad_code", "lad_name"], sort=True).agg(
            roles=("vacancy_uid", "nunique"), suggestions=("volunteer_ref", "size")).reset_index()
        bands = matches["distance_band"].value_counts()
        cards = "".join(f'<div class="card"><b>{fmt(v, 0)}</b>{escape(label)}</div>' for label, v in [
            ("of your roles have suggested volunteers", matches["vacancy_uid"].nunique()),
            ("suggestions (top 5 per role)", len(matches)), ("authorities", len(lads))])
        title = "Your suggested volunteers by distance from the role"
        desc = "; ".join(f"{b}: {int(bands.get(b, 0))}" for b in BANDS)
        svg = grouped_bars(title, desc, list(BANDS), [("Suggestions", AREA)],
                           {(b, "Suggestions"): float(bands.get(b, 0)) for b in BANDS}, unit="")
        body += [f'<p class="lede">The volunteers suggested for the roles in your own vacancy feeds. Everything '
                 f'else in your file is the open publication: see the {link(OPEN_SITE, "open area reports")}.'
                 "</p>", f'<div class="cards">{cards}</div>',
                 '<section id="bands"><h2>How far they are</h2>'
                 + figure(svg, title, table(title, ["Distance", "Suggestions"],
                                            [[b, int(bands.get(b, 0))] for b in BANDS], [False, True]))
                 + "</section>",
                 '<section id="authorities"><h2>Your roles by authority</h2>'
                 + table("Your roles with suggested volunteers, by the role's authority",
                         ["Authority", "Roles", "Suggestions"],
                         [[link(f"matches/{r.lad_code}.html", str(r.lad_name)), int(r.roles), int(r.suggestions)]
                          for r in lads.itertuples()], [False, True, True]) + "</section>"]
    body.append(f'<section id="contents"><h2>What your file holds</h2>{held}</section>')
    return _shell(partner, "Restricted view", "".join(body), "")


def build_partner_site(partner_file: Path, out_dir: Path, partner: dict[str, Any],
                       restricted_tables: set[str]) -> dict[str, Any]:
    """One partner's site from its file alone; returns {path, pages, bytes, seconds}."""
    t0 = time.monotonic()
    counts, matches = _read(partner_file)
    restricted = sorted(t for t in counts if t in restricted_tables)
    if "volunteer_matches" not in restricted:
        matches = None
    pages = {"index.html": _index(partner, counts, restricted, matches)}
    if matches is not None:
        for (code, lad_name), sub in matches.groupby(["lad_code", "lad_name"], sort=True):
            pages[f"matches/{code}.html"] = _authority_page(partner, str(lad_name), sub)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        (tmp / "matches").mkdir()
        (tmp / "style.css").write_text(CSS, encoding="utf-8")
        for rel, html in pages.items():
            (tmp / rel).write_text(html, encoding="utf-8")
        manifest = {"partner": partner["id"], "published": str(partner_file), "restricted_tables": restricted,
                    "files": sorted(pages)}
        (tmp / "site.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    size = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    result = {"path": str(out_dir / "index.html"), "pages": len(pages), "bytes": size,
              "seconds": round(time.monotonic() - t0, 2)}
    (out_dir / "site.json").write_text(json.dumps({**manifest, **result}, indent=1), encoding="utf-8")
    return result


def swap_in(tmp: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` with the finished ``tmp`` (readers see the old site or the new one)."""
    old = out_dir.with_name(f".{out_dir.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def build_partner_sites(published_path: Path, out_root: Path | None = None) -> dict[str, dict[str, Any]]:
    """A site per partner file beside the open site; stale partner sites are removed. Returns {id: result}."""
    from warehouse.partner_files import load_partners, partner_only_tables

    folder = published_path.parent / "partners"
    out_root = out_root or published_path.parent / "partner_sites"
    names = {p["id"]: p for p in load_partners()}
    files = sorted(p for p in folder.glob("*.duckdb") if not p.name.startswith(".")) if folder.is_dir() else []
    restricted = partner_only_tables()
    results = {}
    for partner_file in files:
        pid = partner_file.stem
        results[pid] = build_partner_site(partner_file, out_root / pid, names.get(pid, {"id": pid}), restricted)
    if out_root.is_dir():
        for stale in out_root.iterdir():
            if stale.is_dir() and stale.name not in results and not stale.name.startswith("."):
                shutil.rmtree(stale)
    return results


def partner_sites_line(published_path: Path) -> str:
    """One line for the run summary: where the partner sites are and what they cost (from their site.json)."""
    root = published_path.parent / "partner_sites"
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.glob("*/site.json"))]
    if not docs:
        return "Partner sites: none built"
    return (f"Partner sites (restricted, one per partner file): {root}/<partner>/index.html — "
            + ", ".join(f"{d['partner']} {d['pages']} pages" for d in docs)
            + f"; {sum(d['bytes'] for d in docs) / 1e6:.2f} MB, {sum(d['seconds'] for d in docs):.1f}s in all")


__all__ = ["build_partner_site", "build_partner_sites", "partner_sites_line", "swap_in"]
