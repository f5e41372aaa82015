"""ODI/DCMS Volunteering Data Standard (VDS) activities — e.g. a Team Kinetic export — as a snapshot.

A VDS file is a JSON array (or ``{"@graph": [...]}`` / ``{"activities": [...]}``) of ``Activity`` objects:
``id``, ``label`` (the title), ``description`` (HTML entities and CR line ends as exported), ``organisation``,
``applyLink``, ``allowsRemoteParticipation``, optional ``skill``/``cause`` lists, and ``session[]`` with
``location[]`` (``address``, ``latitude``/``longitude``, ``locationType``) and ``time[]`` (``begining`` —
the standard's own spelling — or ``beginning``, ``end``). Each activity lands as one row of
``raw.vds_activities`` plus its sessions' locations and its skills/causes/modes as attributes; an activity
without an id or a label is quarantined with that reason.
"""

from __future__ import annotations

import json
from typing import Any

from ingest.feeds.service_directories import strip_html
from ingest.http_client import FeedClient, FeedError
from ingest.landing import Landing, LoadContext, QuarantineRecord, RawTable, strings_table, with_provenance
from ingest.sources import Source

ACTIVITY_COLUMNS = ["activity_id", "title", "description", "organisation_id", "apply_url", "remote",
                    "start_date", "end_date", "data_json"]
LOCATION_COLUMNS = ["activity_id", "session_id", "location_id", "location_type", "address", "latitude",
                    "longitude"]
ATTRIBUTE_COLUMNS = ["activity_id", "attribute", "value"]


def _activities(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ("@graph", "activities", "items"):
            if isinstance(doc.get(key), list):
                return doc[key]
    raise ValueError("not a Volunteering Data Standard document (a list of activities, or @graph/activities)")


def _labels(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value] if value else []
    out = []
    for v in values:
        text = v.get("label") or v.get("name") or v.get("id") if isinstance(v, dict) else v
        if text and str(text).strip():
            out.append(str(text).strip())
    return out


def activity_rows(activity: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    aid = str(activity["id"])
    sessions = [s for s in activity.get("session") or [] if isinstance(s, dict)]
    times = [t for s in sessions for t in s.get("time") or [] if isinstance(t, dict)]
    starts = sorted(str(t.get("begining") or t.get("beginning") or "")[:10] for t in times
                    if t.get("begining") or t.get("beginning"))
    ends = sorted(str(t["end"])[:10] for t in times if t.get("end"))
    row = {"activity_id": aid, "title": str(activity["label"]).strip(),
           "description": strip_html((activity.get("description") or "").replace("\r", "\n")),
           "organisation_id": activity.get("organisation") if isinstance(activity.get("organisation"), str)
           else (activity.get("organisation") or {}).get("id"),
           "apply_url": activity.get("applyLink"), "remote": activity.get("allowsRemoteParticipation"),
           "start_date": starts[0] if starts else None, "end_date": ends[-1] if ends else None,
           "data_json": json.dumps(activity, ensure_ascii=False, sort_keys=True)}
    locations = [{"activity_id": aid, "session_id": s.get("id"), "location_id": loc.get("id"),
                  "location_type": loc.get("locationType"), "address": (loc.get("address") or "").strip() or None,
                  "latitude": loc.get("latitude"), "longitude": loc.get("longitude")}
                 for s in sessions for loc in s.get("location") or [] if isinstance(loc, dict)]
    attributes = [{"activity_id": aid, "attribute": attr, "value": v}
                  for key, attr in (("skill", "skill"), ("skills", "skill"), ("cause", "cause"), ("causes", "cause"))
                  for v in _labels(activity.get(key))]
    if activity.get("allowsRemoteParticipation"):
        attributes.append({"activity_id": aid, "attribute": "mode", "value": "remote"})
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
        activities = _activities(doc)
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
        row, locs, attrs = activity_rows(activity)
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
