"""Linkage accuracy of a build of the demo data against the generator's ground truth (demo and benchmark only).

Reads the private warehouse a demo run or the benchmark built and scores, pairwise, the two linkages:
survey responses → residents, and directory listings → canonical services, with the scoring functions
the tests use. Real partner data has no ground truth, so production runs do not print this.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analytics.respondent_linkage import pairwise_accuracy
from analytics.service_linkage import pairwise_scores


def _read(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


def respondent_truth(truth_dir: Path) -> dict[str, str]:
    """The generator's true person of every survey response, by response key (survey:response id)."""
    truth = pd.read_csv(truth_dir / "respondents.csv", dtype=str)
    return dict(zip(truth["survey_id"] + ":" + truth["response_id"], truth["person_id"], strict=True))


def service_truth(truth_dir: Path) -> pd.DataFrame:
    """The generator's true canonical service of every listing: (directory, service_id, location_id)."""
    truth = pd.read_csv(truth_dir / "services.csv", dtype=str)
    truth["directory"] = "directory_" + truth["directory"]
    return truth


def resident_linkage(warehouse: Path, truth_dir: Path) -> dict[str, Any]:
    truth_map = respondent_truth(truth_dir)
    linked = _read(warehouse, "SELECT response_key, resident_key FROM intermediate.int_survey_responses_linked")
    return pairwise_accuracy(dict(zip(linked["response_key"], linked["resident_key"], strict=True)), truth_map)


def service_dedupe(warehouse: Path, truth_dir: Path) -> dict[str, Any]:
    truth = service_truth(truth_dir)
    mapped = _read(warehouse, "SELECT directory, service_id, location_id, canonical_service_id, source_record_key "
                              "FROM marts.service_map_sources WHERE outcome = 'mapped'")
    mapped = mapped.merge(truth.rename(columns={"canonical_service_id": "true_id"}),
                          on=["directory", "service_id", "location_id"], how="left", validate="one_to_one")
    missing = int(mapped["true_id"].isna().sum())
    mapped = mapped[mapped["true_id"].notna()].set_index("source_record_key")
    scores = pairwise_scores(mapped["canonical_service_id"], mapped["true_id"])
    return {**scores, "listings": len(mapped), "not_in_truth": missing,
            "canonical": int(mapped["canonical_service_id"].nunique()),
            "true_canonical": int(mapped["true_id"].nunique())}


def measure(warehouse: Path, truth_dir: Path) -> dict[str, Any]:
    """Both linkages' precision, recall and F1; an error is reported, not raised (the timings still count)."""
    out: dict[str, Any] = {}
    for name, fn in (("resident_linkage", resident_linkage), ("service_dedupe", service_dedupe)):
        try:
            out[name] = fn(warehouse, truth_dir)
        except Exception as exc:  # reported beside the timings, not raised
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return out


def render(result: dict[str, Any]) -> str:
    lines = []
    for name, scores in result.items():
        if "error" in scores:
            lines.append(f"  {name.replace('_', ' ')}: could not score ({scores['error']})")
        else:
            lines.append(f"  {name.replace('_', ' ')}: precision {scores['precision']:.4f} "
                         f"recall {scores['recall']:.4f} F1 {scores['f1']:.4f}")
    return "\n".join(lines)
