"""Service directories (docs/feeds.md §3): canonical services listed by several partner directories.

About 30 % of canonical services are listed by two or three directories, each with its own record
ids, name wording, phone/postcode/URL formatting and category vocabulary. Deprived wards lack some
categories entirely (ground truth ``service_gaps.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from demo.constants import REFERENCE_DATETIME
from demo.directory_layouts import LAYOUT_OF_KIND, PLAIN, apply_layout
from demo.geography import Geography
from demo.names import SAINTS, STREET_STEMS, STREET_TYPES, VENUE_TEMPLATES, slug
from demo.people import postcodes_in
from demo.rng import uuids
from demo.scales import Scale
from demo.service_vocab import (
    AFFINITY,
    CATEGORIES,
    CATEGORY_KEYS,
    DEFAULT_AFFINITY,
    DESCRIPTIONS,
    GAP_PRONE,
    ORG_TEMPLATES,
    SERVICE_STEMS,
    TERMS,
)
from demo.writers import write_json, write_json_records

LISTINGS_PER_SERVICE = (np.array([1, 2, 3]), np.array([0.67, 0.19, 0.14]))
INVALID_RATE = 0.005
INVALID_KINDS = ("missing_name", "unknown_status", "malformed_postcode", "malformed_email", "malformed_url")
STATUS_SHARES = (("active", 0.88), ("inactive", 0.04), ("defunct", 0.04), ("temporarily closed", 0.04))


@dataclass(frozen=True)
class Directory:
    """One partner directory."""

    id: str
    name: str
    kind: str  # council | nhs | vcs | regional
    api_version: str
    area: int  # -1 = covers every area
    vocabulary: str
    phone_style: int
    layout: str = PLAIN  # demo/directory_layouts.py: the real partner layout it publishes in


def directory_specs(geo: Geography, scale: Scale) -> list[Directory]:
    """Three directories per service area (council and NHS on v3, voluntary sector on v1), plus a regional one.
    The NHS one speaks HSDS 3.0 list-then-detail, the voluntary-sector one a real ORUK 1 council layout."""
    specs = []
    for area in range(scale.n_service_areas):
        members = geo.districts.index[geo.districts["service_area"] == area]
        name = scale.county_name if scale.n_service_areas == 1 else str(geo.districts["name"][members[0]])
        prefix = "" if area == 0 else f"{slug(name).replace('-', '_')}_"
        specs += [
            Directory(f"{prefix}council", f"{name} Council Community Directory", "council", "3", area,
                      f"{slug(name)}-council-categories", 0),
            Directory(f"{prefix}nhs", f"{name} Health and Wellbeing Directory (NHS)", "nhs", "3", area,
                      f"{slug(name)}-nhs-service-types", 1, LAYOUT_OF_KIND["nhs"]),
            Directory(f"{prefix}vcs", f"Voluntary Action {name} Directory", "vcs", "1", area,
                      f"va-{slug(name)}-themes", 2, LAYOUT_OF_KIND["vcs"]),
        ]
    if scale.regional_directory:
        specs.append(Directory("regional", f"{scale.county_name} Regional Services Finder", "regional", "3", -1,
                               "regional-finder-topics", 3))
    return specs


def _vocabularies(rng: np.random.Generator, dirs: list[Directory]) -> dict[str, dict[str, tuple[str, str]]]:
    """Per directory: category → (term id, label). Kind-only categories exist only in that kind's vocabulary."""
    out = {}
    for d in dirs:
        terms = {}
        for i, cat in enumerate(CATEGORY_KEYS):
            only = CATEGORIES[cat][1]
            if only and only != d.kind:
                continue
            pool = TERMS[cat]
            label = pool[int(rng.integers(0, len(pool)))]
            term_id = f"{d.vocabulary}:{i + 1:02d}" if d.api_version == "3" else str(100 + 7 * i)
            terms[cat] = (term_id, label)
        out[d.id] = terms
    return out


def _venues(rng: np.random.Generator, geo: Geography) -> pd.DataFrame:
    """A pool of community venues per ward (libraries, halls, centres) that services share."""
    per_ward = np.bincount(geo.lsoas["ward"].to_numpy(), minlength=len(geo.wards)) + 2
    ward = np.repeat(np.arange(len(geo.wards)), per_ward)
    n = len(ward)
    first = np.searchsorted(geo.lsoas["ward"].to_numpy(), ward)
    lsoa = first + (rng.random(n) * (per_ward[ward] - 2)).astype(np.int64)
    wname = geo.wards["name"].to_numpy()[ward]
    tpl = np.array(VENUE_TEMPLATES, dtype=object)[rng.integers(0, len(VENUE_TEMPLATES), n)]
    saint = np.array(SAINTS, dtype=object)[rng.integers(0, len(SAINTS), n)]
    street = (np.array(STREET_STEMS, dtype=object)[rng.integers(0, len(STREET_STEMS), n)] + " "
              + np.array(STREET_TYPES, dtype=object)[rng.integers(0, len(STREET_TYPES), n)])
    postcode = postcodes_in(rng, geo, lsoa)
    pc_index = pd.Index(geo.postcodes["pcds"])
    pc_rows = pc_index.get_indexer(postcode)
    return pd.DataFrame({
        "ward": ward, "lsoa": lsoa,
        "name": [t.format(place=w, saint=s) for t, w, s in zip(tpl, wname, saint, strict=True)],
        "address_1": rng.integers(1, 180, n).astype(str).astype(object) + " " + street,
        "city": wname, "postcode": postcode,
        "lat": np.round(geo.postcodes["lat"].to_numpy()[pc_rows] + rng.normal(0, 0.0008, n), 6),
        "lon": np.round(geo.postcodes["lon"].to_numpy()[pc_rows] + rng.normal(0, 0.0012, n), 6),
    })


def canonical_services(rng: np.random.Generator, geo: Geography, scale: Scale) -> tuple[pd.DataFrame,
                                                                                            pd.DataFrame,
                                                                                            pd.DataFrame]:
    """(services, service locations, deliberate gaps) before any directory lists them."""
    n = round(scale.n_lsoa * scale.services_per_lsoa)
    shares = np.array([CATEGORIES[c][0] for c in CATEGORY_KEYS])
    cat = rng.choice(len(CATEGORY_KEYS), size=n, p=shares / shares.sum())
    home = rng.integers(0, len(geo.lsoas), n)
    ward = geo.lsoas["ward"].to_numpy()[home]
    district = geo.lsoas["district"].to_numpy()[home]
    wname, dname = geo.wards["name"].to_numpy()[ward], geo.districts["name"].to_numpy()[district]
    stems, orgs, status = [], [], []
    status_draw = rng.choice(len(STATUS_SHARES), size=n, p=[p for _, p in STATUS_SHARES])
    saints = rng.integers(0, len(SAINTS), n)
    pick = rng.random((n, 2))
    for i in range(n):
        key = CATEGORY_KEYS[cat[i]]
        stems.append(SERVICE_STEMS[key][int(pick[i, 0] * len(SERVICE_STEMS[key]))])
        tpl = ORG_TEMPLATES[key][int(pick[i, 1] * len(ORG_TEMPLATES[key]))]
        orgs.append(tpl.format(D=dname[i], T=wname[i], S=SAINTS[saints[i]]))
        status.append(STATUS_SHARES[status_draw[i]][0])
    services = pd.DataFrame({
        "service_key": [f"CS{i:07d}" for i in range(1, n + 1)], "category": np.array(CATEGORY_KEYS)[cat],
        "stem": stems, "organisation": orgs, "home_lsoa": home, "district": district, "town": wname,
        "status": status, "phone": rng.integers(200000, 999999, n), "area": geo.districts["service_area"]
        .to_numpy()[district],
    })
    services["org_key"] = services["district"].astype(str) + "|" + services["organisation"]
    n_loc = rng.choice([1, 2, 3], p=[0.72, 0.20, 0.08], size=n)
    svc = np.repeat(np.arange(n), n_loc)
    k = pd.Series(svc).groupby(svc).cumcount().to_numpy()
    first = np.searchsorted(geo.lsoas["district"].to_numpy(), district[svc])
    size = np.bincount(geo.lsoas["district"].to_numpy(), minlength=len(geo.districts))[district[svc]]
    loc_lsoa = np.where(k == 0, home[svc], first + (rng.random(len(svc)) * size).astype(np.int64))
    venues = _venues(rng, geo)
    venue_ward = venues["ward"].to_numpy()
    vfirst = np.searchsorted(venue_ward, geo.lsoas["ward"].to_numpy()[loc_lsoa])
    vcount = np.bincount(venue_ward, minlength=len(geo.wards))[geo.lsoas["ward"].to_numpy()[loc_lsoa]]
    venue = vfirst + (rng.random(len(svc)) * vcount).astype(np.int64)
    locations = pd.DataFrame({"service": svc, "k": k + 1, "venue": venue})
    locations = locations.drop_duplicates(["service", "venue"]).reset_index(drop=True)
    locations = pd.concat([locations, venues.iloc[locations["venue"].to_numpy()].reset_index(drop=True)], axis=1)
    # deliberate gaps: some deprived wards lack two gap-prone categories altogether
    ward_decile = geo.lsoas.groupby("ward")["imd_decile"].mean().to_numpy()
    gap_wards = np.flatnonzero((ward_decile <= 3) & (rng.random(len(geo.wards)) < 0.6))
    gaps = pd.DataFrame({
        "ward": np.repeat(gap_wards, 2),
        "category": np.concatenate([rng.choice(GAP_PRONE, size=2, replace=False) for _ in gap_wards])
        if len(gap_wards) else np.array([], dtype=object),
    })
    loc_cat = services["category"].to_numpy()[locations["service"].to_numpy()]
    gap_keys = set(zip(gaps["ward"].tolist(), gaps["category"].tolist(), strict=True))
    drop = np.array([(w, c) in gap_keys for w, c in zip(locations["ward"].tolist(), loc_cat.tolist(),
                                                        strict=True)], dtype=bool)
    locations = locations[~drop].reset_index(drop=True)
    kept = np.unique(locations["service"].to_numpy())
    remap = np.full(n, -1)
    remap[kept] = np.arange(len(kept))
    services = services.iloc[kept].reset_index(drop=True)
    locations["service"] = remap[locations["service"].to_numpy()]
    locations["k"] = locations.groupby("service").cumcount() + 1
    locations["canonical_id"] = services["service_key"].to_numpy()[locations["service"].to_numpy()] + "-" + \
        locations["k"].astype(str)
    gaps["WD24CD"] = geo.wards["code"].to_numpy()[gaps["ward"].to_numpy()]
    return services, locations, gaps[["WD24CD", "category"]]


def choose_listings(rng: np.random.Generator, services: pd.DataFrame, dirs: list[Directory]) -> pd.DataFrame:
    """(service, directory index, is_primary) for every listing."""
    n, m = len(services), len(dirs)
    weight = np.zeros((n, m))
    cats, areas = services["category"].to_numpy(), services["area"].to_numpy()
    for j, d in enumerate(dirs):
        aff = np.array([AFFINITY[d.kind].get(c, DEFAULT_AFFINITY[d.kind]) for c in CATEGORY_KEYS])
        w = aff[pd.Index(CATEGORY_KEYS).get_indexer(cats)]
        only = np.array([CATEGORIES[c][1] for c in cats], dtype=object)
        w = np.where((only != "") & (only != d.kind), 0.0, w)
        weight[:, j] = np.where((d.area == -1) | (areas == d.area), w, 0.0)
    k = rng.choice(LISTINGS_PER_SERVICE[0], p=LISTINGS_PER_SERVICE[1], size=n)
    k = np.minimum(k, (weight > 0).sum(axis=1))
    with np.errstate(divide="ignore"):
        score = np.log(weight) + rng.gumbel(size=weight.shape)
    order = np.argsort(-score, axis=1)
    taken = np.arange(m)[None, :] < k[:, None]
    service = np.broadcast_to(np.arange(n)[:, None], order.shape)[taken]
    rank = np.broadcast_to(np.arange(m)[None, :], order.shape)[taken]
    return pd.DataFrame({"service": service, "directory": order[taken], "primary": rank == 0})


def _phone(dial: str, number: int, style: int) -> str:
    local = f"{number:06d}"
    styles = (f"{dial} {local}", f"+44 {dial[1:]} {local}", f"{dial}{local}", f"({dial}) {local}",
              f"+44 (0){dial[1:]} {local[:3]} {local[3:]}")
    return styles[style % len(styles)]


def _name_variant(stem: str, org: str, town: str, variant: int) -> str:
    forms = (stem, f"{org} – {stem}", f"{stem} ({org})", f"{org} {stem.lower()}", f"{stem} - {town}",
             stem.replace("&", "and").replace("Drop-in", "Drop In"))
    return forms[variant % len(forms)]


def _postcode_variant(pc: str, style: float) -> str:
    if style < 0.08:
        return pc.lower()
    if style < 0.18:
        return pc.replace(" ", "")
    return pc


def _url_variant(url: str, style: float) -> str:
    if style < 0.15:
        return url.replace("https://", "https://www.")
    if style < 0.28:
        return url + "/"
    if style < 0.33:
        return url.replace("https://", "http://www.") + "/"
    return url


def _invalid(record: dict[str, Any], kind: str, rng: np.random.Generator) -> None:
    """Break one field of a record (v3 or v1 shape) in place."""
    if kind == "missing_name":
        record["name"] = None if rng.random() < 0.5 else ""
    elif kind == "unknown_status":
        record["status"] = ("open", "suspended", "Active?", "unknown")[int(rng.integers(0, 4))]
    elif kind == "malformed_email":
        record["email"] = ("info@", "enquiries.shire.org.uk", "hello@@example", "n/a")[int(rng.integers(0, 4))]
    elif kind == "malformed_url":
        record["url"] = ("htps//" + record["url"].split("//")[-1], "www..example", "see website")[
            int(rng.integers(0, 3))]
    else:
        loc = record["service_at_locations"][0]["location"]
        addr = (loc.get("addresses") or loc.get("physical_addresses"))[0]
        addr["postal_code"] = (addr["postal_code"][:-1], "N/A", "TBC", "XX99")[int(rng.integers(0, 4))]


def _website(org: str) -> str:
    host = f"{slug(org)}.gov.uk" if "Council" in org or "Libraries" in org else f"{slug(org)}.org.uk"
    return f"https://{host}"


@dataclass
class _Catalogue:
    """Canonical services and their locations as plain lists, for fast per-record assembly."""

    svc: dict[str, list[Any]]
    loc: dict[str, list[Any]]
    loc_start: np.ndarray
    loc_count: np.ndarray
    dial: np.ndarray
    vocab: dict[str, dict[str, tuple[str, str]]]

    @classmethod
    def build(cls, geo: Geography, services: pd.DataFrame, locations: pd.DataFrame,
              vocab: dict[str, dict[str, tuple[str, str]]]) -> _Catalogue:
        owner = locations["service"].to_numpy()
        return cls(
            svc={c: services[c].tolist() for c in ("category", "stem", "organisation", "town", "status", "phone",
                                                   "org_key")},
            loc={c: locations[c].tolist() for c in ("name", "address_1", "city", "postcode", "lat", "lon",
                                                    "canonical_id")},
            loc_start=np.searchsorted(owner, np.arange(len(services))),
            loc_count=np.bincount(owner, minlength=len(services)),
            dial=geo.districts["dial_code"].to_numpy()[services["district"].to_numpy()], vocab=vocab)


def _directory_records(rng: np.random.Generator, d: Directory, mine: pd.DataFrame,
                       cat: _Catalogue) -> tuple[list[dict[str, Any]], list[tuple[str, str, str, str]]]:
    """One directory's records (in its API version's shape) and their ground-truth rows."""
    n = len(mine)
    svc, locs = cat.svc, cat.loc
    ids = _ids(rng, d, n, "svc")
    n_loc_total = int(cat.loc_count[mine["service"].to_numpy()].sum())
    loc_ids, sal_ids = _ids(rng, d, n_loc_total, "loc"), _ids(rng, d, n_loc_total, "sal")
    org_ids: dict[str, str] = {}
    u = rng.random((n, 8))
    variants = rng.integers(0, 6, n)
    modified = REFERENCE_DATETIME.timestamp() - rng.integers(86_400, 400 * 86_400, n)
    records, truth, li = [], [], 0
    address_key = "addresses" if d.api_version == "3" else "physical_addresses"
    for r, (s, primary) in enumerate(zip(mine["service"].tolist(), mine["primary"].tolist(), strict=True)):
        category = svc["category"][s]
        org = svc["organisation"][s] + (" CIO" if d.kind == "vcs" and u[r, 0] < 0.2 else "")
        org_id = org_ids.setdefault(svc["org_key"][s], _org_id(d, len(org_ids)))
        website = _website(svc["organisation"][s])
        local = ("info", "hello", "enquiries", slug(category).split("-")[0])[int(u[r, 2] * 4)]
        email = f"{local}@{website.split('//')[1]}"
        take = cat.loc_count[s] if primary or u[r, 5] > 0.2 else 1  # secondary listings may show one site
        sals = []
        for q in range(cat.loc_start[s], cat.loc_start[s] + take):
            addr = {"address_1": locs["address_1"][q], "city": locs["city"][q],
                    "postal_code": _postcode_variant(locs["postcode"][q], float(rng.random())), "country": "GB"}
            sals.append({"id": sal_ids[li], "location": {"id": loc_ids[li], "name": locs["name"][q],
                                                         "latitude": locs["lat"][q], "longitude": locs["lon"][q],
                                                         address_key: [addr]}})
            truth.append((d.id, ids[r], loc_ids[li], locs["canonical_id"][q]))
            li += 1
        term_id, term = cat.vocab[d.id][category]
        phone = _phone(str(cat.dial[s]), int(svc["phone"][s]),
                       d.phone_style if u[r, 7] < 0.7 else int(u[r, 7] * 50))
        rec: dict[str, Any] = {
            "id": ids[r],
            "name": _name_variant(svc["stem"][s], org, svc["town"][s],
                                  0 if primary and u[r, 6] < 0.5 else int(variants[r])),
            "description": f"{DESCRIPTIONS[category]} Run by {org}.",
            "url": _url_variant(f"{website}/{slug(svc['stem'][s])}", u[r, 1]),
            "email": email.capitalize() if u[r, 3] < 0.05 else email,
            "status": svc["status"][s] if u[r, 4] > 0.07 else "active",  # some listings are stale
            "organization": {"id": org_id, "name": org, "website": website},
        }
        if d.api_version == "3":
            rec.update(phones=[{"number": phone}],
                       taxonomy_terms=[{"id": term_id, "term": term, "vocabulary": d.vocabulary}],
                       service_at_locations=sals, last_modified=_iso(modified[r]))
        else:
            rec.update(contacts=[{"id": f"{ids[r]}-c1", "name": "Enquiries", "phones": [{"number": phone}]}],
                       service_taxonomys=[{"id": f"{ids[r]}-t1", "taxonomy": {"id": term_id, "name": term,
                                                                              "vocabulary": d.vocabulary}}],
                       service_at_locations=sals)
        records.append(rec)
    return records, truth


def _canonical_table(geo: Geography, services: pd.DataFrame, locations: pd.DataFrame) -> pd.DataFrame:
    owner = locations["service"].to_numpy()
    return pd.DataFrame({
        "canonical_service_id": locations["canonical_id"],
        "service_key": services["service_key"].to_numpy()[owner],
        "category": services["category"].to_numpy()[owner], "name": services["stem"].to_numpy()[owner],
        "organisation": services["organisation"].to_numpy()[owner],
        "status": services["status"].to_numpy()[owner], "venue": locations["name"],
        "postcode": locations["postcode"], "LSOA21CD": geo.lsoas["code"].to_numpy()[locations["lsoa"].to_numpy()],
        "WD24CD": geo.wards["code"].to_numpy()[locations["ward"].to_numpy()],
    })


def build_directories(rng_for: Any, geo: Geography, scale: Scale, out: Path) -> tuple[dict[str, Any], dict]:
    """Write directories/; return (manifest section, ground-truth frames)."""
    dirs = directory_specs(geo, scale)
    vocab = _vocabularies(rng_for("directories.vocab"), dirs)
    services, locations, gaps = canonical_services(rng_for("directories.canonical"), geo, scale)
    listings = choose_listings(rng_for("directories.listings"), services, dirs)
    catalogue = _Catalogue.build(geo, services, locations, vocab)
    rng = rng_for("directories.records")
    section: dict[str, Any] = {}
    index, truth, taxonomy = [], [], []
    for j, d in enumerate(dirs):
        records, rows = _directory_records(rng, d, listings[listings["directory"] == j], catalogue)
        truth += rows
        invalid = _break_some(rng, records)
        apply_layout(rng_for(f"directories.layout.{d.id}"), d.layout, records)  # own stream: truth unchanged
        write_json_records(out / "directories" / d.id / "services.json", records)
        taxonomy += [(d.id, tid, label, c) for c, (tid, label) in vocab[d.id].items()]
        index.append({"id": d.id, "name": d.name, "api_version": d.api_version, "layout": d.layout,
                      "services": f"/directories/{d.id}/services"})
        section[d.id] = {"name": d.name, "api_version": d.api_version, "kind": d.kind, "layout": d.layout,
                         "records": len(records),
                         "service_at_locations": len(rows), "invalid_records": invalid}
    write_json(out / "directories" / "index.json", {"directories": index})
    listed = listings["service"].nunique()
    section["_totals"] = {
        "directories": len(dirs), "records": len(listings), "canonical_services": len(services),
        "canonical_service_locations": len(locations), "listed_canonical_services": int(listed),
        "duplicate_listing_share": round(1 - listed / max(1, len(listings)), 4),
        "deliberate_gaps": len(gaps),
    }
    frames = {
        "services.csv": pd.DataFrame(truth, columns=["directory", "service_id", "location_id",
                                                     "canonical_service_id"]),
        "canonical_services.csv": _canonical_table(geo, services, locations), "service_gaps.csv": gaps,
        "taxonomy.csv": pd.DataFrame(taxonomy, columns=["directory", "term_id", "term", "category"]),
    }
    return section, frames


def _iso(ts: float) -> str:
    return pd.Timestamp(int(ts), unit="s").strftime("%Y-%m-%dT%H:%M:%SZ")


def _ids(rng: np.random.Generator, d: Directory, n: int, what: str) -> list[str]:
    if d.kind == "council":
        return uuids(rng, n).tolist()
    numbers = np.sort(rng.choice(np.arange(10_000, 10_000 + 20 * max(n, 1)), size=n, replace=False))
    if d.kind == "vcs":
        return [str(x + {"svc": 0, "loc": 500_000, "sal": 900_000}[what]) for x in numbers]
    prefix = "REG-" if d.kind == "regional" else ""
    return [f"{prefix}{what}-{x:07d}" for x in rng.permutation(numbers)]


def _org_id(d: Directory, i: int) -> str:
    return f"org-{d.id}-{i + 1:05d}" if d.api_version == "3" else str(70_000 + i)


def _break_some(rng: np.random.Generator, records: list[dict[str, Any]]) -> list[dict[str, str]]:
    n = max(1, round(len(records) * INVALID_RATE)) if records else 0
    chosen = np.sort(rng.choice(len(records), size=n, replace=False)) if n else []
    broken = []
    for i, r in enumerate(chosen):
        kind = INVALID_KINDS[(i + int(rng.integers(0, len(INVALID_KINDS)))) % len(INVALID_KINDS)]
        _invalid(records[r], kind, rng)
        broken.append({"id": records[r]["id"], "problem": kind})
    return broken
