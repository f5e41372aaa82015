"""Generate the demo partnership's data: ``python -m demo.generate --scale county --seed 42 --out DIR``.

Same scale and seed give byte-identical files. Output is built in a sibling temporary folder and then
swapped in, so a running server never sees half-written data.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from demo.answers import person_latents
from demo.area import write_area
from demo.boundaries import write_boundaries
from demo.bureaus import BOTH_BUREAUS, build_bureaus
from demo.constants import AGE_BANDS, ETHNIC_GROUPS, GENERATOR_VERSION, REFERENCE_DATE
from demo.directories import build_directories
from demo.geography import build_geography
from demo.people import ETHNIC_DETAIL, make_people
from demo.population import build_cells, respondent_propensity, sample_people, volunteer_propensity
from demo.rng import rng_for
from demo.scales import SCALES
from demo.surveys import build_surveys, mean_surveys_per_person
from demo.writers import write_csv, write_json

VOLUNTEERS_FROM_RESPONDENTS = 0.10  # share of volunteers who also answered a survey


def _persons_truth(geo: Any, people: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": people["person_id"], "LSOA21CD": geo.lsoas["code"].to_numpy()[people["lsoa"].to_numpy()],
        "sex_code": np.where(people["sex"].to_numpy() == 0, "1", "2"), "age": people["age"],
        "age_band_code": np.array([b[0] for b in AGE_BANDS])[people["age_band"].to_numpy()],
        "ethnic_group_code": np.array([g[0] for g in ETHNIC_GROUPS])[people["eth"].to_numpy()],
        "ethnic_detail": np.array([d[0] for d in ETHNIC_DETAIL])[people["eth_detail"].to_numpy()],
    })


def _volunteer_people(rng_of: Any, geo: Any, cells: np.ndarray, respondents: pd.DataFrame,
                      civic: np.ndarray, n_people: int) -> pd.DataFrame:
    """Volunteers: mostly fresh residents, some drawn from survey respondents who volunteer a lot."""
    rng = rng_of("people.volunteer_overlap")
    n_overlap = min(len(respondents), int(n_people * VOLUNTEERS_FROM_RESPONDENTS))
    weight = np.exp(1.5 * civic.astype(float))
    overlap = rng.choice(len(respondents), size=n_overlap, replace=False, p=weight / weight.sum())
    fresh = sample_people(rng_of("people.volunteers"), cells, geo.lsoas["imd_decile"].to_numpy(),
                          n_people - n_overlap, volunteer_propensity)
    fresh = make_people(rng_of("people.volunteer_identity"), geo, fresh, first_id=len(respondents) + 1)
    return pd.concat([respondents.iloc[np.sort(overlap)], fresh], ignore_index=True)


def generate(scale_name: str, seed: int, out: Path, log: Any = None) -> dict[str, Any]:
    """Write the whole demo data set into ``out`` (which must be empty or absent); return the manifest."""
    say = log or (lambda _msg: None)
    scale = SCALES[scale_name]
    rng_of = partial(rng_for, seed)
    t0 = time.perf_counter()
    geo = build_geography(rng_of("geography"), scale)
    cells = build_cells(rng_of("population"), geo)
    area = write_area(rng_of("area"), geo, cells, out)
    area["boundaries"] = write_boundaries(geo, out)
    say(f"area {time.perf_counter() - t0:.1f}s")
    decile = geo.lsoas["imd_decile"].to_numpy()
    target = int(scale.n_lsoa * scale.responses_per_lsoa / mean_surveys_per_person())
    sampled = sample_people(rng_of("people.respondents"), cells, decile, target, respondent_propensity)
    respondents = make_people(rng_of("people.identity"), geo, sampled)
    person_decile = decile[respondents["lsoa"].to_numpy()]
    latents = person_latents(rng_of("people.latents"), respondents, person_decile)
    surveys, respondent_truth, concepts = build_surveys(rng_of, respondents, person_decile, latents, out)
    say(f"surveys {time.perf_counter() - t0:.1f}s")
    n_vol = round(scale.n_lsoa * scale.volunteers_per_lsoa / (1 + BOTH_BUREAUS))
    volunteers = _volunteer_people(rng_of, geo, cells, respondents, latents["formal_volunteering"], n_vol)
    bureaus, bureau_truth = build_bureaus(rng_of, geo, scale, volunteers, out)
    say(f"bureaus {time.perf_counter() - t0:.1f}s")
    directories, directory_truth = build_directories(rng_of, geo, scale, out)
    say(f"directories {time.perf_counter() - t0:.1f}s")
    everyone = pd.concat([respondents, volunteers], ignore_index=True).drop_duplicates("person_id")
    truth = {"respondents.csv": respondent_truth, **directory_truth, **bureau_truth,
             "persons.csv": _persons_truth(geo, everyone), "question_concepts.csv": concepts}
    truth_rows = {name: write_csv(out / "ground_truth" / name, frame) for name, frame in sorted(truth.items())}
    survey_sections = {k: v for k, v in surveys.items() if not k.startswith("_")}
    manifest = {
        "scale": scale.name, "seed": seed, "generator_version": GENERATOR_VERSION,
        "reference_date": REFERENCE_DATE.isoformat(),
        "counts": {
            "lsoas": area["lsoas"], "wards": area["wards"], "districts": area["districts"],
            "postcodes": area["postcodes"], "residents": area["residents"],
            "surveys": len(survey_sections),
            "survey_rows": sum(s["rows"] for s in survey_sections.values()),
            "survey_responses": surveys["_people"]["responses"],
            "survey_respondents": surveys["_people"]["respondents"],
            "directories": directories["_totals"]["directories"],
            "service_records": directories["_totals"]["records"],
            "canonical_services": directories["_totals"]["canonical_services"],
            "bureaus": len([k for k in bureaus if not k.startswith("_")]),
            "vacancy_items": sum(b["vacancy_items"] for k, b in bureaus.items() if not k.startswith("_")),
            "vacancies_listed": bureaus["_totals"]["vacancies_listed"],
            "volunteer_records": sum(b["volunteers"] for k, b in bureaus.items() if not k.startswith("_")),
            "people": len(everyone),
        },
        "area": area, "surveys": surveys, "directories": directories, "bureaus": bureaus,
        "ground_truth": truth_rows,
    }
    manifest["files"] = {p.relative_to(out).as_posix(): p.stat().st_size
                         for p in sorted(out.rglob("*")) if p.is_file()}
    write_json(out / "manifest.json", manifest)
    say(f"done {time.perf_counter() - t0:.1f}s")
    return manifest


def generate_into(scale_name: str, seed: int, out: Path, log: Any = None) -> dict[str, Any]:
    """Generate into a temporary sibling folder, then replace ``out`` (only if it holds demo data or nothing)."""
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise SystemExit(f"refusing to overwrite {out}: it is not empty and holds no demo manifest.json")
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        manifest = generate(scale_name, seed, tmp, log)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="county")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("var/demo"))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    manifest = generate_into(args.scale, args.seed, args.out, log)
    print(f"wrote {args.scale} demo data ({sum(manifest['files'].values()) / 1e6:.1f} MB) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
