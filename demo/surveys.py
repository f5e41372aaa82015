"""Agency survey exports: who answers which survey, what they answer, and the CSV each tool writes."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from demo import answers as ans
from demo.identifiers import format_dob, vary_email, vary_postcode, vary_surname
from demo.questionnaires import SURVEYS, Question, Survey
from demo.writers import write_json

SURVEYS_PER_PERSON = (np.array([1, 2, 3]), np.array([0.75, 0.20, 0.05]))
MOVED_SHARE = 0.04  # of people answering 2+ surveys, one answer gives their previous address
BAD_ROW_RATE = 0.0005  # per kind; four kinds ≈ 0.2 % of rows
BAD_TIMESTAMPS = np.array(["31/02/2026 25:61", "not recorded", "2026-13-45T99:00:00Z", "#VALUE!"], dtype=object)
BAD_KINDS = ("missing_response_id", "duplicate_response_id", "unparsable_submitted_at", "invalid_answer")


@dataclass
class SurveyTable:
    """One survey's rows as string columns in questionnaire order, plus who wrote each row."""

    survey: Survey
    columns: dict[str, np.ndarray]
    person_id: np.ndarray
    ground_truth: np.ndarray  # bool: row's (survey_id, response_id) belongs in respondents.csv
    bad_rows: dict[str, int]


def mean_surveys_per_person() -> float:
    values, probs = SURVEYS_PER_PERSON
    return float((values * probs).sum())


def assign_surveys(rng: np.random.Generator, decile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(person index, survey index) per response: 1–3 distinct surveys each, weighted by agency reach."""
    n = len(decile)
    k = rng.choice(SURVEYS_PER_PERSON[0], p=SURVEYS_PER_PERSON[1], size=n)
    deprived = (5.5 - decile) / 4.5
    logw = (np.log([s.weight for s in SURVEYS])[None, :]
            + np.array([s.deprivation_tilt for s in SURVEYS])[None, :] * deprived[:, None] * 3)
    order = np.argsort(-(logw + rng.gumbel(size=(n, len(SURVEYS)))), axis=1)
    taken = np.arange(len(SURVEYS))[None, :] < k[:, None]
    person = np.broadcast_to(np.arange(n)[:, None], order.shape)[taken]
    return person, order[taken]


def _option_values(q: Question, style: str) -> np.ndarray:
    """Cell text per option index (substantive then specials), with a trailing blank for index -1."""
    opts = [*q.options, *((c, lab) for c, lab, _ in q.specials)]
    return np.array([c if style == "code" else lab for c, lab in opts] + [""], dtype=object)


def _specials(rng: np.random.Generator, q: Question, age_band: np.ndarray) -> np.ndarray:
    """Chosen special option (index into q.specials) per response, or -1."""
    n = len(age_band)
    if not q.specials:
        return np.full(n, -1)
    probs = np.tile([p for _, _, p in q.specials], (n, 1))
    for j, (_, label, _) in enumerate(q.specials):
        if label.startswith("Never"):  # the oldest rarely go out after dark
            probs[:, j] *= np.where(age_band == 6, 3.0, np.where(age_band <= 2, 0.3, 1.0))
    cum = np.cumsum(probs, axis=1)
    choice = (rng.random(n)[:, None] >= cum).sum(axis=1)
    return np.where(choice < len(q.specials), choice, -1)


def _answer_column(rng: np.random.Generator, survey: Survey, q: Question, people: pd.DataFrame,
                   latents: dict[str, np.ndarray]) -> np.ndarray:
    n = len(people)
    style = survey.value_style
    if q.source == "text":
        comments = np.array(ans.COMMENTS, dtype=object)[rng.integers(0, len(ans.COMMENTS), n)]
        return np.where(rng.random(n) < 0.2, comments, "").astype(object)
    special = _specials(rng, q, people["age_band"].to_numpy())
    values = _option_values(q, style)
    if q.type == "scale":
        numbers = ans.scale_value(rng, q, latents[q.concept]).astype(str).astype(object)
        cells = np.where(special >= 0, values[len(q.options) + np.maximum(special, 0)], numbers)
    else:
        if q.source == "sex":
            idx = np.asarray(q.mapping)[people["sex"].to_numpy()]
        elif q.source == "ethnicity":
            idx = np.asarray(q.mapping)[people["eth_detail"].to_numpy()]
        elif q.source == "age_group":
            idx = ans.age_group_index(q, people["age"].to_numpy())
        else:
            idx = ans.substantive_index(rng, q, latents[q.concept])
        idx = np.where(special >= 0, len(q.options) + special, idx)
        cells = values[idx]
    return np.where(rng.random(n) < q.blank, "", cells).astype(object)


def _times(rng: np.random.Generator, survey: Survey, n: int) -> np.ndarray:
    start = np.datetime64(survey.fieldwork[0] + "T08:00:00")
    end = np.datetime64(survey.fieldwork[1] + "T22:00:00")
    span = (end - start).astype(np.int64)
    offsets = (rng.beta(1.1, 1.8, n) * span).astype(np.int64)
    return start + offsets.astype("timedelta64[s]")


TIME_FORMATS = {"uk": "%d/%m/%Y %H:%M", "iso": "%Y-%m-%dT%H:%M:%SZ", "surveymonkey": "%m/%d/%Y %I:%M:%S %p"}


def _format_times(times: np.ndarray, style: str) -> np.ndarray:
    return pd.DatetimeIndex(times).strftime(TIME_FORMATS[style]).to_numpy().astype(object)


def _response_ids(rng: np.random.Generator, style: str, n: int) -> np.ndarray:
    if style == "surveymonkey":
        values = 114_000_000_000 + np.cumsum(rng.integers(1, 5000, n))
        return values.astype(str).astype(object)
    if style == "prefixed":
        return np.array([f"PC26-{i:06d}" for i in range(1, n + 1)], dtype=object)
    if style == "hex":
        from demo.rng import hex_ids

        return "HT-" + hex_ids(rng, n, 8)
    return (np.arange(1, n + 1) + 1000).astype(str).astype(object)


def simulate(rng: np.random.Generator, survey: Survey, people: pd.DataFrame,
             latents: dict[str, np.ndarray], moved: np.ndarray) -> SurveyTable:
    """Clean rows for one survey (one per respondent), sorted by submission time."""
    times = _times(rng, survey, len(people))
    order = np.argsort(times, kind="stable")
    times = times[order]
    people = people.iloc[order].reset_index(drop=True)
    latents = {k: v[order] for k, v in latents.items()}
    moved = moved[order]
    n = len(people)
    kinds = [kind for _, _, kind in survey.id_columns]
    postcode = np.where(moved, people["previous_postcode"].to_numpy(), people["postcode"].to_numpy())
    id_values: dict[str, np.ndarray] = {
        "response_id": _response_ids(rng, survey.response_id_style, n),
        "submitted_at": _format_times(times, survey.submitted_format),
        "email": vary_email(rng, people["email"].to_numpy(), survey.email_share),
        "surname": vary_surname(rng, people["surname"].to_numpy(), survey.upper_surname),
        "dob": format_dob(rng, people["dob"].to_numpy(), survey.dob_formats),
        "postcode": vary_postcode(rng, postcode.astype(object)),
    }
    columns = {cid: id_values[kind] for (cid, _, _), kind in zip(survey.id_columns, kinds, strict=True)}
    for q in survey.questions:
        columns[q.id] = _answer_column(rng, survey, q, people, latents)
    return SurveyTable(survey, columns, people["person_id"].to_numpy().astype(object), np.ones(n, dtype=bool),
                       dict.fromkeys(BAD_KINDS, 0))


def _invalid_value(q: Question, style: str) -> str:
    if q.type == "scale":
        return "11"
    codes = {c for c, _ in q.options} | {c for c, _, _ in q.specials}
    if style == "code":
        return next(c for c in ("7", "77", "777") if c not in codes)
    return "Quite satisfied"


def corrupt(rng: np.random.Generator, table: SurveyTable) -> SurveyTable:
    """Blank some ids, break some timestamps and answers, and append duplicate-id rows (re-exports)."""
    survey, cols = table.survey, {k: v.copy() for k, v in table.columns.items()}
    n = len(table.person_id)
    per_kind = max(1, round(n * BAD_ROW_RATE))
    picked = rng.choice(n, size=4 * per_kind, replace=False)
    missing, bad_time, bad_answer, dup_src = np.split(picked, 4)
    id_col, time_col = survey.id_columns[0][0], survey.id_columns[1][0]
    truth = table.ground_truth.copy()
    cols[id_col][missing] = ""
    truth[missing] = False
    cols[time_col][bad_time] = BAD_TIMESTAMPS[rng.integers(0, len(BAD_TIMESTAMPS), len(bad_time))]
    answerable = [q for q in survey.questions if q.type in ("single", "scale")]
    for row in bad_answer:
        q = answerable[int(rng.integers(0, len(answerable)))]
        cols[q.id][row] = _invalid_value(q, survey.value_style)
    # duplicates: the same response id exported twice, half exact copies, half re-submissions
    key = np.arange(n, dtype=float)
    dup_key = np.minimum(dup_src + rng.integers(1, 40, len(dup_src)), n - 1) + 0.5
    resubmit = rng.random(len(dup_src)) < 0.5
    donor = rng.choice(n, size=len(dup_src))
    question_ids = {q.id for q in survey.questions}
    for cid, values in cols.items():
        extra = values[dup_src].copy()
        if cid in question_ids:
            extra = np.where(resubmit, values[donor], extra)
        cols[cid] = np.concatenate([values, extra])
    order = np.argsort(np.concatenate([key, dup_key]), kind="stable")
    cols = {k: v[order] for k, v in cols.items()}
    person = np.concatenate([table.person_id, table.person_id[dup_src]])[order]
    truth = np.concatenate([truth, np.zeros(len(dup_src), dtype=bool)])[order]
    bad = {"missing_response_id": len(missing), "duplicate_response_id": len(dup_src),
           "unparsable_submitted_at": len(bad_time), "invalid_answer": len(bad_answer)}
    return SurveyTable(survey, cols, person, truth, bad)


# SurveyMonkey's own leading columns, in its order; the survey's id, End Date, Email Address and Last Name
# columns take their places, the rest are the tool's (ignored by the questionnaire's export layout)
SURVEYMONKEY_TOOL_COLUMNS = ("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
                             "Email Address", "First Name", "Last Name", "Custom Data 1")
SURVEYMONKEY_COLLECTOR = "431870112"


def _surveymonkey_rows(table: SurveyTable) -> tuple[list[list[str]], list[list[str]]]:
    """(two header rows, data rows) of a SurveyMonkey "all responses, expanded" CSV export."""
    survey = table.survey
    own = {text: table.columns[cid] for cid, text, _ in survey.id_columns}
    n = len(table.person_id)
    fmt = TIME_FORMATS["surveymonkey"]
    end = pd.to_datetime(pd.Series(own["End Date"]), format=fmt, errors="coerce")
    start = (end - pd.Timedelta(minutes=7)).dt.strftime(fmt).fillna("").to_numpy().astype(object)
    tool = {"Collector ID": np.full(n, SURVEYMONKEY_COLLECTOR, dtype=object), "Start Date": start}
    lead = [own.get(c, tool.get(c, np.full(n, "", dtype=object))) for c in SURVEYMONKEY_TOOL_COLUMNS]
    rest = [(text, table.columns[cid]) for cid, text, _ in survey.id_columns if text not in SURVEYMONKEY_TOOL_COLUMNS]
    rest += [(q.text, table.columns[q.id]) for q in survey.questions]
    top = [*SURVEYMONKEY_TOOL_COLUMNS, *(text for text, _ in rest)]
    sub = [""] * len(SURVEYMONKEY_TOOL_COLUMNS) + [
        "Open-Ended Response" if text in {t for _, t, _ in survey.id_columns} else "Response" for text, _ in rest]
    return [top, sub], [list(r) for r in zip(*lead, *(v for _, v in rest), strict=True)]


def csv_bytes(table: SurveyTable) -> bytes:
    """The export as the agency's tool writes it (header style, line endings, encoding; SurveyMonkey's
    two header rows and its own columns when the survey declares that export layout)."""
    survey = table.survey
    if survey.export and survey.export.get("tool") == "surveymonkey":
        headers, rows = _surveymonkey_rows(table)
    else:
        header = [text if survey.header_style == "text" else cid for cid, text, _ in survey.id_columns]
        header += [q.text if survey.header_style == "text" else q.id for q in survey.questions]
        headers, rows = [header], list(zip(*table.columns.values(), strict=True))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=survey.line_terminator)
    writer.writerows(headers)
    writer.writerows(rows)
    return buf.getvalue().encode(survey.encoding, errors="replace")


def build_surveys(rng_for: Any, people: pd.DataFrame, decile: np.ndarray, latents: dict[str, np.ndarray],
                  out: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Write surveys/; return (manifest section, respondents ground truth, question concepts)."""
    person_idx, survey_idx = assign_surveys(rng_for("surveys.assign"), decile)
    counts = np.bincount(person_idx, minlength=len(people))
    multi = np.flatnonzero(counts[person_idx] >= 2)
    movers = rng_for("surveys.moved").random(len(people)) < MOVED_SHARE
    # each mover gives the previous address in exactly one (the first listed) of their responses
    first_of_person = np.zeros(len(person_idx), dtype=bool)
    first_of_person[np.unique(person_idx, return_index=True)[1]] = True
    moved_flag = np.zeros(len(person_idx), dtype=bool)
    moved_flag[multi] = movers[person_idx[multi]] & first_of_person[multi]
    index: list[dict[str, Any]] = []
    section: dict[str, Any] = {}
    truth_frames, concept_rows = [], []
    for s, survey in enumerate(SURVEYS):
        rows = np.flatnonzero(survey_idx == s)
        who = person_idx[rows]
        table = simulate(rng_for(f"surveys.{survey.survey_id}"), survey, people.iloc[who],
                         {k: v[who] for k, v in latents.items()}, moved_flag[rows])
        table = corrupt(rng_for(f"surveys.{survey.survey_id}.bad"), table)
        folder = out / "surveys" / survey.survey_id
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "questionnaire.json", survey.questionnaire())
        (folder / "responses.csv").write_bytes(csv_bytes(table))
        index.append({"survey_id": survey.survey_id, "agency": survey.agency, "agency_name": survey.agency_name,
                      "title": survey.title, "period": "2026",
                      "questionnaire": f"/surveys/{survey.survey_id}/questionnaire.json",
                      "responses": f"/surveys/{survey.survey_id}/responses.csv"})
        ids = table.columns[survey.id_columns[0][0]]
        truth_frames.append(pd.DataFrame({"survey_id": survey.survey_id, "response_id": ids[table.ground_truth],
                                          "person_id": table.person_id[table.ground_truth]}))
        section[survey.survey_id] = {
            "rows": len(ids), "responses": len(rows), "respondents": len(np.unique(who)),
            "encoding": survey.encoding, "bad_rows": table.bad_rows,
            "valid_rows": len(ids) - sum(table.bad_rows.values()),
            "moved_postcode_rows": int(moved_flag[rows].sum()),
        }
        concept_rows += [(survey.survey_id, q.id, q.concept, q.type) for q in survey.questions]
    write_json(out / "surveys" / "index.json", {"surveys": index})
    n_multi = int((counts >= 2).sum())
    section["_people"] = {"respondents": int((counts >= 1).sum()), "answered_2_or_more": n_multi,
                          "answered_3": int((counts >= 3).sum()), "responses": len(person_idx)}
    concepts = pd.DataFrame(concept_rows, columns=["survey_id", "column_id", "concept", "type"])
    return section, pd.concat(truth_frames, ignore_index=True), concepts

