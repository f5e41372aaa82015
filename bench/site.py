"""Benchmark the area-report site: build time, pages and size of the open site and the partner sites.

``python -m bench.site --published var/bench/england-seed42/var/published/common_ground.duckdb``
(after ``python -m bench.run --scale england``). Builds into a scratch folder beside the JSON (the
published folder is read-only and is left alone), in a fresh process per site so peak RSS is its own.
Prints one line per site and writes ``site_bench.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from bench.run import run_stage

OPEN = """
    import duckdb, json
    from pathlib import Path
    from reports.build import build_site
    published, sample = Path({published!r}), {sample!r}
    only = None
    if sample:  # every k-th authority by code, with all its wards
        con = duckdb.connect(str(published), read_only=True)
        codes = [r[0] for r in con.execute("SELECT DISTINCT lad_code FROM area_boundaries ORDER BY 1").fetchall()]
        wards = dict(con.execute("SELECT lad_code, count(DISTINCT ward_code) FROM area_boundaries "
                                 "GROUP BY 1").fetchall())
        con.close()
        only = codes[::max(1, len(codes) // sample)][:sample]
    r = build_site(published, Path({out!r}) / "site", pdf={pdf!r}, authorities=only)
    if only:
        r.update(sampled_authorities=len(only), authorities=len(codes), full_pages=2 + len(codes) + sum(wards.values()),
                 sampled_area_pages=len(only) + sum(wards[c] for c in only))
    print("RESULT:" + json.dumps(r))
"""
PARTNERS = """
    import json, shutil
    from pathlib import Path
    from reports.partner_site import build_partner_sites
    work = Path({out!r})
    (work / "partners").unlink(missing_ok=True)
    (work / "partners").symlink_to(Path({published!r}).resolve().parent / "partners")
    r = build_partner_sites(work / "common_ground.duckdb")
    print("RESULT:" + json.dumps({{"sites": r, "pages": sum(s["pages"] for s in r.values()),
                                   "bytes": sum(s["bytes"] for s in r.values())}}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--published", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: beside the file)")
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--sample", type=int, default=0,
                        help="draw only this many authorities' pages (with their wards) and extrapolate")
    args = parser.parse_args(argv)
    published = args.published.resolve()
    work = args.work or published.parent.parent / "site_bench"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = dict(os.environ)
    report = {}
    for name, code in (("open site", OPEN), ("partner sites", PARTNERS)):
        stage, result = run_stage(name, code.format(published=str(published), out=str(work),
                                                     pdf=not args.no_pdf, sample=args.sample), env)
        if result.get("sampled_area_pages"):  # index + consultations are drawn in full; scale the rest
            result["extrapolated_seconds"] = round(stage.seconds * result["full_pages"] / (
                2 + result["sampled_area_pages"]), 0)
            result["extrapolated_bytes"] = int(result["bytes"] * result["full_pages"] / (
                2 + result["sampled_area_pages"]))
            print(f"sampled {result['sampled_authorities']} of {result['authorities']} authorities: "
                  f"{result['sampled_area_pages']} area pages of {result['full_pages'] - 2}; whole site ≈ "
                  f"{result['extrapolated_seconds']:.0f}s, {result['extrapolated_bytes'] / 1e6:.0f} MB "
                  "(linear in pages: an upper bound, since index and consultations are drawn once)")
        report[name] = {"seconds": round(stage.seconds, 1), "peak_rss_mb": round(stage.peak_rss_mb),
                        "ok": stage.ok, **result, **({"error": stage.detail["error"]} if not stage.ok else {})}
        print(f"{name}: {result.get('pages', '?')} pages, {result.get('pdfs', 0)} PDFs, "
              f"{result.get('bytes', 0) / 1e6:.1f} MB, {stage.seconds:.1f}s, peak RSS {stage.peak_rss_mb:.0f} MB"
              + ("" if stage.ok else f" FAILED\n{stage.detail['error']}"), flush=True)
    out = work / "site_bench.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"JSON: {out}")
    return 0 if all(r["ok"] for r in report.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
