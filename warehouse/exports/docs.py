"""The data dictionary (Markdown and HTML) and the static dbt docs site, published beside the file.

The dictionary is written from the comments of the verified new published file itself (the dbt YAML
descriptions, persisted as COMMENT ON and copied by ``warehouse.publish``), so it describes exactly
what a client opens. The dbt docs site is ``dbt docs generate --static`` run on the private warehouse
before the publication is built (``generate_dbt_docs``); its single ``static_index.html`` is copied as
``docs/dbt_docs.html``.
"""

from __future__ import annotations

import html
import logging
import os
import shutil
from pathlib import Path
from typing import Any

MARKDOWN = "data_dictionary.md"
HTML = "data_dictionary.html"
DBT_DOCS = "dbt_docs.html"
log = logging.getLogger(__name__)

USAGE = """Open the file read-only (it is published 0444): Python `duckdb.connect(path, read_only=True)`;
SQLAlchemy `duckdb:///<path>?access_mode=read_only` with `poolclass=NullPool` (or `engine.dispose()` after
a republish); CLI `duckdb -readonly <path>`. People counts of 1–9 are NULL (suppressed), and so are the
cells that would let one be worked out (secondary suppression); each column says which rule applies."""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown(docs: dict[str, dict[str, Any]], pub_id: str) -> str:
    lines = [f"# Common Ground data dictionary — publication {pub_id}", "", USAGE, "", "## Tables", ""]
    lines += [f"- [{t}](#{t}) — {_cell(info['description'])[:160]}" for t, info in docs.items()]
    for table, info in docs.items():
        lines += ["", f"## {table}", "", " ".join(info["description"].split()), "",
                  "| column | type | description |", "| --- | --- | --- |"]
        lines += [f"| `{c}` | {v['type']} | {_cell(v['description'])} |" for c, v in info["columns"].items()]
    return "\n".join(lines) + "\n"


def html_page(docs: dict[str, dict[str, Any]], pub_id: str) -> str:
    e = html.escape
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>Common Ground data dictionary — {e(pub_id)}</title>",
             "<style>body{font-family:sans-serif;max-width:70em;margin:auto;padding:1em}"
             "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3em;"
             "vertical-align:top;text-align:left}code{white-space:nowrap}</style></head><body>",
             f"<h1>Common Ground data dictionary — publication {e(pub_id)}</h1><p>{e(USAGE)}</p><ul>"]
    parts += [f"<li><a href='#{e(t)}'>{e(t)}</a></li>" for t in docs]
    parts.append("</ul>")
    for table, info in docs.items():
        parts.append(f"<h2 id='{e(table)}'>{e(table)}</h2><p>{e(info['description'])}</p>"
                     "<table><tr><th>column</th><th>type</th><th>description</th></tr>")
        parts += [f"<tr><td><code>{e(c)}</code></td><td>{e(v['type'])}</td><td>{e(v['description'])}</td></tr>"
                  for c, v in info["columns"].items()]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_dictionary(docs: dict[str, dict[str, Any]], folder: Path, pub_id: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKDOWN).write_text(markdown(docs, pub_id), encoding="utf-8")
    (folder / HTML).write_text(html_page(docs, pub_id), encoding="utf-8")
    return [folder / MARKDOWN, folder / HTML]


def generate_dbt_docs(settings: Any) -> Path | None:
    """``dbt docs generate --static`` on the private warehouse; the site's path, or None when disabled."""
    if os.environ.get("CG_PUBLISH_DBT_DOCS", "1") == "0":
        return None
    from warehouse.dbt_build import invoke

    if not (settings.dbt_target_dir / "manifest.json").exists():
        # a publish always follows a build in the same state folder; without its manifest the site would
        # need a full recompile (~45 s): publish without it, and say so (PUBLISHED.json lists the docs)
        log.warning("no dbt manifest in %s: the dbt docs site is not published this time", settings.dbt_target_dir)
        return None
    # the build's manifest is reused (no recompile) and the catalog is read for the marts only: ~3 s, not ~45 s
    result = invoke(["docs", "generate", "--static", "--select", "marts", "--no-compile"], settings)
    if not result.success:
        raise RuntimeError(f"dbt docs generate failed: {result.exception}")
    return settings.dbt_target_dir / "static_index.html"


def copy_dbt_docs(site: Path | None, folder: Path) -> list[Path]:
    if site is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(site, folder / DBT_DOCS)
    return [folder / DBT_DOCS]
