"""Real partner layouts that some demo directories publish in (docs/feeds.md §3).

* ``oruk1_council`` — an ORUK 1 council export as found in the wild: the envelope numbers pages from 0
  (``number: 0`` for ``?page=1``), the organisation's website is ``organization.url``, descriptions carry
  HTML, and many websites have no scheme (``www.…``).
* ``hsds3_list_detail`` — an HSDS 3.0 / ORUK 3 API: ``GET /`` declares ``"version": "HSDS-UK-3.0"``, the
  ``/services`` list leaves out locations, phones and categories, which only ``/services/{id}`` carries;
  categories are ``attributes[].taxonomy_term``.
* ``plain`` — the generator's own tidy v3 / v1 shapes.

Only the record *shape* changes: ids, names, locations and categories stay those of the ground truth.
"""

from __future__ import annotations

import html
import json
from typing import Any

import numpy as np

PLAIN, ORUK1_COUNCIL, HSDS3_LIST_DETAIL = "plain", "oruk1_council", "hsds3_list_detail"
LAYOUT_OF_KIND = {"vcs": ORUK1_COUNCIL, "nhs": HSDS3_LIST_DETAIL}
LIST_VIEW_DROPS = ("service_at_locations", "phones", "attributes", "contacts")
API_DETAILS = {"version": "HSDS-UK-3.0", "profile": "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md",
               "openapi_url": "https://docs.openreferraluk.org/en/latest/openapi30.json"}
HTML_SHARE, SCHEMELESS_SHARE = 0.6, 0.35


def _html(text: str, style: float) -> str:
    """A description as a content editor's rich-text box writes it."""
    first, _, rest = text.partition(". ")
    if style < 0.3:
        return f"<p>{html.escape(first)}.</p><p>{html.escape(rest)}</p>" if rest else f"<p>{html.escape(text)}</p>"
    if style < 0.45:
        return f"<p><strong>{html.escape(first)}</strong>.<br>{html.escape(rest)}</p>"
    return f"<div><p>{html.escape(text)}</p></div>"


def _schemeless(url: Any) -> Any:
    """``https://www.x.org.uk/a`` → ``www.x.org.uk/a`` (invalid urls are left as they are)."""
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return url.split("://", 1)[1]
    return url


def apply_layout(rng: np.random.Generator, layout: str, records: list[dict[str, Any]]) -> None:
    """Rewrite records (already in their API version's shape, invalid ones included) in place."""
    if layout == PLAIN or not records:
        return
    u = rng.random((len(records), 3))
    for rec, (a, b, c) in zip(records, u, strict=True):
        if layout == ORUK1_COUNCIL:
            org = rec.get("organization") or {}
            website = org.pop("website", None)
            org["url"] = _schemeless(website) if c < SCHEMELESS_SHARE else website
            if a < HTML_SHARE and isinstance(rec.get("description"), str):
                rec["description"] = _html(rec["description"], a / HTML_SHARE)
            if b < SCHEMELESS_SHARE:
                rec["url"] = _schemeless(rec.get("url"))
        elif layout == HSDS3_LIST_DETAIL:
            rec["attributes"] = [{"id": f"{rec['id']}-attr-{i + 1}", "link_type": "service",
                                  "taxonomy_term": {"id": f"{rec['id']}-term-{i + 1}", "code": t["id"],
                                                    "name": t["term"], "taxonomy": t["vocabulary"]}}
                                 for i, t in enumerate(rec.pop("taxonomy_terms", []))]


def list_view(raw: list[bytes]) -> list[bytes]:
    """The ``/services`` list form of full records: direct properties only."""
    out = []
    for line in raw:
        rec = json.loads(line)
        for key in LIST_VIEW_DROPS:
            rec.pop(key, None)
        out.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return out


def index_by_id(raw: list[bytes]) -> dict[str, bytes]:
    """Full records by service id (for ``/services/{id}``); the first record wins for a repeated id."""
    out: dict[str, bytes] = {}
    for line in raw:
        sid = json.loads(line).get("id")
        if isinstance(sid, str):
            out.setdefault(sid, line)
    return out
