"""Hostile and broken survey inputs through the real HTTP path: a hostile proxy in front of the demo server.

Every case harvests the survey index into a copy of a warehouse that already holds a good load (area
profiles + every survey), then checks what the ledger, raw tables and quarantine say. One broken survey
must never stop another from loading, and every failure leaves a `failed` ledger row with its reason.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ingest.harvest import HarvestError, harvest_source
from tests.conftest import REPO, reset_server, use_var_dir
from tests.hostile_proxy import hostile_proxy
from warehouse.settings import get_settings

HEALTH = "health_wellbeing_2026"
COUNCIL = "council_residents_2026"
RESP = f"/surveys/{HEALTH}/responses.csv"
QUEST = f"/surveys/{HEALTH}/questionnaire.json"
INDEX = "/surveys/index.json"


@pytest.fixture(scope="module")
def proxy(demo_url):
    reset_server(demo_url)
    with hostile_proxy(demo_url) as p:
        yield p


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, proxy) -> Path:
    """A warehouse with area profiles and every survey loaded through the proxy (no faults)."""
    var_dir = tmp_path_factory.mktemp("hostile_baseline")
    with pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, var_dir)
        harvest_source("ons_area", base_url=proxy.base_url)
        harvest_source("surveys", base_url=proxy.base_url)
        return get_settings().warehouse_path


@pytest.fixture
def env(tmp_path, monkeypatch, baseline, proxy):
    """A fresh copy of the baseline warehouse; proxy rules are cleared after the test."""
    use_var_dir(monkeypatch, tmp_path)
    target = get_settings().warehouse_path
    target.parent.mkdir(parents=True)
    shutil.copy(baseline, target)
    proxy.rules.clear()
    yield target
    proxy.rules.clear()


def harvest(proxy) -> tuple[list[dict] | None, str | None]:
    try:
        return harvest_source("surveys", base_url=proxy.base_url), None
    except HarvestError as exc:
        return None, str(exc)


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def latest(path: Path, source: str) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute("SELECT * FROM meta.load_ledger WHERE source = ? ORDER BY seq DESC LIMIT 1", [source])
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))
    finally:
        con.close()


def respondents(path: Path) -> dict[str, int]:
    return dict(query(path, "SELECT _source, count(*) FROM raw.survey_respondents GROUP BY 1"))


def upstream(proxy, path: str) -> bytes:
    import requests

    return requests.get(proxy.upstream + path, timeout=30).content


def others_loaded(path: Path, but: str) -> None:
    """Every survey other than ``but`` has a fresh `loaded` ledger row that reconciles."""
    for source in respondents(path):
        if source.endswith(but):
            continue
        row = latest(path, source)
        assert row["status"] == "loaded", row
        assert row["received"] == row["loaded"] + row["quarantined"]


# --- retirement policy ---------------------------------------------------------------------------------

def test_survey_left_out_of_the_index_keeps_its_data_and_fails_loudly(env, proxy):
    before = respondents(env)
    index = json.loads(upstream(proxy, INDEX))
    index["surveys"] = [e for e in index["surveys"] if e["survey_id"] != HEALTH]
    proxy.rules[INDEX] = {"body": json.dumps(index).encode(), "headers": {"Content-Type": "application/json"}}
    _, error = harvest(proxy)
    assert error and "AbsentFromIndex" in error
    assert respondents(env) == before
    row = latest(env, f"surveys/{HEALTH}")
    assert row["status"] == "failed" and "missing from this index response" in row["error"]
    others_loaded(env, HEALTH)


def test_empty_survey_index_empties_nothing(env, proxy):
    before = respondents(env)
    proxy.rules[INDEX] = {"body": b'{"surveys": []}', "headers": {"Content-Type": "application/json"}}
    _, error = harvest(proxy)
    assert error and error.count("AbsentFromIndex") == len(before)
    assert respondents(env) == before


def test_retirement_only_by_registry_tombstone(env, proxy, monkeypatch, tmp_path):
    import yaml

    doc = yaml.safe_load((REPO / "config" / "sources.yml").read_text())
    for source in doc["sources"]:
        if source["id"] == "surveys":
            source["retired"] = [HEALTH]
    registry = tmp_path / "sources.yml"
    registry.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("CG_SOURCES_FILE", str(registry))
    before = respondents(env)
    index = json.loads(upstream(proxy, INDEX))
    index["surveys"] = [e for e in index["surveys"] if e["survey_id"] != HEALTH]
    proxy.rules[INDEX] = {"body": json.dumps(index).encode(), "headers": {"Content-Type": "application/json"}}
    _results, error = harvest(proxy)
    assert error is None
    assert f"surveys/{HEALTH}" not in respondents(env)
    assert len(respondents(env)) == len(before) - 1
    assert latest(env, f"surveys/{HEALTH}")["status"] == "retired"
    decision = query(env, "SELECT decision, rows_removed FROM meta.retirements WHERE source = ?",
                     [f"surveys/{HEALTH}"])
    assert decision and "registry" in decision[0][0]
    assert json.loads(decision[0][1])["survey_respondents"] == before[f"surveys/{HEALTH}"]


# --- structural reconciliation -----------------------------------------------------------------------

def test_unclosed_quote_cannot_swallow_rows_and_reconcile(env, proxy):
    body = upstream(proxy, RESP)
    lines = body.split(b"\n")
    opened = len(lines) - 40
    lines[opened] = lines[opened].replace(b",", b',"', 1)  # a quote opens 40 lines from the end, never closes
    proxy.rules[RESP] = {"body": b"\n".join(lines)}
    harvest(proxy)
    row = latest(env, f"surveys/{HEALTH}")
    physical = sum(1 for line in lines[1:] if line.strip())
    assert row["status"] == "loaded"
    assert row["received"] == physical == row["physical_records"]
    assert row["received"] == row["loaded"] + row["quarantined"]
    assert row["quarantined"] >= 38
    reasons = query(env, "SELECT reason FROM raw.quarantine WHERE _source = ?", [f"surveys/{HEALTH}"])
    assert any("never closes" in r[0] for r in reasons)
    assert max(len(r[0]) for r in reasons) <= 300
    others_loaded(env, HEALTH)


def test_near_duplicate_header_is_refused(env, proxy):
    body = upstream(proxy, RESP)
    header, rest = body.split(b"\n", 1)
    cols = header.split(b",")
    cols[-1] = cols[-2].lower() + b" "  # "ETH" replaced by a case/whitespace variant of "SEX"
    proxy.rules[RESP] = {"body": b",".join(cols) + b"\n" + rest}
    before = respondents(env)
    _, error = harvest(proxy)
    assert error and "duplicate or near-duplicate" in error
    assert latest(env, f"surveys/{HEALTH}")["status"] == "failed"
    assert respondents(env) == before
    others_loaded(env, HEALTH)


def test_one_invalid_utf8_byte_quarantines_its_row_and_changes_no_hash(env, proxy):
    body = upstream(proxy, f"/surveys/{COUNCIL}/responses.csv")
    assert any(b > 127 for b in body), "fixture needs non-ASCII text"
    lines = body.split(b"\n")
    lines[5] = lines[5] + b"\xff"
    proxy.rules[f"/surveys/{COUNCIL}/responses.csv"] = {"body": b"\n".join(lines)}
    before = dict(query(env, "SELECT response_id, surname_hash FROM raw.survey_respondents WHERE survey_id = ?",
                        [COUNCIL]))
    harvest(proxy)
    row = latest(env, f"surveys/{COUNCIL}")
    assert row["status"] == "loaded" and "invalid bytes" in row["notes"]
    after = dict(query(env, "SELECT response_id, surname_hash FROM raw.survey_respondents WHERE survey_id = ?",
                       [COUNCIL]))
    assert len(before) - len(after) == 1
    assert all(before[k] == v for k, v in after.items())
    reasons = [r[0] for r in query(env, "SELECT reason FROM raw.quarantine WHERE _source = ?",
                                   [f"surveys/{COUNCIL}"])]
    assert any("invalid bytes" in r for r in reasons)


def test_full_width_digits_nul_bytes_and_implausible_dates(env, proxy):
    body = upstream(proxy, RESP).decode("utf-8")
    lines = body.split("\n")
    header = lines[0].split(",")
    sub, dob, life = header.index("SubmitDate"), header.index("pt_dob"), header.index("WB_LIFESAT")

    def edit(i: int, col: int, value: str) -> str:
        cells = lines[i].split(",")
        cells[col] = value
        lines[i] = ",".join(cells)
        return cells[0]

    wide = edit(3, life, "\uff17")  # full-width 7
    future = edit(4, sub, "2099-01-01T10:00:00Z")
    unborn = edit(5, dob, "2029-03-01")
    nul = edit(6, header.index("pt_surname"), "Sm\x00ith")
    proxy.rules[RESP] = {"body": "\n".join(lines).encode("utf-8")}
    harvest(proxy)
    reasons = dict(query(env, "SELECT record_key, reason FROM raw.quarantine WHERE _source = ?",
                         [f"surveys/{HEALTH}"]))
    assert "future" in reasons[f"{HEALTH}:{future}"] or "after the end of fieldwork" in reasons[f"{HEALTH}:{future}"]
    assert "date of birth is after" in reasons[f"{HEALTH}:{unborn}"]
    assert "NUL" in reasons[f"{HEALTH}:{nul}"]
    code = query(env, "SELECT answer_code FROM raw.survey_answers WHERE survey_id = ? AND response_id = ? "
                      "AND question_id = 'WB_LIFESAT'", [HEALTH, wide])
    assert code == [("7",)]
    row = latest(env, f"surveys/{HEALTH}")
    assert "NFKC" in row["notes"] and row["received"] == row["loaded"] + row["quarantined"]


def test_huge_free_text_field_and_reasons_hold_no_clear_identifiers(env, proxy):
    body = upstream(proxy, RESP).decode("utf-8")
    lines = body.split("\n")
    header = lines[0].split(",")
    cells = lines[7].split(",")
    cells[header.index("GENHEALTH")] = "x" * 200_000  # far over the csv module's default field limit
    lines[7] = ",".join(cells)
    cells = lines[8].split(",")
    cells[header.index("LONELY")] = "mail jo.bloggs@example.org or visit KK4 2HZ"
    lines[8] = ",".join(cells)
    proxy.rules[RESP] = {"body": "\n".join(lines).encode("utf-8")}
    harvest(proxy)
    row = latest(env, f"surveys/{HEALTH}")
    assert row["status"] == "loaded" and row["quarantined"] >= 2
    reasons = [r[0] for r in query(env, "SELECT reason || coalesce(record_json, '') FROM raw.quarantine "
                                        "WHERE _source = ?", [f"surveys/{HEALTH}"])]
    assert all(len(r) < 9000 for r in reasons)
    joined = "\n".join(reasons)
    assert "jo.bloggs@example.org" not in joined and "KK4 2HZ" not in joined
    assert "x" * 100 not in joined


def test_deeply_nested_questionnaire_fails_alone(env, proxy):
    proxy.rules[QUEST] = {"body": b"[" * 100_000 + b"]" * 100_000, "headers": {"Content-Type": "application/json"}}
    before = respondents(env)
    _, error = harvest(proxy)
    assert error and HEALTH in error
    row = latest(env, f"surveys/{HEALTH}")
    assert row["status"] == "failed" and ("nested too deeply" in row["error"] or "Recursion" in row["error"])
    assert respondents(env) == before
    others_loaded(env, HEALTH)


# --- security --------------------------------------------------------------------------------------------

def test_path_traversal_survey_id_is_refused_and_others_load(env, proxy, tmp_path):
    index = json.loads(upstream(proxy, INDEX))
    index["surveys"].append({**index["surveys"][0], "survey_id": "../../escaped"})
    proxy.rules[INDEX] = {"body": json.dumps(index).encode(), "headers": {"Content-Type": "application/json"}}
    _, error = harvest(proxy)
    assert error and "unsafe survey_id" in error
    assert not any(tmp_path.parent.glob("**/escaped*"))
    failed = query(env, "SELECT source, error FROM meta.load_ledger WHERE status = 'failed'")
    assert any("unsafe survey_id" in e and ".." not in s for s, e in failed)
    others_loaded(env, "no-such-survey")


def test_redirect_to_another_origin_is_refused(env, proxy, demo_url):
    proxy.rules[RESP] = {"status": 302, "headers": {"Location": f"{demo_url}{RESP}"}}  # same data, other origin
    _, error = harvest(proxy)
    assert error and "redirect to another origin" in error
    assert latest(env, f"surveys/{HEALTH}")["status"] == "failed"
    others_loaded(env, HEALTH)


def test_same_origin_redirect_is_followed(env, proxy):
    proxy.rules["/moved.csv"] = {"body": upstream(proxy, RESP)}
    proxy.rules[RESP] = {"status": 302, "headers": {"Location": "/moved.csv"}}
    _, error = harvest(proxy)
    assert error is None
    assert latest(env, f"surveys/{HEALTH}")["status"] == "loaded"


def test_content_length_shorter_than_body_is_detected(env, proxy):
    body = upstream(proxy, RESP)
    proxy.rules[RESP] = {"body": body, "declare_length": int(len(body) * 0.62)}
    _, error = harvest(proxy)
    assert error and "Content-Length" in error
    assert latest(env, f"surveys/{HEALTH}")["status"] == "failed"
    others_loaded(env, HEALTH)


def test_trickling_body_hits_the_overall_deadline(env, proxy, monkeypatch, tmp_path):
    import yaml

    doc = yaml.safe_load((REPO / "config" / "sources.yml").read_text())
    for source in doc["sources"]:
        if source["id"] == "surveys":
            source["fetch_deadline"] = 1
    registry = tmp_path / "sources.yml"
    registry.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("CG_SOURCES_FILE", str(registry))
    body = upstream(proxy, RESP)
    proxy.rules[RESP] = {"body": body, "trickle": (max(1, len(body) // 400), 0.02)}  # ~8 s in all
    _, error = harvest(proxy)
    assert error and "overall deadline" in error
    assert latest(env, f"surveys/{HEALTH}")["status"] == "failed"


def test_private_warehouse_is_not_world_readable(env, proxy):
    harvest(proxy)
    assert env.stat().st_mode & 0o007 == 0


def test_renumbered_options_are_refused(env, proxy):
    doc = json.loads(upstream(proxy, QUEST))
    column = next(c for c in doc["columns"] if len(c.get("options") or []) >= 2)
    first, second = column["options"][0], column["options"][1]
    first["label"], second["label"] = second.get("label"), first.get("label")  # same codes, swapped meanings
    proxy.rules[QUEST] = {"body": json.dumps(doc).encode(), "headers": {"Content-Type": "application/json"}}
    before = respondents(env)
    _, error = harvest(proxy)
    assert error and "changed meaning" in error
    assert latest(env, f"surveys/{HEALTH}")["status"] == "failed"
    assert respondents(env) == before
    others_loaded(env, HEALTH)


# --- the same cases through the demo server's own fault injection (what `make run` users can try) ---------

@pytest.mark.parametrize(("mode", "check"), [
    ("long_body", "Content-Length"),
    ("duplicate_header", "duplicate or near-duplicate"),
    ("unclosed_quote", None),
])
def test_demo_server_fault_modes(env, demo_url, mode, check):
    import requests

    reset_server(demo_url)
    requests.post(f"{demo_url}/_control/faults", json={"path_prefix": RESP, "mode": mode}, timeout=5).raise_for_status()
    try:
        with pytest.raises(HarvestError) if check else _nothing():
            harvest_source("surveys", base_url=demo_url)
    finally:
        reset_server(demo_url)
    row = latest(env, f"surveys/{HEALTH}")
    if check:
        assert row["status"] == "failed" and check in row["error"]
    else:
        assert row["status"] == "loaded" and row["received"] == row["physical_records"]
        assert row["received"] == row["loaded"] + row["quarantined"] and row["quarantined"] >= 38
    others_loaded(env, HEALTH)


def _nothing():
    import contextlib

    return contextlib.nullcontext()
