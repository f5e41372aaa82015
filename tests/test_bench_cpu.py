"""The benchmark's CPU figures: per-stage CPU from wait4 and the machine's busy share over ingestion."""

from __future__ import annotations

import os

import pytest

from bench.run import busy_fraction, machine_cpu_ticks, run_stage

STAT = """cpu  100 5 50 800 40 3 2 0 7 0
cpu0 50 2 25 400 20 1 1 0 0 0
intr 1 2 3
"""


def test_ticks_count_everything_but_idle_and_iowait():
    busy, total = machine_cpu_ticks(STAT)
    assert total == 100 + 5 + 50 + 800 + 40 + 3 + 2 + 0  # guest columns are inside user/nice already
    assert busy == total - 800 - 40


def test_no_cpu_line_is_none():
    assert machine_cpu_ticks("intr 1 2 3\n") is None


def test_busy_fraction_between_readings():
    assert busy_fraction((10, 100), (60, 200)) == 0.5
    assert busy_fraction(None, (60, 200)) is None
    assert busy_fraction((10, 100), (10, 100)) is None  # no time passed: no share


def test_this_machine_reports_ticks():
    if not os.path.exists("/proc/stat"):
        pytest.skip("no /proc/stat (not Linux)")
    busy, total = machine_cpu_ticks()
    assert 0 < busy <= total


def test_a_stage_that_computes_reports_its_cpu_seconds():
    stage, _ = run_stage("burn", "sum(i * i for i in range(3_000_000))\nprint('RESULT:{}')", dict(os.environ))
    assert stage.ok
    assert stage.cpu_seconds is not None and stage.cpu_seconds > 0
