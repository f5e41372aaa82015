"""Record keys for cell-key perturbation (docs/disclosure.md): a fixed number 0-255 per person.

The key is the first byte of HMAC-SHA256(hashing key, "cg-record-key|<kind>|<pseudonym>"), so it is the
same in every publication and every table for the same person, uniform, and cannot be recomputed from a
published or agency-known identifier without the secret hashing key (``CG_HASH_KEY``).
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd


def record_key(secret: bytes, kind: str, pseudonym: str) -> int:
    return hmac.new(secret, f"cg-record-key|{kind}|{pseudonym}".encode(), hashlib.sha256).digest()[0]


def record_keys(keys: pd.Series, kind: str, secret: bytes | None = None) -> pd.DataFrame:
    """One row per distinct pseudonym: (pseudonym, record_key)."""
    if secret is None:
        from ingest.pseudonymise import load_key

        secret = load_key()
    unique = sorted({str(k) for k in keys.dropna()})
    return pd.DataFrame({"pseudonym": pd.Series(unique, dtype="string"),
                         "record_key": pd.Series([record_key(secret, kind, k) for k in unique], dtype="int32")})
