"""Incremental scenario: after a full build, one new 10,000-response agency survey arrives.

The new survey is added from files only (a questionnaire, an export and a mapping file), exactly as a
partner would: a copy of the council questionnaire under a new survey id, 10,000 responses sampled from
the council export (so many respondents are residents already known), and the council mapping file
under the new id. Timed: the surveys harvest, ``dbt build``, the GX gate and publish.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

NEW_SURVEY = "bench_extra_2026"
SOURCE_SURVEY = "council_residents_2026"
RESPONSES = 10_000


def add_survey(data_dir: Path, mappings_dir: Path, responses: int = RESPONSES) -> None:
    """Write the new survey's questionnaire, export and index entry, and its mapping file."""
    source = data_dir / "surveys" / SOURCE_SURVEY
    target = data_dir / "surveys" / NEW_SURVEY
    target.mkdir(parents=True, exist_ok=True)
    doc = json.loads((source / "questionnaire.json").read_text())
    doc.update(survey_id=NEW_SURVEY, agency="extra", agency_name="Bench Extra Partnership",
               title="Extra Survey 2026")
    (target / "questionnaire.json").write_text(json.dumps(doc, indent=1))
    raw = (source / "responses.csv").read_bytes()
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    id_column = next(i for i, c in enumerate(doc["columns"]) if c["role"] == "response_id")
    rng = random.Random(7)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for n in range(responses):
        row = list(rng.choice(body))
        if len(row) == len(header):
            row[id_column] = f"X{n + 1:07d}"
        writer.writerow(row)
    (target / "responses.csv").write_text(out.getvalue(), encoding="utf-8")
    index_path = data_dir / "surveys" / "index.json"
    index = json.loads(index_path.read_text())
    index["surveys"] = [s for s in index["surveys"] if s["survey_id"] != NEW_SURVEY] + [{
        "survey_id": NEW_SURVEY, "agency": "extra", "agency_name": "Bench Extra Partnership",
        "title": "Extra Survey 2026", "period": "2026",
        "questionnaire": f"/surveys/{NEW_SURVEY}/questionnaire.json",
        "responses": f"/surveys/{NEW_SURVEY}/responses.csv"}]
    index_path.write_text(json.dumps(index, indent=1))
    mapping = (mappings_dir / f"{SOURCE_SURVEY}.yml").read_text()
    mapping = mapping.replace(f"survey_id: {SOURCE_SURVEY}", f"survey_id: {NEW_SURVEY}")
    mapping = mapping.replace("agency: council", "agency: extra")
    (mappings_dir / f"{NEW_SURVEY}.yml").write_text(mapping)


def remove_survey(data_dir: Path, mappings_dir: Path) -> None:
    shutil.rmtree(data_dir / "surveys" / NEW_SURVEY, ignore_errors=True)
    index_path = data_dir / "surveys" / "index.json"
    index = json.loads(index_path.read_text())
    index["surveys"] = [s for s in index["surveys"] if s["survey_id"] != NEW_SURVEY]
    index_path.write_text(json.dumps(index, indent=1))
    (mappings_dir / f"{NEW_SURVEY}.yml").unlink(missing_ok=True)


def incremental_run(data_dir: Path, env: dict[str, str], run_stage: Any, harvest: str, dbt: str, gate: str,
                    publish: str) -> dict[str, Any]:
    """Add the survey, harvest the surveys family from a fresh server, rebuild and publish; time it."""
    from warehouse.demo_run import demo_server

    mappings_dir = Path(env["CG_MAPPINGS_DIR"])
    add_survey(data_dir, mappings_dir)
    try:
        with demo_server(data_dir, data_dir.parent) as base_url:  # a fresh server reads the new survey index
            env = {**env, "CG_BENCH_BASE_URL": base_url}
            started = time.perf_counter()
            stages = [run_stage("incremental: ingest surveys", harvest.format(source="surveys", key="incr"), env)[0]]
            for name, code in (("incremental: dbt build", dbt), ("incremental: GX gate", gate),
                               ("incremental: publish", publish)):
                stages.append(run_stage(name, code.format(key="incremental"), env)[0])
                if not stages[-1].ok:
                    break
            seconds = time.perf_counter() - started
    finally:
        remove_survey(data_dir, mappings_dir)
    return {"responses": RESPONSES, "seconds": seconds, "ok": all(s.ok for s in stages),
            "stages": {s.name: round(s.seconds, 1) for s in stages},
            "errors": [s.detail.get("error") for s in stages if not s.ok]}
