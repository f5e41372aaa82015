"""The gate does not keep frames it has validated (GX's execution engine caches every batch it loads).

At England scale the cache held every suite's frame at once (gate peak 4.6 GB → 2.6 GB once released).
This checks the release directly with a weak reference, on a real GX checkpoint run, and that the
checkpoint's verdict is still read correctly after the release.
"""

from __future__ import annotations

import gc
import weakref

import pandas as pd

from expectations.gate import _context, _gx, validate_frame
from expectations.suite import SuiteSpec


def _spec(name: str) -> SuiteSpec:
    return SuiteSpec(name, "marts.example", lambda gxe: [gxe.ExpectColumnValuesToNotBeNull(column="code")],
                     relative_rows=None)


def test_a_validated_frame_is_released_and_the_verdict_kept() -> None:
    context = _context(_gx())
    good = pd.DataFrame({"code": [f"c{i}" for i in range(1000)]})
    bad = pd.DataFrame({"code": ["a", None, "b"]})
    released = weakref.ref(good)

    first = validate_frame(_spec("memory_good"), good, context)
    del good
    gc.collect()
    second = validate_frame(_spec("memory_bad"), bad, context)

    assert first["success"] is True and first["validated_rows"] == 1000
    assert second["success"] is False
    assert second["failed"][0]["expectation"] == "expect_column_values_to_not_be_null"
    assert released() is None, "GX still holds the first suite's frame after its checkpoint"
