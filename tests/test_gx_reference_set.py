"""The reference-set expectation is GX's in-set check, only cheaper to describe.

Its ``dict()`` copies a plain value set whole instead of letting pydantic walk it; GX builds
configurations, compares suites and renders Data Docs from that ``dict()``, so it must equal
``ExpectColumnValuesToBeInSet``'s for every argument pydantic takes — keys, order and values — and a
real checkpoint must give the same verdict and examples.
"""

from __future__ import annotations

import pandas as pd
from great_expectations.expectations import ExpectColumnValuesToBeInSet
from hypothesis import given, settings
from hypothesis import strategies as st

from expectations.gate import _context, _gx, validate_frame
from expectations.reference_set import ExpectColumnValuesToBeInReferenceSet
from expectations.suite import SuiteSpec

FIELDS = ["column", "value_set", "mostly", "notes", "id", "meta", "rendered_content", "row_condition",
          "condition_parser", "result_format", "description", "severity", "windows"]
plain = st.one_of(st.text(max_size=8), st.integers(), st.booleans(),
                  st.floats(allow_nan=False, allow_infinity=False))
value_sets = st.lists(plain, max_size=30)
field_sets = st.sets(st.sampled_from(FIELDS), max_size=4)
dict_kwargs = st.fixed_dictionaries({}, optional={
    "exclude": field_sets, "include": field_sets, "exclude_defaults": st.booleans(),
    "exclude_none": st.booleans(), "exclude_unset": st.booleans(), "by_alias": st.booleans()})


@settings(max_examples=300, deadline=None)
@given(values=value_sets, mostly=st.none() | st.floats(0, 1), notes=st.none() | st.text(max_size=5),
       kwargs=dict_kwargs)
def test_dict_equals_the_in_set_expectations(values: list, mostly: float | None, notes: str | None,
                                            kwargs: dict) -> None:
    arguments = {"column": "lsoa_code", "value_set": values, "notes": notes}
    if mostly is not None:
        arguments["mostly"] = mostly
    ours = ExpectColumnValuesToBeInReferenceSet(**arguments).dict(**kwargs)
    theirs = ExpectColumnValuesToBeInSet(**arguments).dict(**kwargs)
    assert ours == theirs
    assert list(ours) == list(theirs)
    if "value_set" in ours:
        assert ours["value_set"] is not values, "the dict must hold a copy, not the expectation's own list"


def test_equal_reference_sets_are_equal_and_different_ones_are_not() -> None:
    codes = [f"E01{i:06d}" for i in range(5000)]
    one = ExpectColumnValuesToBeInReferenceSet(column="lsoa_code", value_set=codes)
    assert one == ExpectColumnValuesToBeInReferenceSet(column="lsoa_code", value_set=list(codes))
    assert one != ExpectColumnValuesToBeInReferenceSet(column="lsoa_code", value_set=[*codes[:-1], "E01999999"])
    assert one != ExpectColumnValuesToBeInReferenceSet(column="lsoa_code", value_set=codes, mostly=0.5)


def _in(kind: type, codes: list[str]) -> object:
    return lambda gxe: [kind(column="lsoa_code", value_set=codes, mostly=0.995)]


def test_a_checkpoint_gives_the_in_set_verdict_and_examples() -> None:
    codes = [f"E01{i:06d}" for i in range(5000)]
    frame = pd.DataFrame({"lsoa_code": [*codes[:200], "E01999999", "W01000001", None]})
    context = _context(_gx())
    results = []
    for name, kind in (("reference", ExpectColumnValuesToBeInReferenceSet), ("in_set", ExpectColumnValuesToBeInSet)):
        results.append(validate_frame(SuiteSpec(f"geography_{name}", "raw.example", _in(kind, codes),
                                                relative_rows=None), frame, context))
    ours, theirs = results
    assert ours["success"] is theirs["success"] is False
    assert [f["unexpected_count"] for f in ours["failed"]] == [f["unexpected_count"] for f in theirs["failed"]] == [2]
    assert ours["failed"][0]["examples"] == theirs["failed"][0]["examples"] == ["E01999999", "W01000001"]
