"""A Python replica of the survey marts' published counts (macros/disclosure.sql survey_cell_key /
survey_count), built from the private resident-level tables, for differencing attacks: the cells of a
publication with and without one respondent (tests/test_disclosure_survey_differencing.py)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from analytics.ptable import MAX_PCV, adjustment

ROUNDING_BASE = 5  # dbt var survey_rounding_base
ESTIMATE_MIN_BASE = 10  # dbt var survey_estimate_min_base
DIMENSIONS = {"age_band": "age_band_code", "sex": "sex_code", "ethnic_group": "ethnic_group_code",
              "imd_decile": "imd_decile"}
_ADJ = {(pcv, key): adjustment(pcv, key) for pcv in range(1, MAX_PCV + 1) for key in range(256)}


def survey_count(n: int, cell_key: int) -> int:
    """survey_count(): the ptable adjustment, then rounding to the nearest multiple of 5; 0 stays 0."""
    if n == 0:
        return 0
    return ROUNDING_BASE * round((n + _ADJ[(min(n, MAX_PCV), cell_key)]) / ROUNDING_BASE)


@dataclass
class Cell:
    """A private count with its record keys summed (not yet mod 256, not yet with the wave key)."""

    n: int = 0
    keys: int = 0
    members: set[str] = field(default_factory=set)
    weights: dict[str, int] = field(default_factory=dict)  # how often each member is counted

    def add(self, resident: str, key: int, weight: int = 1) -> None:
        """Count the resident `weight` times (their record key as often), e.g. once per question put."""
        self.n += weight
        self.keys += weight * key
        self.members.add(resident)
        self.weights[resident] = self.weights.get(resident, 0) + weight


@dataclass
class Resident:
    key: str
    record_key: int
    lsoa: str | None
    ward: str | None
    lad: str | None
    demographics: dict[str, str]
    qol: dict[str, tuple[str, float]]  # measure -> (valence, weight)
    answers: dict[tuple[str, str], str]  # (survey, question) -> code
    agencies: set[str] = field(default_factory=set)  # agencies whose questionnaires the resident answered
    response_lsoas: list[str] = field(default_factory=list)  # the LSOA of each of their responses this period


class SurveyCells:
    """Every survey count the marts publish for one period, as private cells keyed like the marts."""

    def __init__(self, con, period: str) -> None:
        self.period = period
        rows = con.execute("""
            SELECT p.resident_key, k.record_key, p.lsoa_code, p.ward_code, p.lad_code, p.age_band_code,
                   p.sex_code, p.ethnic_group_code, cast(p.imd_decile AS VARCHAR)
            FROM intermediate.int_survey_residents_profiled p
            JOIN intermediate.int_survey_resident_record_keys k USING (resident_key)
            WHERE p.period = ?""", [period]).fetchall()
        self.residents: dict[str, Resident] = {}
        for rk, key, lsoa, ward, lad, age, sex, eth, imd in rows:
            demo = {"age_band": age if age != "1" else None, "sex": sex, "ethnic_group": eth, "imd_decile": imd}
            self.residents[rk] = Resident(rk, key, lsoa, ward, lad, {d: v for d, v in demo.items() if v}, {}, {})
        self.wave_keys = sum(r.record_key for r in self.residents.values())
        self.rep: dict[tuple, Cell] = defaultdict(Cell)
        for r in self.residents.values():
            if r.lsoa is None:
                continue
            for dim, cat in r.demographics.items():
                self.rep[("ward", r.ward, dim, cat)].add(r.key, r.record_key)
                self.rep[("lad", r.lad, dim, cat)].add(r.key, r.record_key)
        for rk, agency in con.execute("""
                SELECT DISTINCT l.resident_key, q.agency FROM staging.stg_surveys__respondents s
                JOIN intermediate.int_survey_responses_linked l USING (response_key)
                JOIN staging.stg_surveys__questionnaires q USING (survey_id)
                WHERE q.period = ?""", [period]).fetchall():
            if rk in self.residents:
                self.residents[rk].agencies.add(agency)
        # area_profiles.survey_responses: responses of every period per LSOA of the response, keyed by the
        # respondent's record key, plus the responses key (every response counted)
        self.responses: dict[str, Cell] = defaultdict(Cell)
        for rk, lsoa, key, period_ in con.execute("""
                SELECT l.resident_key, s.lsoa_code, k.record_key, q.period FROM staging.stg_surveys__respondents s
                JOIN intermediate.int_survey_responses_linked l USING (response_key)
                JOIN intermediate.int_survey_resident_record_keys k USING (resident_key)
                JOIN staging.stg_surveys__questionnaires q USING (survey_id)
                WHERE s.lsoa_code IS NOT NULL""").fetchall():
            self.responses[lsoa].add(rk, key)
            if period_ == period and rk in self.residents:
                self.residents[rk].response_lsoas.append(lsoa)
        self.responses_key = sum(c.keys for c in self.responses.values())
        # residents per agency in each cell (int_survey_agency_cells): kept answers (quality_of_life) and
        # residents asked (survey_overlap)
        self.agency: dict[str, dict[tuple, dict[str, Cell]]] = {
            "quality_of_life": defaultdict(lambda: defaultdict(Cell)),
            "survey_overlap": defaultdict(lambda: defaultdict(Cell))}
        for rk, measure, agency in con.execute("""
                SELECT DISTINCT resident_key, measure_id, agency FROM intermediate.int_survey_measure_asks
                WHERE period = ?""", [period]).fetchall():
            r = self.residents.get(rk)
            if r is None:
                continue  # not profiled in the period (the marts' inner join drops them too)
            for level, area in self.overlap_areas(r):
                self.agency["survey_overlap"][(level, area, measure)][agency].add(rk, r.record_key)
        # survey_overlap per (level, area, measure): residents asked and their duplicate asks (a count of asks
        # keyed by the residents asked more than once, offset by 128; trial respondents, who answered once, are
        # never in it); per (level, area): residents surveyed and asks of questions that are not canonical
        # measures (each resident's key once per such question), behind questions_per_resident and
        # canonical_asks_per_resident
        self.overlap_asked: dict[tuple, Cell] = defaultdict(Cell)
        self.overlap_dup: dict[tuple, Cell] = defaultdict(Cell)
        self.surveyed: dict[tuple, Cell] = defaultdict(Cell)
        self.other_asks: dict[tuple, Cell] = defaultdict(Cell)
        for rk, measure, asks in con.execute("""
                SELECT resident_key, measure_id, asks FROM intermediate.int_survey_measures_deduplicated
                WHERE period = ?""", [period]).fetchall():
            r = self.residents.get(rk)
            if r is None:
                continue
            for area in self.overlap_areas(r):
                self.overlap_asked[(*area, measure)].add(rk, r.record_key)
                if asks > 1:
                    dup = self.overlap_dup[(*area, measure)]
                    dup.n, dup.keys = dup.n + asks - 1, dup.keys + r.record_key
        for key in self.overlap_dup:
            self.overlap_dup[key].keys += 128
        for r in self.residents.values():
            for area in self.overlap_areas(r):
                self.surveyed[area].add(r.key, r.record_key)
        # the public questionnaires: questions and canonical measures of each agency's survey(s)
        self.questionnaire: dict[str, tuple[int, int]] = {}
        other: dict[str, int] = {}
        for survey, agency, questions, measures in con.execute("""
                SELECT qn.survey_id, qn.agency,
                       (SELECT count(*) FROM staging.stg_surveys__questions q WHERE q.survey_id = qn.survey_id),
                       (SELECT count(DISTINCT m.measure_id) FROM staging.stg_surveys__question_mappings m
                        JOIN staging.stg_surveys__questions q USING (survey_id, question_id)
                        WHERE m.survey_id = qn.survey_id AND m.mapping_status = 'mapped')
                FROM staging.stg_surveys__questionnaires qn WHERE qn.period = ?""", [period]).fetchall():
            self.questionnaire[agency] = (questions, measures)
            other[survey] = questions - measures
        for rk, survey in con.execute("""
                SELECT l.resident_key, s.survey_id FROM staging.stg_surveys__respondents s
                JOIN intermediate.int_survey_responses_linked l USING (response_key)
                JOIN staging.stg_surveys__questionnaires q USING (survey_id)
                WHERE q.period = ?""", [period]).fetchall():
            r = self.residents.get(rk)
            if r is not None and other[survey]:
                for area in self.overlap_areas(r):
                    self.other_asks[area].add(rk, r.record_key, other[survey])
        self.qol: dict[tuple, dict[str, Cell]] = defaultdict(lambda: defaultdict(Cell))
        self.qol_weights: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for rk, measure, valence, weight, kept_agency in con.execute("""
                SELECT d.resident_key, d.measure_id, d.valence, w.weight, d.kept_agency
                FROM intermediate.int_survey_measures_deduplicated d
                JOIN intermediate.int_survey_residents_weighted w USING (resident_key, period)
                WHERE d.period = ? AND d.valence IN ('positive', 'neutral', 'negative')
                  AND d.measure_id IN (SELECT measure_id FROM ref.question_bank_measures
                                       WHERE domain = 'quality_of_life')""", [period]).fetchall():
            r = self.residents[rk]
            if r.lsoa is None:
                continue
            r.qol[measure] = (valence, weight)
            for level, area in (("lsoa", r.lsoa), ("ward", r.ward), ("lad", r.lad)):
                cells, weights = self.qol[(level, area, measure)], self.qol_weights[(level, area, measure)]
                cells["all"].add(rk, r.record_key)
                weights["all"] += weight
                self.agency["quality_of_life"][(level, area, measure)][kept_agency].add(rk, r.record_key)
                if valence != "neutral":
                    cells[valence].add(rk, r.record_key)
                    weights[valence] += weight
        self.cons: dict[tuple, Cell] = defaultdict(Cell)
        for survey, question, code, rk in con.execute("""
                SELECT a.survey_id, a.question_id, a.answer_code, l.resident_key
                FROM staging.stg_surveys__answers a
                JOIN intermediate.int_survey_responses_linked l USING (response_key)
                JOIN staging.stg_surveys__questionnaires q USING (survey_id)
                WHERE q.period = ? AND a.answer_code IS NOT NULL""", [period]).fetchall():
            self.cons[("survey_question", survey, question, code)].add(rk, self.residents[rk].record_key)
            self.residents[rk].answers[(survey, question)] = code
        for rk, measure, code in con.execute("""
                SELECT resident_key, measure_id, canonical_code FROM intermediate.int_survey_measures_deduplicated
                WHERE period = ? AND canonical_code IS NOT NULL""", [period]).fetchall():
            self.cons[("canonical_measure", "all_surveys", measure, code)].add(rk, self.residents[rk].record_key)
            self.residents[rk].answers[("all_surveys", measure)] = code

    @staticmethod
    def overlap_areas(r: Resident) -> list[tuple[str, str]]:
        """The survey_overlap areas of a resident: the partnership, their authority ('unplaced'), their ward."""
        return [("partnership", "all"), ("lad", r.lad or "unplaced")] + ([("ward", r.ward)] if r.ward else [])

    def published(self, cell: Cell, without: Resident | None = None, exact: bool = False) -> int:
        """The published value of a cell, or of the same cell in the publication before `without` responded
        (exact: the true count, as threshold_secondary published every cell of 10 or more)."""
        n, keys, wave = cell.n, cell.keys, self.wave_keys
        if without is not None:
            wave -= without.record_key
            if without.key in cell.members:
                w = cell.weights[without.key]
                n, keys = n - w, keys - w * without.record_key
        return n if exact else survey_count(n, (keys + wave) % 256)

    def agencies(self, mart: str, level: str, area: str, measure: str, without: Resident | None = None,
                 exact: bool = False) -> set[str]:
        """The agencies a cell names (survey_overlap.agencies_asking) or counts (quality_of_life.
        contributing_agencies): those whose published count of residents in the cell reaches
        survey_estimate_min_base (exact: every agency with a resident there, as before)."""
        cells = self.agency[mart].get((level, area, measure), {})
        return {a for a, cell in cells.items()
                if self.published(cell, without, exact) >= (1 if exact else ESTIMATE_MIN_BASE)}

    def survey_responses(self, lsoa: str, without: Resident | None = None, exact: bool = False) -> int:
        """area_profiles.survey_responses of an LSOA, or in the publication before `without` responded
        (once in the period)."""
        cell = self.responses.get(lsoa, Cell())
        n, keys, total = cell.n, cell.keys, self.responses_key
        if without is not None:
            total -= without.record_key * len(without.response_lsoas)
            for at in without.response_lsoas:
                if at == lsoa:
                    n, keys = n - 1, keys - without.record_key
        return n if exact else survey_count(n, (keys + total) % 256)

    def qol_pct(self, level: str, area: str, measure: str, valence: str, without: Resident | None = None,
                exact: bool = False) -> float | None:
        """The published % positive (negative) of a quality_of_life cell: weighted %, moved by 100 × the
        perturbation of its positive (negative) count / base (weights as built; a rebuild would re-rake)."""
        cells, weights = self.qol[(level, area, measure)], self.qol_weights[(level, area, measure)]
        n, w_all, w_val = cells["all"].n, weights["all"], weights[valence]
        count, keys, wave = cells[valence].n, cells[valence].keys, self.wave_keys
        if without is not None:
            wave -= without.record_key
            if without.key in cells["all"].members:
                v, w = without.qol[measure]
                n, w_all = n - 1, w_all - w
                if v == valence:
                    count, keys, w_val = count - 1, keys - without.record_key, w_val - w
        if n == 0:
            return None
        shift = 0.0 if exact else 100.0 * (survey_count(count, (keys + wave) % 256) - count) / n
        return min(max(100.0 * w_val / w_all + shift, 0.0), 100.0)

    def canonical_asks(self, level: str, area: str, without: Resident | None = None, exact: bool = False) -> int:
        """An area's survey_overlap.question_asks summed over its measures (published, or exact)."""
        if not hasattr(self, "_measures"):
            self._measures: dict[tuple, list[tuple]] = defaultdict(list)
            for k in self.overlap_asked:
                self._measures[k[:2]].append(k)
        return sum(self.published(self.overlap_asked[k], without, exact)
                   + self.published(self.overlap_dup[k], without, exact) for k in self._measures[(level, area)])

    def burden(self, level: str, area: str, without: Resident | None = None,
               legacy: bool = False) -> tuple[float | None, float | None]:
        """survey_overlap.questions_per_resident and canonical_asks_per_resident of an area, as published: the
        area's published question_asks summed over its measures (+ its published asks of other questions) over
        its published residents surveyed, 2 decimals, NULL under survey_estimate_min_base published residents
        (legacy: from the exact counts, NULL under 10 residents, as published before)."""
        canonical = self.canonical_asks(level, area, without, legacy)
        other = self.published(self.other_asks[(level, area)], without, legacy)
        surveyed = self.published(self.surveyed[(level, area)], without, legacy)
        if surveyed < ESTIMATE_MIN_BASE:
            return None, None
        return _round2((canonical + other) / surveyed), _round2(canonical / surveyed)


def _round2(x: float) -> float:
    """DuckDB round(x, 2): half away from zero (x >= 0 here)."""
    return math.floor(x * 100 + 0.5 + 1e-9) / 100
