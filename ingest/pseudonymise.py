"""Normalise identifying fields and replace them with keyed hashes (HMAC-SHA256).

Each kind of field is hashed separately (the kind is part of the message), so equal values of
different kinds never collide and linkage can compare field by field. The key never leaves this
module: it comes from ``CG_HASH_KEY`` or the Airflow Variable ``cg_hash_key``.
"""

from __future__ import annotations

import functools
import hmac
import os
import re
import unicodedata
from datetime import date, datetime

KEY_ENV = "CG_HASH_KEY"
KEY_VARIABLE = "cg_hash_key"
DEMO_ENV = "CG_DEMO_MODE"  # "1" only in the bundled demo (warehouse.demo_run sets it) and its tests
MIN_KEY_LENGTH = 16  # absolute floor (demo mode)
MIN_PRODUCTION_KEY_LENGTH = 32  # outside the demo: at least 32 bytes (e.g. secrets.token_urlsafe(48))
MIN_DISTINCT_CHARACTERS = 12
#: keys published in this repository; anyone could recompute every hash with them
KNOWN_PUBLIC_KEYS = frozenset({
    "common-ground-demo-key-not-for-production",
    "change-me-at-least-16-characters",
    "CHANGE-ME-generate-with-secrets-token-urlsafe-48",
    "benchmark-hash-key-not-secret-32b",
})

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOB_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%b-%Y", "%d %b %Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y")


class MissingKeyError(RuntimeError):
    """No pseudonymisation key is configured."""


def load_key() -> bytes:
    """Return the hashing key from the environment, else from the Airflow Variable."""
    value = os.environ.get(KEY_ENV)
    if not value:
        try:
            from airflow.sdk import Variable

            value = Variable.get(KEY_VARIABLE, default=None)
        except Exception:
            value = None
    if not value or len(value) < MIN_KEY_LENGTH:
        raise MissingKeyError(
            f"set {KEY_ENV} (or the Airflow Variable {KEY_VARIABLE}) to a secret of at least "
            f"{MIN_PRODUCTION_KEY_LENGTH} characters; identifying fields are never stored without it"
        )
    problem = key_problem(value, demo=os.environ.get(DEMO_ENV) == "1")
    if problem:
        raise MissingKeyError(f"{KEY_ENV} refused: {problem}. Generate one with "
                              "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` (see README)")
    return value.encode("utf-8")


def key_problem(value: str, *, demo: bool) -> str | None:
    """Why a key must not be used (None if acceptable). The demo may use its published key."""
    if demo:
        return None if len(value) >= MIN_KEY_LENGTH else f"shorter than {MIN_KEY_LENGTH} characters"
    if value in KNOWN_PUBLIC_KEYS or "change-me" in value.lower() or "demo" in value.lower():
        return "it is a published placeholder or demo key (hashes made with it can be reversed by enumeration)"
    if len(value.encode("utf-8")) < MIN_PRODUCTION_KEY_LENGTH:
        return f"shorter than {MIN_PRODUCTION_KEY_LENGTH} bytes"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"fewer than {MIN_DISTINCT_CHARACTERS} distinct characters (not random)"
    return None


def _fold(text: str) -> str:
    """Strip accents and fold typographic apostrophes/dashes to ASCII."""
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_email(value: str | None) -> str | None:
    if not value:
        return None
    email = value.strip().lower()
    return email if _EMAIL.match(email) else None


def normalise_name(value: str | None) -> str | None:
    """Upper-case letters only: ``O’Brien`` → ``OBRIEN``, ``Smith-Jones`` → ``SMITHJONES``."""
    if not value:
        return None
    letters = re.sub(r"[^A-Z]", "", _fold(value).upper())
    return letters or None


_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_UK_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_NAMED_MONTH_DATE = re.compile(r"([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})")  # 05-Mar-1980 (%d-%b-%Y)
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


def _fast_dob(text: str) -> date | None:
    """The three forms nearly every export uses, without ``strptime`` (2.4 M calls took a sixth of an
    England survey load; the named-month form alone 10 s); None sends the text through the full format
    list (same result either way: tests/test_fast_parsers.py). Month names are the C locale's, as
    ``strptime``'s ``%b`` reads them in a process that never calls ``setlocale``."""
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _UK_DATE.fullmatch(text):
        day, month, year = match.groups()
    elif (match := _NAMED_MONTH_DATE.fullmatch(text)) and match.group(2).lower() in _MONTHS:
        day, name, year = match.groups()
        month = str(_MONTHS[name.lower()])
    else:
        return None
    try:
        parsed = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return parsed if 1900 <= parsed.year <= 2030 else None


@functools.lru_cache(maxsize=1 << 17)  # a date of birth repeats across a population (30 k distinct in 1 M)
def parse_dob(value: str | None) -> date | None:
    if not value:
        return None
    text = value.strip()
    fast = _fast_dob(text)
    return fast if fast is not None else dob_from_formats(text)


def dob_from_formats(text: str) -> date | None:
    """The first of the accepted date-of-birth formats that reads ``text`` as a year 1900–2030."""
    for fmt in _DOB_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if 1900 <= parsed.year <= 2030:
            return parsed
    return None


def normalise_postcode(value: str | None) -> str | None:
    """Canonical UK postcode with one space (``gl12ab`` → ``GL1 2AB``), or None if malformed."""
    if not value:
        return None
    return _canonical_postcode(value) if value.__class__ is str else _postcode_of(value)


@functools.lru_cache(maxsize=1 << 18)  # readers ask for the same postcode several times per record
def _canonical_postcode(value: str) -> str | None:
    return _postcode_of(value)


def _postcode_of(value: str) -> str | None:
    compact = re.sub(r"\s+", "", value).upper()
    match = _POSTCODE.match(compact)
    return f"{match.group(1)} {match.group(2)}" if match else None


MEMO_LIMIT = 1 << 17  # distinct names / dates of birth remembered per load (beyond it, hashed every time)


class Pseudonymiser:
    """Keyed hashing of normalised identifiers.

    Names and dates of birth repeat across a population (England's 1 M survey rows hold 1.8 k surnames and
    30 k dates of birth), so their hashes are remembered per instance, up to ``MEMO_LIMIT`` each; e-mails
    and postcodes are mostly distinct and are hashed every time.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_LENGTH:
            raise MissingKeyError(f"pseudonymisation key shorter than {MIN_KEY_LENGTH} bytes")
        self._key = key
        self._names: dict[tuple[str, str | None], str | None] = {}
        self._dobs: dict[date | None, str | None] = {}

    def __repr__(self) -> str:  # never print the key
        return "Pseudonymiser(<key hidden>)"

    def hash(self, kind: str, normalised: str | None) -> str | None:
        if normalised is None:
            return None
        message = f"{kind}\x1f{normalised}".encode()
        return hmac.digest(self._key, message, "sha256").hex()  # the C one-shot HMAC-SHA256

    def email(self, value: str | None) -> str | None:
        return self.hash("email", normalise_email(value))

    def name(self, kind: str, value: str | None) -> str | None:
        key = (kind, value)
        if key in self._names:
            return self._names[key]
        hashed = self.hash(kind, normalise_name(value))
        if len(self._names) < MEMO_LIMIT:
            self._names[key] = hashed
        return hashed

    def dob(self, value: date | None) -> str | None:
        if value in self._dobs:
            return self._dobs[value]
        hashed = self.hash("dob", value.isoformat() if value else None)
        if len(self._dobs) < MEMO_LIMIT:
            self._dobs[value] = hashed
        return hashed

    def postcode(self, normalised: str | None) -> str | None:
        return self.hash("postcode", normalised)
