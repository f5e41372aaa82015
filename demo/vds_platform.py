"""A volunteering platform publishing its activities in the ODI/DCMS Volunteering Data Standard (VDS) layout.

The platform re-advertises a share of the roles the two RPDE bureaus list at epoch 0 (the same organisation,
postcode, start date and availability, in VDS form: an ``Organisation`` node in the ``@graph``, the postcode
inside the address text, slots as session times' ``dayOfWeek`` × ``timeOfDay``) and lists a few roles of its
own — some with only coordinates, no postcode in the address. It is one snapshot (``activities.json``), the
same at every epoch. One activity has no label (ingest quarantines it). Ground truth: the platform's
activities join ``ground_truth/vacancies.csv`` as bureau ``platform``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from demo.geography import Geography
from demo.names import slug
from demo.scales import Scale
from demo.volunteering_vocab import CAUSES, ROLE_TYPES, SKILLS

NAME = "platform"
CROSS_SHARE = 0.08  # of the roles live at epoch 0 in either bureau
OWN_SHARE = 0.02  # the platform's own roles, as a share of those
NO_POSTCODE = 0.3  # of its own roles: an address without a postcode (placed by coordinates)
DAYS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
        "sat": "Saturday", "sun": "Sunday"}
HALVES = {"am": "Morning", "pm": "Afternoon"}
SCHEMA = "https://id.volunteeringdata.io/schema/"


def _pcds(postcode: str) -> str:
    compact = re.sub(r"\s+", "", postcode).upper()
    return f"{compact[:-3]} {compact[-3:]}"


def _times(aid: str, start: str, closing: str, slots: list[str]) -> list[dict[str, Any]]:
    return [{"id": f"t{aid}-{i}", "beginning": f"{start}T09:00:00", "end": f"{closing}T17:00:00",
             "dayOfWeek": f"{SCHEMA}{DAYS[slot[:3]]}", "timeOfDay": HALVES[slot[4:]]}
            for i, slot in enumerate(slots)]


class _Writer:
    """Accumulates the platform's graph: organisation nodes (one per name) and activities."""

    def __init__(self, host: str, geo: Geography) -> None:
        self.host, self.without_postcode = host, 0
        self.orgs: dict[str, str] = {}
        self.activities: list[dict[str, Any]] = []
        pcs = geo.postcodes
        self.coords = dict(zip(pcs["pcds"], zip(pcs["lat"].round(6), pcs["lon"].round(6), strict=True),
                               strict=True))

    def org(self, name: str) -> str:
        return self.orgs.setdefault(name, f"https://{self.host}/organisations/{len(self.orgs) + 1}")

    def add(self, rng: np.random.Generator, role: dict[str, Any], with_postcode: bool) -> str:
        """One activity for ``role`` (organisation, postcode, start, closing, availability, title, skills, causes)."""
        aid = str(7_000_000 + len(self.activities) * 7 + int(rng.integers(0, 7)))
        postcode = _pcds(role["postcode"])
        lat, lon = self.coords[postcode]
        street = f"{int(rng.integers(1, 200))} {role['organisation'].split()[0]} Road"
        self.without_postcode += not with_postcode
        self.activities.append({
            "id": aid, "type": "Activity", "label": f"{role['title']}\r\n",
            "organisation": self.org(role["organisation"]),
            "description": f"<p>{role['organisation']} needs a {role['title'].lower()}.&nbsp;Training provided.</p>",
            "allowsRemoteParticipation": False, "requiresEmergencyParticipation": False,
            "applyLink": f"https://{self.host}/activities/{aid}",
            "session": [{"id": f"s{aid}", "location": [{
                "id": f"l{aid}", "locationType": "In Person",
                "address": f"{street}, {postcode}" if with_postcode else street,
                "latitude": float(lat), "longitude": float(lon)}],
                "time": _times(aid, role["start"], role["closing"], role["availability"])}],
            "skill": [{"id": f"https://{self.host}/skills/{slug(label)}", "label": label} for label in role["skills"]],
            "cause": [{"id": f"https://{self.host}/causes/{slug(label)}", "label": label} for label in role["causes"]],
        })
        return aid

    def document(self) -> dict[str, Any]:
        orgs = [{"id": oid, "type": "Organisation", "label": name} for name, oid in self.orgs.items()]
        return {"@context": "https://api.volunteeringdata.io/context/v1", "@graph": orgs + self.activities}


def _epoch0_roles(bureaus: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Role key → the role's details as its first bureau (north before south) lists it at epoch 0."""
    from demo.bureaus import feed_view

    roles: dict[str, dict[str, Any]] = {}
    for name in sorted(bureaus):
        b = bureaus[name]
        key_of = {vid: key for _, vid, key in b.truth}
        for item in feed_view(b.items, 0):
            if item["state"] != "updated" or key_of[item["id"]] in roles:
                continue
            d = item["data"]
            roles[key_of[item["id"]]] = {
                "organisation": d["organisation"]["name"], "postcode": d["postcode"], "start": d["start_date"],
                "closing": d["closing_date"], "availability": d["availability"], "title": d["title"],
                "skills": d["skills_needed"], "causes": d["causes"]}
    return roles


def build_platform(rng: np.random.Generator, geo: Geography, scale: Scale, bureaus: dict[str, Any],
                   own_roles: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str, str]]]:
    """(VDS document, manifest section, ground-truth rows) for the platform."""
    writer = _Writer(f"{slug(scale.county_name)}-volunteering-platform.org.uk", geo)
    truth: list[tuple[str, str, str]] = []
    epoch0 = _epoch0_roles(bureaus)
    keys = sorted(epoch0)
    picked = sorted(rng.choice(len(keys), size=max(1, round(len(keys) * CROSS_SHARE)), replace=False).tolist())
    for i in picked:
        truth.append((NAME, writer.add(rng, epoch0[keys[i]], True), keys[i]))
    cross = len(truth)
    for i, role in enumerate(own_roles.to_dict("records")):
        titles, skills, causes = ROLE_TYPES[role["role_type"]][:3]
        aid = writer.add(rng, {
            "organisation": role["organisation"], "postcode": role["postcode"],
            "start": role["start"].date().isoformat(), "closing": role["closing"].date().isoformat(),
            "availability": role["availability"], "title": titles[role["title_index"]],
            "skills": [SKILLS[k][int(rng.integers(0, len(SKILLS[k])))] for k in skills],
            "causes": [CAUSES[k][int(rng.integers(0, 2))] for k in causes]}, bool(rng.random() >= NO_POSTCODE))
        truth.append((NAME, aid, f"VP{i + 1:07d}"))
    doc = writer.document()
    unlabelled = {**doc["@graph"][-1], "id": str(6_999_999), "label": "  "}  # refused at ingest: no label
    doc["@graph"].append(unlabelled)
    activities = [n for n in doc["@graph"] if n["type"] == "Activity"]
    section = {
        "name": f"{scale.county_name} Volunteering Platform", "format": "Volunteering Data Standard",
        "path": f"/bureaus/{NAME}/activities.json", "activities": len(activities),
        "organisations": len(writer.orgs), "cross_posted": cross, "own_roles": len(truth) - cross,
        "without_postcode": writer.without_postcode,
        "bad_activities": {"no_label": 1},
    }
    return doc, section, truth
