"""Shared fixtures: demo data, the real demo HTTP server, and an isolated Common Ground environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_HASH_KEY = "test-key-for-common-ground-tests"


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="session", autouse=True)
def _quiet_environment():
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ.setdefault("CG_DUCKDB_MEMORY_LIMIT", "2GB")
