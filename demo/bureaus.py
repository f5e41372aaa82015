"""Volunteer bureaus (docs/feeds.md §4): an RPDE vacancy change history and a skill bank of volunteers,
plus a volunteering platform publishing a Volunteering Data Standard snapshot (demo/vds_platform.py).

Epoch 0 is the feed as it stands on the reference date; epochs 1 and 2 are later batches of updates,
deletions and new vacancies that the server reveals on ``POST /_control/advance``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from demo.constants import AVAILABILITY_SLOTS, REFERENCE_DATE, REFERENCE_MS
from demo.geography import Geography
from demo.identifiers import vary_email, vary_first_name, vary_postcode, vary_surname
from demo.names import SAINTS, slug
from demo.people import postcodes_in
from demo.rng import uuids
from demo.scales import Scale
from demo.vds_platform import NAME as PLATFORM
from demo.vds_platform import OWN_SHARE, build_platform
from demo.volunteering_vocab import CAUSES, INTERESTS, ROLE_TYPES, SKILLS
from demo.writers import write_json, write_json_records, write_jsonl

BUREAUS = ("north", "south")
CROSS_POST = 0.15  # share of roles advertised by both bureaus
BOTH_BUREAUS = 0.10  # share of volunteers registered with both
EPOCH_CHANGES = {1: (0.08, 0.04, 0.03), 2: (0.07, 0.05, 0.03)}  # (updated, deleted, new) shares of live roles
DAY_MS = 86_400_000
ROLE_KEYS = tuple(ROLE_TYPES)
SLOTS = np.array(AVAILABILITY_SLOTS, dtype=object)
TRAVEL_KM = np.array([1, 2, 3, 5, 8, 10, 15, 20, 25])
TRAVEL_P = np.array([0.04, 0.08, 0.12, 0.22, 0.14, 0.18, 0.1, 0.07, 0.05])


def bureau_names(scale: Scale) -> dict[str, str]:
    return {"north": f"{scale.county_name} North Volunteer Centre",
            "south": f"{scale.county_name} Volunteering Hub (South)"}


def _slots(rng: np.random.Generator, profile: str, n_min: int = 2, n_max: int = 5) -> list[str]:
    days = {"weekday": range(0, 10), "weekend": range(10, 14), "weekday_pm": range(1, 10, 2)}.get(
        profile, range(0, 14))
    pool = np.array(list(days))
    k = min(len(pool), int(rng.integers(n_min, n_max + 1)))
    return SLOTS[np.sort(rng.choice(pool, size=k, replace=False))].tolist()


def canonical_roles(rng: np.random.Generator, geo: Geography, n: int, first_key: int) -> pd.DataFrame:
    """``n`` volunteer roles with their true details."""
    home = rng.integers(0, len(geo.lsoas), n)
    district = geo.lsoas["district"].to_numpy()[home]
    rtype = rng.integers(0, len(ROLE_KEYS), n)
    rows = []
    start_offsets = rng.integers(-150, 60, n)
    lengths = rng.integers(21, 200, n)
    dname = geo.districts["name"].to_numpy()[district]
    tname = geo.wards["name"].to_numpy()[geo.lsoas["ward"].to_numpy()[home]]
    for i in range(n):
        titles, skills, causes, (lo, hi), profile, orgs = ROLE_TYPES[ROLE_KEYS[rtype[i]]]
        start = pd.Timestamp(REFERENCE_DATE) + pd.Timedelta(days=int(start_offsets[i]))
        rows.append({
            "role_key": f"CR{first_key + i:07d}", "role_type": ROLE_KEYS[rtype[i]],
            "title_index": int(rng.integers(0, len(titles))),
            "organisation": orgs[int(rng.integers(0, len(orgs)))].format(
                D=dname[i], T=tname[i], S=SAINTS[int(rng.integers(0, len(SAINTS)))]),
            "skills": list(skills), "causes": list(causes), "hours": int(rng.integers(lo, hi + 1)),
            "availability": _slots(rng, profile), "start": start,
            "closing": start + pd.Timedelta(days=int(lengths[i])),
        })
    roles = pd.DataFrame(rows)
    roles["home_lsoa"], roles["district"] = home, district
    roles["bureau"] = geo.districts["bureau"].to_numpy()[district]
    roles["postcode"] = postcodes_in(rng, geo, home)
    return roles


def _vacancy_data(rng: np.random.Generator, bureau: str, role: dict[str, Any], vid: str, org_id: str,
                  host: str) -> dict[str, Any]:
    titles = ROLE_TYPES[role["role_type"]][0]
    title = titles[role["title_index"]] if bureau == "north" or rng.random() < 0.4 else titles[
        int(rng.integers(0, len(titles)))]
    skills = [SKILLS[s][0] if rng.random() < 0.5 else SKILLS[s][int(rng.integers(0, len(SKILLS[s])))]
              for s in role["skills"]]
    causes = [CAUSES[c][0 if bureau == "north" else 1] for c in role["causes"]]
    hours: float = role["hours"]
    if bureau == "south" and rng.random() < 0.2:
        hours = hours - 0.5
    postcode = role["postcode"] if bureau == "north" else role["postcode_variant"]
    return {
        "title": title, "organisation": {"id": org_id, "name": role["organisation"]},
        "description": f"{role['organisation']} is looking for a {title.lower()} to give about {role['hours']} "
                       f"hours a week.",
        "skills_needed": skills, "causes": causes, "time_commitment_hours_per_week": hours,
        "availability": role["availability"], "postcode": postcode or role["postcode"],
        "start_date": role["start"].date().isoformat(), "closing_date": role["closing"].date().isoformat(),
        "url": f"https://{host}/opportunities/{vid}",
    }


class _Bureau:
    """Mutable state of one bureau's vacancy feed while its history is generated."""

    def __init__(self, name: str, host: str) -> None:
        self.name, self.host = name, host
        self.items: list[dict[str, Any]] = []
        self.live: dict[str, str] = {}  # vacancy id → role key
        self.data: dict[str, dict[str, Any]] = {}
        self.org_ids: dict[str, str] = {}
        self.truth: list[tuple[str, str, str]] = []
        self.counter = 0

    def new_id(self) -> str:
        self.counter += 1
        if self.name == "north":
            return f"vac-{self.counter:05d}"
        return f"opp-{(self.counter * 0x9E3779B1 + 0x5BD1E995) % 16**10:010x}"  # a bijection: ids never clash

    def org_id(self, org: str) -> str:
        prefix = "org-" if self.name == "north" else "ORG"
        return self.org_ids.setdefault(org, f"{prefix}{len(self.org_ids) + 1:05d}")


def _stamp(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    """Sorted ms timestamps in [lo, hi) with ~5 % exact ties (to exercise the afterId tie-break)."""
    ts = np.sort(rng.integers(lo, hi, n))
    tie = np.flatnonzero(rng.random(n) < 0.05)
    tie = tie[tie > 0]
    ts[tie] = ts[tie - 1]
    return np.maximum.accumulate(ts)


def _emit(rng: np.random.Generator, b: _Bureau, epoch: int, entries: list[tuple[str, dict | None]],
          lo: int, hi: int) -> None:
    stamps = _stamp(rng, len(entries), lo, hi)
    shuffled = rng.permutation(len(entries))
    for (vid, data), ts in zip([entries[i] for i in shuffled], stamps.tolist(), strict=True):
        item: dict[str, Any] = {"epoch": epoch, "id": vid, "state": "updated" if data else "deleted",
                                "kind": "VolunteerOpportunity", "modified": int(ts)}
        if data:
            item["data"] = data
        b.items.append(item)


def _list_roles(rng: np.random.Generator, bureaus: dict[str, _Bureau], roles: pd.DataFrame,
                cross: np.ndarray) -> dict[str, list[tuple[str, dict | None]]]:
    """New adverts for these roles: at the home bureau, and at the other one for ``cross`` rows."""
    out: dict[str, list[tuple[str, dict | None]]] = {b: [] for b in bureaus}
    roles = roles.assign(postcode_variant=vary_postcode(rng, roles["postcode"].to_numpy()))
    for role, both in zip(roles.to_dict("records"), cross.tolist(), strict=True):
        targets = [role["bureau"]] + ([b for b in BUREAUS if b != role["bureau"]] if both else [])
        for name in targets:
            b = bureaus[name]
            vid = b.new_id()
            data = _vacancy_data(rng, name, role, vid, b.org_id(role["organisation"]), b.host)
            b.live[vid], b.data[vid] = role["role_key"], data
            b.truth.append((name, vid, role["role_key"]))
            out[name].append((vid, data))
    return out


def build_vacancies(rng: np.random.Generator, geo: Geography, scale: Scale) -> tuple[dict[str, _Bureau], dict]:
    """Generate every bureau's RPDE item history (epochs 0, 1, 2)."""
    hosts = {name: f"{slug(label)}.org.uk" for name, label in bureau_names(scale).items()}
    bureaus = {name: _Bureau(name, hosts[name]) for name in BUREAUS}
    n_roles = round(scale.n_lsoa * scale.roles_per_lsoa / (1 + CROSS_POST))
    roles = canonical_roles(rng, geo, n_roles, 1)
    listed = _list_roles(rng, bureaus, roles, rng.random(n_roles) < CROSS_POST)
    changes: dict[str, Any] = {}
    for name, b in bureaus.items():
        phantoms = [(b.new_id(), None) for _ in range(max(1, len(listed[name]) // 50))]
        _emit(rng, b, 0, listed[name] + phantoms, REFERENCE_MS - 180 * DAY_MS, REFERENCE_MS - 3_600_000)
    next_key = n_roles + 1
    for epoch, (p_upd, p_del, p_new) in EPOCH_CHANGES.items():
        live_roles = sorted({k for b in bureaus.values() for k in b.live.values()})
        pick = rng.permutation(len(live_roles))
        n_upd, n_del = int(len(live_roles) * p_upd), int(len(live_roles) * p_del)
        upd = {live_roles[i] for i in pick[:n_upd]}
        dele = {live_roles[i] for i in pick[n_upd:n_upd + n_del]}
        new_roles = canonical_roles(rng, geo, max(1, int(len(live_roles) * p_new)), next_key)
        next_key += len(new_roles)
        entries = _list_roles(rng, bureaus, new_roles, rng.random(len(new_roles)) < CROSS_POST)
        stats = {}
        for name, b in bureaus.items():
            n_u = n_d = 0
            for vid in sorted(b.live):
                key = b.live[vid]
                if key in dele:
                    entries[name].append((vid, None))
                    del b.live[vid]
                    n_d += 1
                elif key in upd:
                    b.data[vid] = _updated(rng, b.data[vid])
                    entries[name].append((vid, b.data[vid]))
                    n_u += 1
            lo = REFERENCE_MS + (1 if epoch == 1 else 8) * DAY_MS
            _emit(rng, b, epoch, entries[name], lo, lo + 2 * DAY_MS)
            stats[name] = {"updated": n_u, "deleted": n_d,
                           "new": len(entries[name]) - n_u - n_d}
        changes[str(epoch)] = stats
    return bureaus, changes


def _updated(rng: np.random.Generator, data: dict[str, Any]) -> dict[str, Any]:
    new = {**data}
    kind = int(rng.integers(0, 3))
    if kind == 0:
        closing = pd.Timestamp(new["closing_date"]) + pd.Timedelta(days=28)
        new["closing_date"] = closing.date().isoformat()
    elif kind == 1:
        new["time_commitment_hours_per_week"] = max(1, data["time_commitment_hours_per_week"] + 1)
    else:
        new["description"] = data["description"] + " Training and expenses provided."
    return new


def feed_view(items: list[dict[str, Any]], epoch: int) -> list[dict[str, Any]]:
    """The RPDE feed at ``epoch``: latest item per id, ordered by (modified, id)."""
    latest: dict[str, dict[str, Any]] = {}
    for item in items:
        if item["epoch"] <= epoch:
            latest[item["id"]] = item
    return sorted(latest.values(), key=lambda it: (it["modified"], it["id"]))


def _pick_k(rng: np.random.Generator, n: int, pool: int, k_min: int, k_max: int) -> list[list[int]]:
    """For each of ``n`` rows, between k_min and k_max distinct indices from range(pool)."""
    order = np.argsort(rng.random((n, pool)), axis=1)
    k = rng.integers(k_min, k_max + 1, n)
    return [row[:kk].tolist() for row, kk in zip(order, k, strict=True)]


def _volunteer_records(rng: np.random.Generator, bureau: str, people: pd.DataFrame,
                       truth: list[tuple[str, str, str]], bad: dict[str, int]) -> Iterator[dict[str, Any]]:
    """Registrations in the order they joined, streamed; a few are broken (counted in ``bad``).

    Bad ones: a malformed postcode, a non-numeric travel distance, or a repeated id (an extra record).
    """
    n = len(people)
    if n == 0:
        return
    first = vary_first_name(rng, people["first_name"].to_numpy())
    surname = vary_surname(rng, people["surname"].to_numpy(), 0.02 if bureau == "north" else 0.1)
    email = vary_email(rng, people["email"].to_numpy(), 0.97)
    postcode = vary_postcode(rng, people["postcode"].to_numpy())
    dob = pd.DatetimeIndex(people["dob"].to_numpy()).strftime("%Y-%m-%d").to_numpy()
    dob = np.where(rng.random(n) < 0.01, "", dob)
    registered = REFERENCE_MS - rng.integers(DAY_MS, 5 * 365 * DAY_MS, n)
    stamp = pd.to_datetime(registered, unit="ms").strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy()
    order = np.argsort(registered, kind="stable")
    ids = [f"V{i:06d}" for i in range(1, n + 1)] if bureau == "north" else uuids(rng, n).tolist()
    skill_keys, cause_keys = list(SKILLS), list(CAUSES)
    skills = _pick_k(rng, n, len(skill_keys), 1, 4)
    variant = rng.random((n, 4))
    interests = _pick_k(rng, n, len(INTERESTS), 1, 3)
    causes = _pick_k(rng, n, len(cause_keys), 1, 3)
    age = people["age"].to_numpy()
    weekend = rng.random(n) < 0.6
    slots = _pick_k(rng, n, 14, 2, 6)
    weekday_slots = _pick_k(rng, n, 10, 2, 5)
    weekend_slots = _pick_k(rng, n, 4, 1, 4)
    travel = TRAVEL_KM[rng.choice(len(TRAVEL_KM), size=n, p=TRAVEL_P)].astype(float)
    half = (bureau == "south") & (rng.random(n) < 0.3)
    label = 0 if bureau == "north" else 1
    person = people["person_id"].to_numpy()
    per_kind = max(1, n // 1000) if n >= 10 else 0
    picked = rng.choice(n, size=3 * per_kind, replace=False).tolist()
    bad_postcode, bad_travel = set(picked[:per_kind]), set(picked[per_kind:2 * per_kind])
    repeated = set(picked[2 * per_kind:])
    repeat_at: dict[int, list[int]] = {}
    for j in sorted(repeated):
        repeat_at.setdefault(min(n - 1, j + int(rng.integers(1, 20))), []).append(j)
    bad.update(malformed_postcode=per_kind, non_numeric_max_travel_km=per_kind, duplicate_id=per_kind)
    made: dict[int, dict[str, Any]] = {}
    for j, i in enumerate(order.tolist()):
        if age[i] >= 65:
            avail = sorted(weekday_slots[i])
        elif weekend[i]:
            avail = sorted(10 + x for x in weekend_slots[i])
        else:
            avail = sorted(slots[i])
        record: dict[str, Any] = {
            "id": ids[j], "first_name": first[i], "surname": surname[i], "email": email[i],
            "date_of_birth": dob[i], "postcode": postcode[i],
            "skills": [SKILLS[skill_keys[s]][int(variant[i, m] * len(SKILLS[skill_keys[s]]))]
                       for m, s in enumerate(skills[i])],
            "interests": [INTERESTS[x] for x in interests[i]],
            "causes": [CAUSES[cause_keys[c]][label] for c in causes[i]],
            "availability": [AVAILABILITY_SLOTS[x] for x in avail],
            "max_travel_km": travel[i] + 0.5 if half[i] else int(travel[i]),
            "registered_at": stamp[i],
        }
        if j in bad_postcode:
            record["postcode"] = ("N/A", "TBC", str(postcode[i])[:3])[j % 3]
        if j in bad_travel:
            record["max_travel_km"] = f"{record['max_travel_km']} miles"
        truth.append((bureau, ids[j], person[i]))
        yield record
        if j in repeated:
            made[j] = record
        for src in repeat_at.pop(j, []):
            yield made.pop(src)


def build_bureaus(rng_for: Any, geo: Geography, scale: Scale, volunteers: pd.DataFrame,
                  out: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Write bureaus/; return (manifest section, ground-truth frames)."""
    bureaus, changes = build_vacancies(rng_for("bureaus.vacancies"), geo, scale)
    rng = rng_for("bureaus.volunteers")
    home = geo.districts["bureau"].to_numpy()[geo.lsoas["district"].to_numpy()[volunteers["lsoa"].to_numpy()]]
    both = rng.random(len(volunteers)) < BOTH_BUREAUS
    names = bureau_names(scale)
    section: dict[str, Any] = {}
    index, vac_truth, vol_truth = [], [], []
    for name, b in bureaus.items():
        folder = out / "bureaus" / name
        write_jsonl(folder / "vacancy_items.jsonl", sorted(b.items, key=lambda it: (it["epoch"], it["modified"],
                                                                                     it["id"])))
        bad: dict[str, int] = {}
        n_records = write_json_records(folder / "volunteers.json", _volunteer_records(
            rng, name, volunteers[(home == name) | both], vol_truth, bad))
        vac_truth += b.truth
        views = {str(e): feed_view(b.items, e) for e in range(3)}
        index.append({"id": name, "name": names[name], "vacancies": f"/bureaus/{name}/vacancies",
                      "volunteers": f"/bureaus/{name}/volunteers"})
        section[name] = {
            "name": names[name], "vacancy_items": len(b.items),
            "items_by_epoch": {str(e): sum(1 for it in b.items if it["epoch"] == e) for e in range(3)},
            "changes_by_epoch": {e: stats[name] for e, stats in changes.items()},
            "feed_items_at_epoch": {e: len(v) for e, v in views.items()},
            "live_vacancies_at_epoch": {e: sum(1 for it in v if it["state"] == "updated") for e, v in views.items()},
            "vacancies_listed": len(b.truth), "volunteers": n_records, "bad_volunteers": bad,
        }
    write_json(out / "bureaus" / "index.json", {"bureaus": index, "max_epoch": 2})
    live0 = sum(1 for b in bureaus.values() for it in feed_view(b.items, 0) if it["state"] == "updated")
    vds_rng = rng_for("bureaus.vds_platform")  # its own stream: the RPDE bureaus' output is unchanged
    own = canonical_roles(vds_rng, geo, max(1, round(live0 * OWN_SHARE)), 1)
    doc, section["_vds_platform"], platform_truth = build_platform(vds_rng, geo, scale, bureaus, own)
    write_json(out / "bureaus" / PLATFORM / "activities.json", doc)
    vac_truth += platform_truth
    section["_totals"] = {"vacancies_listed": len(vac_truth), "distinct_volunteer_records": len(vol_truth),
                          "volunteer_people": len(volunteers),
                          "cross_posted_roles": int(pd.Series([k for _, _, k in vac_truth]).duplicated().sum())}
    frames = {
        "vacancies.csv": pd.DataFrame(vac_truth, columns=["bureau", "vacancy_id", "canonical_role_id"]),
        "volunteers.csv": pd.DataFrame(vol_truth, columns=["bureau", "volunteer_id", "person_id"]),
        "skills.csv": pd.DataFrame([("skill", text, key) for key, texts in SKILLS.items() for text in texts]
                                   + [("cause", lab, key) for key, labs in CAUSES.items() for lab in labs],
                                   columns=["kind", "text", "canonical"]).drop_duplicates(["kind", "text"]),
    }
    return section, frames
