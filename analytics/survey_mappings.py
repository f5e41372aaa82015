"""Agency survey → question bank mappings: load, validate and flatten ``config/survey_mappings/*.yml``.

A mapping file says, for every question of one agency questionnaire, either which canonical measure it
asks (and, code by code, which canonical response each agency answer is) or that it is agency-only and
why. Nothing is guessed: a response code that is not listed stays *unmapped* and is reported by the
``survey_harmonisation`` mart (and fails the build if answers carry it).

Validation has two layers, and every problem in every file is reported at once:
1. structure, against ``survey_mapping.schema.json`` (JSON Schema);
2. meaning, against the question bank seeds: the measure exists, each canonical code is one of that
   measure's responses, a code is not both mapped and excluded, the file name is the survey id.

Run ``python -m analytics.survey_mappings [DIR]`` to check a folder before committing it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

SCHEMA_PATH = Path(__file__).with_name("survey_mapping.schema.json")
SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
VALENCES = ("positive", "neutral", "negative", "dont_know", "non_valid")

QUESTION_COLUMNS = ["survey_id", "question_id", "mapping_status", "measure_id", "scale_identity", "reason",
                    "mapping_file"]
RESPONSE_COLUMNS = ["survey_id", "question_id", "agency_code", "response_status", "canonical_code", "valence",
                    "reason"]


class MappingError(ValueError):
    """One or more mapping files are malformed; the message lists every problem with its file and path."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("survey mapping files are invalid:\n  - " + "\n  - ".join(problems))


@dataclass
class QuestionMapping:
    survey_id: str
    question_id: str
    status: str  # mapped | agency_only
    measure_id: str | None = None
    scale_identity: bool = False
    reason: str | None = None
    responses: dict[str, str] = field(default_factory=dict)  # agency code -> canonical code
    excluded: dict[str, str] = field(default_factory=dict)  # agency code -> reason
    valence: dict[str, str] = field(default_factory=dict)  # agency-only questions: agency code -> valence
    file: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # agency code -> pinned option label


def _schema_validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _stringify_codes(doc: Any, where: str, problems: list[str]) -> Any:
    """YAML turns ``1:`` into an int and ``yes`` into True; codes are text, so normalise or complain."""
    if isinstance(doc, dict):
        out = {}
        for key, value in doc.items():
            if isinstance(key, bool) or isinstance(value, bool):
                problems.append(f"{where}: {key!r}: {value!r} — YAML read a yes/no/true/false word as a boolean; "
                                "quote response codes and canonical codes")
            if value is None:
                problems.append(f"{where}.{key}: empty value (to leave an agency code out on purpose, list it "
                                "under 'excluded:' with a reason)")
            new_key = str(key) if isinstance(key, int | float) and not isinstance(key, bool) else key
            out[new_key] = _stringify_codes(value, f"{where}.{new_key}", problems)
        return out
    if isinstance(doc, int | float) and not isinstance(doc, bool):
        return str(doc)
    return doc


def read_question_bank(seeds_dir: Path = SEEDS_DIR) -> pd.DataFrame:
    """The canonical responses seed as text columns (for validation outside dbt)."""
    return pd.read_csv(seeds_dir / "question_bank_responses.csv", dtype=str, keep_default_na=False)


def _bank_codes(bank: pd.DataFrame | None) -> dict[str, set[str]] | None:
    if bank is None:
        return None
    codes: dict[str, set[str]] = {}
    for measure, code in zip(bank["measure_id"].astype(str), bank["response_code"].astype(str), strict=True):
        codes.setdefault(measure, set()).add(code)
    return codes


def parse_file(path: Path, bank_codes: dict[str, set[str]] | None,
               problems: list[str]) -> list[QuestionMapping]:
    """Validate one mapping file; append problems (prefixed with the file name) and return its questions."""
    name = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{name}: not valid YAML: {exc}")
        return []
    local: list[str] = []
    doc = _stringify_codes(raw, name, local)
    if not isinstance(doc, dict):
        problems.append(f"{name}: must be a mapping with 'survey_id' and 'questions'")
        return []
    for error in sorted(_schema_validator().iter_errors(doc), key=lambda e: list(e.absolute_path)):
        path_text = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        message = error.message
        if error.validator == "oneOf":
            message = ("must be either {measure, responses|scale[, excluded, note]} or "
                       "{agency_only: <reason>[, valence]} — " + _best_detail(error))
        local.append(f"{name}: {path_text}: {message}")
    if local:
        problems.extend(local)
        return []
    survey_id = doc["survey_id"]
    if path.stem != survey_id:
        problems.append(f"{name}: survey_id {survey_id!r} must match the file name ({survey_id}.yml)")
    out: list[QuestionMapping] = []
    for question_id, spec in doc["questions"].items():
        where = f"{name}: questions/{question_id}"
        if "agency_only" in spec:
            out.append(QuestionMapping(survey_id, question_id, "agency_only", reason=spec["agency_only"],
                                       valence=dict(spec.get("valence") or {}), file=name))
            continue
        measure = spec["measure"]
        responses = dict(spec.get("responses") or {})
        excluded = dict(spec.get("excluded") or {})
        both = sorted(set(responses) & set(excluded))
        if both:
            problems.append(f"{where}: codes {both} are both mapped and excluded")
        if bank_codes is not None:
            if measure not in bank_codes:
                problems.append(f"{where}: measure {measure!r} is not in the question bank "
                                f"(known: {', '.join(sorted(bank_codes))})")
            else:
                unknown = sorted({c for c in responses.values() if c not in bank_codes[measure]})
                if unknown:
                    problems.append(f"{where}: canonical code(s) {unknown} are not responses of {measure} "
                                    f"(allowed: {', '.join(sorted(bank_codes[measure]))})")
        out.append(QuestionMapping(survey_id, question_id, "mapped", measure_id=measure,
                                   scale_identity=spec.get("scale") == "identity", reason=spec.get("note"),
                                   responses=responses, excluded=excluded, file=name,
                                   labels=dict(spec.get("labels") or {})))
    return out


def _best_detail(error: Any) -> str:
    details = sorted((e for e in error.context or []), key=lambda e: len(list(e.absolute_path)), reverse=True)
    return details[0].message if details else error.message


def mapping_files(directory: Path) -> list[Path]:
    """``*.yml``/``*.yaml`` in the folder, except names starting with ``_`` (templates, notes)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir()
                  if p.suffix in (".yml", ".yaml") and not p.name.startswith(("_", ".")))


def load_mappings(directory: Path, bank: pd.DataFrame | None = None) -> list[QuestionMapping]:
    """Every mapping in the folder, validated; raises MappingError listing all problems."""
    problems: list[str] = []
    bank_codes = _bank_codes(bank)
    out: list[QuestionMapping] = []
    seen: dict[str, str] = {}
    for path in mapping_files(directory):
        questions = parse_file(path, bank_codes, problems)
        if questions:
            survey_id = questions[0].survey_id
            if survey_id in seen:
                problems.append(f"{path.name}: survey {survey_id} is already mapped by {seen[survey_id]}")
                continue
            seen[survey_id] = path.name
        out += questions
    if problems:
        raise MappingError(problems)
    return out


def check_pinned_labels(mappings: Iterable[QuestionMapping], options: pd.DataFrame) -> None:
    """Refuse mappings whose pinned labels no longer match the questionnaire's options.

    A mapping keyed by code alone inverts a measure when an agency renumbers its options; a mapping that
    pins ``labels`` is checked code *and* label against the landed options (``survey_id, question_id,
    option_code, option_label``). Raises MappingError naming every changed code.
    """
    landed = {(str(s), str(q), str(c)): str(label or "") for s, q, c, label in zip(
        options["survey_id"], options["question_id"], options["option_code"], options["option_label"], strict=True)}
    problems = []
    for m in mappings:
        for code, label in m.labels.items():
            now = landed.get((m.survey_id, m.question_id, code))
            if now is None:
                problems.append(f"{m.file}: questions/{m.question_id}: pinned code {code!r} ({label!r}) is no longer "
                                "an option of the questionnaire")
            elif " ".join(now.casefold().split()) != " ".join(label.casefold().split()):
                problems.append(f"{m.file}: questions/{m.question_id}: code {code!r} is pinned to {label!r} but the "
                                f"questionnaire now labels it {now!r} — the meaning changed; review the mapping")
    if problems:
        raise MappingError(problems)


def question_frame(mappings: Iterable[QuestionMapping]) -> pd.DataFrame:
    """One row per (survey, question) named by a mapping file."""
    rows = [{"survey_id": m.survey_id, "question_id": m.question_id, "mapping_status": m.status,
             "measure_id": m.measure_id, "scale_identity": m.scale_identity, "reason": m.reason,
             "mapping_file": m.file} for m in mappings]
    frame = pd.DataFrame(rows, columns=QUESTION_COLUMNS)
    return frame.astype({c: "string" for c in QUESTION_COLUMNS if c != "scale_identity"}
                        | {"scale_identity": "bool"})


def scale_ranges(questions: pd.DataFrame) -> dict[tuple[str, str], tuple[int, int]]:
    """(survey_id, question_id) -> (scale_min, scale_max) for the scale questions of a questionnaire frame."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for survey, question, low, high in zip(questions["survey_id"], questions["question_id"],
                                           questions["scale_min"], questions["scale_max"], strict=True):
        if pd.notna(low) and pd.notna(high):
            out[(str(survey), str(question))] = (int(low), int(high))
    return out


def response_frame(mappings: Iterable[QuestionMapping], bank: pd.DataFrame,
                   scales: dict[tuple[str, str], tuple[int, int]] | None = None,
                   options: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (survey, question, agency code) the mapping files decide.

    ``response_status``: ``mapped`` (to ``canonical_code``), ``excluded`` (deliberately not harmonised,
    with a reason) or, for agency-only questions, ``agency_valence`` (a declared valence). ``scale:
    identity`` expands to every integer of the question's scale (``scales``, from the questionnaire)
    that is also a canonical code; explicit ``responses`` win over the expansion.
    """
    mappings = list(mappings)
    if options is not None:
        check_pinned_labels(mappings, options)
    valence = {(m, c): v for m, c, v in zip(bank["measure_id"], bank["response_code"], bank["valence"],
                                              strict=True)}
    bank_codes = _bank_codes(bank) or {}
    rows: list[dict[str, Any]] = []
    for m in mappings:
        if m.status == "agency_only":
            rows += [{"survey_id": m.survey_id, "question_id": m.question_id, "agency_code": code,
                      "response_status": "agency_valence", "canonical_code": None, "valence": v, "reason": None}
                     for code, v in m.valence.items()]
            continue
        decided = dict(m.responses)
        if m.scale_identity and scales and (m.survey_id, m.question_id) in scales:
            low, high = scales[(m.survey_id, m.question_id)]
            for number in range(low, high + 1):
                if str(number) in bank_codes.get(m.measure_id or "", set()):
                    decided.setdefault(str(number), str(number))
        rows += [{"survey_id": m.survey_id, "question_id": m.question_id, "agency_code": code,
                  "response_status": "mapped", "canonical_code": canonical,
                  "valence": valence.get((m.measure_id, canonical)), "reason": None}
                 for code, canonical in sorted(decided.items())]
        rows += [{"survey_id": m.survey_id, "question_id": m.question_id, "agency_code": code,
                  "response_status": "excluded", "canonical_code": None, "valence": None, "reason": reason}
                 for code, reason in sorted(m.excluded.items())]
    return pd.DataFrame(rows, columns=RESPONSE_COLUMNS).astype("string")


def main(argv: list[str] | None = None) -> int:
    """Validate a mapping folder (default: the configured one); print what it maps or every problem."""
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        directory = Path(argv[0])
    else:
        from warehouse.settings import get_settings

        directory = get_settings().mappings_dir
    try:
        mappings = load_mappings(directory, read_question_bank())
    except MappingError as exc:
        print(exc, file=sys.stderr)
        return 1
    surveys = sorted({m.survey_id for m in mappings})
    mapped = sum(m.status == "mapped" for m in mappings)
    print(f"{directory}: {len(surveys)} survey(s), {len(mappings)} questions ({mapped} mapped to the question bank, "
          f"{len(mappings) - mapped} agency-only): OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
