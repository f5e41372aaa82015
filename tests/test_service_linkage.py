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

VENUES = [("GL11HT", "1 brunswick road", "central library", "E01000001", 51.860, -2.240),
          ("GL12AB", "5 park street", "park hall", "E01000001", 51.862, -2.245),
          ("GL45XY", "9 mill lane", "mill centre", "E01000002", 51.870, -2.260)]
SERVICES = [("debt drop in", "citizens advice shire", "01452527202", "debt_advice", "citizensadvice.org.uk"),
            ("lunch club", "age uk shire", "01452600600", "lunch_club", "ageuk-shire.org.uk"),
            ("youth club", "shire youth trust", "01452700700", "youth_club", "shireyouth.org.uk"),
            ("food bank", "shire food bank", "01452800800", "food_bank", "shirefoodbank.org.uk"),
            ("talking therapies", "shire talking therapies", "01452900900", "mental_health", "shirett.org.uk"),
            ("job club", "shire works", "01452111111", "employment", "shireworks.org.uk")]


def listing(directory: str, service: int, venue: int, record: str | None = None, **changes) -> dict:
    name, org, phone, category, domain = SERVICES[service]
    postcode, address, location, lsoa, lat, lon = VENUES[venue]
    record = record or f"{service}"
    row = {"source_record_key": f"{directory}:{record}|{venue}", "service_key": f"{directory}:{record}",
           "directory": directory, "service_name_core": name, "organisation_clean": org, "phone": phone,
           "service_email_key": None, "email_domain": domain, "web_domain": domain, "category_code": category,
           "postcode_key": postcode, "address_clean": address, "location_name_clean": location, "lsoa_code": lsoa,
           "latitude": lat, "longitude": lon}
    row.update(changes)
    return row


def directories() -> pd.DataFrame:
    """Three directories listing six services at three venues; some listed twice or three times."""
    rows = []
    for s in range(6):
        for v in range(3):
            rows.append(listing("council", s, v))
            if (s + v) % 2 == 0:
                rows.append(listing("nhs", s, v))
            if (s + v) % 3 == 0:
                rows.append(listing("vcs", s, v, service_name_core=SERVICES[s][0] + " shire"))
    return pd.DataFrame(rows)[INPUT_COLUMNS]


def truth_of(frame: pd.DataFrame) -> pd.Series:
    # the same service (its name's first word) at the same venue (the key's last part) is one canonical service
    return pd.Series([f"{core.split()[0]}@{key.rsplit('|', 1)[1]}" for key, core in
                      zip(frame["source_record_key"], frame["service_name_core"], strict=True)],
                     index=frame["source_record_key"])


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
    assert council.nunique() == 3
    # two venues of one source record are never even compared
    same_record = result.pairs["source_record_key_l"].str.split("|").str[0] \
        == result.pairs["source_record_key_r"].str.split("|").str[0]
    assert not same_record.any()


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
    assert (result.parameters["m_probability"] >= 1e-3).all()


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
