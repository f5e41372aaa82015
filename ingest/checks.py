"""Small record-level validators shared by the feed readers. Each returns a reason or None."""

from __future__ import annotations

import re
from datetime import UTC, datetime

LSOA = re.compile(r"^[EW]01\d{6}$")
WARD = re.compile(r"^[EW]05\d{6}$")
DISTRICT = re.compile(r"^[EW]0[6789]\d{6}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def code_problem(value: str | None, pattern: re.Pattern[str], what: str) -> str | None:
    if not value:
        return f"{what} is missing"
    return None if pattern.match(value.strip()) else f"{what} {value!r} is malformed"


def int_problem(value: str | None, what: str, lo: int | None = None, hi: int | None = None) -> str | None:
    if value is None or value.strip() == "":
        return f"{what} is missing"
    try:
        number = int(value.strip())
    except ValueError:
        return f"{what} {value!r} is not an integer"
    if lo is not None and number < lo:
        return f"{what} {number} is below {lo}"
    if hi is not None and number > hi:
        return f"{what} {number} is above {hi}"
    return None


def float_problem(value: str | None, what: str, lo: float, hi: float, *, required: bool = True) -> str | None:
    if value is None or str(value).strip() == "":
        return f"{what} is missing" if required else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"{what} {value!r} is not a number"
    return None if lo <= number <= hi else f"{what} {number} is outside {lo}..{hi}"


_UK_TIMESTAMP = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}) ([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")
_TIMESTAMP_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


def parse_timestamp(value: str | None) -> datetime | None:
    """Parse the timestamp forms partner exports use; naive times are UK local, treated as UTC."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if (match := _UK_TIMESTAMP.fullmatch(text)) is not None:  # the common export form, without strptime
        day, month, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            pass  # the format list decides, as it always did
    return timestamp_from_formats(text)


def timestamp_from_formats(text: str) -> datetime | None:
    """ISO 8601, else the first of the export formats that reads ``text`` (naive times as UTC)."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _TIMESTAMP_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- quarantine reasons: bounded, and never carrying clear identifiers -----------------------------------

MAX_REASON_CHARS = 300
MAX_VALUE_CHARS = 40
_CLEAR_PATTERNS = (
    # a quoted value after an identifying field's name: "postcode 'GL1 2A' is malformed"
    (re.compile(r"\b(postcode|e-?mail|surname|first_name|name|dob|date of birth)(\w*[\s:=]+)(['\"]).*?\3",
                re.IGNORECASE), r"\1\2<masked>"),
    (re.compile(r"[^\s@'\"<>]+@[^\s@'\"<>]+"), "<email>"),
    (re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b", re.IGNORECASE), "<postcode>"),
    (re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b"), "<date>"),
)


def excerpt(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """A short repr of a cell value for a reason (long values are cut, line breaks shown)."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…") + (f" ({len(text)} chars)"
                                                                        if len(text) > limit else "")


def safe_reason(reason: str) -> str:
    """A quarantine reason of bounded length with e-mails, postcodes and dates masked."""
    text = reason if len(reason) <= 4 * MAX_REASON_CHARS else reason[:4 * MAX_REASON_CHARS]
    for pattern, mask in _CLEAR_PATTERNS:
        text = pattern.sub(mask, text)
    text = text.replace("\x00", "")
    return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS - 1] + "…"
