"""Partner service directories (Open Referral UK / HSDS-style paged APIs).

The API version comes from the API itself — its root document's ``version`` (HSDS 3.0 ``GET /``) or,
failing that, the page envelope (``contents`` = 3, ``content`` = ORUK 1) — never from which fields a
record happens to carry. Each record is then brought to one current shape (ORUK 1 → 3:
``contacts[].phones`` → ``phones``, ``service_taxonomys`` → ``taxonomy_terms``, ``physical_addresses``
→ ``addresses``; HSDS 3.0: ``attributes[].taxonomy_term`` → ``taxonomy_terms``), cleaned (HTML in
descriptions stripped, websites without a scheme given one), validated against a JSON Schema of the
service shape plus field checks (status, postcode, email, URL) — every reason kept — and landed
relationally: services, service-at-locations, taxonomy terms and phones. HSDS 3.0 list endpoints may
leave out locations and phones; such services are completed from ``/services/{id}``.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from html.parser import HTMLParser
from typing import Any

import jsonschema
import jsonschema_rs

from ingest.checks import EMAIL, URL
from ingest.http_client import FeedClient, FeedError
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
                   "api_version", "record_json", "dropped_fields"]
LOCATION_COLUMNS = ["service_id", "service_at_location_id", "location_id", "location_name", "address_1",
                    "city", "postal_code", "country", "latitude", "longitude"]
TAXONOMY_COLUMNS = ["service_id", "term_id", "term", "vocabulary"]
PHONE_COLUMNS = ["service_id", "position", "number"]


def _dedupe_phones(phones: list[Any]) -> list[dict[str, Any]]:
    out, seen = [], set()
    for phone in phones:
        if isinstance(phone, dict) and phone.get("number"):
            key = phone.get("id") or str(phone["number"])
            if key not in seen:
                seen.add(key)
                out.append(phone)
    return out


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
    out["phones"] = _dedupe_phones(phones)
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


def upgrade_v3(record: dict[str, Any]) -> dict[str, Any]:
    """Bring an HSDS 3.0 service to the landed shape: categories from ``attributes[].taxonomy_term``
    (plus any ``taxonomy_terms``), phones from the service and its service-at-locations (contacts'
    phones repeat them in 3.0 and are not added again)."""
    out = {k: v for k, v in record.items() if k != "attributes"}
    terms = [t for t in record.get("taxonomy_terms") or [] if isinstance(t, dict)]
    for attribute in record.get("attributes") or []:
        term = attribute.get("taxonomy_term") if isinstance(attribute, dict) else None
        if isinstance(term, dict) and (term.get("name") or term.get("code")):
            vocabulary = term.get("taxonomy") or (term.get("taxonomy_detail") or {}).get("name")
            terms.append({"id": term.get("code") or term.get("id"), "term": term.get("name") or term.get("code"),
                          "vocabulary": vocabulary if isinstance(vocabulary, str) else None})
    out["taxonomy_terms"] = terms
    phones = list(record.get("phones") or [])
    for sal in record.get("service_at_locations") or []:
        if isinstance(sal, dict):
            phones.extend(sal.get("phones") or [])
    out["phones"] = _dedupe_phones(phones)
    return out


class _TextOnly(HTMLParser):
    BLOCKS = frozenset({"p", "br", "li", "div", "tr", "h1", "h2", "h3", "h4", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def strip_html(text: Any) -> Any:
    """Plain text of a description that may carry HTML (tags dropped, entities decoded, spaces collapsed)."""
    if not isinstance(text, str) or ("<" not in text and "&" not in text):
        return text
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return re.sub(r"\s+", " ", html.unescape("".join(parser.parts))).strip() or None


HOSTNAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}(?::\d+)?(?:[/?#]\S*)?$", re.IGNORECASE)


def normalise_website(value: Any) -> Any:
    """``www.council.gov.uk/libraries`` → ``https://www.council.gov.uk/libraries``; others unchanged."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    if value and "://" not in value and HOSTNAME.match(value.removeprefix("//")):
        return "https://" + value.removeprefix("//")
    return value or None


def clean_service(service: dict[str, Any]) -> dict[str, Any]:
    """Strip HTML from descriptions and give scheme-less websites a scheme (``organization.url`` is the
    ORUK 1 / HSDS name of the organisation's website)."""
    out = dict(service)
    out["description"] = strip_html(service.get("description"))
    out["url"] = normalise_website(service.get("url"))
    if isinstance(service.get("organization"), dict):
        org = dict(service["organization"])
        org["website"] = normalise_website(org.get("website") or org.get("url"))
        org["description"] = strip_html(org.get("description"))
        out["organization"] = org
    return out


def field_problems(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, reason) for each optional contact field that is present but unusable."""
    problems = []
    email = service.get("email")
    if email not in (None, "") and not (isinstance(email, str) and EMAIL.match(email.strip())):
        problems.append(("email", f"email {email!r} is malformed"))  # also false / 12345 (validator mocks)
    org = service.get("organization")
    for field, value in (("url", service.get("url")),
                         ("organization.website", org.get("website") if isinstance(org, dict) else None)):
        if value not in (None, "") and not (isinstance(value, str) and URL.match(value.strip())):
            problems.append((field, f"{field} {value!r} is malformed"))
    sals = service.get("service_at_locations")
    for i, sal in enumerate(sals if isinstance(sals, list) else []):
        location = sal.get("location") if isinstance(sal, dict) else None
        if not isinstance(location, dict):
            continue
        for name, limit in (("latitude", 90), ("longitude", 180)):
            value = location.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > limit:
                path = f"service_at_locations/{i}/location/{name}"
                problems.append((path, f"{path} {value} is out of range"))
        addresses = location.get("addresses")
        for j, address in enumerate(addresses if isinstance(addresses, list) else []):
            postcode = address.get("postal_code") if isinstance(address, dict) else None
            if postcode and normalise_postcode(postcode) is None:
                problems.append((f"service_at_locations/{i}/location/addresses/{j}/postal_code",
                                 f"postal_code {postcode!r} is malformed"))
    return problems


def drop_fields(service: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """A copy of the service without these fields (``organization.website`` or ``a/0/b`` paths)."""
    out = json.loads(json.dumps(service))
    for field in fields:
        parts = field.replace(".", "/").split("/")
        node: Any = out
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[parts[-1]] = None
    return out


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SERVICE_SCHEMA)


@cache
def _fast_validator() -> jsonschema_rs.Draft202012Validator:
    """The same schema compiled in Rust: about 150x faster, so only invalid records pay for the
    pure-Python validator that words the reasons (tests/test_service_schema_gate.py checks they agree)."""
    return jsonschema_rs.Draft202012Validator(SERVICE_SCHEMA)


def _fast_valid(service: dict[str, Any]) -> bool:
    """True when the Rust validator accepts the record; anything it cannot take (an integer beyond 64
    bits, a nesting too deep) goes to the pure-Python validator instead of failing the load."""
    try:
        return _fast_validator().is_valid(service)
    except (ValueError, OverflowError, RecursionError, TypeError):
        return False


def service_problems(service: dict[str, Any], *, fields: bool = True) -> list[str]:
    """Every reason a (current-shape) service record is invalid (schema errors first); ``fields=False``
    leaves out the field-level checks (email, websites, postcodes), whose fields a lenient source drops."""
    checked = field_problems(service) if fields else []
    covered = {field.replace(".", "/") for field, _ in checked}  # one reason per field, the clearer one
    reasons = []
    errors = [] if _fast_valid(service) else _validator().iter_errors(service)
    for err in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        where = "/".join(str(p) for p in err.absolute_path) or "record"
        if where not in covered:
            reasons.append(f"schema: {where}: {err.message}")
    reasons.extend(reason for _, reason in checked)
    return reasons


def service_problem(service: dict[str, Any], *, fields: bool = True) -> str | None:
    """All reasons a (current-shape) service record is invalid, joined with "; ", or None."""
    reasons = service_problems(service, fields=fields)
    return "; ".join(reasons) if reasons else None


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


def api_version(client: FeedClient, source: Source) -> str | None:
    """The HSDS version the API declares at its root (``GET /`` of an HSDS 3.0 API: ``{"version": "3.0"}``)
    when the source names that document (option ``api_root``); None otherwise or if it cannot be read."""
    root = source.options.get("api_root")
    if not root:
        return None
    try:
        doc, _ = client.get_json(root)
    except FeedError:
        return None
    version = doc.get("version") if isinstance(doc, dict) else None
    return str(version) if isinstance(version, str | int | float) and not isinstance(version, bool) else None


def _version_name(declared: str | None, envelope: str) -> str:
    """"3.0", "3.1", "HSDS-UK-3.0" → v3; "1.0", "HSDS-UK-1.0" → v1; anything else: the page envelope's."""
    major = re.search(r"(\d+)(?:\.\d+)*\s*$", declared or "")
    if major and major.group(1) in ("1", "3"):
        return f"v{major.group(1)}"
    return envelope


def _needs_detail(record: dict[str, Any]) -> bool:
    """A list-view record (HSDS 3.0 ``/services`` may omit the related entities)."""
    return "service_at_locations" not in record and "phones" not in record and "contacts" not in record


def read_directory(client: FeedClient, source: Source, context: LoadContext, per_page: int = 200, *,
                   lenient_fields: bool | None = None) -> Landing:
    """Harvest every page of one directory into a Landing.

    ``lenient_fields`` (default: the source's ``drop_invalid_fields`` option): a malformed e-mail or
    website drops that field (named in the ledger notes and the row's ``dropped_fields``), not the service.
    """
    lenient = source.options.get("drop_invalid_fields", False) if lenient_fields is None else lenient_fields
    landing = Landing(context=context, received=0, loaded=0)
    collected: dict[str, list[dict[str, Any]]] = {"services": [], "locations": [], "taxonomy": [], "phones": []}
    shas: dict[str, list[str]] = {k: [] for k in collected}
    seen: dict[str, str] = {}
    envelopes: set[str] = set()
    declared = api_version(client, source)
    details = {"fetched": 0, "failed": 0}
    dropped: dict[str, int] = {}
    pages = 0
    for page in iter_pages(client, source.path, per_page=per_page, max_pages=source.max_pages):
        landing.payloads.append(page.payload)
        pages += 1
        version = _version_name(declared, page.envelope)
        envelopes.add(version)
        for original in page.records:
            landing.received += 1
            if not isinstance(original, dict):
                landing.quarantine.append(QuarantineRecord("service", "record is not a JSON object",
                                                           {"value": original}, None, page.payload.sha256))
                continue
            if version == "v3" and _needs_detail(original) and original.get("id"):
                try:
                    full, detail = client.get_json(f"{source.path.rstrip('/')}/{original['id']}")
                    if isinstance(full, dict) and str(full.get("id")) == str(original["id"]):
                        original = full
                        landing.payloads.append(detail)
                        details["fetched"] += 1
                    else:
                        details["failed"] += 1
                except FeedError:
                    details["failed"] += 1
            service = clean_service(upgrade_v3(original) if version == "v3" else upgrade_v1(original))
            bad_fields = field_problems(service) if lenient else []
            if bad_fields:
                service = drop_fields(service, [f for f, _ in bad_fields])
                for f, _ in bad_fields:
                    dropped[f] = dropped.get(f, 0) + 1
            reasons = service_problems(service, fields=not lenient)
            sid = str(service.get("id")) if service.get("id") else None
            signature = json.dumps(original, sort_keys=True)
            if sid in seen:
                reasons.append("exact duplicate of an earlier record" if seen[sid] == signature
                               else "duplicate service id with different content")
            reason = "; ".join(reasons)
            if reason:
                landing.quarantine.append(QuarantineRecord("service", reason, original, sid, page.payload.sha256))
                continue
            seen[sid] = signature
            flat = _flatten(service, original, version)
            flat["services"][0]["dropped_fields"] = "; ".join(r for _, r in bad_fields) or None
            for kind, rows in flat.items():
                collected[kind].extend(rows)
                shas[kind].extend([page.payload.sha256] * len(rows))
            landing.loaded += 1
    landing.notes.append(f"envelope {'/'.join(sorted(envelopes))}, {pages} page(s)"
                         + (f", API version {declared}" if declared else ""))
    if details["fetched"] or details["failed"]:
        landing.notes.append(f"list records completed from /services/{{id}}: {details['fetched']}"
                             + (f"; WARNING {details['failed']} could not be fetched and have no locations or "
                                "phones" if details["failed"] else ""))
    if dropped:
        landing.notes.append("dropped invalid fields (service kept): "
                             + ", ".join(f"{k}={v}" for k, v in sorted(dropped.items())))
    fetched = landing.payloads[-1].fetched_at if landing.payloads else context.started_at
    for kind, table, columns in (("services", "directory_services", SERVICE_COLUMNS),
                                 ("locations", "directory_service_locations", LOCATION_COLUMNS),
                                 ("taxonomy", "directory_service_taxonomy", TAXONOMY_COLUMNS),
                                 ("phones", "directory_service_phones", PHONE_COLUMNS)):
        rows = strings_table(collected[kind], columns)
        landing.tables.append(RawTable(table, with_provenance(rows, context, fetched, shas[kind])))
    return landing
