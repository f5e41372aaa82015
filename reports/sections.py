"""The sections of an area page (ward or authority), each a picture first with its numbers beside it."""

from __future__ import annotations

from collections import Counter, namedtuple
from dataclasses import dataclass, field
from html import escape

import pandas as pd

from reports.geometry import rings_of
from reports.html import Markup, figure, fmt, link, table
from reports.palette import AREA, AUTHORITY, CATEGORICAL, DECILES, PARTNERSHIP, TINTS
from reports.svg import Interval, Point, Shape, area_map, grouped_bars, intervals, ratio_bars

DIMENSION_TITLES = {"age_band": "Age", "sex": "Sex", "ethnic_group": "Ethnic group", "imd_decile": "Deprivation"}


@dataclass
class Area:
    level: str  # ward | lad
    code: str
    name: str
    lad_code: str
    lad_name: str
    wards: list[tuple[str, str]] = field(default_factory=list)  # (code, name) for an authority

    @property
    def kind(self) -> str:
        return "ward" if self.level == "ward" else "authority"

    @property
    def url(self) -> str:
        return f"{'ward' if self.level == 'ward' else 'authority'}/{self.code}.html"


def _is_na(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT


def _num(v: object) -> float | None:
    return None if _is_na(v) else float(v)  # type: ignore[arg-type]


_GROUPS: dict[tuple[int, tuple[str, ...]], tuple[pd.DataFrame, dict]] = {}  # one build's row index per frame


def clear_caches() -> None:
    """Forget the row indexes and shares of the last build (call at the start and end of a build)."""
    _GROUPS.clear()
    _SHARES.clear()


def _rows(frame: pd.DataFrame, **where: object) -> pd.DataFrame:
    """Rows where every column equals its value, in their original order.

    A page asks the same frame for many areas, so each (frame, columns) is grouped once and each lookup
    is a dictionary hit instead of a scan (at England scale, 7,300 pages × ~15 lookups).
    """
    cols = tuple(where)
    hit = _GROUPS.get((id(frame), cols))
    if hit is None or hit[0] is not frame:  # the frame is kept in the entry, so its id cannot be reused
        groups = frame.groupby(list(cols), sort=False, dropna=False).indices if len(frame) else {}
        hit = _GROUPS[(id(frame), cols)] = (frame, groups)
    positions = hit[1].get(tuple(where.values()) if len(cols) > 1 else where[cols[0]])
    return frame.iloc[positions] if positions is not None else frame.iloc[:0]


def records(frame: pd.DataFrame) -> list:
    """The rows as named tuples, like ``itertuples(index=False)`` but column by column (pandas 3's
    ``itertuples`` takes every column with ``iloc`` on each call, most of a page's build time)."""
    row = namedtuple("Row", [str(c) for c in frame.columns], rename=True)  # type: ignore[misc]
    return [row(*values) for values in zip(*(frame[c].tolist() for c in frame.columns), strict=True)]


def by_category(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort by dimension, then category code numerically where it is a number (decile 2 before 10)."""
    key = pd.to_numeric(frame["category_code"], errors="coerce")
    return frame.assign(_k=key.fillna(1e9), _c=frame["category_code"].astype(str)).sort_values(
        ["dimension", "_k", "_c"]).drop(columns=["_k", "_c"])


def latest(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the latest period only (periods sort as text: 2025, 2025-Q3 …)."""
    if frame.empty or "period" not in frame.columns:
        return frame
    return frame[frame["period"] == frame["period"].dropna().astype(str).max()]


# --- who lives here -------------------------------------------------------------------------------------

_SHARES: dict[tuple[int, str, str | None], tuple[pd.DataFrame, dict[tuple[str, str], float]]] = {}


def population_shares(rep: pd.DataFrame, level: str, code: str | None) -> dict[tuple[str, str], float]:
    """(dimension, category label) → % of residents, from survey_representation's census populations.

    Remembered per build: every ward page of an authority compares with the same authority and partnership."""
    hit = _SHARES.get((id(rep), level, code))
    if hit is None or hit[0] is not rep:
        hit = _SHARES[(id(rep), level, code)] = (rep, _population_shares(rep, level, code))
    return hit[1]


def _population_shares(rep: pd.DataFrame, level: str, code: str | None) -> dict[tuple[str, str], float]:
    if level == "partnership":  # the partnership's own rows, else the sum of its authorities
        rows = rep[rep["area_level"] == "partnership"]
        rows = rows if not rows.empty else rep[rep["area_level"] == "lad"]
    else:
        rows = _rows(rep, area_level=level, area_code=code)
    rows = latest(rows)
    pops = rows.groupby(["dimension", "category_code", "category_label"], dropna=False)["population"].sum()
    out: dict[tuple[str, str], float] = {}
    for dim, sub in pops.groupby(level=0):
        total = float(sub.sum())
        for (_, _, label), v in sub.items():
            out[(dim, str(label))] = 100.0 * float(v) / total if total else 0.0
    return out


def who_lives_here(area: Area, pub: dict[str, pd.DataFrame], comparators: list[tuple[str, str, str, str | None]],
                   profiles: pd.DataFrame) -> str:
    rep = pub["survey_representation"]
    series = [(name, colour) for name, colour, _, _ in comparators]
    shares = {name: population_shares(rep, lvl, code) for name, _, lvl, code in comparators}
    total = int(profiles["population_total"].fillna(0).sum())
    lsoas = len(profiles)
    out = [f'<section id="who"><h2>Who lives here</h2><p class="lede">{fmt(total)} residents (Census 2021) in '
           f'{lsoas} neighbourhoods (LSOAs). Each chart compares {escape(area.name)} with '
           f'{" and ".join(escape(n) for n, *_ in comparators[1:])}.</p>']
    area_rows = latest(_rows(rep, area_level=area.level, area_code=area.code))
    order = by_category(area_rows.drop_duplicates(["dimension", "category_code"]))
    for dim, sub in order.groupby("dimension", sort=False):
        cats = [str(c) for c in sub["category_label"]]
        values = {(c, name): shares[name].get((dim, c)) for c in cats for name, *_ in comparators}
        title = f"{DIMENSION_TITLES.get(dim, dim)}: share of residents"
        desc = "; ".join(f"{c}: " + ", ".join(f"{n} {fmt(values[(c, n)], 1, '%')}" for n, *_ in comparators)
                         for c in cats)
        svg = grouped_bars(title, desc, cats, series, values)
        data = table(title, ["Group", *[n for n, *_ in comparators]],
                     [[c, *[fmt(values[(c, n)], 1, "%") for n, *_ in comparators]] for c in cats],
                     [False, *[True] * len(comparators)])
        out.append(f"<h3>{escape(DIMENSION_TITLES.get(dim, dim))}</h3>" + figure(svg, title, data))
    out.append("</section>")
    return "".join(out)


# --- quality of life ------------------------------------------------------------------------------------

def quality_of_life(area: Area, pub: dict[str, pd.DataFrame], comparators: list[tuple[str, str, str, str | None]]
                    ) -> str:
    qol = pub["quality_of_life"]
    mine = latest(_rows(qol, area_level=area.level, area_code=area.code)).sort_values(["theme", "measure_id"])
    if mine.empty:
        return ('<section id="qol"><h2>Quality of life</h2><p>No survey answers from residents of this area are '
                'published yet.</p></section>')
    period = str(mine["period"].iloc[0])
    comp_rows = {}
    for name, _, lvl, code in comparators[1:]:
        sub = (_rows(qol, area_level="partnership", period=period) if lvl == "partnership"
               else _rows(qol, area_level=lvl, area_code=code, period=period))
        if not sub.empty:  # quality_of_life may not publish a partnership-wide row
            comp_rows[name] = {r.measure_id: _num(r.pct_positive) for r in records(sub)}
    rows: list[Interval] = []
    cells = []
    flagged = []
    for r in records(mine):
        est, lo, hi = _num(r.pct_positive), _num(r.pct_positive_ci_lower), _num(r.pct_positive_ci_upper)
        comps = {name: values.get(r.measure_id) for name, values in comp_rows.items()}
        flags = []
        if est is not None and lo is not None and hi is not None:
            for name, v in comps.items():
                if v is not None and v < lo:
                    flags.append(f"higher than {name}")
                elif v is not None and v > hi:
                    flags.append(f"lower than {name}")
        flag = "; ".join(flags)
        if flag:
            flagged.append(f"{r.measure_label}: {flag}")
        rows.append(Interval(str(r.measure_label), est, lo, hi, comps, "◆" if flag else ""))
        interval = "–" if lo is None or hi is None else f"{lo:.1f}–{hi:.1f}"
        cells.append([str(r.measure_label), str(r.positive_means or ""), fmt(est, 1, "%"), interval,
                      *[fmt(comps[n], 1, "%") for n in comp_rows], fmt(_num(r.unweighted_n), 0),
                      fmt(_num(r.contributing_agencies), 0),
                      Markup(f'<span class="flag">{escape(flag)}</span>') if flag else ""])
    colours = {name: colour for name, colour, *_ in comparators[1:] if name in comp_rows}
    missing = [name for name, *_ in comparators[1:] if name not in comp_rows]
    desc = "; ".join(f"{i.label} {fmt(i.estimate, 1, '%')} positive (95% interval {fmt(i.lower, 1)} to "
                     f"{fmt(i.upper, 1)})" for i in rows)
    title = f"Quality of life in {area.name}, {period}: % positive with 95% intervals"
    svg = intervals(title, desc, rows, colours, AREA, area.name)
    data = table(f"Quality of life, {period}", ["Measure", "Positive means", area.name, "95% interval",
                                                *comp_rows, "Residents answering", "Agencies", "Difference"],
                 cells, [False, False, True, True, *[True] * len(comp_rows), True, True, False])
    summary = ("<p>Where the 95% interval says the difference is real (◆): " + "; ".join(escape(f) for f in flagged)
               + ".</p>") if flagged else ("<p>No measure differs from the comparisons by more than its 95% "
                                           "interval allows.</p>")
    if missing:
        summary += f"<p class=note>No figure for {escape(' or '.join(missing))} is published for this period.</p>"
    return (f'<section id="qol"><h2>Quality of life</h2><p class="lede">Every harmonised survey measure: the dot '
            f'is the share of residents answering positively, the line its 95% interval; diamonds are '
            f'{" and ".join(escape(n) for n in comp_rows) or "not available"}. A difference is flagged (◆) only '
            f'where the comparison lies outside the interval.</p>{summary}<div class="wide">{svg}</div>{data}'
            '</section>')


# --- who we are not hearing from ------------------------------------------------------------------------

def not_hearing(area: Area, pub: dict[str, pd.DataFrame]) -> str:
    rep = latest(_rows(pub["survey_representation"], area_level=area.level, area_code=area.code))
    if rep.empty:
        return '<section id="heard"><h2>Who we are not hearing from</h2><p>No survey data.</p></section>'
    rep = by_category(rep)
    most = [f"{DIMENSION_TITLES.get(r.dimension, r.dimension)}: {r.category_label}"
            for r in records(rep) if not _is_na(r.is_most_under_represented) and bool(r.is_most_under_represented)]
    rows = [(f"{DIMENSION_TITLES.get(r.dimension, r.dimension)}: {r.category_label}", _num(r.representation_ratio))
            for r in records(rep)]
    title = f"Survey respondents compared with residents, {area.name}"
    desc = ("Representation ratio (respondent share divided by population share) by group; "
            + "; ".join(f"{label} {fmt(v, 2)}" for label, v in rows))
    svg = ratio_bars(title, desc, rows, AREA, set(most))
    data = table(title, ["Group", "Respondents", "Share of respondents", "Residents", "Share of residents",
                         "Ratio"],
                 [[label, fmt(_num(r.respondents), 0), fmt(_num(r.respondent_share), 1, "%"),
                   fmt(_num(r.population), 0), fmt(_num(r.population_share), 1, "%"), fmt(v, 2)]
                  for (label, v), r in zip(rows, records(rep), strict=True)],
                 [False, True, True, True, True, True])
    named = (f"<p>Most under-represented: <strong>{escape('; '.join(most))}</strong> (▼).</p>" if most
             else "<p>No group is flagged as most under-represented.</p>")
    return (f'<section id="heard"><h2>Who we are not hearing from</h2><p class="lede">A ratio below 1 means '
            f'fewer people from the group answered surveys than live here.</p>{named}'
            + figure(svg, title, data) + "</section>")


# --- duplicate surveying --------------------------------------------------------------------------------

def duplicate_surveying(area: Area, pub: dict[str, pd.DataFrame]) -> str:
    ov = latest(_rows(pub["survey_overlap"], area_level=area.level, area_code=area.code))
    if ov.empty:
        return '<section id="overlap"><h2>Duplicate surveying</h2><p>No survey data.</p></section>'
    ov = ov.sort_values("measure_id")
    multi = ov[ov["n_agencies_asking"].fillna(0) > 1]
    rows = [(str(r.measure_label), _num(r.asks_per_resident)) for r in records(multi)]
    title = f"Times each resident was asked the same question, {area.name}"
    desc = "Asks per resident for measures asked by more than one agency; " + "; ".join(
        f"{label} {fmt(v, 2)}" for label, v in rows)
    svg = ratio_bars(title, desc, rows or [("No measure asked by two agencies", None)], AUTHORITY, set())
    data = table(title, ["Measure", "Agencies asking", "Residents asked", "Asked more than once", "Asks per resident"],
                 [[str(r.measure_label), str(r.agencies_asking or ""), fmt(_num(r.residents_asked), 0),
                   fmt(_num(r.pct_residents_asked_more_than_once), 1, "%"), fmt(_num(r.asks_per_resident), 2)]
                  for r in records(ov)], [False, False, True, True, True])
    proposed = ov.dropna(subset=["proposed_position"]).sort_values("proposed_position")
    items = "".join(f"<li>{escape(str(r.proposed_questions or r.measure_label))} "
                    f"<span class=note>(needed by {escape(str(r.agencies_needing or ''))})</span></li>"
                    for r in records(proposed))
    single = (f"<h3>One questionnaire instead</h3><ol>{items}</ol>" if items else "")
    return ('<section id="overlap"><h2>Duplicate surveying</h2><p class="lede">Where several agencies ask the '
            'same residents the same question. A value of 1 means nobody was asked twice.</p>'
            + figure(svg, title, data) + single + "</section>")


# --- services -------------------------------------------------------------------------------------------

def _category_colours(services: pd.DataFrame) -> dict[str, str]:
    top = services["category_label"].fillna("Uncategorised").value_counts().index.tolist()
    colours = {c: CATEGORICAL[i] for i, c in enumerate(top[:7])}
    for c in top[7:]:
        colours[c] = CATEGORICAL[7]
    return colours


def services(area: Area, pub: dict[str, pd.DataFrame], shapes: list[Shape], palette: dict[str, str]) -> str:
    key = "ward_code" if area.level == "ward" else "lad_code"
    svc = pub["service_map"]
    svc = _rows(svc, **{key: area.code}).sort_values(["category_label", "service_name"], na_position="last")
    active = svc[svc["status"] == "active"]
    located = active.dropna(subset=["latitude", "longitude"])
    points = [Point(float(r.longitude), float(r.latitude), palette.get(r.category_label or "Uncategorised",
                                                                         CATEGORICAL[7]),
                    f"{r.service_name} ({r.category_label or 'Uncategorised'})") for r in records(located)]
    used = Counter((r.category_label or "Uncategorised") for r in records(located))
    legend = [(c if palette.get(c) != CATEGORICAL[7] else "Other", palette.get(c, CATEGORICAL[7]))
              for c, _ in used.most_common()]
    legend = list(dict.fromkeys(legend))
    grey = [Shape(s.rings, "#dcdcdc", s.label, None, s.group) for s in shapes]
    title = f"Active services in {area.name} by category"
    desc = f"{len(points)} active services with a location; " + "; ".join(f"{c}: {n}" for c, n in used.most_common())
    svg = area_map(title, desc, grey, points=points, legend=legend)
    counts = table(title, ["Category", "Active services"], [[c, n] for c, n in used.most_common()], [False, True])
    cov = pub["service_coverage"]
    cov = _rows(cov, **{key: area.code, "gap_flag": True})
    gaps = table("Gaps: high need and few or no active services", ["Ward", "Category", "Active services",
                                                                    "Per 1,000 residents", "Nearest (km)"],
                 [[str(r.ward_name), str(r.category_label), fmt(_num(r.services_active), 0),
                   fmt(_num(r.services_per_1000), 2), fmt(_num(r.nearest_active_km), 1)]
                  for r in records(cov.sort_values(["ward_name", "category_label"]))],
                 [False, False, True, True, True]) if not cov.empty else "<p>No gaps flagged.</p>"
    listing = table(f"Services listed in {area.name}", ["Service", "Organisation", "Category", "Status", "Address",
                                                       "Phone", "Email", "Website"],
                    [[str(r.service_name), str(r.organisation_name or ""), str(r.category_label or ""),
                      str(r.status or ""),
                      ", ".join(str(x) for x in (r.address_1, r.city, r.postcode) if not _is_na(x)),
                      str(r.phone or ""), str(r.email or ""),
                      link(str(r.website), str(r.website).removeprefix("https://"))
                      if not _is_na(r.website) else ""] for r in records(svc)],
                    cls="data listing")
    return (f'<section id="services"><h2>Services</h2><p class="lede">{len(active)} active of {len(svc)} services '
            f'listed across the partnership\'s directories (duplicates merged).</p>'
            + figure(svg, title, counts) + f"<h3>Gaps</h3>{gaps}<h3>All services</h3>{listing}</section>")


# --- volunteering ---------------------------------------------------------------------------------------

def volunteering(area: Area, pub: dict[str, pd.DataFrame]) -> str:
    vba = _rows(pub["volunteering_by_area"], area_level=area.level, area_code=area.code)
    key = "ward_code" if area.level == "ward" else "lad_code"
    vac = pub["volunteer_vacancies"]
    vac = _rows(vac, **{key: area.code})
    r = vba.iloc[0] if not vba.empty else None
    cards = "".join(f'<div class="card"><b>{fmt(v, 0)}</b>{escape(label)}</div>' for label, v in [
        ("open roles", _num(r["open_vacancies"]) if r is not None else 0),
        ("roles with no suitable volunteer", _num(r["unmatched_vacancies"]) if r is not None else 0),
        ("registered volunteers", _num(r["registered_volunteers"]) if r is not None else None)])
    skills = Counter(s.strip() for v in vac["skills_needed"].dropna() for s in str(v).split(",") if s.strip())
    top = skills.most_common(10)
    title = f"Skills most in demand in {area.name}'s open roles"
    desc = "Open roles needing each skill: " + "; ".join(f"{s} {n}" for s, n in top)
    svg = grouped_bars(title, desc, [s for s, _ in top] or ["No open roles"], [("Open roles", AREA)],
                       {(s, "Open roles"): float(n) for s, n in top}, unit="")
    data = table(title, ["Skill", "Open roles"], [[s, n] for s, n in top], [False, True])
    unmatched = vac[vac["matched_volunteers"].fillna(0) == 0].sort_values("title")
    roles = table("Roles with no suitable volunteer", ["Role", "Organisation", "Skills", "Closes"],
                  [[str(v.title), str(v.organisation_name or ""), str(v.skills_needed or ""),
                    "" if _is_na(v.closing_date) else str(v.closing_date)[:10]] for v in records(unmatched)]
                  ) if not unmatched.empty else "<p>Every open role has at least one suitable volunteer.</p>"
    return (f'<section id="volunteering"><h2>Volunteering</h2><div class="cards">{cards}</div>'
            + figure(svg, title, data) + f"<h3>Roles with no suitable volunteer</h3>{roles}</section>")


# --- consultations --------------------------------------------------------------------------------------

def consultation_overview(pub: dict[str, pd.DataFrame], root: str) -> str:
    cs = pub["consultation_summary"]
    q = cs[cs["scope"] == "survey_question"].drop_duplicates(["survey_id", "period", "question_id"])
    per = q.groupby(["survey_id", "agency", "period"]).agg(questions=("question_id", "nunique"),
                                                         respondents=("n_respondents", "max")).reset_index()
    rows = [[link(f"{root}consultations.html#{r.survey_id}", str(r.survey_id)), str(r.agency), str(r.period),
             r.questions, fmt(_num(r.respondents), 0)] for r in records(per.sort_values(["agency", "period"]))]
    return ('<section id="consultations"><h2>Consultations</h2><p class="lede">Consultation results are '
            'published for the partnership as a whole, as each agency would publish them; resident '
            'surveys\' counts are perturbed and rounded to 5 to protect respondents.</p>'
            + table("Consultations", ["Survey", "Agency", "Period", "Questions", "Most respondents"],
                                 rows, [False, False, False, True, True]) + "</section>")


def consultation_page(pub: dict[str, pd.DataFrame]) -> str:
    cs = pub["consultation_summary"]
    q = cs[cs["scope"] == "survey_question"]
    out = ["<h1>Consultations</h1><p class=lede>Each consultation's results, question by question.</p>"]
    for (survey, agency, period), sub in q.groupby(["survey_id", "agency", "period"], sort=True):
        out.append(f'<section id="{escape(str(survey))}"><h2>{escape(str(survey))} · {escape(str(agency))} · '
                   f'{escape(str(period))}</h2>')
        for (_, text), qs in sub.sort_values(["question_position", "response_order"]).groupby(
                ["question_position", "question_text"], sort=False):
            cats = [str(x) for x in qs["response_label"]]
            vals = {(c, "Share"): _num(v) for c, v in zip(cats, qs["response_pct"], strict=True)}
            first = qs.iloc[0]
            title = str(text)
            desc = "; ".join(f"{c}: {fmt(vals[(c, 'Share')], 1, '%')}" for c in cats)
            svg = grouped_bars(title, desc, cats, [("Share", AREA)], vals)
            data = table(title, ["Response", "Respondents", "Share"],
                         [[c, fmt(_num(n), 0), fmt(vals[(c, "Share")], 1, "%")]
                          for c, n in zip(cats, qs["response_count"], strict=True)], [False, True, True])
            net = _num(first["net_agreement"])
            extra = f"<p class=note>Net agreement {fmt(net, 1)} points; {fmt(_num(first['n_respondents']), 0)} " \
                    f"answered.</p>"
            out.append(f"<h3>{escape(title)}</h3>{extra}" + figure(svg, title, data))
        out.append("</section>")
    return "".join(out)


# --- maps -----------------------------------------------------------------------------------------------

def decile_legend() -> list[tuple[str, str]]:
    return [(str(i + 1), DECILES[i]) for i in range(10)]


def lsoa_shapes(bounds: pd.DataFrame, deciles: dict[str, int], href_of_ward: dict[str, str] | None = None,
                fill_by: str = "decile", lad_fill: dict[str, str] | None = None) -> list[Shape]:
    shapes = []
    for r in records(bounds):
        rings = rings_of(r.geometry)
        if not rings:
            continue
        if fill_by == "lad" and lad_fill is not None:
            fill = lad_fill[r.lad_code]
        else:
            d = deciles.get(r.lsoa_code)
            fill = DECILES[d - 1] if d else "#cccccc"
        label = f"{r.ward_name}, {r.lad_name}" if fill_by == "lad" else \
            f"{r.lsoa_name} ({r.ward_name}): IMD decile {deciles.get(r.lsoa_code, 'unknown')}"
        shapes.append(Shape(rings, fill, label, (href_of_ward or {}).get(r.ward_code), r.ward_code))
    return shapes


__all__ = ["PARTNERSHIP", "TINTS"]
