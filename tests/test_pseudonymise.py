"""Normalisation and keyed hashing of identifying fields."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.pseudonymise import (
    MissingKeyError,
    Pseudonymiser,
    load_key,
    normalise_email,
    normalise_name,
    normalise_postcode,
    parse_dob,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("gl12ab", "GL1 2AB"), (" GL1  2AB ", "GL1 2AB"), ("sw1a1aa", "SW1A 1AA"), ("M11AE", "M1 1AE"),
    ("GL1", None), ("12345", None), ("", None), (None, None),
])
def test_postcode_normalisation(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("O’Brien", "OBRIEN"), ("o'brien", "OBRIEN"), ("Zoë", "ZOE"), ("Smith-Jones", "SMITHJONES"), ("  ", None),
])
def test_name_normalisation(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize("raw", ["14/03/1961", "1961-03-14", "14-Mar-1961", "14 Mar 1961"])
def test_dob_formats_agree(raw):
    assert parse_dob(raw) == date(1961, 3, 14)


def test_dob_junk_is_none():
    assert parse_dob("not a date") is None
    assert parse_dob("31/02/1990") is None


def test_email_normalisation():
    assert normalise_email("  Jo.Bloggs@Example.ORG ") == "jo.bloggs@example.org"
    assert normalise_email("not-an-email") is None


def test_hash_is_keyed_and_field_separated():
    a = Pseudonymiser(b"k" * 32)
    b = Pseudonymiser(b"j" * 32)
    assert a.email("Jo@Example.org") == a.email("jo@example.org ")
    assert a.email("jo@example.org") != b.email("jo@example.org")
    # the same text as a surname and as a first name hashes differently
    assert a.name("surname", "Taylor") != a.name("first_name", "Taylor")
    assert len(a.email("jo@example.org")) == 64
    assert a.email(None) is None
    assert "k" * 32 not in repr(a)


def test_key_is_required(monkeypatch):
    monkeypatch.delenv("CG_HASH_KEY", raising=False)
    with pytest.raises(MissingKeyError):
        load_key()
    monkeypatch.setenv("CG_HASH_KEY", "short")
    with pytest.raises(MissingKeyError):
        load_key()
    monkeypatch.setenv("CG_HASH_KEY", "a-long-enough-test-key-of-32-chars")
    assert load_key() == b"a-long-enough-test-key-of-32-chars"


_KEY = b"memo-test-key-of-enough-length-32b"
_names = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["O’Brien", "o'brien", "Zoë", " Smith-Jones "]))
_kinds = st.sampled_from(["surname", "first_name"])


@settings(max_examples=200, deadline=None)
@given(calls=st.lists(st.one_of(st.tuples(st.just("name"), _kinds, _names),
                                st.tuples(st.just("dob"), st.just(""), st.one_of(st.none(), st.dates()))),
                      max_size=60))
def test_remembered_hashes_equal_fresh_ones(calls):
    """Names and dates of birth are remembered per instance; every answer equals a first-time hash."""
    remembering = Pseudonymiser(_KEY)
    for what, kind, value in calls + calls:  # each value asked twice: the second answer is remembered
        if what == "name":
            assert remembering.name(kind, value) == remembering.hash(kind, normalise_name(value))
        else:
            assert remembering.dob(value) == remembering.hash("dob", value.isoformat() if value else None)


def test_memory_is_bounded_and_answers_stay_right(monkeypatch):
    import ingest.pseudonymise as module

    monkeypatch.setattr(module, "MEMO_LIMIT", 3)
    pseudo = Pseudonymiser(_KEY)
    names = [f"Name{chr(65 + i)}" for i in range(10)]
    for name in names * 2:
        assert pseudo.name("surname", name) == pseudo.hash("surname", normalise_name(name))
    assert len(pseudo._names) == 3


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=10), st.from_regex(r"\s*[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}\s*",
                                                          fullmatch=True)))
def test_remembered_postcodes_equal_fresh_ones(text):
    from ingest.pseudonymise import _postcode_of

    expected = _postcode_of(text) if text else None
    assert normalise_postcode(text) == expected
    assert normalise_postcode(text) == expected  # the second answer comes from the cache
