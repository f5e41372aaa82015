"""analytics.service_linkage on small hand-made listings: scoring, merging rules, ids, evaluation."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.service_linkage import (
    INPUT_COLUMNS,
    canonical_id,
    cluster,
    floor_m_probabilities,
    pairwise_scores,
    score_pairs,
)

WORDS = ["debt", "lunch", "youth", "food", "therapy", "job", "carers", "walks", "esol", "digital", "parenting",
         "housing", "recovery", "befriending", "disability", "benefits", "pantry", "wellbeing", "fitness", "advice"]
CATEGORIES = ["debt_advice", "lunch_club", "youth_club", "food_bank", "mental_health", "employment", "carers",
              "physical_activity", "esol", "digital_skills"]


def venue(v: int) -> dict:
    return {"postcode_key": f"GL{v // 10 + 1}{v % 10}AB", "address_clean": f"{v + 1} high street",
            "location_name_clean": f"hall {v}", "lsoa_code": f"E0100{v // 3:04d}",
            "latitude": 51.8 + v * 0.01, "longitude": -2.2 - v * 0.01}


def service(s: int) -> dict:
    org = f"shire trust {s // 2}"
    return {"service_name_core": f"{WORDS[s % 20]} {WORDS[(s * 7 + 3) % 20]} group", "organisation_clean": org,
            "phone": f"01452{100000 + 7919 * s}", "category_code": CATEGORIES[s % 10],
            "web_domain": f"trust{s // 2}.org.uk", "email_domain": f"trust{s // 2}.org.uk", "service_email_key": None}


def listing(directory: str, s: int, v: int, **changes) -> dict:
    row = {"source_record_key": f"{directory}:{s}|{v}", "service_key": f"{directory}:{s}", "directory": directory,
           **service(s), **venue(v)}
    row.update(changes)
    return row


def directories() -> pd.DataFrame:
    """Three directories listing 80 services at 40 venues; a third of them twice or three times.

    Services 2k and 2k+1 share an organisation; some of them share a venue too. Service 78 is a twin of
    service 79 (same organisation, name and venue; another phone).
    """
    rows = []
    for s in range(80):
        venues = [(s * 7) % 40] + ([(s * 11 + 5) % 40] if s % 4 == 0 else [])
        for v in venues:
            rows.append(listing("council", s, v))
            if s % 2 == 0:
                rows.append(listing("nhs", s, v, phone=service(s)["phone"]))
            if s % 3 == 0 and v == venues[0]:
                rows.append(listing("vcs", s, v, service_name_core=service(s)["service_name_core"] + " shire",
                                    organisation_clean=service(s)["organisation_clean"] + " cio"))
    frame = pd.DataFrame(rows)
    twin = (frame["service_key"] == "council:79")
    frame.loc[twin, ["service_name_core", "postcode_key", "address_clean", "location_name_clean", "lsoa_code",
                     "latitude", "longitude", "category_code"]] = \
        frame.loc[frame["service_key"] == "council:78", ["service_name_core", "postcode_key", "address_clean",
                                                          "location_name_clean", "lsoa_code", "latitude",
                                                          "longitude", "category_code"]].iloc[0].to_numpy()
    frame.loc[twin, "source_record_key"] = "council:79|" + frame.loc[frame["service_key"] == "council:78",
                                                                     "source_record_key"].iloc[0].split("|")[1]
    return frame[INPUT_COLUMNS]


def truth_of(frame: pd.DataFrame) -> pd.Series:
    """The same service (its number) at the same venue (the key's last part) is one canonical service."""
    return pd.Series([f"{key.split(':')[1]}" for key in frame["source_record_key"]], index=frame["source_record_key"])


@pytest.fixture(scope="module")
def scored():
    frame = directories()
    return frame, score_pairs(frame)


def test_listings_of_one_service_at_one_venue_are_merged(scored):
    frame, result = scored
    clusters = cluster(frame, result.pairs).set_index("source_record_key")
    scores = pairwise_scores(clusters["canonical_service_id"], truth_of(frame))
    assert scores["precision"] == 1.0 and scores["recall"] == 1.0, scores


def test_the_same_service_at_another_venue_is_another_canonical_service(scored):
    frame, result = scored
    clusters = cluster(frame, result.pairs).set_index("source_record_key")
    council = clusters.loc[[k for k in clusters.index if k.startswith("council:0|")], "canonical_service_id"]
    assert len(council) == 2 and council.nunique() == 2
    # two venues of one source record are never even compared
    same_record = result.pairs["source_record_key_l"].str.split("|").str[0] \
        == result.pairs["source_record_key_r"].str.split("|").str[0]
    assert not same_record.any()


def test_twins_at_one_venue_stay_apart_and_the_listing_joins_its_own(scored):
    frame, result = scored
    clusters = cluster(frame, result.pairs).set_index("source_record_key")
    twin_78, twin_79 = (k for k in clusters.index if k.startswith(("council:78|", "council:79|")))
    assert clusters.loc[twin_78, "canonical_service_id"] != clusters.loc[twin_79, "canonical_service_id"]
    nhs_78 = next(k for k in clusters.index if k.startswith("nhs:78|"))
    assert clusters.loc[nhs_78, "canonical_service_id"] == clusters.loc[twin_78, "canonical_service_id"]


def test_scoring_is_deterministic(scored):
    frame, result = scored
    again = score_pairs(frame.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(result.pairs, again.pairs)
    pd.testing.assert_frame_equal(result.parameters, again.parameters)


def test_location_m_probabilities_are_fixed_and_others_trained(scored):
    _, result = scored
    params = result.parameters.set_index(["comparison", "level"])
    assert params.loc[("location", "same postcode and address"), "m_probability"] == pytest.approx(0.95)
    phone = params.loc["phone"]
    assert phone["m_probability"].iloc[0] > 0.5 > phone["u_probability"].iloc[0]
    assert (result.parameters["m_probability"].dropna() >= 1e-3).all()


def test_one_listing_per_directory_and_strongest_link_first():
    records = pd.DataFrame({"source_record_key": ["a:1|x", "a:2|x", "b:1|x"], "service_key": ["a:1", "a:2", "b:1"],
                            "directory": ["a", "a", "b"]})
    pairs = pd.DataFrame({"source_record_key_l": ["a:1|x", "a:2|x", "a:1|x"],
                          "source_record_key_r": ["b:1|x", "b:1|x", "a:2|x"],
                          "match_weight": [12.0, 20.0, 30.0], "match_probability": [0.9998, 0.999999, 0.9999999]})
    out = cluster(records, pairs, threshold=0.99).set_index("source_record_key")
    # the same-directory pair is never merged; b:1 joins its strongest partner a:2, not a:1
    assert out.loc["a:2|x", "canonical_service_id"] == out.loc["b:1|x", "canonical_service_id"]
    assert out.loc["a:1|x", "canonical_service_id"] != out.loc["a:2|x", "canonical_service_id"]
    assert out.loc["b:1|x", "match_probability"] == pytest.approx(0.999999)
    assert pd.isna(out.loc["a:1|x", "match_probability"]) and out.loc["a:1|x", "cluster_size"] == 1
    assert out.loc["a:2|x", "canonical_service_id"] == canonical_id("a:2|x")


def test_canonical_ids_follow_the_smallest_member_and_groups_join_venues():
    records = pd.DataFrame({"source_record_key": ["c:9|v1", "c:9|v2", "n:1|v1", "n:2|v3"],
                            "service_key": ["c:9", "c:9", "n:1", "n:2"], "directory": ["c", "c", "n", "n"]})
    pairs = pd.DataFrame({"source_record_key_l": ["c:9|v1"], "source_record_key_r": ["n:1|v1"],
                          "match_weight": [15.0], "match_probability": [0.99997]})
    out = cluster(records, pairs).set_index("source_record_key")
    assert out.loc["n:1|v1", "canonical_service_id"] == canonical_id("c:9|v1")
    assert out.loc["c:9|v2", "canonical_service_id"] == canonical_id("c:9|v2")
    # c:9 at v1 and v2 is one service at two venues; n:2 is unrelated
    assert out.loc["c:9|v1", "service_group_id"] == out.loc["c:9|v2", "service_group_id"]
    assert out.loc["n:2|v3", "service_group_id"] != out.loc["c:9|v1", "service_group_id"]
    assert out["service_group_id"].str.match(r"^sg-[0-9a-f]{16}$").all()


def test_pairwise_scores():
    predicted = pd.Series(["x", "x", "x", "y"], index=list("abcd"))
    truth = pd.Series(["1", "1", "2", "2"], index=list("abcd"))
    scores = pairwise_scores(predicted, truth)
    assert (scores["predicted_pairs"], scores["true_pairs"], scores["true_positive_pairs"]) == (3, 2, 1)
    assert scores["precision"] == pytest.approx(1 / 3) and scores["recall"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(0.4)


def test_floor_keeps_every_disagreement_finite():
    model = {"comparisons": [{"comparison_levels": [{"is_null_level": True},
                                                    {"m_probability": 0.99}, {"m_probability": 1e-19}]}]}
    floored = floor_m_probabilities(model, 1e-3)
    assert [lvl.get("m_probability") for lvl in floored["comparisons"][0]["comparison_levels"]] == [None, 0.99, 1e-3]
    assert model["comparisons"][0]["comparison_levels"][2]["m_probability"] == 1e-19


def test_a_single_directory_is_scored_with_starting_values_and_nothing_merged():
    frame = directories()
    frame = frame[frame["directory"] == "council"]
    result = score_pairs(frame)
    clusters = cluster(frame, result.pairs)
    assert clusters["canonical_service_id"].nunique() == len(frame)


def test_too_few_records_give_no_pairs():
    frame = directories().head(1)
    assert score_pairs(frame).pairs.empty
    with pytest.raises(ValueError, match="lacks columns"):
        score_pairs(frame.drop(columns="phone"))
