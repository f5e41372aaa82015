"""Privacy-preserving probabilistic linkage of survey responses to residents (Splink on DuckDB).

Identifying fields arrive separately keyed-hashed (HMAC-SHA256 of the normalised email, surname, date
of birth and postcode), so only *exact agreement* can be measured: a typo in a surname or a new email
domain is simply disagreement. The Fellegi–Sunter model weighs each agreement by how informative it is
(m/u probabilities estimated from the data), which is what makes linkage on hashes work where a
deterministic "all fields equal" rule would miss people whose details drift between agencies.

Model (fixed, so two builds on the same input give the same residents):

- comparisons: email hash, surname hash (term-frequency adjusted: a shared common surname is weaker
  evidence than a rare one), date-of-birth hash, and one *location* comparison with levels
  "same postcode" > "same LSOA, different postcode" (someone who moved nearby) > "different" —
  one comparison, not two, because a postcode match implies an LSOA match and counting both would
  double-count the same evidence;
- link type ``link_only`` across surveys: a resident answers an agency survey once (duplicate response
  ids are quarantined at ingest), so pairs within one survey are never compared directly;
- candidate pairs agree on email, or on date of birth and surname, or on date of birth and LSOA, or on
  surname and postcode (``PREDICTION_BLOCKING``);
- u from random sampling with a fixed seed, the prior from deterministic rules, m by EM on two
  blocking rules (each trains the fields it does not block on); EM sampling is hash-based, and the
  private DuckDB runs single-threaded so floating-point sums are evaluated in a fixed order;
- clusters are formed by Splink's *single best links* method with every survey declared
  duplicate-free: a response joins a cluster only through a mutually best link with probability >=
  ``threshold`` (0.5, the Bayes decision point) and a cluster never holds two responses to one survey.
  Plain connected components chained a few different people together through one weak link; this
  constraint removes that and lets the threshold sit at 0.5 (measured on the county demo:
  precision 0.997, recall 0.996, F1 0.996; at 0.95 with connected components recall fell to 0.984).

The resident key is ``R`` + the first 16 hex digits of SHA-256 of the smallest response key in the
cluster, so it is stable for identical input and changes only when a cluster gains a response whose key
sorts first or is split/merged.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pandas as pd

from analytics.splink_db import splink_connection

ID_COLUMNS = ["email_hash", "surname_hash", "dob_hash", "postcode_hash", "lsoa_code"]
INPUT_COLUMNS = ["response_key", "survey_id", *ID_COLUMNS]
OUTPUT_COLUMNS = ["response_key", "resident_key", "cluster_size", "best_match_probability"]
DEFAULT_THRESHOLD = 0.5
SEED = 42
# pairs compared: any one of these agreeing (a union of blocks). Date of birth alone made a block of
# millions of cross-survey pairs at England scale; splitting it by surname or LSOA gave the same precision
# and recall at county, region and England scale (England F1 0.9876 either way) in less than half the time.
PREDICTION_BLOCKING: list[tuple[str, ...]] = [
    ("email_hash",), ("dob_hash", "surname_hash"), ("dob_hash", "lsoa_code"), ("surname_hash", "postcode_hash")]
# EM sessions: each trains the comparisons it does not block on
EM_BLOCKING: list[tuple[str, ...]] = [("dob_hash", "lsoa_code"), ("email_hash",)]


@dataclass(frozen=True)
class LinkageResult:
    clusters: pd.DataFrame  # OUTPUT_COLUMNS, one row per input response
    parameters: dict[str, Any]  # trained m/u and the prior, for the record


def resident_key(smallest_response_key: str) -> str:
    """The stable resident key of a cluster: a hash of its smallest response key."""
    return "R" + hashlib.sha256(smallest_response_key.encode("utf-8")).hexdigest()[:16]


def _settings(threshold_blocking: list[Any]) -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator

    location = cl.CustomComparison(
        output_column_name="location",
        comparison_levels=[
            {"sql_condition": "postcode_hash_l IS NULL OR postcode_hash_r IS NULL", "is_null_level": True,
             "label_for_charts": "postcode missing"},
            {"sql_condition": "postcode_hash_l = postcode_hash_r", "label_for_charts": "same postcode"},
            {"sql_condition": "lsoa_code_l = lsoa_code_r", "label_for_charts": "same LSOA, other postcode"},
            {"sql_condition": "ELSE", "label_for_charts": "different area"},
        ],
    )
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="response_key",
        source_dataset_column_name="survey_id",
        comparisons=[
            cl.ExactMatch("email_hash"),
            cl.ExactMatch("surname_hash").configure(term_frequency_adjustments=True),
            cl.ExactMatch("dob_hash"),
            location,
        ],
        blocking_rules_to_generate_predictions=threshold_blocking,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _singletons(frame: pd.DataFrame) -> pd.DataFrame:
    keys = frame["response_key"].astype(str)
    return pd.DataFrame({"response_key": keys, "resident_key": keys.map(resident_key),
                         "cluster_size": 1, "best_match_probability": float("nan")})


def link_respondents(respondents: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD) -> LinkageResult:
    """Cluster survey responses into residents; one output row per input response."""
    from splink import DuckDBAPI, Linker, block_on

    missing = [c for c in INPUT_COLUMNS if c not in respondents.columns]
    if missing:
        raise ValueError(f"respondents lack columns {missing}")
    frame = respondents[INPUT_COLUMNS].copy()
    for column in INPUT_COLUMNS:
        frame[column] = frame[column].astype("string").where(frame[column].notna(), None)
    frame = frame.sort_values("response_key", kind="stable").reset_index(drop=True)
    if frame["response_key"].duplicated().any():
        raise ValueError("response_key must be unique")
    surveys = sorted(frame["survey_id"].dropna().unique())
    if len(surveys) < 2:  # nothing to link across
        return LinkageResult(_singletons(frame), {"note": "fewer than two surveys: no linkage"})

    logging.getLogger("splink").setLevel(logging.WARNING)
    with splink_connection() as con:  # bounded and spilling: England-scale blocks hold millions of pairs
        db_api = DuckDBAPI(connection=con)
        tables = [db_api.register(frame[frame["survey_id"] == s].reset_index(drop=True),
                                  table_name=f"survey_{i}") for i, s in enumerate(surveys)]
        blocking = [block_on(*columns) for columns in PREDICTION_BLOCKING]
        linker = Linker(tables, _settings(blocking), log_level=logging.WARNING)
        training = linker.training
        training.estimate_probability_two_random_records_match(
            [block_on("email_hash", "dob_hash"), block_on("surname_hash", "dob_hash", "postcode_hash")],
            recall=0.8)
        training.estimate_u_using_random_sampling(max_pairs=2e6, seed=SEED)
        for columns in EM_BLOCKING:
            training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
        predictions = linker.inference.predict(threshold_match_probability=0.01)
        clustered = linker.clustering.cluster_using_single_best_links(
            predictions, duplicate_free_datasets=surveys,
            threshold_match_probability=threshold)
        parameters = linker.misc.save_model_to_json()
        out = _resident_keys(con, frame[["response_key"]], clustered.physical_name, predictions.physical_name,
                             threshold)
    return LinkageResult(out, parameters)


def _resident_keys(con: Any, responses: pd.DataFrame, clusters: str, predictions: str,
                   threshold: float) -> pd.DataFrame:
    """OUTPUT_COLUMNS for every response, computed where the clusters and pairs are.

    An unclustered response is its own cluster; the resident key is ``resident_key`` of the cluster's
    smallest response key (DuckDB's sha256 is the same lowercase hex digest); the best link probability
    is the highest of the response's pairs at or above ``threshold``. (A pandas groupby-min over string
    keys fell back to Python per cluster: 85 s at England scale.)
    """
    con.register("cg_all_responses", responses)
    try:
        return con.execute(
            f"""WITH clustered AS (
                    SELECT r.response_key, coalesce(c.cluster_id, r.response_key) AS cluster_id
                    FROM cg_all_responses AS r LEFT JOIN {clusters} AS c USING (response_key)),
                best AS (
                    SELECT response_key, max(match_probability) AS p FROM (
                        SELECT response_key_l AS response_key, match_probability FROM {predictions}
                        UNION ALL
                        SELECT response_key_r, match_probability FROM {predictions})
                    WHERE match_probability >= ? GROUP BY response_key),
                sized AS (
                    SELECT response_key, min(response_key) OVER w AS smallest, count(*) OVER w AS cluster_size
                    FROM clustered WINDOW w AS (PARTITION BY cluster_id))
                SELECT s.response_key, 'R' || left(sha256(s.smallest), 16) AS resident_key,
                       CAST(s.cluster_size AS BIGINT) AS cluster_size,
                       CAST(b.p AS DOUBLE) AS best_match_probability
                FROM sized AS s LEFT JOIN best AS b USING (response_key)
                ORDER BY s.response_key""", [threshold]).df()
    finally:
        con.unregister("cg_all_responses")


def pairwise_accuracy(predicted: Mapping[Any, Any], truth: Mapping[Any, Any]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a clustering against true entity ids (keys present in both)."""
    keys = [k for k in predicted if k in truth]

    def pairs(labels: Mapping[Any, Any]) -> set[tuple[Any, Any]]:
        groups: dict[Any, list[Any]] = {}
        for k in keys:
            groups.setdefault(labels[k], []).append(k)
        return {tuple(sorted(p)) for members in groups.values() if len(members) > 1
                for p in combinations(members, 2)}

    got, want = pairs(predicted), pairs(truth)
    tp = len(got & want)
    precision = tp / len(got) if got else 1.0
    recall = tp / len(want) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": len(want),
            "predicted_pairs": len(got), "true_positives": tp, "records": len(keys)}


def cluster_size_distribution(clusters: pd.DataFrame) -> dict[int, int]:
    """How many residents answered 1, 2, 3 … surveys (for the log and the closing note)."""
    sizes = clusters.groupby("resident_key").size()
    return dict(sorted(Counter(sizes.tolist()).items()))
