"""The fast paths of the date parsers give exactly what the format lists give (Hypothesis).

``parse_dob`` and ``parse_timestamp`` read the two common export forms with a regular expression instead
of ``strptime`` (a sixth of an England survey load). The reference is the format list alone
(``dob_from_formats``, ``timestamp_from_formats``: the code every other form goes through). ``parse_csv``
decides blank rows and NFKC normalisation with one join per row; the reference is the per-cell loop.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ingest.checks import parse_timestamp, timestamp_from_formats
from ingest.pseudonymise import Pseudonymiser, dob_from_formats, parse_dob


def reference_dob(value: str | None) -> date | None:
    return dob_from_formats(value.strip()) if value else None


def reference_timestamp(value: str | None) -> datetime | None:
    return timestamp_from_formats(value.strip()) if value and value.strip() else None


number = st.integers(0, 3000).map(str) | st.integers(0, 99).map(lambda n: f"{n:02d}")
month_name = st.sampled_from(["Jan", "feb", "MAR", "Sep", "Sept", "dec", "Foo", "ma"])
date_like = st.builds(lambda a, s1, b, s2, c, pad: f"{pad}{a}{s1}{b}{s2}{c}{pad}", number,
                      st.sampled_from("/-. "), number | month_name, st.sampled_from("/-. "), number,
                      st.sampled_from(["", " "]))
time_like = st.builds(lambda d, h, m, s: f"{d} {h}:{m}{s}", date_like, number, number,
                      st.sampled_from(["", ":00", ":59", ":60", ":7"]))


@settings(max_examples=800, deadline=None)
@given(date_like | st.text(alphabet="0123456789/-.: ٣", max_size=12))
@example("29/02/1999")
@example("31/12/1899")
@example("1/2/1980")
@example("1980-02-30")
@example("05-Mar-1980")
@example("31-Apr-1980")
@example("5-mar-1899")
def test_parse_dob_matches_the_format_list(text: str) -> None:
    assert parse_dob(text) == reference_dob(text)


@settings(max_examples=800, deadline=None)
@given(time_like | st.text(alphabet="0123456789/-.: TZ+", max_size=20))
@example("01/02/2024 24:00")
@example("31/04/2024 10:30")
@example("01/02/2024 9:30")
@example("2024-02-01T10:30:00Z")
def test_parse_timestamp_matches_the_format_list(text: str) -> None:
    assert parse_timestamp(text) == reference_timestamp(text)


def test_pseudonyms_are_the_hmac_sha256_of_kind_and_value() -> None:
    key = b"k" * 32
    expected = hmac.new(key, b"dob\x1f1980-02-01", hashlib.sha256).hexdigest()
    assert Pseudonymiser(key).dob(date(1980, 2, 1)) == expected


def reference_rows(body: str) -> tuple[list[list[str]], int]:
    """parse_csv's rows and NFKC count as the per-cell loop gave them: a row is blank when no cell has
    anything but whitespace, and every cell of a non-ASCII body is normalised."""
    import csv
    import io
    import unicodedata

    rows = [row for row in csv.reader(io.StringIO(body, newline=""))][1:]
    kept = [row for row in rows if any(cell.strip() for cell in row)]
    if body.isascii():
        return kept, 0
    normalised = [[unicodedata.normalize("NFKC", c) for c in row] for row in kept]
    changed = sum(a != b for row, new in zip(kept, normalised, strict=True) for a, b in zip(row, new, strict=True))
    return normalised, changed


cell_text = st.text(alphabet=" \t\u3000\x1c\x1fa1,\"\n１Ａé\u00a0ﬁ", max_size=8)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(cell_text, min_size=1, max_size=4), min_size=1, max_size=6))
@example([["h"], ["  "], ["\u3000", "\t"], ["１"]])
def test_parse_csv_whole_row_checks_match_the_per_cell_loop(table: list[list[str]]) -> None:
    """Blank rows and NFKC normalisation are decided per row (one join) instead of per cell: same rows."""
    import csv
    import io

    from ingest.csv_text import parse_csv

    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([["h1", "h2", "h3", "h4"], *table])
    body = out.getvalue()
    parsed = parse_csv(body.encode("utf-8"), check_headers=False)
    rows, changed = reference_rows(parsed.header and body)
    assert parsed.rows == rows
    assert parsed.normalised_cells == changed
