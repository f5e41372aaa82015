"""The raw-body archive: one zip per load, every body readable back byte for byte and matching its checksum."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.http_client import Payload
from ingest.landing import Landing, LoadContext, archive_payloads


def _payload(body: bytes, content_type: str = "application/json") -> Payload:
    return Payload(url="http://feed.test/x", status=200, content=body, content_type=content_type,
                   fetched_at=datetime.now(UTC), sha256=hashlib.sha256(body).hexdigest(), attempts=1)


def _read(path: str) -> bytes:
    archive, _, member = path.partition("!")
    with zipfile.ZipFile(archive) as z:
        return z.read(member)


def test_every_body_comes_back_from_one_zip(tmp_path: Path) -> None:
    bodies = [b'{"a": 1}', b"id,name\n1,x\n", b"", "caf\u00e9".encode()]
    payloads = [_payload(b, "text/csv" if b.startswith(b"id") else "application/json") for b in bodies]
    landing = Landing(LoadContext("directory_x", "service_maps", "directory_x@run1"), 0, 0, payloads=payloads)
    paths = archive_payloads(landing, tmp_path)
    assert len(paths) == len(bodies) and len({p.partition("!")[0] for p in paths}) == 1
    assert paths[1].endswith("!00001.csv") and paths[0].endswith("!00000.json")
    for path, payload in zip(paths, payloads, strict=True):
        assert hashlib.sha256(_read(path)).hexdigest() == payload.sha256
    left = list((tmp_path / "directory_x").iterdir())  # the zip alone: no partial file beside it
    assert [p.suffix for p in left] == [".zip"] and str(left[0]) == paths[0].partition("!")[0]
    assert (Path(paths[0].partition("!")[0]).stat().st_mode & 0o777) == 0o640


def test_a_failed_archive_leaves_no_partial_file(tmp_path: Path) -> None:
    class Boom(bytes):
        def __len__(self) -> int:
            raise OSError("No space left on device")

    landing = Landing(LoadContext("directory_y", "service_maps", "directory_y@run1"), 0, 0,
                      payloads=[_payload(b"{}"), Payload("u", 200, Boom(b"{}"), "application/json",
                                                         datetime.now(UTC), "x", 1)])
    with pytest.raises(OSError, match="No space"):
        archive_payloads(landing, tmp_path)
    assert list((tmp_path / "directory_y").iterdir()) == []
