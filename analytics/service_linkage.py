"""Link service-at-location listings from every partner directory into canonical services (Splink on DuckDB).

The unit is a *service at a location*: the same drop-in listed by two directories at the same venue is
one canonical service; the same organisation's drop-in at two venues is two. So every pair Splink scores
already shares a place (blocking on postcode, or on LSOA plus phone / name / address).

Comparisons: *service* (name, organisation and category together — one organisation runs the same kind
of group at one venue more than once, so their agreement is not three independent pieces of evidence;
organisation = cleaned name, web domain or e-mail domain), *location* (postcode, address, distance,
LSOA), *phone* and *service e-mail* (role mailboxes such as info@ name the organisation and are ignored).

Training, in order:
1. probability that two random listings match: from a strict deterministic rule (recall 0.8);
2. u: random sampling with a fixed seed;
3. m: EM in two sessions, each blocked on the postcode plus one strong key (phone, then service name)
   and restricted to pairs from different directories, so that the blocked pairs are mostly matches.
   The location comparison has fixed, expert-set m probabilities (LOCATION_M): EM cannot learn them,
   as on any non-location rule "same service, other venue" pairs agree on every other field;
4. u again for every comparison but location, *among listings that share a postcode*, counted on pairs
   within one directory (which the map treats as distinct services, see below). The model only ever
   scores pairs that share a place, and there an organisation's other groups agree on name, organisation
   and category far more often than random listings do. By the chain rule, odds(match | place, rest) =
   prior × BF(place) × BF(rest | place), so location keeps its u from random pairs;
5. every m is floored at M_FLOOR so no single disagreement vetoes a pair.

Merging: only listings from *different* directories are merged, strongest link first, never two of one
directory into one canonical service. A partner directory is trusted to list a service at a venue once;
two of its own listings that look alike (same organisation, name and venue, another phone) are more often
two groups than an error, so they are kept apart and reported (service_map_issues) for its steward.

Determinism: Splink runs in its own in-memory DuckDB with one thread, on rows sorted by key, with a
fixed seed, so two builds give the same probabilities; a canonical id is a hash of its smallest member key.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analytics.splink_db import splink_connection

#: columns the linkage reads from intermediate.int_service_at_locations
INPUT_COLUMNS = ["source_record_key", "service_key", "directory", "service_name_core", "organisation_clean",
                 "phone", "service_email_key", "email_domain", "web_domain", "category_code", "postcode_key",
                 "address_clean", "location_name_clean", "lsoa_code", "latitude", "longitude"]
#: listings of one directory at one postcode: treated as distinct services, they give u among placed pairs
PLACED_WITHIN_DIRECTORY = ("l.postcode_key = r.postcode_key AND l.directory = r.directory "
                           "AND l.service_key <> r.service_key")
#: fewer such pairs than this and u stays as random sampling estimated it
MIN_PLACED_PAIRS = 200
#: the comparison that defines "sharing a place" (its u stays the one from random pairs)
PLACE_COMPARISON = "location"
#: EM training sessions block on postcode plus each of these in turn (pairs from different directories)
TRAINING_KEYS = ("phone", "service_name_core")
#: a pair at or above this probability is a link (the dbt var service_match_threshold sets it for the
#: pipeline): "more likely than not the same service". On the county demo every threshold from 0.5 to
#: 0.9999 gives the same clusters; with phones blanked on 30 % of listings, or replaced on 10 %, 0.5 keeps
#: F1 at 0.99 where 0.9 falls to 0.70 and 0.90 (tests/test_service_map.py checks both degraded cases).
DEFAULT_THRESHOLD = 0.5
#: the smallest probability kept in the pairwise table (for review of near misses)
KEEP_PAIRS_FROM = 0.01
SEED = 20260901
#: no u probability counted among placed pairs goes below this (a level never seen there)
U_FLOOR = 1e-4
#: prior match probability of two random listings when the data cannot estimate it
DEFAULT_PRIOR = 1e-4
#: no trained m probability goes below this (see floor_m_probabilities)
M_FLOOR = 1e-3
#: m probabilities of the location comparison's levels (probability of each level for a true match):
#: the same canonical service-at-location is at the same postcode, mostly with the same address text.
LOCATION_M = {"same_postcode_same_address": 0.95, "same_postcode_similar_address": 0.03,
              "same_postcode_other_address": 0.008, "within_250m": 0.01, "same_lsoa": 0.001, "else": 0.001}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkageResult:
    """Scored pairs (probability ≥ KEEP_PAIRS_FROM) and the trained model's parameters."""

    pairs: pd.DataFrame
    parameters: pd.DataFrame


def _comparisons() -> list[Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    same_name = ("(service_name_core_l = service_name_core_r OR contains(service_name_core_l, service_name_core_r) "
                 "OR contains(service_name_core_r, service_name_core_l))")
    similar_name = "jaro_winkler_similarity(service_name_core_l, service_name_core_r) >= 0.88"
    same_org = ("(organisation_clean_l = organisation_clean_r OR web_domain_l = web_domain_r "
                "OR email_domain_l = email_domain_r)")
    same_category = "category_code_l = category_code_r"
    service = cl.CustomComparison(
        output_column_name="service",
        comparison_levels=[
            cll.NullLevel("service_name_core"),
            cll.CustomLevel(f"{same_name} AND {same_org} AND {same_category}",
                            "same name, organisation and category"),
            cll.CustomLevel(f"{same_name} AND {same_org}", "same name and organisation, other category"),
            cll.CustomLevel(f"{similar_name} AND {same_org}", "similar name, same organisation"),
            cll.CustomLevel(same_name, "same name, other organisation"),
            cll.CustomLevel(f"{same_org} AND {same_category}", "other name, same organisation and category"),
            cll.CustomLevel(same_org, "other name and category, same organisation"),
            cll.ElseLevel(),
        ],
    ).configure(m_probabilities=[0.9, 0.02, 0.03, 0.01, 0.02, 0.01, 0.01])  # kept only for levels EM never sees
    same_postcode = "postcode_key_l = postcode_key_r"
    location = cl.CustomComparison(
        output_column_name="location",
        comparison_levels=[
            cll.CustomLevel("(postcode_key_l IS NULL OR postcode_key_r IS NULL) "
                            "AND (latitude_l IS NULL OR latitude_r IS NULL)", "no place on one side")
            .configure(is_null_level=True),
            cll.CustomLevel(f"{same_postcode} AND (address_clean_l = address_clean_r "
                            "OR location_name_clean_l = location_name_clean_r)", "same postcode and address")
            .configure(m_probability=LOCATION_M["same_postcode_same_address"], fix_m_probability=True),
            cll.CustomLevel(f"{same_postcode} AND jaro_winkler_similarity(address_clean_l, address_clean_r) >= 0.9",
                            "same postcode, similar address")
            .configure(m_probability=LOCATION_M["same_postcode_similar_address"], fix_m_probability=True),
            cll.CustomLevel(same_postcode, "same postcode, other address")
            .configure(m_probability=LOCATION_M["same_postcode_other_address"], fix_m_probability=True),
            cll.DistanceInKMLevel("latitude", "longitude", 0.25)
            .configure(m_probability=LOCATION_M["within_250m"], fix_m_probability=True),
            cll.ExactMatchLevel("lsoa_code")
            .configure(m_probability=LOCATION_M["same_lsoa"], fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=LOCATION_M["else"], fix_m_probability=True),
        ],
    )
    phone = cl.ExactMatch("phone")
    email = cl.ExactMatch("service_email_key")  # role mailboxes (info@ …) are NULL: organisation evidence
    return [service, location, phone, email]


#: pairs Splink scores: they share a place, and are not two venues of the same source record
BLOCKING_RULES = [
    f"{condition} AND l.service_key <> r.service_key"
    for condition in ("l.postcode_key = r.postcode_key",
                      "l.lsoa_code = r.lsoa_code AND l.phone = r.phone",
                      "l.lsoa_code = r.lsoa_code AND l.service_name_core = r.service_name_core",
                      "l.lsoa_code = r.lsoa_code AND l.address_clean = r.address_clean")
]


def settings() -> Any:
    """The Splink model: comparisons and prediction blocking rules (every rule requires a shared place)."""
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="source_record_key",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=BLOCKING_RULES,
        additional_columns_to_retain=["service_key", "directory"],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        probability_two_random_records_match=DEFAULT_PRIOR,
    )


def _prepare(records: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in INPUT_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"linkage input lacks columns {missing}")
    frame = records[INPUT_COLUMNS].copy()
    for column in INPUT_COLUMNS:
        if column not in ("latitude", "longitude"):
            frame[column] = frame[column].astype("string")
    frame[["latitude", "longitude"]] = frame[["latitude", "longitude"]].astype("float64")
    return frame.sort_values("source_record_key", kind="stable").reset_index(drop=True)


def _with_gammas(model: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**model, "retain_matching_columns": True, "retain_intermediate_calculation_columns": True, **changes}


def score_pairs(records: pd.DataFrame, *, seed: int = SEED, keep_from: float = KEEP_PAIRS_FROM) -> LinkageResult:
    """Train the model on these records (see the module doc) and score every blocked pair."""
    from splink import DuckDBAPI, Linker
    from splink.internals.exceptions import EMTrainingException

    frame = _prepare(records)
    empty = pd.DataFrame({"source_record_key_l": pd.Series(dtype="string"),
                          "source_record_key_r": pd.Series(dtype="string"),
                          "match_weight": pd.Series(dtype="float64"),
                          "match_probability": pd.Series(dtype="float64")})
    if len(frame) < 2:
        return LinkageResult(empty, pd.DataFrame())
    splink_log = logging.getLogger("splink")
    saved_level = splink_log.level
    splink_log.setLevel(logging.ERROR)  # untrained-level notices are expected (see module doc)
    try:
        with splink_connection() as con:  # one thread (deterministic float sums in EM), bounded
            db_api = DuckDBAPI(connection=con)
            table = db_api.register(frame, dataset_display_name="service_at_locations")
            linker = Linker(table, settings(), log_level=None)
            linker.training.estimate_probability_two_random_records_match(
                ["l.postcode_key = r.postcode_key AND l.phone = r.phone AND l.service_name_core = r.service_name_core"],
                recall=0.8)
            linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
            for key in TRAINING_KEYS:
                rule = f"l.postcode_key = r.postcode_key AND l.{key} = r.{key} AND l.directory <> r.directory"
                try:
                    linker.training.estimate_parameters_using_expectation_maximisation(rule)
                except (EMTrainingException, ValueError) as exc:
                    # no pairs (e.g. a single directory) or a degenerate session (every pair a match): keep the
                    # starting values for what this session would have estimated
                    log.warning("service linkage: EM session on %s skipped: %s", key, str(exc).splitlines()[0])
            model = floor_m_probabilities(linker.misc.save_model_to_json(), M_FLOOR)
            placed_settings = _with_gammas(model, blocking_rules_to_generate_predictions=[PLACED_WITHIN_DIRECTORY])
            placed = Linker(table, placed_settings, log_level=None)
            within = placed.inference.predict(warning_mode="never").as_pandas_dataframe()
            model = u_among_placed_pairs(model, within)
            linker = Linker(table, _with_gammas(model), log_level=None)
            pairs = linker.inference.predict(threshold_match_probability=keep_from, warning_mode="never") \
                .as_pandas_dataframe()
            parameters = _parameters(model)
    finally:
        splink_log.setLevel(saved_level)
    pairs = pairs[["source_record_key_l", "source_record_key_r", "match_weight", "match_probability",
                   *[c for c in pairs.columns if c.startswith("gamma_")]]]
    pairs = pairs.sort_values(["source_record_key_l", "source_record_key_r"], kind="stable").reset_index(drop=True)
    return LinkageResult(pairs, parameters)


def floor_m_probabilities(model: dict[str, Any], floor: float) -> dict[str, Any]:
    """The trained model with every m probability at least ``floor`` (and a usable prior).

    EM gives m ≈ 1e-18 to a disagreement it never saw among matches, which would let one field veto
    any pair; a floor keeps every single disagreement finite evidence.
    """
    import copy

    model = copy.deepcopy(model)
    if not (model.get("probability_two_random_records_match") or 0) > 0:  # no deterministic match found
        model["probability_two_random_records_match"] = DEFAULT_PRIOR
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            if level.get("m_probability") is not None:
                level["m_probability"] = max(float(level["m_probability"]), floor)
    return model


def _levels(comparison: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(comparison vector value, level) of each non-null level; Splink numbers them n-1 … 0 in order."""
    levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
    return [(len(levels) - 1 - i, level) for i, level in enumerate(levels)]


def u_among_placed_pairs(model: dict[str, Any], within: pd.DataFrame, minimum: int = MIN_PLACED_PAIRS,
                         floor: float = U_FLOOR) -> dict[str, Any]:
    """The model with u, for every comparison but location, counted among pairs that share a place.

    ``within`` holds the comparison vectors (gamma_*) of listings of one directory at one postcode, which
    the map treats as distinct services: the share of them at each level is u among placed pairs.
    With fewer than ``minimum`` such pairs the model is returned unchanged.
    """
    import copy

    model = copy.deepcopy(model)
    if len(within) < minimum:
        log.warning("service linkage: %d placed pairs within directories; u left as sampled", len(within))
        return model
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        column = f"gamma_{name}"
        if name == PLACE_COMPARISON or column not in within.columns:
            continue
        values = within[column][within[column] >= 0]
        if len(values) < minimum:
            continue
        counts = values.value_counts()
        for value, level in _levels(comparison):
            level["u_probability"] = max(float(counts.get(value, 0)) / len(values), floor)
    return model


def _parameters(model: dict[str, Any]) -> pd.DataFrame:
    """One row per comparison level of a Splink model dict: its label, m and u probabilities."""
    rows = []
    for comparison in model["comparisons"]:
        for _, level in _levels(comparison):
            rows.append({"comparison": comparison["output_column_name"],
                         "level": level.get("label_for_charts") or level.get("sql_condition"),
                         "m_probability": level.get("m_probability"), "u_probability": level.get("u_probability")})
    return pd.DataFrame(rows)


def canonical_id(member_key: str) -> str:
    """A stable id for a canonical service: a hash of its smallest member's source record key."""
    return "cs-" + hashlib.sha256(member_key.encode("utf-8")).hexdigest()[:16]


class _UnionFind:
    def __init__(self, keys: Iterable[str]) -> None:
        self.parent = {k: k for k in keys}

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:  # the smaller key becomes the root, so roots are cluster minima
            self.parent[max(ra, rb)] = min(ra, rb)


def cluster(records: pd.DataFrame, pairs: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Group source records into canonical services; one row per source record.

    Links are pairs from *different* directories at or above ``threshold``, taken strongest first
    (match weight, then keys); a link is skipped when it would put two records of one directory into
    one canonical service (a directory lists a service at a venue once, so the weaker link is the
    wrong one). Columns: source_record_key, canonical_service_id, cluster_size, match_probability
    (the record's strongest accepted link; NULL for a record that stands alone) and service_group_id
    (canonical services joined by sharing a source service record: one service at several venues).
    """
    frame = records[["source_record_key", "service_key", "directory"]].astype(str)
    keys = sorted(frame["source_record_key"])
    directory_of = dict(zip(frame["source_record_key"], frame["directory"], strict=True))
    uf = _UnionFind(keys)
    directories = {k: {directory_of[k]} for k in keys}
    links = pairs[(pairs["match_probability"] >= threshold)
                  & (pairs["source_record_key_l"].map(directory_of) != pairs["source_record_key_r"].map(directory_of))]
    links = links.sort_values(["match_weight", "source_record_key_l", "source_record_key_r"],
                              ascending=[False, True, True], kind="stable")
    best: dict[str, float] = {}
    for left, right, probability in zip(links["source_record_key_l"].astype(str),
                                        links["source_record_key_r"].astype(str), links["match_probability"],
                                        strict=True):
        a, b = uf.find(left), uf.find(right)
        if a == b:
            accepted = True
        elif directories[a] & directories[b]:
            accepted = False
        else:
            uf.union(a, b)
            directories[uf.find(a)] = directories.pop(a) | directories.pop(b)
            accepted = True
        if accepted:
            for key in (left, right):
                best[key] = max(best.get(key, 0.0), float(probability))
    root = {k: uf.find(k) for k in keys}
    out = pd.DataFrame({"source_record_key": keys, "root": [root[k] for k in keys]})
    out["canonical_service_id"] = out["root"].map(canonical_id)
    out["cluster_size"] = out.groupby("root")["source_record_key"].transform("size").astype("int64")
    out["match_probability"] = out["source_record_key"].map(best).astype("float64")
    # service groups: canonical services that share a source service record (its other venues)
    service_of = dict(zip(frame["source_record_key"], frame["service_key"], strict=True))
    groups = _UnionFind(sorted(set(out["root"])))
    first_root: dict[str, str] = {}
    for key, r in zip(out["source_record_key"], out["root"], strict=True):
        service = service_of[key]
        if service in first_root:
            groups.union(first_root[service], r)
        else:
            first_root[service] = r
    out["service_group_id"] = out["root"].map(lambda r: "sg-" + canonical_id(groups.find(r))[3:])
    return out.drop(columns="root")


def pairwise_scores(predicted: pd.Series, truth: pd.Series) -> dict[str, float]:
    """Precision, recall and F1 of the record pairs placed together, against true cluster labels.

    Both series are indexed by record key; only keys present in both are scored.
    """
    common = predicted.index.intersection(truth.index)
    frame = pd.DataFrame({"p": predicted.loc[common].astype(str), "t": truth.loc[common].astype(str)})

    def pairs(counts: pd.Series) -> int:
        return int((counts * (counts - 1) // 2).sum())

    predicted_pairs = pairs(frame.groupby("p").size())
    true_pairs = pairs(frame.groupby("t").size())
    both = pairs(frame.groupby(["p", "t"]).size())
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "predicted_pairs": predicted_pairs,
            "true_pairs": true_pairs, "true_positive_pairs": both, "records": len(frame)}
