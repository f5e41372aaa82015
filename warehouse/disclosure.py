"""The disclosure policy (``config/disclosure_policy.yml``): load, validate, and hand its per-survey rules to dbt.

dbt cannot read files, so the per-survey rules travel as the dbt var ``disclosure_frequency_surveys``
(survey id -> minimum base) on every invocation (``warehouse/dbt_build.py``). The GX gate uses
:func:`published_rules` to check that every published table has a rule.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from warehouse.settings import REPO_ROOT

RULES = ("whole_survey_frequency", "threshold_secondary", "cell_key_perturbation", "partner_only", "not_people")
SURVEY_RULES = ("whole_survey_frequency", "cell_key_perturbation")


class DisclosurePolicyError(ValueError):
    """The policy file is missing a rule, names an unknown one, or gives no reason."""


def policy_path() -> Path:
    return Path(os.environ.get("CG_DISCLOSURE_POLICY") or REPO_ROOT / "config" / "disclosure_policy.yml")


def load_policy(path: Path | None = None) -> dict[str, Any]:
    """The policy, validated: every table has a known rule and a reason; every survey rule is known."""
    path = path or policy_path()
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems = []
    for table, entry in (doc.get("tables") or {}).items():
        if not isinstance(entry, dict) or entry.get("rule") not in RULES:
            problems.append(f"table {table}: rule must be one of {RULES}")
        elif not str(entry.get("why") or "").strip():
            problems.append(f"table {table}: no reason given (why)")
    for survey, entry in (doc.get("surveys") or {}).items():
        if not isinstance(entry, dict) or entry.get("rule") not in SURVEY_RULES:
            problems.append(f"survey {survey}: rule must be one of {SURVEY_RULES}")
        elif "min_base" in entry and (not isinstance(entry["min_base"], int) or entry["min_base"] < 1):
            problems.append(f"survey {survey}: min_base must be a positive integer")
    if problems:
        raise DisclosurePolicyError(f"{path}: " + "; ".join(problems))
    return doc


def published_rules(policy: dict[str, Any] | None = None) -> dict[str, str]:
    """Published table -> rule."""
    policy = policy or load_policy()
    return {table: entry["rule"] for table, entry in (policy.get("tables") or {}).items()}


def dbt_vars(policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """The dbt vars the policy sets: surveys published as whole-survey frequency tables, with their base.

    A survey without its own ``min_base`` gets None, meaning the dbt var ``consultation_min_base``.
    """
    policy = policy or load_policy()
    surveys = {}
    for survey, entry in (policy.get("surveys") or {}).items():
        if survey != "default" and entry["rule"] == "whole_survey_frequency":
            surveys[survey] = entry.get("min_base")
    default = (policy.get("surveys") or {}).get("default", {}).get("rule", "cell_key_perturbation")
    return {"disclosure_frequency_surveys": surveys, "disclosure_default_survey_rule": default}
