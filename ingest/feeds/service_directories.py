"""Partner service directories (Open Referral UK / HSDS-style paged APIs).

Each record is upgraded to one current shape (ORUK 1 → 3: ``contacts[].phones`` → ``phones``,
``service_taxonomys`` → ``taxonomy_terms``, ``physical_addresses`` → ``addresses``), validated
against a JSON Schema of the service shape plus field checks (status, postcode, email, URL), and
landed relationally: services, service-at-locations, taxonomy terms and phones.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema

from ingest.checks import EMAIL, URL
from ingest.http_client import FeedClient
from ingest.landing import Landing, LoadContext, QuarantineRecord, RawTable, strings_table, with_provenance
from ingest.paging import iter_pages
from ingest.pseudonymise import normalise_postcode
from ingest.sources import Source

STATUSES = ("active", "inactive", "defunct", "temporarily closed")

SERVICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "status"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "description": {"type": ["string", "null"]},
        "url": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
        "status": {"enum": list(STATUSES)},
        "organization": {"type": ["object", "null"], "properties": {
            "id": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]},
            "website": {"type": ["string", "null"]}}},
        "phones": {"type": "array", "items": {"type": "object", "properties": {"number": {"type": "string"}}}},
        "taxonomy_terms": {"type": "array", "items": {"type": "object", "required": ["term"], "properties": {
            "id": {"type": ["string", "null"]}, "term": {"type": "string"},
            "vocabulary": {"type": ["string", "null"]}}}},
        "service_at_locations": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": ["string", "null"]},
            "location": {"type": "object", "properties": {
                "latitude": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
                "longitude": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
                "addresses": {"type": "array", "items": {"type": "object"}}}}}}},
    },
}

SERVICE_COLUMNS = ["service_id", "service_name", "description", "status", "service_url", "service_email",
                   "organization_id", "organization_name", "organization_website", "last_modified",
                   "api_version", "record_json"]
LOCATION_COLUMNS = ["service_id", "service_at_location_id", "location_id", "location_name", "address_1",
                    "city", "postal_code", "country", "latitude", "longitude"]
TAXONOMY_COLUMNS = ["service_id", "term_id", "term", "vocabulary"]
PHONE_COLUMNS = ["service_id", "position", "number"]


def upgrade_v1(record: dict[str, Any]) -> dict[str, Any]:
    """Rewrite an ORUK 1 service into the current shape (current records pass through)."""
    if "service_taxonomys" not in record and "contacts" not in record and not any(
        "physical_addresses" in (sal.get("location") or {}) for sal in record.get("service_at_locations") or []
    ):
        return record
    out = {k: v for k, v in record.items() if k not in ("contacts", "service_taxonomys")}
    phones = list(record.get("phones") or [])
    for contact in record.get("contacts") or []:
        phones.extend(contact.get("phones") or [])
    out["phones"] = phones
    out["taxonomy_terms"] = [
        {"id": (t.get("taxonomy") or {}).get("id"), "term": (t.get("taxonomy") or {}).get("name"),
         "vocabulary": (t.get("taxonomy") or {}).get("vocabulary")}
        for t in record.get("service_taxonomys") or []
    ]
    sals = []
    for sal in record.get("service_at_locations") or []:
        location = dict(sal.get("location") or {})
        if "physical_addresses" in location:
            location["addresses"] = location.pop("physical_addresses")
        sals.append({**sal, "location": location})
    out["service_at_locations"] = sals
    return out


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SERVICE_SCHEMA)


def service_problem(service: dict[str, Any]) -> str | None:
    """First reason a (current-shape) service record is invalid, or None."""
    errors = sorted(_validator().iter_errors(service), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "record"
        return f"schema: {where}: {err.message}"
    if service.get("email") and not EMAIL.match(service["email"].strip()):
        return f"email {service['email']!r} is malformed"
    for field, value in (("url", service.get("url")), ("organization.website",
                                                       (service.get("organization") or {}).get("website"))):
        if value and not URL.match(value.strip()):
            return f"{field} {value!r} is malformed"
    for sal in service.get("service_at_locations") or []:
        for address in (sal.get("location") or {}).get("addresses") or []:
            postcode = address.get("postal_code")
            if postcode and normalise_postcode(postcode) is None:
                return f"postal_code {postcode!r} is malformed"
    return None


def _flatten(service: dict[str, Any], original: dict[str, Any], version: str) -> dict[str, list[dict[str, Any]]]:
    sid = service["id"]
    org = service.get("organization") or {}
    rows: dict[str, list[dict[str, Any]]] = {"services": [{
        "service_id": sid, "service_name": service["name"], "description": service.get("description"),
        "status": service["status"], "service_url": service.get("url"), "service_email": service.get("email"),
        "organization_id": org.get("id"), "organization_name": org.get("name"),
        "organization_website": org.get("website"), "last_modified": service.get("last_modified"),
        "api_version": version, "record_json": json.dumps(original, ensure_ascii=False, sort_keys=True),
    }], "locations": [], "taxonomy": [], "phones": []}
    for sal in service.get("service_at_locations") or []:
        location = sal.get("location") or {}
        addresses = location.get("addresses") or [{}]
        address = addresses[0]
        rows["locations"].append({
            "service_id": sid, "service_at_location_id": sal.get("id"), "location_id": location.get("id"),
            "location_name": location.get("name"), "address_1": address.get("address_1"),
            "city": address.get("city"), "postal_code": address.get("postal_code"),
            "country": address.get("country"), "latitude": location.get("latitude"),
            "longitude": location.get("longitude"),
        })
    for term in service.get("taxonomy_terms") or []:
        rows["taxonomy"].append({"service_id": sid, "term_id": term.get("id"), "term": term.get("term"),
                                 "vocabulary": term.get("vocabulary")})
    for i, phone in enumerate(service.get("phones") or [], start=1):
        if phone.get("number"):
            rows["phones"].append({"service_id": sid, "position": i, "number": phone["number"]})
    return rows


def read_directory(client: FeedClient, source: Source, context: LoadContext, per_page: int = 200) -> Landing:
    """Harvest every page of one directory into a Landing."""
    landing = Landing(context=context, received=0, loaded=0)
    collected: dict[str, list[dict[str, Any]]] = {"services": [], "locations": [], "taxonomy": [], "phones": []}
    shas: dict[str, list[str]] = {k: [] for k in collected}
    seen: dict[str, str] = {}
    envelopes: set[str] = set()
    for page in iter_pages(client, source.path, per_page=per_page, max_pages=source.max_pages):
        landing.payloads.append(page.payload)
        envelopes.add(page.envelope)
        for original in page.records:
            landing.received += 1
            if not isinstance(original, dict):
                landing.quarantine.append(QuarantineRecord("service", "record is not a JSON object",
                                                           {"value": original}, None, page.payload.sha256))
                continue
            service = upgrade_v1(original)
            reason = service_problem(service)
            sid = str(service.get("id")) if service.get("id") else None
            signature = json.dumps(original, sort_keys=True)
            if reason is None and sid in seen:
                reason = ("exact duplicate of an earlier record" if seen[sid] == signature
                          else "duplicate service id with different content")
            if reason:
                landing.quarantine.append(QuarantineRecord("service", reason, original, sid, page.payload.sha256))
                continue
            seen[sid] = signature
            for kind, rows in _flatten(service, original, page.envelope).items():
                collected[kind].extend(rows)
                shas[kind].extend([page.payload.sha256] * len(rows))
            landing.loaded += 1
    landing.notes.append(f"envelope {'/'.join(sorted(envelopes))}, {len(landing.payloads)} page(s)")
    fetched = landing.payloads[-1].fetched_at if landing.payloads else context.started_at
    for kind, table, columns in (("services", "directory_services", SERVICE_COLUMNS),
                                 ("locations", "directory_service_locations", LOCATION_COLUMNS),
                                 ("taxonomy", "directory_service_taxonomy", TAXONOMY_COLUMNS),
                                 ("phones", "directory_service_phones", PHONE_COLUMNS)):
        rows = strings_table(collected[kind], columns)
        landing.tables.append(RawTable(table, with_provenance(rows, context, fetched, shas[kind])))
    return landing
