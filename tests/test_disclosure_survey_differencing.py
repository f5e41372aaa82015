"""Differencing attacks on the survey marts (docs/disclosure.md, rule cell_key_perturbation).

Two publications either side of one added survey response: for many trial respondents (real residents of
the county demo who answered once), the publication without them and the publication with them are built
by the replica in tests/survey_disclosure_replica.py, which is first checked cell by cell against the
marts dbt built. An attacker diffs every published survey cell and guesses the added respondent's
demographics, answers and home area; the attacker's best strategy must do no better than the best guess
from the publication alone (chance). Also ward minus its LSOAs and authority minus its wards."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import duckdb
import pytest

from tests.survey_disclosure_replica import DIMENSIONS, SurveyCells

TRIALS = 300
# The attacker's best hit rate may exceed chance by at most this (sampling noise and the pick of the best of
# up to 28 strategies with hindsight included). Answers and the home LSOA: at chance. Demographics and the ward are
# NOT at chance: a respondent moves the ward and authority cell of their group by +1 in expectation, so each
# of those published cells rises by 5 (rather than falls by 5) 20 % more often than a cell without them;
# measured 7-15 points over chance (docs/disclosure.md), where exact counts give 100 %.
MARGIN = {"answer": 0.03, "lsoa": 0.03, "agency": 0.03, "demographic": 0.20}
THRESHOLDS = (0, 1, 3, 5, 8, 10, 15)  # the attacker only trusts a lead of at least this (picked with hindsight)


@pytest.fixture(scope="module")
def survey(built):
    settings, dbt, _ = built
    assert dbt["success"], dbt["failures"]
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        period = con.execute("SELECT max(period) FROM intermediate.int_survey_wave_keys").fetchone()[0]
        cells = SurveyCells(con, period)
        once = {r for r, in con.execute("""
            SELECT l.resident_key FROM staging.stg_surveys__respondents s
            JOIN intermediate.int_survey_responses_linked l USING (response_key)
            JOIN staging.stg_surveys__questionnaires q USING (survey_id)
            WHERE q.period = ? GROUP BY l.resident_key HAVING count(*) = 1""", [period]).fetchall()}
        marts = {
            "rep": {(lvl, a, d, c): v for lvl, a, d, c, v in con.execute(
                "SELECT area_level, area_code, dimension, category_code, respondents "
                "FROM marts.survey_representation WHERE period = ?", [period]).fetchall()},
            "qol": {(lvl, a, m): (n, p) for lvl, a, m, n, p in con.execute(
                "SELECT area_level, area_code, measure_id, unweighted_n, pct_positive FROM marts.quality_of_life "
                "WHERE period = ?", [period]).fetchall()},
            "responses": dict(con.execute("SELECT lsoa_code, survey_responses FROM marts.area_profiles").fetchall()),
            "qol_agencies": {(lvl, a, m): n for lvl, a, m, n in con.execute(
                "SELECT area_level, area_code, measure_id, contributing_agencies FROM marts.quality_of_life "
                "WHERE period = ? AND NOT is_suppressed", [period]).fetchall()},
            "overlap_agencies": {(lvl, a, m): (names, n) for lvl, a, m, names, n in con.execute(
                "SELECT area_level, area_code, measure_id, agencies_asking, n_agencies_asking "
                "FROM marts.survey_overlap WHERE period = ?", [period]).fetchall()},
            "burden": {(lvl, a): (q, c) for lvl, a, q, c in con.execute(
                "SELECT DISTINCT area_level, area_code, questions_per_resident, canonical_asks_per_resident "
                "FROM marts.survey_overlap WHERE period = ?", [period]).fetchall()},
            "question_asks": {(lvl, a, m): v for lvl, a, m, v in con.execute(
                "SELECT area_level, area_code, measure_id, question_asks FROM marts.survey_overlap "
                "WHERE period = ?", [period]).fetchall()},
            "cons": {(s, sv, q, c): v for s, sv, q, c, v in con.execute(
                "SELECT scope, survey_id, question_id, response_code, response_count FROM marts.consultation_summary "
                "WHERE period = ? AND disclosure_rule = 'cell_key_perturbation'", [period]).fetchall()},
        }
    finally:
        con.close()
    trials = sorted(r for r in once if cells.residents[r].lsoa is not None)
    return cells, random.Random(13).sample(trials, TRIALS), marts


def test_the_replica_publishes_what_dbt_published(survey):
    """The attack below runs on the replica; here it matches the marts cell by cell."""
    cells, _, marts = survey
    for (level, area, dim, cat), cell in cells.rep.items():
        assert marts["rep"][(level, area, dim, cat)] == cells.published(cell)
    checked = 0
    for (level, area, measure), group in cells.qol.items():
        n, pct = marts["qol"][(level, area, measure)]
        assert n == cells.published(group["all"])
        if pct is not None:
            assert pct == pytest.approx(cells.qol_pct(level, area, measure, "positive"), abs=0.051)
            checked += 1
    for key, cell in cells.cons.items():
        if key in marts["cons"]:
            assert marts["cons"][key] == cells.published(cell)
    assert checked > 1000 and len(cells.cons) > 100
    for lsoa, value in marts["responses"].items():
        assert value == cells.survey_responses(lsoa), lsoa
    # the agencies a cell counts or names: those whose published count reaches survey_estimate_min_base
    for key, n in marts["qol_agencies"].items():
        assert n == len(cells.agencies("quality_of_life", *key)), key
    for key, (names, n) in marts["overlap_agencies"].items():
        expected = cells.agencies("survey_overlap", *key)
        assert n == len(expected) and (names or "") == ",".join(sorted(expected)), key
    assert len(marts["qol_agencies"]) > 1000 and len(marts["overlap_agencies"]) > 100
    # survey_overlap question_asks and the per-area questions_per_resident / canonical_asks_per_resident
    for (level, area, measure), value in marts["question_asks"].items():
        key = (level, area, measure)
        assert value == cells.published(cells.overlap_asked[key]) + cells.published(cells.overlap_dup[key]), key
    assert len(marts["burden"]) == len(cells.surveyed) > 30  # the partnership, 6 authorities, 30 wards
    for area, (questions, canonical) in marts["burden"].items():
        expected = cells.burden(*area)
        assert (questions is None) == (expected[0] is None), area
        if questions is not None:
            assert questions == pytest.approx(expected[0], abs=0.0051), area
            assert canonical == pytest.approx(expected[1], abs=0.0051), area


def _best_guess(scores: dict[str, float], prior: str, threshold: float) -> str:
    """The attacker's guess: the option whose published cell moved most, if it leads by the threshold,
    else the prior guess (the most common option as published)."""
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0] != prior))
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < max(threshold, 1e-9):
        return prior
    return ranked[0][0]


class Tally:
    """Hits per strategy for one attribute; chance is the prior guess, the attack the best strategy."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.trials = 0

    def record(self, truth: str, prior: str, scores_by_strategy: dict[str, dict[str, float]]) -> None:
        self.trials += 1
        self.hits["chance"] += prior == truth
        for strategy, scores in scores_by_strategy.items():
            for t in THRESHOLDS:
                self.hits[f"{strategy}@{t}"] += _best_guess(scores, prior, t) == truth

    def rates(self) -> tuple[float, float, str]:
        best = max((k for k in self.hits if k != "chance"), key=lambda k: self.hits[k])
        return self.hits["chance"] / self.trials, self.hits[best] / self.trials, best


def _attack(cells: SurveyCells, trials: list[str], exact: bool) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    wards = sorted({a for (lvl, a, _, _) in cells.rep if lvl == "ward"})
    lsoas = sorted({a for (lvl, a, _) in cells.qol if lvl == "lsoa"})
    ward_cells = defaultdict(list)
    for (lvl, area, _, _), cell in cells.rep.items():
        if lvl == "ward":
            ward_cells[area].append(cell)
    qol_n = defaultdict(list)
    for (lvl, area, _), group in cells.qol.items():
        qol_n[(lvl, area)].append(group["all"])
    size = {w: sum(cells.published(c) for c in ward_cells[w]) for w in wards}
    # which agency a respondent answered: public are the agencies whose questionnaires ask each measure
    # (survey_overlap.agencies_needing) and how many residents each agency surveyed (its own report)
    asking = defaultdict(set)
    for (lvl, _, measure), by_agency in cells.agency["survey_overlap"].items():
        if lvl == "partnership":
            asking[measure] |= set(by_agency)
    agency_names = sorted(set().union(*asking.values()))
    surveyed = Counter(a for res in cells.residents.values() for a in res.agencies)
    agency_prior = max(agency_names, key=lambda a: (surveyed[a], a))
    qol_measures = sorted({m for (_, _, m) in cells.qol})
    lsoa_size = {a: sum(cells.published(c) for c in qol_n[("lsoa", a)]) for a in lsoas}
    for rk in trials:
        r = cells.residents[rk]

        def delta(cell, _r=r):
            return cells.published(cell, exact=exact) - cells.published(cell, _r, exact=exact)

        # demographics, the attacker knowing the respondent's ward and authority (a neighbour)
        for dim in DIMENSIONS:
            if dim not in r.demographics:
                continue
            cats = sorted({c for (lvl, a, d, c) in cells.rep if lvl == "ward" and a == r.ward and d == dim})
            by_level = {lvl: {c: delta(cells.rep[(lvl, area, dim, c)]) for c in cats}
                        for lvl, area in (("ward", r.ward), ("lad", r.lad))}
            prior = max(cats, key=lambda c: cells.published(cells.rep[("ward", r.ward, dim, c)]))
            tallies[dim].record(r.demographics[dim], prior, {
                **by_level, "both": {c: by_level["ward"][c] + by_level["lad"][c] for c in cats}})
        # quality-of-life answers (positive / neutral / negative), knowing the respondent's LSOA
        for measure, (valence, _) in r.qol.items():
            areas = (("lsoa", r.lsoa), ("ward", r.ward), ("lad", r.lad))
            moves = {}
            for lvl, area in areas:
                n = cells.qol[(lvl, area, measure)]["all"].n
                pos = [cells.qol_pct(lvl, area, measure, v, who, exact) for v in ("positive", "negative")
                       for who in (None, r)]
                if None in pos:
                    continue
                moves[lvl] = (n * (pos[0] - pos[1]) / 100, n * (pos[2] - pos[3]) / 100)
            if not moves:
                continue
            strategies = {lvl: {"positive": p, "negative": q, "neutral": -(p + q)} for lvl, (p, q) in moves.items()}
            total = (sum(p for p, _ in moves.values()), sum(q for _, q in moves.values()))
            strategies["all"] = {"positive": total[0], "negative": total[1], "neutral": -sum(total)}
            lp, ln_ = (cells.qol_pct("lsoa", r.lsoa, measure, v, exact=exact) or 0 for v in ("positive", "negative"))
            prior = max({"positive": lp, "negative": ln_, "neutral": 100 - lp - ln_}.items(), key=lambda kv: kv[1])[0]
            tallies["quality_of_life answer"].record(valence, prior, strategies)
        # consultation answers: every question of the survey answered, and the canonical measures
        for (survey, question), code in r.answers.items():
            scope = "canonical_measure" if survey == "all_surveys" else "survey_question"
            codes = [k[3] for k in cells.cons if k[:3] == (scope, survey, question)]
            if len(codes) < 2:
                continue
            moves = {c: delta(cells.cons[(scope, survey, question, c)]) for c in codes}
            prior = max(codes, key=lambda c: cells.published(cells.cons[(scope, survey, question, c)]))
            tallies[f"{scope} answer"].record(code, prior, {"count": moves})
        # which agency they answered (they answered one questionnaire), knowing their LSOA, ward and authority,
        # from survey_overlap.agencies_asking (names) and quality_of_life.contributing_agencies (counts; an
        # attacker credits a rise in the count to every agency asking the measure). Counts are taken as
        # published even where the mart withholds them with the estimate (a stronger attacker).
        if len(r.agencies) == 1:
            overlap, qol = dict.fromkeys(agency_names, 0.0), dict.fromkeys(agency_names, 0.0)
            for measure in asking:
                for lvl, area in (("partnership", "all"), ("lad", r.lad or "unplaced"), ("ward", r.ward)):
                    now = cells.agencies("survey_overlap", lvl, area, measure, exact=exact)
                    then = cells.agencies("survey_overlap", lvl, area, measure, r, exact)
                    for a in now - then:
                        overlap[a] += 1
                    for a in then - now:
                        overlap[a] -= 1
            for measure in qol_measures:
                for lvl, area in (("lsoa", r.lsoa), ("ward", r.ward), ("lad", r.lad)):
                    move = (len(cells.agencies("quality_of_life", lvl, area, measure, exact=exact))
                            - len(cells.agencies("quality_of_life", lvl, area, measure, r, exact)))
                    for a in asking[measure]:
                        qol[a] += move
            tallies["agency answered"].record(next(iter(r.agencies)), agency_prior, {
                "agencies_asking": overlap, "contributing_agencies": qol,
                "both": {a: overlap[a] + qol[a] for a in agency_names}})
        # where they live, knowing nothing: the ward (representation + quality-of-life bases), the LSOA
        ward_moves = {w: sum(delta(c) for c in ward_cells[w]) + sum(delta(c) for c in qol_n[("ward", w)])
                      for w in wards}
        tallies["ward"].record(r.ward, max(wards, key=size.get), {"sum": ward_moves})
        lsoa_moves = {a: sum(delta(c) for c in qol_n[("lsoa", a)]) for a in lsoas}
        # area_profiles.survey_responses (responses of every period, per LSOA)
        response_moves = {a: cells.survey_responses(a, exact=exact) - cells.survey_responses(a, r, exact)
                          for a in lsoas}
        tallies["lsoa"].record(r.lsoa, max(lsoas, key=lsoa_size.get), {
            "sum": lsoa_moves, "area_profiles": response_moves,
            "both": {a: lsoa_moves[a] + response_moves[a] for a in lsoas}})
    return tallies


def _burden_attack(cells: SurveyCells, trials: list[str], legacy: bool) -> Tally:
    """Which agency a respondent answered, from survey_overlap.questions_per_resident and
    canonical_asks_per_resident of their ward, authority and the partnership (legacy: the ratios of the exact
    counts, as published before; the other counts as published now). The attacker knows the public
    questionnaires (questions and canonical measures of each agency's), the true number of residents surveyed
    in each area before the response (a stronger attacker) and the published question_asks of every measure,
    and scores each agency by how far the questions and measures it would have added are from:
      implied    the ratios' move times the residents surveyed: r_after × (n + 1) − r_before × n
      recovered  the published residents surveyed recovered as sum(question_asks) / canonical_asks_per_resident
                 (a multiple of 5), then the published questions and canonical asks before and after (both;
                 the questions alone; the agency-only questions, questions minus canonical asks)
    at each level and summed over the three."""
    tally = Tally()
    surveyed = Counter(a for res in cells.residents.values() for a in res.agencies)
    prior = max(cells.questionnaire, key=lambda a: (surveyed[a], a))

    for rk in trials:
        r = cells.residents[rk]
        if len(r.agencies) != 1:
            continue
        scores: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(cells.questionnaire, 0.0))
        for level, area in cells.overlap_areas(r):
            (q1, c1), (q0, c0) = cells.burden(level, area, legacy=legacy), cells.burden(level, area, r, legacy)
            if None in (q0, c0, q1, c1):
                continue
            n = cells.surveyed[(level, area)].n - 1
            implied = (q1 * (n + 1) - q0 * n, c1 * (n + 1) - c0 * n)
            a0, a1 = cells.canonical_asks(level, area, r), cells.canonical_asks(level, area)
            pn0, pn1 = (5 * round(a / c / 5) if c else 0 for a, c in ((a0, c0), (a1, c1)))
            recovered = (q1 * pn1 - q0 * pn0, a1 - a0)
            for agency, (questions, measures) in cells.questionnaire.items():
                for method, miss in (
                        ("implied", abs(implied[0] - questions) + abs(implied[1] - measures)),
                        ("recovered", abs(recovered[0] - questions) + abs(recovered[1] - measures)),
                        ("recovered questions", abs(recovered[0] - questions)),
                        ("recovered agency-only questions",
                         abs(recovered[0] - recovered[1] - (questions - measures)))):
                    scores[f"{method}:{level}"][agency] -= miss
                    scores[f"{method}:all"][agency] -= miss
        tally.record(next(iter(r.agencies)), prior, dict(scores))
    return tally


@pytest.fixture(scope="module")
def attacks(survey):
    cells, trials, _ = survey
    return _attack(cells, trials, exact=False), _attack(cells, trials[:60], exact=True)


def test_differencing_after_one_added_response_is_no_better_than_chance(attacks, capsys):
    perturbed, exact = attacks
    with capsys.disabled():
        print(f"\nsurvey differencing, one added response ({TRIALS} trial respondents): attribute: chance → "
              "best attack (strategy) | with exact counts")
        for name, tally in sorted(perturbed.items()):
            chance, best, how = tally.rates()
            exact_chance, exact_best, _ = exact[name].rates()
            print(f"  {name}: {100 * chance:.1f} % → {100 * best:.1f} % ({how}) | exact "
                  f"{100 * exact_chance:.1f} % → {100 * exact_best:.1f} % over {tally.trials} guesses")
    for name, tally in perturbed.items():
        chance, best, _ = tally.rates()
        kind = ("answer" if name.endswith(" answer") else "agency" if name == "agency answered"
                else "lsoa" if name == "lsoa" else "demographic")
        assert best <= chance + MARGIN[kind], (name, chance, best)
    # the same attacker against exact counts (what threshold_secondary published for every cell of 10+)
    for name in ("sex", "age_band", "ethnic_group", "imd_decile", "ward", "survey_question answer"):
        assert exact[name].rates()[1] > 0.95, name


def test_burden_ratios_do_not_say_which_agency_was_answered(survey, capsys):
    """survey_overlap.questions_per_resident / canonical_asks_per_resident: from exact counts (as before) one
    added response moved them by its questionnaire's length over the area's residents, which named the
    agency; from published counts the move is re-drawn."""
    cells, trials, _ = survey
    now, before = _burden_attack(cells, trials, legacy=False), _burden_attack(cells, trials, legacy=True)
    with capsys.disabled():
        for name, tally in (("as published", now), ("from exact counts (before)", before)):
            chance, best, how = tally.rates()
            print(f"\nagency answered, from questions_per_resident / canonical_asks_per_resident {name}: "
                  f"{100 * chance:.1f} % → {100 * best:.1f} % ({how}) over {tally.trials} respondents")
    chance, best, _ = now.rates()
    assert best <= chance + MARGIN["agency"], (chance, best)
    chance, best, _ = before.rates()
    assert best > chance + 0.10, (chance, best)


def test_geography_differencing_recovers_few_counts(survey, capsys):
    """Ward minus the sum of its other LSOAs (quality_of_life bases) and authority minus its other wards
    (quality_of_life bases, survey_representation counts) estimate a cell: exact for every cell with exact
    counts; with perturbation and rounding rarely exact, and never known to be."""
    cells, _, _ = survey
    parent = {}
    for r in cells.residents.values():
        if r.lsoa is not None:
            parent[("lsoa", r.lsoa)], parent[("ward", r.ward)] = ("ward", r.ward), ("lad", r.lad)
    families = defaultdict(list)  # (table, parent level, parent area, rest of the key) -> child cells
    for (level, area, measure), group in cells.qol.items():
        if level != "lad":
            families[("quality_of_life bases", *parent[(level, area)], measure)].append(group["all"])
    for (level, area, dim, cat), cell in cells.rep.items():
        if level == "ward":
            families[("survey_representation", *parent[(level, area)], dim, cat)].append(cell)
    tops = {("quality_of_life bases", lvl, area, m): g["all"] for (lvl, area, m), g in cells.qol.items()}
    tops |= {("survey_representation", lvl, area, d, c): cell for (lvl, area, d, c), cell in cells.rep.items()}
    results = defaultdict(lambda: [0, 0, 0, 0])  # exact, cells, small exact, small
    for family, kids in families.items():
        top = cells.published(tops[family]) if family in tops else 0
        published = [cells.published(k) for k in kids]
        how = "ward minus its other LSOAs" if family[1] == "ward" else "authority minus its other wards"
        name = f"{family[0]}, {how}"
        for i, kid in enumerate(kids):
            estimate = top - (sum(published) - published[i])
            tally = results[name]
            tally[0] += estimate == kid.n
            tally[1] += 1
            if 1 <= kid.n <= 9:
                tally[2] += estimate == kid.n
                tally[3] += 1
    with capsys.disabled():
        for name, (exact, total, small_exact, small) in sorted(results.items()):
            print(f"\ngeography differencing, {name}: {exact} of {total} cells exact "
                  f"({100 * exact / total:.1f} %); small (1–9): {small_exact} of {small}")
    assert len(results) == 3
    for exact, total, _, _ in results.values():
        assert total > 100 and exact / total < 0.35


def test_accuracy_cost_of_survey_perturbation(survey, capsys):
    """docs/disclosure.md quotes these: mean |published − true| of survey counts and of QoL percentages."""
    cells, _, _ = survey
    changes = {
        "survey_representation respondents": [abs(cells.published(c) - c.n) for c in cells.rep.values()],
        "quality_of_life unweighted_n": [abs(cells.published(g["all"]) - g["all"].n) for g in cells.qol.values()],
        "consultation_summary response_count": [abs(cells.published(c) - c.n) for c in cells.cons.values()],
    }
    pct = defaultdict(list)
    for (lvl, area, measure), group in cells.qol.items():
        if cells.published(group["all"]) < 10:
            continue  # withheld (small_base)
        published = cells.qol_pct(lvl, area, measure, "positive")
        truth = cells.qol_pct(lvl, area, measure, "positive", exact=True)
        pct[lvl].append(abs(published - truth))
    means = {name: sum(v) / len(v) for name, v in changes.items()}
    pct_means = {lvl: sum(v) / len(v) for lvl, v in pct.items()}
    with capsys.disabled():
        print("\nsurvey perturbation accuracy cost (mean |published − true|): "
              + ", ".join(f"{name} {m:.2f} over {len(changes[name])} cells" for name, m in means.items())
              + "; quality_of_life % positive (points): "
              + ", ".join(f"{lvl} {m:.2f} over {len(pct[lvl])} cells" for lvl, m in pct_means.items()))
    assert all(m < 2.0 for m in means.values())
    assert pct_means["lad"] < 0.5 and pct_means["ward"] < 2.0 and pct_means["lsoa"] < 12
