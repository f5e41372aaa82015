"""Disclosure attacks on the county demo, as tests (docs/disclosure.md): partner files hold only their own
restricted rows; trilateration from everything a partner file holds; differencing between geography levels
and between two publications of the cell-key-perturbed counts of volunteers living here."""

from __future__ import annotations

import math
import shutil
from collections import Counter, defaultdict

import duckdb
import pytest

from analytics.ptable import MAX_PCV, adjustment
from tests.conftest import TEST_HASH_KEY, use_var_dir

VOLUNTEER_ROUNDING_BASE = 5  # dbt var volunteer_rounding_base


def perturbed(count: int, cell_key: int) -> int:
    """Python replica of macros/disclosure.sql perturbed_count()."""
    return 0 if count == 0 else count + adjustment(min(count, MAX_PCV), cell_key)


def published_volunteers(count: int, key_sum: int, register_key: int, base: int = VOLUNTEER_ROUNDING_BASE) -> int:
    """Python replica of volunteer_count(): perturbed with (own record keys + register key) mod 256, then
    rounded to the nearest multiple of base (half away from zero, as DuckDB rounds)."""
    value = perturbed(count, (key_sum + register_key) % 256)
    return base * math.floor(value / base + 0.5)


@pytest.fixture(scope="module")
def published(built, tmp_path_factory, monkeypatch_module):
    """The built warehouse published once (open file + partner files) into its own folder."""
    from warehouse.publish import publish
    from warehouse.settings import get_settings

    settings, dbt, _ = built
    assert dbt["success"], dbt["failures"]
    var_dir = tmp_path_factory.mktemp("attack_var")
    (var_dir / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, var_dir / "warehouse" / "private.duckdb")
    use_var_dir(monkeypatch_module, var_dir)
    settings = get_settings()
    record = publish("attack-1", settings)
    return settings, record


def test_open_file_holds_no_row_level_table_and_every_partner_file_only_its_own_rows(published):
    from warehouse.partner_files import load_partners, partner_salt

    settings, record = published
    assert "volunteer_matches" not in record["tables"]
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        assert "volunteer_matches" not in {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables"
                                                                        ).fetchall()}
    partners = {p["id"]: p for p in load_partners()}
    assert set(record["partner_files"]) == set(partners)
    private = duckdb.connect(str(settings.warehouse_path), read_only=True)
    refs = {}
    try:
        owners = defaultdict(set)
        for uid, feeds in private.execute("SELECT vacancy_uid, bureau_feeds FROM marts.volunteer_vacancies").fetchall():
            owners[uid] = set(feeds.split(", "))
        for pid, partner in partners.items():
            path = settings.published_dir / "partners" / f"{pid}.duckdb"
            with duckdb.connect(str(path), read_only=True) as con:
                tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
                assert set(record["tables"]) <= tables  # every open mart
                if "volunteer_matches" not in (partner.get("restricted") or {}):
                    assert "volunteer_matches" not in tables
                    continue
                rows = con.execute("SELECT vacancy_uid, volunteer_ref FROM volunteer_matches").fetchall()
            assert rows and all(owners[uid] & set(partner["sources"]) for uid, _ in rows), pid
            # exactly the partner's own roles' matches, under its own pseudonyms
            own = private.execute(
                "SELECT m.vacancy_uid, "
                "'VOL-' || substr(sha256(? || '|' || m.vacancy_uid || '|' || m.volunteer_ref), 1, 16) "
                "FROM marts.volunteer_matches m JOIN marts.volunteer_vacancies v USING (vacancy_uid) "
                "WHERE len(list_intersect(string_split(v.bureau_feeds, ', '), ?::VARCHAR[])) > 0",
                [partner_salt(pid, TEST_HASH_KEY.encode()), partner["sources"]]).fetchall()
            assert sorted(rows) == sorted(own)
            refs[pid] = {r for _, r in rows}
        warehouse_refs = {r[0] for r in private.execute("SELECT volunteer_ref FROM marts.volunteer_matches").fetchall()}
    finally:
        private.close()
    assert set(refs) == {"bureau_north", "bureau_south"}
    assert not refs["bureau_north"] & refs["bureau_south"]  # pseudonyms differ per receiving partner (and role)
    assert not (refs["bureau_north"] | refs["bureau_south"]) & warehouse_refs


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


BANDS = {"under 5 km": (0, 5), "5–10 km": (5, 10), "10 km+": (10, 1e9)}  # var match_distance_bands


def _attack_reasons(reasons: str) -> str:
    """What a row says about the volunteer apart from the distance: their shared skills, slots and causes."""
    return ";".join(part for part in reasons.split("; ") if "km" not in part)


def test_trilateration_from_a_partner_file_places_under_5_percent(published, capsys):
    """An attacker holding a bureau's file links rows of one volunteer (by pseudonym, or else by the skills,
    slots and causes their reasons name), intersects the distance bands to each linked role (role LSOA from
    volunteer_vacancies, centroids from area_profiles) and guesses a home LSOA among those left."""
    from warehouse.partner_files import load_partners, partner_salt

    settings, _ = published
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as private:
        home = dict(private.execute("SELECT volunteer_ref, lsoa_code FROM intermediate.int_volunteer_profiles"
                                    ).fetchall())
        person = {}
        for pid in ("bureau_north", "bureau_south"):
            salt = partner_salt(pid, TEST_HASH_KEY.encode())
            person |= dict(private.execute(
                "SELECT 'VOL-' || substr(sha256(? || '|' || vacancy_uid || '|' || volunteer_ref), 1, 16), "
                "volunteer_ref FROM marts.volunteer_matches", [salt]).fetchall())
    results = {}
    for linkage in ("pseudonym", "reasons"):
        placed, hits, everyone = set(), defaultdict(float), set()
        for partner in load_partners():
            path = settings.published_dir / "partners" / f"{partner['id']}.duckdb"
            with duckdb.connect(str(path), read_only=True) as con:
                tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
                if "volunteer_matches" not in tables:
                    continue
                centroid = {c: (la, lo) for c, la, lo in con.execute(
                    "SELECT lsoa_code, latitude, longitude FROM area_profiles").fetchall()}
                role_at = dict(con.execute("SELECT vacancy_uid, lsoa_code FROM volunteer_vacancies "
                                           "WHERE lsoa_code IS NOT NULL").fetchall())
                groups = defaultdict(list)
                for uid, ref, band, reasons in con.execute(
                        "SELECT vacancy_uid, volunteer_ref, distance_band, reasons FROM volunteer_matches").fetchall():
                    everyone.add(person[ref])
                    if uid in role_at:
                        key = ref if linkage == "pseudonym" else _attack_reasons(reasons)
                        groups[key].append((centroid[role_at[uid]], BANDS[band], person[ref]))
            for rows in groups.values():
                candidates = [c for c, xy in centroid.items()
                              if all(lo <= _km(xy, at) < hi for at, (lo, hi), _ in rows)]
                for who in {p for _, _, p in rows}:
                    if candidates and home.get(who) in candidates:
                        hits[who] = max(hits[who], 1 / len(candidates))
                        if len(candidates) == 1:
                            placed.add(who)
        results[linkage] = (len(placed) / len(everyone), sum(hits.values()) / len(everyone), len(everyone))
    with capsys.disabled():
        for linkage, (certain, guess, n) in results.items():
            print(f"\ntrilateration, rows linked by {linkage}: {n} matched volunteers; home LSOA certain for "
                  f"{100 * certain:.1f} %, best-guess hit rate {100 * guess:.1f} %")
    assert all(n > 1000 for _, _, n in results.values())
    # placed = the attacker's candidate set is exactly the home LSOA (issue 13 measured 98 % before banding);
    # best guess = a uniform guess among a row's candidates (11.7 % with bands [2, 5, 10]; docs/disclosure.md)
    assert all(certain < 0.05 and guess < 0.05 for certain, guess, _ in results.values())


@pytest.fixture(scope="module")
def cells(published):
    settings, _ = published
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute("SELECT area_level, area_code, volunteers, cell_key "
                           "FROM intermediate.int_volunteer_residence_cells").fetchall()
        registers = {r for r, in con.execute("SELECT DISTINCT register_key "
                                              "FROM intermediate.int_volunteer_residence_cells").fetchall()}
        people = con.execute("""SELECT p.volunteer_ref, p.lsoa_code, p.ward_code, p.lad_code, k.record_key
                                FROM intermediate.int_volunteer_profiles p
                                JOIN intermediate.int_volunteer_record_keys k USING (volunteer_ref)
                                WHERE p.ward_code IS NOT NULL ORDER BY p.volunteer_ref""").fetchall()
        lsoas = con.execute("SELECT lsoa_code, ward_code, lad_code FROM staging.stg_ons__lsoas").fetchall()
        keys = dict(con.execute("SELECT volunteer_ref, record_key FROM intermediate.int_volunteer_record_keys"
                                ).fetchall())
        pub_lsoa = dict(con.execute("SELECT lsoa_code, registered_volunteers FROM marts.area_profiles").fetchall())
        pub_area = {(lvl, c): v for lvl, c, v in con.execute(
            "SELECT area_level, area_code, registered_volunteers FROM marts.volunteering_by_area").fetchall()}
    assert len(registers) == 1
    register = registers.pop()
    assert register == sum(k for *_, k in people) % 256  # the register key: every volunteer counted
    private = {(lvl, code): (n, key) for lvl, code, n, key in rows}
    return private, lsoas, keys, pub_lsoa, pub_area, (people, register)


def test_published_counts_follow_the_ptable_and_one_definition(cells):
    private, lsoas, _, pub_lsoa, pub_area, _ = cells
    for lsoa, _, _ in lsoas:
        n, key = private.get(("lsoa", lsoa), (0, 0))
        assert pub_lsoa[lsoa] == published_volunteers(n, key, 0)
    for (level, code), value in pub_area.items():
        n, key = private.get((level, code), (0, 0))
        assert value == published_volunteers(n, key, 0)
    # one definition: the ward's private count is the sum of its LSOAs'
    ward_sum = defaultdict(int)
    for lsoa, ward, _ in lsoas:
        ward_sum[ward] += private.get(("lsoa", lsoa), (0, 0))[0]
    assert all(private.get(("ward", w), (0, 0))[0] == n for w, n in ward_sum.items())
    assert not [v for v in [*pub_lsoa.values(), *pub_area.values()] if v in (1, 2)]


def test_every_published_value_has_several_possible_true_counts():
    """The attacker knows the ptable but not the secret record keys: no published value pins the count."""
    preimages = defaultdict(set)
    for n in range(0, 40):
        for key in range(256):
            preimages[perturbed(n, key)].add(n)
    assert all(len(ns) >= 3 for v, ns in preimages.items() if v < 38)
    assert 1 not in preimages and 2 not in preimages


def test_geography_differencing_recovers_no_small_count(cells, capsys):
    """Ward minus the sum of its other LSOAs (and authority minus its other wards) estimates a cell; with
    exact counts it recovers every hidden 1–9, with perturbation it is mostly wrong and never certain."""
    private, lsoas, _, pub_lsoa, pub_area, _ = cells
    children = {"ward": defaultdict(list), "lad": defaultdict(list)}
    for lsoa, ward, _ in lsoas:
        children["ward"][ward].append(("lsoa", lsoa))
    for ward in {w for _, w, _ in lsoas}:
        lad = next(la for _, w, la in lsoas if w == ward)
        children["lad"][lad].append(("ward", ward))
    published = {("lsoa", k): v for k, v in pub_lsoa.items()} | pub_area
    exact = small = 0
    for level, parents in children.items():
        for parent, kids in parents.items():
            for kid in kids:
                truth = private.get(kid, (0, 0))[0]
                if not 1 <= truth <= 9:
                    continue
                estimate = published[(level, parent)] - sum(published[k] for k in kids if k != kid)
                small += 1
                exact += estimate == truth
    with capsys.disabled():
        print(f"\ngeography differencing: {exact} of {small} small cells (1–9) recovered exactly "
              f"({100 * exact / small:.1f} %), without knowing which")
    assert small > 50 and exact / small < 0.35


VOLUNTEER_TRIALS = 500
# The attacker's best hit rate (best of the strategies below and thresholds, picked with hindsight) may exceed
# chance (the best guess from one publication alone) by at most this; docs/disclosure.md gives the figures.
# Measured over 2,000 volunteers: LSOA 0.5 % → 0.9 %, ward 8.7 % → 10.7 % (without rounding 10.1 % and 26.4 %).
VOLUNTEER_MARGIN = {"lsoa": 0.02, "ward": 0.05}
VOLUNTEER_THRESHOLDS = (0, 1, 2, 3, 5, 8)


def _guess(scores: dict[str, float], prior: str, threshold: float) -> str:
    """The option whose published cells moved most, if it leads by the threshold, else the prior guess."""
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0] != prior))
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < max(threshold, 1e-9):
        return prior
    return ranked[0][0]


def volunteer_differencing(cells, trials: int = VOLUNTEER_TRIALS, base: int = VOLUNTEER_ROUNDING_BASE,
                           exact: bool = False, register_key: bool = True) -> dict[str, tuple[float, float, str]]:
    """Two publications either side of one added volunteer, for real volunteers of the county demo (the
    publication without them and the one with them). The attacker knows nothing about the volunteer, diffs
    every published volunteer cell (LSOA, ward, authority) and guesses their LSOA and ward. Returns, per
    target, (chance, best attack, strategy): chance is the option with most volunteers as published.
    register_key=False: each cell perturbed with its own record keys only (the design before the register key)."""
    import random

    private, lsoas, _, _, _, (people, register) = cells
    ward_of = {lsoa: ward for lsoa, ward, _ in lsoas}
    lad_of = {lsoa: lad for lsoa, _, lad in lsoas}
    own = {c: (n, (key - register) % 256) for c, (n, key) in private.items()}  # own record keys, mod 256
    if not register_key:
        register = 0
    all_cells = [("lsoa", lsoa) for lsoa, _, _ in lsoas] + sorted({("ward", w) for _, w, _ in lsoas}) + sorted(
        {("lad", la) for _, _, la in lsoas})

    def publish(cell, n, key_sum, reg):
        return n if exact else published_volunteers(n, key_sum, reg, base)

    after = {c: publish(c, *own.get(c, (0, 0)), register) for c in all_cells}
    prior = {"lsoa": max(sorted(ward_of), key=lambda a: after[("lsoa", a)]),
             "ward": max(sorted(set(ward_of.values())), key=lambda w: after[("ward", w)])}
    wards = defaultdict(list)
    for lsoa, ward in ward_of.items():
        wards[ward].append(lsoa)
    hits = {"lsoa": Counter(), "ward": Counter()}
    sample = random.Random(13).sample(people, min(trials, len(people)))
    for _, lsoa, ward, lad, key in sample:
        home = {("lsoa", lsoa), ("ward", ward), ("lad", lad)}
        before = {}
        for c in all_cells:
            n, key_sum = own.get(c, (0, 0))
            if c in home:
                n, key_sum = n - 1, (key_sum - key) % 256
            before[c] = publish(c, n, key_sum, (register - key) % 256 if register_key else 0)
        d = {c: after[c] - before[c] for c in all_cells}
        by_lsoa = {"lsoa": {a: d[("lsoa", a)] for a in ward_of},
                   "lsoa+ward": {a: d[("lsoa", a)] + d[("ward", ward_of[a])] for a in ward_of},
                   "all levels": {a: d[("lsoa", a)] + d[("ward", ward_of[a])] + d[("lad", lad_of[a])]
                                  for a in ward_of},
                   "from zero": {a: d[("lsoa", a)] + 10 * (before[("lsoa", a)] == 0 < after[("lsoa", a)])
                                 for a in ward_of}}
        by_ward = {"ward": {w: d[("ward", w)] for w in wards},
                   "ward+lsoas": {w: d[("ward", w)] + sum(d[("lsoa", a)] for a in kids) for w, kids in wards.items()},
                   "ward+max lsoa": {w: d[("ward", w)] + max(d[("lsoa", a)] for a in kids)
                                     for w, kids in wards.items()},
                   "all levels": {w: d[("ward", w)] + sum(d[("lsoa", a)] for a in kids)
                                  + d[("lad", lad_of[kids[0]])] for w, kids in wards.items()}}
        for target, truth, strategies in (("lsoa", lsoa, by_lsoa), ("ward", ward, by_ward)):
            hits[target]["chance"] += prior[target] == truth
            for name, scores in strategies.items():
                for t in VOLUNTEER_THRESHOLDS:
                    hits[target][f"{name}@{t}"] += _guess(scores, prior[target], t) == truth
    out = {}
    for target, tally in hits.items():
        best = max((k for k in tally if k != "chance"), key=lambda k: tally[k])
        out[target] = (tally["chance"] / len(sample), tally[best] / len(sample), best)
    return out


def test_differencing_two_publications_after_one_added_volunteer(cells, capsys):
    """The register key re-draws every volunteer cell when one volunteer is added, and rounding to 5 hides their
    own cells' +1, so the cells that moved do not name the new volunteer's LSOA or ward: the attacker's best
    strategy does no better than chance within the margin. With exact counts the same attacker finds every
    LSOA, and with each cell's own key only most of them."""
    perturbed_ = volunteer_differencing(cells)
    exact = volunteer_differencing(cells, trials=100, exact=True)
    before = volunteer_differencing(cells, trials=200, base=1, register_key=False)  # own cell keys, no rounding
    with capsys.disabled():
        print(f"\npublication differencing, one added volunteer ({VOLUNTEER_TRIALS} real volunteers, rounding "
              f"base {VOLUNTEER_ROUNDING_BASE}): target: chance → best attack (strategy) | exact counts")
        for target, (chance, best, how) in perturbed_.items():
            print(f"  {target}: {100 * chance:.1f} % → {100 * best:.1f} % ({how}) | "
                  f"exact {100 * exact[target][1]:.1f} % | own cell keys only {100 * before[target][1]:.1f} %")
    for target, (chance, best, _) in perturbed_.items():
        assert best <= chance + VOLUNTEER_MARGIN[target], (target, chance, best)
    assert exact["lsoa"][1] > 0.95 and exact["ward"][1] > 0.95
    # the same attacker against the previous design (each cell's own key, not rounded): 66.7 % of LSOAs
    assert before["lsoa"][1] > 0.4 and before["ward"][1] > 0.5


def test_accuracy_cost_of_perturbation(cells, capsys):
    """docs/disclosure.md quotes these: the mean absolute change of published counts of volunteers living here
    (perturbation and rounding)."""
    private, _, _, pub_lsoa, pub_area, _ = cells
    published = {("lsoa", k): v for k, v in pub_lsoa.items()} | pub_area
    changes = defaultdict(list)
    for (level, code), value in published.items():
        changes[level].append(abs(value - private.get((level, code), (0, 0))[0]))
    means = {level: sum(v) / len(v) for level, v in changes.items()}
    with capsys.disabled():
        print("\nperturbation accuracy cost (mean |published - true|): "
              + ", ".join(f"{level} {m:.2f} over {len(changes[level])} cells" for level, m in means.items()))
    overall = sum(sum(v) for v in changes.values()) / sum(len(v) for v in changes.values())
    # perturbation alone cost 0.66 overall; rounding to volunteer_rounding_base (5) about doubles it
    assert overall < 1.6 and all(m <= 2.0 for m in means.values())


def test_no_published_one_way_cell(built, capsys):
    """Attribute disclosure: no published quality_of_life cell with a base under attribute_disclosure_max_n (50)
    shows everyone positive, or everyone negative. The private one-way cells that are published (their
    positive or negative count perturbed down) show under 100 %, so the reader cannot tell them from a cell
    with a few other answers."""
    settings, _, _ = built
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        published = con.execute("""SELECT count(*) FROM marts.quality_of_life WHERE unweighted_n < 50
                                   AND (pct_positive >= 100 OR pct_negative >= 100)""").fetchall()[0][0]
        private, hidden, shown_below_100 = con.execute("""
            SELECT count(*), sum(CASE WHEN q.suppression = 'one_way' THEN 1 ELSE 0 END),
                   sum(CASE WHEN NOT q.is_suppressed AND greatest(q.pct_positive, q.pct_negative) < 100
                            THEN 1 ELSE 0 END)
            FROM intermediate.int_quality_of_life_cells c
            JOIN marts.quality_of_life q USING (area_level, area_code, period, measure_id)
            WHERE c.unweighted_n BETWEEN 10 AND 49 AND q.unweighted_n < 50
              AND (c.pct_positive >= 100 - 1e-9 OR c.pct_negative >= 100 - 1e-9)""").fetchall()[0]
    with capsys.disabled():
        print(f"\none-way cells (10 <= n < 50): {private} in the private cells, {hidden} withheld as one-way, "
              f"{shown_below_100} published under 100 %; {published} published at 100 %")
    assert private > 0 and hidden > 0 and published == 0
