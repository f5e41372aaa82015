"""Per-partner published files (config/partners.yml): the open marts plus that partner's restricted rows.

Given the verified open file (every mart that is not ``partner_only`` in config/disclosure_policy.yml)
and the private warehouse, :func:`write_partner_files` writes ``<published>/partners/<id>.duckdb`` for
every partner: all open tables, then each restricted table filtered to the partner's own rows, with
volunteer pseudonyms re-keyed per partner and role (``HMAC(hashing key, partner id)`` salts a SHA-256 of
role and warehouse pseudonym), so no two rows, in one file or in two, can be joined on the volunteer.
All files are built under temporary names first and only then swapped in with ``os.replace``, read-only.

Each file starts as a byte copy of the verified open file — same tables, same descriptions, same storage
version (DuckDB keeps an attached file's version when it writes to it, so DuckDB 1.x clients still read
it) — and only the restricted tables are written into it (England: 31 s for five partners when every
open table was re-copied, about 1 s per partner now).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import yaml

from warehouse.duck import sql_literal
from warehouse.settings import REPO_ROOT


class PartnerFileError(RuntimeError):
    """A partner file could not be built; no partner file was swapped."""


def partners_path() -> Path:
    return Path(os.environ.get("CG_PARTNERS_FILE") or REPO_ROOT / "config" / "partners.yml")


def load_partners(path: Path | None = None) -> list[dict[str, Any]]:
    doc = yaml.safe_load((path or partners_path()).read_text(encoding="utf-8")) or {}
    partners = doc.get("partners") or []
    ids = [p.get("id") for p in partners]
    if not partners or len(set(ids)) != len(ids) or not all(isinstance(i, str) and i.isidentifier() for i in ids):
        raise PartnerFileError(f"{path or partners_path()}: partners need unique identifier-like ids")
    return partners


def partner_only_tables() -> set[str]:
    """Marts never written to the open file."""
    from warehouse.disclosure import published_rules

    return {t for t, rule in published_rules().items() if rule == "partner_only"}


def partner_salt(partner_id: str, secret: bytes | None = None) -> str:
    if secret is None:
        from ingest.pseudonymise import load_key

        secret = load_key()
    return hmac.new(secret, f"cg-partner-pseudonym|{partner_id}".encode(), hashlib.sha256).hexdigest()


def _own_matches(out: duckdb.DuckDBPyConnection, partner: dict[str, Any], salt: str) -> None:
    """volunteer_matches for roles advertised in the partner's own feeds. The pseudonym is issued per partner
    and per role, so rows of one volunteer cannot be linked (and their distance bands intersected) within
    a file or across files; the bureau resolves a pseudonym through the private warehouse."""
    sources = list(partner.get("sources") or [])
    out.execute("""
        CREATE TABLE main.volunteer_matches AS
        SELECT m.* REPLACE (
            'VOL-' || substr(sha256(? || '|' || m.vacancy_uid || '|' || m.volunteer_ref), 1, 16) AS volunteer_ref)
        FROM private.marts.volunteer_matches AS m
        WHERE m.vacancy_uid IN (
            SELECT d.vacancy_uid FROM private.intermediate.int_vacancies_deduplicated AS d
            WHERE len(list_intersect(string_split(d.bureau_feeds, ', '), ?::VARCHAR[])) > 0)
        ORDER BY m.vacancy_uid, m.match_rank""", [salt, sources])


RESTRICTED = {"volunteer_matches": {"own_vacancies": _own_matches}}


def _describe(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Copy the private mart's table and column descriptions onto the partner file's restricted table."""
    comment = con.execute("SELECT comment FROM duckdb_tables() WHERE database_name = 'private' AND "
                          "schema_name = 'marts' AND table_name = ?", [table]).fetchall()
    if comment and comment[0][0]:
        con.execute(f"COMMENT ON TABLE main.{table} IS {sql_literal(comment[0][0])}")
    for column, text in con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE database_name = "
                                    "'private' AND schema_name = 'marts' AND table_name = ? AND comment IS NOT NULL",
                                    [table]).fetchall():
        con.execute(f'COMMENT ON COLUMN main.{table}."{column}" IS {sql_literal(text)}')


def _build_one(partner: dict[str, Any], open_file: Path, private: Path, tmp: Path, salt: str) -> dict[str, int]:
    tmp.unlink(missing_ok=True)
    shutil.copyfile(open_file, tmp)  # the open tables, their descriptions and storage version, as verified
    os.chmod(tmp, 0o640)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {sql_literal(str(tmp))} AS out")
        con.execute(f"ATTACH {sql_literal(str(private))} AS private (READ_ONLY)")
        con.execute("USE out")
        for table, scope in (partner.get("restricted") or {}).items():
            builder = RESTRICTED.get(table, {}).get(scope)
            if builder is None:
                raise PartnerFileError(f"partner {partner['id']}: no rule for restricted {table}: {scope}")
            builder(con, partner, salt)
            _describe(con, table)
        counts = {t: int(con.execute(f"SELECT count(*) FROM main.{t}").fetchone()[0]) for t in
                  [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                             "WHERE table_catalog = 'out' AND table_schema = 'main'").fetchall()]}
        con.execute("USE memory")
        con.execute("CHECKPOINT out")
        con.execute("DETACH out")
    finally:
        con.close()
    return counts


def write_partner_files(open_file: Path, private: Path, published_dir: Path,
                        partners: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Build every partner's file from the verified open file, then swap all in. Returns {id: {path, tables}}."""
    partners = partners if partners is not None else load_partners()
    folder = published_dir / "partners"
    folder.mkdir(parents=True, exist_ok=True)
    built: dict[str, Any] = {}
    tmps: list[tuple[Path, Path]] = []
    try:
        for partner in partners:
            tmp = folder / f".{partner['id']}.tmp.duckdb"
            counts = _build_one(partner, open_file, private, tmp, partner_salt(partner["id"]))
            final = folder / f"{partner['id']}.duckdb"
            tmps.append((tmp, final))
            built[partner["id"]] = {"path": str(final), "tables": counts}
    except Exception:
        for tmp, _ in tmps:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in tmps:
        os.chmod(tmp, 0o444)
        os.replace(tmp, final)
    return built
