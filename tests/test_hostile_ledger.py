"""Ledger discipline under hostile conditions: lock contention, clock skew, key policy, typed rows, sequence."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingest.harvest import HarvestError, harvest_source
from ingest.pseudonymise import MissingKeyError, key_problem, load_key
from tests.conftest import REPO, TEST_HASH_KEY, reset_server, use_var_dir
from warehouse.settings import get_settings


def test_locked_warehouse_failure_is_spooled_then_lands_in_the_ledger(tmp_path, monkeypatch, demo_url):
    use_var_dir(monkeypatch, tmp_path)
    monkeypatch.setenv("CG_WAREHOUSE_LOCK_WAIT_SECONDS", "0")
    reset_server(demo_url)
    path = get_settings().warehouse_path
    path.parent.mkdir(parents=True)
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(path)!r})
        print("locked", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(HarvestError, match="lock"):
            harvest_source("directory_council", base_url=demo_url)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert path.with_name(path.name + ".failed_loads.jsonl").exists()
    harvest_source("directory_nhs", base_url=demo_url)  # the next writer drains the spool
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute("SELECT source, status, error FROM meta.load_ledger ORDER BY seq").fetchall()
    con.close()
    assert rows[0][0] == "directory_council" and rows[0][1] == "failed" and "lock" in rows[0][2].lower()
    assert rows[-1][:2] == ("directory_nhs", "loaded")
    assert not path.with_name(path.name + ".failed_loads.jsonl").exists()


def test_future_timestamp_cannot_hide_a_later_failure(tmp_path, monkeypatch, demo_url):
    from warehouse import run_summary

    use_var_dir(monkeypatch, tmp_path)
    reset_server(demo_url)
    harvest_source("directory_council", base_url=demo_url)
    path = get_settings().warehouse_path
    con = duckdb.connect(str(path))
    skewed = datetime.now(UTC) + timedelta(days=400)
    con.execute("UPDATE meta.load_ledger SET finished_at = ?, started_at = ? WHERE source = 'directory_council'",
                [skewed, skewed])
    con.close()
    requests = __import__("requests")
    requests.post(f"{demo_url}/_control/faults", json={"path_prefix": "/directories/council/", "mode": "status",
                                                       "status": 503, "count": -1}, timeout=5).raise_for_status()
    try:
        with pytest.raises(HarvestError):
            harvest_source("directory_council", base_url=demo_url)
    finally:
        reset_server(demo_url)
    summary = run_summary.collect("no-run")
    load = next(x for x in summary["loads"] if x["source"] == "directory_council")
    assert load["status"] == "failed" and "503" in load["error"]
    assert [w["source"] for w in summary["clock_warnings"]] == ["directory_council"]
    assert "CLOCK" in run_summary.render(summary)


def test_change_counts_are_typed_ledger_columns(tmp_path, monkeypatch, demo_url):
    use_var_dir(monkeypatch, tmp_path)
    reset_server(demo_url)
    harvest_source("bureau_north_vacancies", base_url=demo_url)
    con = duckdb.connect(str(get_settings().warehouse_path), read_only=True)
    new, pages, received = con.execute("SELECT new, pages, received FROM meta.load_ledger "
                                       "WHERE source = 'bureau_north_vacancies'").fetchone()
    con.close()
    assert pages >= 1 and 0 < new <= received


@pytest.mark.parametrize("key", [
    "common-ground-demo-key-not-for-production",  # the demo key, published in this repository
    "change-me-at-least-16-characters",  # the old deploy/.env.example placeholder
    "CHANGE-ME-generate-with-secrets-token-urlsafe-48",  # the current placeholder
    "0123456789abcdef0123",  # 20 characters
    "a" * 40,  # long but not random
])
def test_placeholder_short_and_demo_keys_are_refused_outside_the_demo(monkeypatch, key):
    monkeypatch.delenv("CG_DEMO_MODE", raising=False)
    monkeypatch.setenv("CG_HASH_KEY", key)
    with pytest.raises(MissingKeyError, match="refused"):
        load_key()


def test_demo_mode_accepts_the_demo_key_and_a_real_key_is_accepted(monkeypatch):
    monkeypatch.setenv("CG_DEMO_MODE", "1")
    monkeypatch.setenv("CG_HASH_KEY", "common-ground-demo-key-not-for-production")
    assert load_key()
    monkeypatch.delenv("CG_DEMO_MODE")
    import secrets

    monkeypatch.setenv("CG_HASH_KEY", secrets.token_urlsafe(48))
    assert load_key()
    assert key_problem(TEST_HASH_KEY, demo=False) is None


def test_env_example_placeholder_is_refused():
    line = next(x for x in (REPO / "deploy" / ".env.example").read_text().splitlines()
                if x.startswith("CG_HASH_KEY="))
    assert key_problem(line.split("=", 1)[1], demo=False)


def test_meta_tables_have_one_owner():
    """No module other than warehouse/meta.py creates a meta.* table."""
    offenders = []
    for path in list((REPO / "ingest").rglob("*.py")) + list((REPO / "warehouse").rglob("*.py")) + \
            list((REPO / "expectations").rglob("*.py")):
        if path.name == "meta.py":
            continue
        text = path.read_text()
        if "CREATE TABLE IF NOT EXISTS meta." in text or "CREATE SCHEMA IF NOT EXISTS meta" in text:
            offenders.append(path.name)
    assert offenders == []


def test_write_failure_keeps_the_real_cause_in_the_ledger(tmp_path, demo_url):
    """A file-size limit (EFBIG, the same failure path as a full disk) makes the commit fail; the ledger
    row must carry the real cause, not `cannot rollback - no transaction is active`."""
    reset_server(demo_url)
    script = textwrap.dedent(f"""
        import os, resource, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (3_000_000, 3_000_000))
        from ingest.harvest import HarvestError, harvest_source
        try:
            harvest_source("ons_area", base_url={demo_url!r})
            print("RESULT loaded")
        except HarvestError as exc:
            print("RESULT failed", exc)
    """)
    env = {"CG_VAR_DIR": str(tmp_path), "CG_HASH_KEY": TEST_HASH_KEY, "PATH": "/usr/bin:/bin",
           "DO_NOT_TRACK": "1", "CG_DUCKDB_MEMORY_LIMIT": "1GB"}
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300).stdout
    assert "RESULT failed" in out and "File too large" in out
    con = duckdb.connect(str(tmp_path / "warehouse" / "private.duckdb"), read_only=True)
    (status, error), = con.execute("SELECT status, error FROM meta.load_ledger WHERE source = 'ons_area'").fetchall()
    con.close()
    assert status == "failed"
    assert "File too large" in error.split("(rollback also failed")[0]  # the cause first, never masked


def test_mapping_pins_code_and_label(tmp_path):
    import pandas as pd

    from analytics.survey_mappings import MappingError, check_pinned_labels, load_mappings, read_question_bank

    mappings = load_mappings(REPO / "config" / "survey_mappings", read_question_bank())
    pinned = [m for m in mappings if m.labels]
    assert pinned, "at least one real mapping pins its labels"
    m = pinned[0]
    options = pd.DataFrame([{"survey_id": m.survey_id, "question_id": m.question_id, "option_code": c,
                             "option_label": label} for c, label in m.labels.items()])
    check_pinned_labels(mappings, options)  # unchanged meaning: accepted
    first, second = list(m.labels)[:2]
    swapped = options.copy()
    swapped.loc[swapped["option_code"] == first, "option_label"] = m.labels[second]
    with pytest.raises(MappingError, match="meaning changed"):
        check_pinned_labels(mappings, swapped)


@pytest.mark.parametrize(("reason", "leak"), [
    ("postcode 'GL1 2A' is malformed", "GL1 2A"),
    ("Q3: 'write to jo.bloggs@example.org' is not one of the question's options", "jo.bloggs@example.org"),
    ("submitted_at '31/02/1961' is not a date", "31/02/1961"),
    ("Q4: 'KK4 2HZ' is not a number", "KK4 2HZ"),
    ("x" * 100_000, "x" * 400),
])
def test_quarantine_reasons_are_bounded_and_masked(reason, leak):
    from ingest.checks import MAX_REASON_CHARS, safe_reason

    safe = safe_reason(reason)
    assert leak not in safe and len(safe) <= MAX_REASON_CHARS
