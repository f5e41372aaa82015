"""The Rust schema validator is only a fast gate: it must accept exactly what the pure-Python one accepts.

A service record the gate passes is never looked at again by ``jsonschema``, so a disagreement would let
an invalid record through (or word no reason for a rejected one). Hypothesis builds records near the
schema (right and wrong types, out-of-range coordinates, missing keys, huge integers, NaN) and anything
JSON can hold.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.feeds.service_directories import STATUSES, _fast_valid, _validator, service_problems

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**30), max_value=10**30),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4))
json_like = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)), max_leaves=8)


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(strategy, json_like)


coordinate = st.one_of(st.none(), st.floats(min_value=-200, max_value=200), st.integers(-200, 200), st.text(max_size=2))
location = st.fixed_dictionaries({}, optional={
    "latitude": coordinate, "longitude": coordinate, "addresses": maybe(st.lists(maybe(st.just({})), max_size=2))})
service = st.fixed_dictionaries({}, optional={
    "id": maybe(st.text(max_size=3)), "name": maybe(st.text(max_size=3)),
    "status": maybe(st.sampled_from([*STATUSES, "Active", ""])),
    "description": maybe(st.none()), "url": maybe(st.text(max_size=3)), "email": maybe(st.none()),
    "organization": maybe(st.fixed_dictionaries({}, optional={"id": maybe(st.none()), "website": json_like})),
    "phones": maybe(st.lists(maybe(st.fixed_dictionaries({}, optional={"number": maybe(st.text())})), max_size=2)),
    "taxonomy_terms": maybe(st.lists(maybe(st.fixed_dictionaries(
        {}, optional={"term": maybe(st.text(max_size=3)), "vocabulary": json_like})), max_size=2)),
    "service_at_locations": maybe(st.lists(maybe(st.fixed_dictionaries(
        {}, optional={"id": json_like, "location": maybe(location)})), max_size=2)),
})


def _has_nan(value: object) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    return False


@settings(max_examples=600, deadline=None)
@given(service)
def test_fast_gate_agrees_with_jsonschema(record: dict) -> None:
    slow, fast = _validator().is_valid(record), _fast_valid(record)
    assert slow or not fast, "the gate let through: " + "; ".join(e.message for e in _validator().iter_errors(record))
    if not _has_nan(record):  # NaN is no JSON value (json.loads reads it only from the literal NaN)
        assert fast == slow


def test_rejected_records_keep_their_worded_reasons() -> None:
    record = {"id": "s1", "name": "", "status": "open", "service_at_locations": [{"location": {"latitude": 91}}]}
    assert not _fast_valid(record)
    reasons = service_problems(record, fields=False)
    assert any("name" in r for r in reasons) and any("status" in r for r in reasons)
    assert any("latitude" in r and "91" in r for r in reasons)


def test_values_rust_cannot_take_fall_back_to_the_python_validator() -> None:
    record = {"id": "s1", "name": "n", "status": "active", "phones": [{"number": 10**40}]}
    assert service_problems(record, fields=False) == [
        f"schema: phones/0/number: {10**40} is not of type 'string'"]
