"""Agency surveys: questionnaire JSON plus a survey-tool CSV export per agency.

Identifying columns (email, surname, date of birth, postcode) are normalised and keyed-hashed here,
before anything is written; only coarse geography (LSOA, from the postcode lookup) and a census age
band (from the date of birth) are kept in clear. Answers land in long form (one row per answered
question) so a new agency's questionnaire needs no code.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from ingest.checks import excerpt, parse_timestamp
from ingest.csv_text import SchemaDriftError, fold_header, parse_csv
from ingest.feeds.survey_exports import read_export, sniff, with_spss_labels
from ingest.file_client import FileClient
from ingest.http_client import FeedClient, FeedError, Payload
from ingest.landing import Landing, LoadContext, QuarantineRecord, RawTable, strings_table, with_provenance
from ingest.pseudonymise import Pseudonymiser, normalise_postcode, parse_dob
from warehouse.duck import table_exists

QUESTIONNAIRE_COLUMNS = ["survey_id", "agency", "agency_name", "title", "period", "fieldwork_start",
                         "fieldwork_end", "header_style", "value_style", "csv_encoding", "questionnaire_json"]
QUESTION_COLUMNS = ["survey_id", "column_id", "position", "column_text", "role", "identifier",
                    "question_type", "scale_min", "scale_max"]
OPTION_COLUMNS = ["survey_id", "question_id", "option_code", "option_label", "position"]
RESPONDENT_COLUMNS = ["survey_id", "response_id", "submitted_at", "email_hash", "surname_hash", "dob_hash",
                      "postcode_hash", "postcode_status", "lsoa_code", "age_band_code"]
ANSWER_COLUMNS = ["survey_id", "response_id", "question_id", "answer_code"]
ROLES = {"response_id", "submitted_at", "identifier", "question"}
IDENTIFIERS = {"email", "surname", "dob", "postcode", "first_name"}

# Census "Age (7 categories)" bands, by lower bound of age in years.
AGE_BANDS = ((75, "7"), (65, "6"), (50, "5"), (35, "4"), (25, "3"), (16, "2"), (0, "1"))


def age_band(dob: date | None, on: date) -> str | None:
    if dob is None or dob > on:
        return None
    years = on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
    return next(code for lower, code in AGE_BANDS if years >= lower)


@dataclass
class Question:
    id: str
    text: str
    role: str
    identifier: str | None
    type: str | None
    scale: tuple[int, int] | None
    options: dict[str, str]  # folded code or label -> code


def parse_questionnaire(doc: dict[str, Any], survey_id: str) -> list[Question]:
    """Validate a questionnaire definition; malformed ones are a clear error, not a guess."""
    if doc.get("survey_id") != survey_id:
        raise SchemaDriftError(f"questionnaire survey_id {doc.get('survey_id')!r} != index entry {survey_id!r}")
    columns = doc.get("columns")
    if not isinstance(columns, list) or not columns:
        raise SchemaDriftError(f"questionnaire {survey_id}: 'columns' missing or empty")
    questions: list[Question] = []
    for col in columns:
        role = col.get("role")
        if role not in ROLES or not col.get("id"):
            raise SchemaDriftError(f"questionnaire {survey_id}: column {col!r} has no id or an unknown role")
        if role == "identifier" and col.get("identifier") not in IDENTIFIERS:
            raise SchemaDriftError(f"questionnaire {survey_id}: identifier column {col['id']} of unknown kind")
        options: dict[str, str] = {}
        for opt in col.get("options") or []:
            code = str(opt["code"]).strip()
            options[code.casefold()] = code
            options[str(opt.get("label", code)).strip().casefold()] = code
        scale = (int(col["min"]), int(col["max"])) if col.get("type") == "scale" else None
        questions.append(Question(
            id=str(col["id"]), text=str(col.get("text") or col["id"]), role=role,
            identifier=col.get("identifier"), type=col.get("type"), scale=scale, options=options,
        ))
    roles = Counter(q.role for q in questions)
    if roles["response_id"] != 1:
        raise SchemaDriftError(f"questionnaire {survey_id}: needs exactly one response_id column")
    return questions


def _answer_code(q: Question, value: str) -> tuple[str | None, str | None]:
    """Return (code, problem) for one non-blank answer cell."""
    folded = value.strip().casefold()
    if folded in q.options:
        return q.options[folded], None
    if q.scale is not None:
        try:
            number = int(folded)
        except ValueError:
            return None, f"{q.id}: {excerpt(value)} is not a number on the {q.scale[0]}-{q.scale[1]} scale"
        if q.scale[0] <= number <= q.scale[1]:
            return sys.intern(str(number)), None
        return None, f"{q.id}: {number} is outside the {q.scale[0]}-{q.scale[1]} scale"
    return None, f"{q.id}: {excerpt(value)} is not one of the question's options"


class MissingDependencyError(RuntimeError):
    """A load needs data another feed family lands first (e.g. the postcode lookup from area profiles).

    Raised instead of landing records unplaced; the load fails with a ledger row and the task is retried.
    """


def postcode_lookup(con: duckdb.DuckDBPyConnection, postcodes: set[str]) -> dict[str, tuple[str, bool]]:
    """Map canonical postcodes to (LSOA, terminated) using the landed ONS postcode lookup.

    Refuses (``MissingDependencyError``) when the lookup has not been loaded: an empty answer would land
    every record with no LSOA, and only hashes are kept, so such rows could never be repaired.
    """
    if not postcodes:
        return {}
    loaded = table_exists(con, "raw", "ons_postcodes") and con.execute(
        "SELECT count(*) FROM raw.ons_postcodes").fetchall()[0][0] > 0
    if not loaded:
        raise MissingDependencyError("raw.ons_postcodes not loaded yet — run ingest_area_profiles first")
    wanted = pa.table({"pcds": pa.array(sorted(postcodes), pa.string())})
    con.register("_wanted_postcodes", wanted)
    try:
        rows = con.execute(
            """SELECT p.pcds, p.lsoa_code, coalesce(p.date_terminated, '') <> ''
               FROM raw.ons_postcodes p JOIN _wanted_postcodes w ON upper(p.pcds) = w.pcds"""
        ).fetchall()
    finally:
        con.unregister("_wanted_postcodes")
    return {pcds.upper(): (lsoa, terminated) for pcds, lsoa, terminated in rows}


GRACE = timedelta(days=31)


def _fieldwork_window(doc: dict[str, Any], fetched_at: datetime) -> tuple[datetime | None, datetime]:
    """Plausible submission times: fieldwork start − grace … min(fieldwork end + grace, fetch time + 1 day)."""
    start = parse_timestamp(str(doc["fieldwork_start"])) if doc.get("fieldwork_start") else None
    end = parse_timestamp(str(doc["fieldwork_end"])) if doc.get("fieldwork_end") else None
    latest = fetched_at.astimezone(UTC) + timedelta(days=1)
    if end is not None:
        latest = min(latest, end + timedelta(days=1) + GRACE)
    return (start - GRACE if start else None), latest


def check_option_meanings(con: duckdb.DuckDBPyConnection, doc: dict[str, Any], survey_id: str,
                          source: str) -> None:
    """Refuse a questionnaire whose option codes changed meaning since the last accepted load.

    Mappings and answers are keyed by option code; an agency that renumbers options (code 1 was "Very
    satisfied", is now "Very dissatisfied") would silently invert a measure. Codes and labels are pinned
    by the previous load; a changed pair is refused until the mapping is reviewed and the survey is listed
    under ``accept_relabelled`` of its source in config/sources.yml.
    """
    if not table_exists(con, "raw", "survey_options"):
        return
    before = {(q, c): (label or "") for q, c, label in con.execute(
        "SELECT question_id, option_code, option_label FROM raw.survey_options WHERE _source = ?", [source]).fetchall()}
    if not before:
        return
    changed = []
    for col in doc.get("columns") or []:
        for opt in col.get("options") or []:
            key = (str(col.get("id")), str(opt.get("code")).strip())
            label = str(opt.get("label") or "")
            if key in before and fold_header(before[key]) != fold_header(label):
                changed.append(f"{key[0]} code {key[1]}: {before[key]!r} → {label!r}")
    if changed:
        raise SchemaDriftError(
            f"{survey_id}: option code(s) changed meaning since the last load ({'; '.join(changed[:5])}"
            f"{' …' if len(changed) > 5 else ''}); refusing to map answers by code. Review "
            f"config/survey_mappings/{survey_id}.yml, then list {survey_id} under 'accept_relabelled' of the source")


class SurveyReader:
    """Reads one survey (questionnaire + responses) into a Landing."""

    def __init__(self, client: FeedClient, pseudonymiser: Pseudonymiser, con: duckdb.DuckDBPyConnection,
                 accept_relabelled: tuple[str, ...] = ()):
        self.client = client
        self.pseudo = pseudonymiser
        self.con = con
        self.accept_relabelled = set(accept_relabelled)

    def read(self, entry: dict[str, Any], context: LoadContext) -> Landing:
        survey_id = str(entry["survey_id"])
        landing = Landing(context=context, received=0, loaded=0)
        doc, q_payload = self.client.get_json(entry["questionnaire"])
        questions = parse_questionnaire(doc, survey_id)
        if isinstance(self.client, FileClient) and not str(doc.get("period") or entry.get("period") or "").strip():
            raise SchemaDriftError(f"{survey_id}: a survey shared as a file must say which period it covers: add "
                                   "\"period\" to its questionnaire or its index entry (the marts report by period)")
        payload = None
        if (doc.get("export") or {}).get("tool") == "spss":  # the .sav file's own labels complete the questionnaire
            payload = self.client.get(entry["responses"])
            if (sniff(payload.content) or ("",))[0] == "spss":
                doc, notes = with_spss_labels(doc, payload.content, what=f"survey {survey_id} responses")
                landing.notes += notes
                questions = parse_questionnaire(doc, survey_id)
        if survey_id not in self.accept_relabelled:
            check_option_meanings(self.con, doc, survey_id, context.source)
        payload = payload or self.client.get(entry["responses"])
        landing.payloads += [q_payload, payload]
        export = read_export(payload.content, doc.get("export"), what=f"survey {survey_id} responses")
        parsed = parse_csv(export.body)
        landing.notes += export.notes
        for number, (reason, swallowed) in export.dropped.items():  # counted and kept, never silently dropped
            for extra in range(swallowed + 1):
                landing.received += 1
                landing.quarantine.append(QuarantineRecord(
                    entity="survey_response", record={"record": number, **({"line": extra} if extra else {})},
                    reason=reason if not extra else f"inside a quoted field opened in record {number} that never "
                    "closes; the line could not be parsed", record_key=f"{survey_id}:record {number}"
                    f"{f' line +{extra}' if extra else ''}", payload_sha256=payload.sha256))
        if parsed.encoding != "utf-8":
            landing.notes.append(f"responses decoded as {parsed.encoding}")
        if parsed.normalised_cells:
            landing.notes.append(f"{parsed.normalised_cells} cell(s) NFKC-normalised (e.g. full-width digits)")
        landing.physical_records = parsed.records + sum(1 + n for _, n in export.dropped.values())
        columns = self._match_header(parsed.header, questions, survey_id)
        skipped_text = [q.id for q in columns if q and q.role == "question" and q.type == "text"]
        if skipped_text:
            landing.notes.append(f"free-text answers not ingested (may identify people): {skipped_text}")
        window = _fieldwork_window(doc, payload.fetched_at)

        keys = self._cell_keys(columns)
        cells_by_row = [self._row(keys, cells, len(parsed.header)) for cells in parsed.rows]
        normalised = [normalise_postcode(cells.get("@postcode")) for cells, _ in cells_by_row]
        lookup = postcode_lookup(self.con, {pc for pc in normalised if pc})
        answerable = [q for q in columns if q is not None and q.role == "question" and q.type != "text"]

        response_counts = Counter(cells.get("@response_id") for cells, _ in cells_by_row)
        first_seen: dict[str, tuple[str, ...]] = {}
        respondents: list[dict[str, Any]] = []
        # answers are kept column-wise: at England scale there are ~10 million per survey
        answers: dict[str, list[str]] = {"response_id": [], "question_id": [], "answer_code": []}
        line_no = 1
        for index, (cells, problem) in enumerate(cells_by_row):
            line_no += 1
            landing.received += 1
            respondent, row_answers, reason = self._respondent(survey_id, answerable, cells, normalised[index],
                                                               lookup, window)
            reason = parsed.row_problems.get(index) or problem or reason
            rid = cells.get("@response_id")
            if reason is None and rid and response_counts[rid] > 1:
                signature = tuple(sorted(cells.items()))
                if rid in first_seen:
                    reason = ("exact duplicate of an earlier row" if first_seen[rid] == signature
                              else "duplicate response id with different answers")
                else:
                    first_seen[rid] = signature
            swallowed = parsed.swallowed.get(index, 0)
            for extra in range(1, swallowed + 1):  # each swallowed line is a record: count it, never drop it
                landing.received += 1
                landing.quarantine.append(QuarantineRecord(
                    entity="survey_response", reason=f"inside a quoted field opened on line {line_no} that never "
                    "closes; the line could not be parsed", record_key=f"{survey_id}:line {line_no + extra}",
                    record={"line": line_no + extra}, payload_sha256=payload.sha256))
            if reason:
                landing.quarantine.append(QuarantineRecord(
                    entity="survey_response", reason=reason, record_key=f"{survey_id}:{rid or f'line {line_no}'}",
                    record={"line": line_no, **respondent, "answers": dict(row_answers)},
                    payload_sha256=payload.sha256,
                ))
                line_no += swallowed
                continue
            line_no += swallowed
            respondents.append(respondent)
            for question_id, code in row_answers:
                answers["response_id"].append(rid)
                answers["question_id"].append(question_id)
                answers["answer_code"].append(code)
        landing.loaded = len(respondents)
        landing.tables = self._tables(entry, doc, questions, parsed.encoding, respondents, answers,
                                      context, payload, q_payload)
        return landing

    @staticmethod
    def _match_header(header: list[str], questions: list[Question], survey_id: str) -> list[Question | None]:
        by_name: dict[str, Question] = {}
        for q in questions:
            by_name[fold_header(q.id)] = q
            by_name[fold_header(q.text)] = q
        matched: list[Question | None] = []
        unknown: list[str] = []
        for h in header:
            q = by_name.get(fold_header(h))
            if q is None:
                unknown.append(h)
            matched.append(q)
        if unknown:
            raise SchemaDriftError(
                f"{survey_id}: CSV column(s) {unknown} are not in the questionnaire; refusing to guess "
                "(an undeclared column could carry identifying data)"
            )
        if not any(q is not None and q.role == "response_id" for q in matched):
            raise SchemaDriftError(f"{survey_id}: CSV has no response id column")
        return matched

    @staticmethod
    def _cell_keys(columns: list[Question | None]) -> list[str | None]:
        """Each column's key in a row's cells: the question id, '@role' for identifiers and metadata."""
        return [None if q is None else q.id if q.role == "question" else f"@{q.identifier or q.role}"
                for q in columns]

    @staticmethod
    def _row(keys: list[str | None], cells: list[str], width: int) -> tuple[dict[str, str], str | None]:
        """Non-blank cells keyed by :meth:`_cell_keys`."""
        out: dict[str, str] = {}
        for key, cell in zip(keys, cells, strict=False):
            if key is None:
                continue
            value = cell.strip()
            if value:
                out[key] = value
        problem = None if len(cells) == width else f"row has {len(cells)} cells, header has {width}"
        return out, problem

    def _respondent(self, survey_id: str, answerable: list[Question], cells: dict[str, str], postcode: str | None,
                    lookup: dict[str, tuple[str, bool]], window: tuple[datetime | None, datetime]
                    ) -> tuple[dict[str, Any], list[tuple[str, str]], str | None]:
        """One row's respondent record, its answers and the first reason to quarantine it (or None).

        ``answerable``: the coded questions (not free text); ``postcode``: the row's normalised postcode.
        """
        reason: str | None = None
        rid = cells.get("@response_id")
        submitted = parse_timestamp(cells.get("@submitted_at"))
        if not rid:
            reason = "response id is missing"
        elif cells.get("@submitted_at") and submitted is None:
            reason = f"submitted_at {excerpt(cells['@submitted_at'])} is not a date"
        elif submitted is not None and submitted > window[1]:
            reason = "submitted_at is after the end of fieldwork (plus 31 days' grace) or after the export was fetched"
        elif submitted is not None and window[0] is not None and submitted < window[0]:
            reason = "submitted_at is before the start of fieldwork (less 31 days' grace)"
        dob = parse_dob(cells.get("@dob"))
        if reason is None and dob is not None and dob > (submitted or window[1]).date():
            reason = "date of birth is after the submission date"
        if cells.get("@postcode") is None:
            status, lsoa = "missing", None
        elif postcode is None:
            status, lsoa = "malformed", None
        elif postcode in lookup:
            lsoa, terminated = lookup[postcode]
            status = "terminated" if terminated else "live"
        else:
            status, lsoa = "unknown", None
        on = submitted.date() if submitted else date.today()
        respondent = {
            "survey_id": survey_id, "response_id": rid,
            "submitted_at": submitted.isoformat() if submitted else None,
            "email_hash": self.pseudo.email(cells.get("@email")),
            "surname_hash": self.pseudo.name("surname", cells.get("@surname")),
            "dob_hash": self.pseudo.dob(dob),
            "postcode_hash": self.pseudo.postcode(postcode),
            "postcode_status": status, "lsoa_code": lsoa, "age_band_code": age_band(dob, on),
        }
        answers: list[tuple[str, str]] = []
        for q in answerable:
            value = cells.get(q.id)
            if value is None:
                continue
            code, problem = _answer_code(q, value)
            if problem:
                reason = reason or problem
                continue
            answers.append((q.id, code))
        return respondent, answers, reason

    @staticmethod
    def _tables(entry: dict[str, Any], doc: dict[str, Any], questions: list[Question], encoding: str,
                respondents: list[dict[str, Any]], answers: dict[str, list[str]], context: LoadContext,
                payload: Payload, q_payload: Payload) -> list[RawTable]:
        survey_id = str(entry["survey_id"])
        meta = {
            "survey_id": survey_id, "agency": doc.get("agency") or entry.get("agency"),
            "agency_name": entry.get("agency_name"), "title": doc.get("title") or entry.get("title"),
            "period": doc.get("period") or entry.get("period"), "fieldwork_start": doc.get("fieldwork_start"),
            "fieldwork_end": doc.get("fieldwork_end"), "header_style": doc.get("header_style"),
            "value_style": doc.get("value_style"), "csv_encoding": encoding,
            "questionnaire_json": json.dumps(doc, ensure_ascii=False, sort_keys=True),
        }
        question_rows = [{
            "survey_id": survey_id, "column_id": q.id, "position": i, "column_text": q.text, "role": q.role,
            "identifier": q.identifier, "question_type": q.type,
            "scale_min": q.scale[0] if q.scale else None, "scale_max": q.scale[1] if q.scale else None,
        } for i, q in enumerate(questions, start=1)]
        option_rows = []
        for col in doc["columns"]:
            for i, opt in enumerate(col.get("options") or [], start=1):
                option_rows.append({"survey_id": survey_id, "question_id": col["id"], "option_code": opt["code"],
                                    "option_label": opt.get("label"), "position": i})

        def raw(name: str, rows: list[dict[str, Any]], cols: list[str], p: Payload) -> RawTable:
            return RawTable(name, with_provenance(strings_table(rows, cols), context, p.fetched_at, p.sha256))

        return [
            raw("survey_questionnaires", [meta], QUESTIONNAIRE_COLUMNS, q_payload),
            raw("survey_questions", question_rows, QUESTION_COLUMNS, q_payload),
            raw("survey_options", option_rows, OPTION_COLUMNS, q_payload),
            raw("survey_respondents", respondents, RESPONDENT_COLUMNS, payload),
            RawTable("survey_answers", with_provenance(pa.table({
                "survey_id": pa.array([survey_id] * len(answers["response_id"]), pa.string()),
                **{name: pa.array(values, pa.string()) for name, values in answers.items()},
            }), context, payload.fetched_at, payload.sha256)),
        ]


SURVEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


def fetch_index(client: FeedClient, path: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The surveys the partnership shares, and (label, problem) for each entry that cannot be used.

    Each entry must name its questionnaire and responses, and its ``survey_id`` must be a plain id
    (letters, digits, ``_``, ``-``) because it names a partition and may name files. One bad entry
    fails on its own; the others still load.
    """
    doc, payload = client.get_json(path)
    surveys = doc.get("surveys") if isinstance(doc, dict) else None
    if not isinstance(surveys, list):
        raise FeedError(client.source, payload.url, "survey index has no 'surveys' list")
    entries: list[dict[str, Any]] = []
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for position, entry in enumerate(surveys, start=1):
        label = f"entry{position}"
        if not isinstance(entry, dict):
            problems.append((label, f"InvalidIndexEntry: index entry {position} is not an object"))
            continue
        missing = [k for k in ("survey_id", "questionnaire", "responses") if not entry.get(k)]
        survey_id = str(entry.get("survey_id") or "")
        if missing:
            problems.append((label, f"InvalidIndexEntry: index entry {position} lacks {missing}"))
        elif not SURVEY_ID.match(survey_id):
            problems.append((label, f"InvalidIndexEntry: index entry {position} has an unsafe survey_id "
                                    f"{survey_id[:40]!r} (only letters, digits, '_' and '-' are allowed)"))
        elif survey_id in seen:
            problems.append((label, f"InvalidIndexEntry: survey_id {survey_id!r} appears twice in the index"))
        else:
            seen.add(survey_id)
            entries.append(entry)
    return entries, problems
