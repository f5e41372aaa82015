"""The ODI/DCMS Volunteering Data Standard: a real Team Kinetic export (first 8 of its 250 activities,
volunteeringdata/volunteering-open-data-infrastructure data/teamkinetic/activity.json) over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ingest.feeds.volunteering_data_standard import read_vds_activities
from ingest.http_client import FeedClient
from ingest.landing import LoadContext, ensure_meta, write_landing
from ingest.sources import Source
from tests.fixture_server import serve

SAMPLE = Path(__file__).parent / "fixtures" / "real" / "vds" / "teamkinetic_activity_first8.json"
SRC = Source(id="vds_tk", family="volunteering", protocol="vds_activities", path="/activity.json", conn_id="x",
             max_bytes=1 << 24, connect_timeout=5, read_timeout=10, max_pages=1, archive_payloads=False)


def harvest(doc) -> tuple:
    con = duckdb.connect()
    ensure_meta(con)
    ctx = LoadContext(SRC.id, SRC.family, f"{SRC.id}@t")
    with serve({SRC.path: doc}) as (base, _), FeedClient(SRC.id, base) as client:
        landing = read_vds_activities(client, SRC, ctx)
    write_landing(con, landing)
    return con, landing


def test_team_kinetic_export_lands_activities_locations_and_modes():
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    con, landing = harvest(doc)
    assert (landing.received, landing.loaded, landing.quarantined) == (8, 8, 0)
    first = con.execute("SELECT activity_id, title, organisation_id, start_date, end_date FROM raw.vds_activities "
                        "WHERE activity_id = '10241623'").fetchone()
    assert first == ("10241623", "Volunteer Administrator", "117D0DAA-71A0-49D9-AB07-91738C5EB156", "2026-12-05",
                     "2027-05-14")
    located = con.execute("SELECT count(*), count(latitude) FROM raw.vds_activity_locations").fetchone()
    assert located == (8, 8)
    remote = {r[0] for r in con.execute("SELECT activity_id FROM raw.vds_activity_attributes "
                                        "WHERE attribute = 'mode' AND value = 'remote'").fetchall()}
    assert remote == {str(a["id"]) for a in doc if a["allowsRemoteParticipation"]} and remote
    descriptions = [r[0] for r in con.execute("SELECT description FROM raw.vds_activities").fetchall()]
    assert not any("&rsquo;" in d or "&nbsp;" in d for d in descriptions if d)


def test_activities_without_id_or_label_are_quarantined_with_reasons():
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))[:2]
    doc[0] = {**doc[0], "label": "  "}
    doc.append({**doc[1]})
    doc.append({"type": "Activity", "label": "No id"})
    _, landing = harvest(doc)
    assert (landing.received, landing.loaded, landing.quarantined) == (4, 1, 3)
    assert sorted(q.reason for q in landing.quarantine) == ["activity has no id", "activity has no label (title)",
                                                            "duplicate activity id"]
