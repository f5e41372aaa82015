"""The disclosure policy file and the perturbation table, checked without a build."""

from __future__ import annotations

import csv

import pytest
import yaml

from analytics.ptable import SEED, rows
from warehouse.disclosure import RULES, DisclosurePolicyError, dbt_vars, load_policy, published_rules
from warehouse.settings import REPO_ROOT


def test_every_mart_has_a_rule_and_a_reason():
    marts = {p.stem for p in (REPO_ROOT / "dbt_project" / "models" / "marts").glob("*.sql")}
    rules = published_rules()
    assert set(rules) == marts
    assert set(rules.values()) <= set(RULES)
    assert rules["volunteer_matches"] == "partner_only"


def test_an_unknown_rule_or_missing_reason_is_refused(tmp_path):
    policy = yaml.safe_load((REPO_ROOT / "config" / "disclosure_policy.yml").read_text(encoding="utf-8"))
    policy["tables"]["area_profiles"] = {"rule": "hide_everything", "why": "x"}
    bad = tmp_path / "policy.yml"
    bad.write_text(yaml.safe_dump(policy), encoding="utf-8")
    with pytest.raises(DisclosurePolicyError, match="area_profiles"):
        load_policy(bad)
    policy["tables"]["area_profiles"] = {"rule": "cell_key_perturbation", "why": " "}
    bad.write_text(yaml.safe_dump(policy), encoding="utf-8")
    with pytest.raises(DisclosurePolicyError, match="no reason"):
        load_policy(bad)


def test_survey_rules_become_dbt_vars():
    policy = load_policy()
    policy["surveys"]["open_consultation"] = {"rule": "whole_survey_frequency", "min_base": 40}
    policy["surveys"]["no_base"] = {"rule": "whole_survey_frequency"}
    policy["surveys"]["residents"] = {"rule": "cell_key_perturbation"}
    variables = dbt_vars(policy)
    assert variables["disclosure_frequency_surveys"] == {"open_consultation": 40, "no_base": None}
    assert variables["disclosure_default_survey_rule"] == "cell_key_perturbation"


def test_ptable_seed_is_the_generated_table_and_never_publishes_1_or_2():
    with SEED.open(encoding="utf-8") as f:
        seed = [(int(r["pcv"]), int(r["ckey"]), int(r["adjustment"])) for r in csv.DictReader(f)]
    assert seed == rows()
    outcomes = {pcv + adj for pcv, _, adj in seed}
    assert not outcomes & {1, 2} and min(outcomes) == 0
    for pcv in range(1, 21):  # mean-preserving for 1 and 2, mean within 0.1 of the count above
        mean = sum(pcv + adj for p, _, adj in seed if p == pcv) / 256
        assert abs(mean - pcv) < (0.02 if pcv < 3 else 0.15), pcv
