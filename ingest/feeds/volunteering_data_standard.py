"""ODI/DCMS Volunteering Data Standard (VDS) activities — e.g. a Team Kinetic export — as a snapshot.

A VDS file is a JSON array (or ``{"@graph": [...]}`` / ``{"activities": [...]}``) of ``Activity`` objects:
``id``, ``label`` (the title), ``description`` (HTML entities and CR line ends as exported), ``organisation``,
``applyLink``, ``allowsRemoteParticipation``, optional ``skill``/``cause`` lists, and ``session[]`` with
``location[]`` (``address``, ``latitude``/``longitude``, ``locationType``) and ``time[]`` (``begining`` —
the standard's own spelling — or ``beginning``, ``end``, ``dayOfWeek``, ``timeOfDay``). The organisation is an
``@id`` reference, an embedded node, or an ``Organisation`` node in the same ``@graph`` (its ``label`` is the
organisation's name). Each activity lands as one row of ``raw.vds_activities`` plus its sessions' locations and
its skills/causes/modes/availability slots as attributes; an activity without an id or a label is quarantined
with that reason. Dates and slots are read here; postcodes, coordinates and expiry are judged in dbt.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ingest.feeds.service_directories import strip_html
from ingest.http_client import FeedClient, FeedError
from ingest.landing import Landing, LoadContext, QuarantineRecord, RawTable, strings_table, with_provenance
from ingest.sources import Source

ACTIVITY_COLUMNS = ["activity_id", "title", "description", "organisation_id", "organisation_name", "apply_url",
                    "remote",
                    "start_date", "end_date", "data_json"]
LOCATION_COLUMNS = ["activity_id", "session_id", "location_id", "location_type", "location_label", "address",
                    "latitude", "longitude"]
ATTRIBUTE_COLUMNS = ["activity_id", "attribute", "value"]


#: VDS ``timeOfDay`` → the half-day availability slot the bureaus use (mon_am … sun_pm); ``Night`` has none
DAY_CODES = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
             "saturday": "sat", "sunday": "sun"}
HALF_DAYS = {"morning": "am", "afternoon": "pm", "evening": "pm"}


def _nodes(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ("@graph", "activities", "items"):
            if isinstance(doc.get(key), list):
                return doc[key]
    raise ValueError("not a Volunteering Data Standard document (a list of activities, or @graph/activities)")


def _type(node: Any) -> str:
    kind = node.get("type") or node.get("@type") if isinstance(node, dict) else None
    return _term(kind[0] if isinstance(kind, list) and kind else kind)


def _term(value: Any) -> str:
    """``Monday``, ``schema:Monday`` or ``https://id.volunteeringdata.io/schema/Monday`` → ``monday``."""
    return re.split(r"[/#:]", str(value))[-1].strip().lower() if value else ""


def split_graph(doc: Any) -> tuple[list[Any], dict[str, str]]:
    """The document's activities (every node that is not an Organisation) and organisation id → name."""
    nodes = _nodes(doc)
    organisations = {str(n["id"]): str(n.get("label") or n.get("name")).strip() for n in nodes
                     if _type(n) == "organisation" and n.get("id") and (n.get("label") or n.get("name"))}
    return [n for n in nodes if _type(n) != "organisation"], organisations


def _organisation(activity: dict[str, Any], names: dict[str, str]) -> tuple[Any, Any]:
    org = activity.get("organisation")
    if isinstance(org, list):
        org = org[0] if org else None
    if isinstance(org, dict):
        oid = org.get("id")
        name = org.get("label") or org.get("name") or names.get(str(oid))
        return oid, str(name).strip() if name else None
    return org, names.get(str(org)) if org is not None else None


def _slots(times: list[dict[str, Any]]) -> list[str]:
    slots = []
    for t in times:
        days = t.get("dayOfWeek") if isinstance(t.get("dayOfWeek"), list) else [t.get("dayOfWeek")]
        parts = t.get("timeOfDay") if isinstance(t.get("timeOfDay"), list) else [t.get("timeOfDay")]
        for day in days:
            for part in parts:
                d, h = DAY_CODES.get(_term(day)), HALF_DAYS.get(_term(part))
                if d and h and f"{d}_{h}" not in slots:
                    slots.append(f"{d}_{h}")
    return slots


def _labels(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value] if value else []
    out = []
    for v in values:
        text = v.get("label") or v.get("name") or v.get("id") if isinstance(v, dict) else v
        if text and str(text).strip():
            out.append(str(text).strip())
    return out


def activity_rows(activity: dict[str, Any], organisations: dict[str, str] | None = None
                  ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    aid = str(activity["id"])
    org_id, org_name = _organisation(activity, organisations or {})
    sessions = [s for s in activity.get("session") or [] if isinstance(s, dict)]
    times = [t for s in sessions for t in s.get("time") or [] if isinstance(t, dict)]
    starts = sorted(str(t.get("begining") or t.get("beginning") or "")[:10] for t in times
                    if t.get("begining") or t.get("beginning"))
    ends = sorted(str(t["end"])[:10] for t in times if t.get("end"))
    row = {"activity_id": aid, "title": str(activity["label"]).strip(),
           "description": strip_html((activity.get("description") or "").replace("\r", "\n")),
           "organisation_id": org_id, "organisation_name": org_name,
           "apply_url": activity.get("applyLink"), "remote": activity.get("allowsRemoteParticipation"),
           "start_date": starts[0] if starts else None, "end_date": ends[-1] if ends else None,
           "data_json": json.dumps(activity, ensure_ascii=False, sort_keys=True)}
    locations = [{"activity_id": aid, "session_id": s.get("id"), "location_id": loc.get("id"),
                  "location_type": loc.get("locationType"), "location_label": loc.get("locationLabel"),
                  "address": (loc.get("address") or "").strip() or None,
                  "latitude": loc.get("latitude"), "longitude": loc.get("longitude")}
                 for s in sessions for loc in s.get("location") or [] if isinstance(loc, dict)]
    attributes = [{"activity_id": aid, "attribute": attr, "value": v}
                  for key, attr in (("skill", "skill"), ("skills", "skill"), ("cause", "cause"), ("causes", "cause"))
                  for v in _labels(activity.get(key))]
    if activity.get("allowsRemoteParticipation") is True:
        attributes.append({"activity_id": aid, "attribute": "mode", "value": "remote"})
    attributes += [{"activity_id": aid, "attribute": "availability", "value": slot} for slot in _slots(times)]
    return row, locations, attributes


def activity_problem(activity: Any) -> str | None:
    if not isinstance(activity, dict):
        return "activity is not a JSON object"
    if activity.get("id") in (None, "") or isinstance(activity.get("id"), bool):
        return "activity has no id"
    if not str(activity.get("label") or "").strip():
        return "activity has no label (title)"
    return None


def read_vds_activities(client: FeedClient, source: Source, context: LoadContext) -> Landing:
    """Fetch one VDS activities document and land it as a snapshot."""
    doc, payload = client.get_json(source.path)
    try:
        activities, organisations = split_graph(doc)
    except ValueError as exc:
        raise FeedError(source.id, payload.url, str(exc)) from exc
    landing = Landing(context=context, received=len(activities), loaded=0, payloads=[payload])
    rows: list[dict[str, Any]] = []
    locations: list[dict[str, Any]] = []
    attributes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for activity in activities:
        reason = activity_problem(activity)
        if reason is None and str(activity["id"]) in seen:
            reason = "duplicate activity id"
        if reason:
            record = activity if isinstance(activity, dict) else {"value": activity}
            landing.quarantine.append(QuarantineRecord("vds_activity", reason, record,
                                                       str(record.get("id")) if record.get("id") else None,
                                                       payload.sha256))
            continue
        seen.add(str(activity["id"]))
        row, locs, attrs = activity_rows(activity, organisations)
        rows.append(row)
        locations.extend(locs)
        attributes.extend(attrs)
    landing.loaded = len(rows)
    for name, items, columns in (("vds_activities", rows, ACTIVITY_COLUMNS),
                                 ("vds_activity_locations", locations, LOCATION_COLUMNS),
                                 ("vds_activity_attributes", attributes, ATTRIBUTE_COLUMNS)):
        landing.tables.append(RawTable(name, with_provenance(strings_table(items, columns), context,
                                                             payload.fetched_at, payload.sha256)))
    return landing
