"""Where Common Ground keeps its state, read from the environment.

Every path has a default under ``CG_VAR_DIR`` (``<repo>/var``) so the demo needs no configuration;
production (docker-compose.yml) points them at mounted volumes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Resolved paths of the private warehouse, the published copy and the working folders."""

    var_dir: Path
    warehouse_path: Path
    published_dir: Path
    dbt_project_dir: Path
    sources_file: Path
    mappings_dir: Path

    @property
    def published_path(self) -> Path:
        """The read-only file BI tools and partners open."""
        return self.published_dir / "common_ground.duckdb"

    @property
    def parquet_dir(self) -> Path:
        return self.published_dir / "parquet"

    @property
    def dbt_target_dir(self) -> Path:
        return self.var_dir / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.var_dir / "dbt" / "logs"

    @property
    def gx_dir(self) -> Path:
        return self.var_dir / "gx"

    @property
    def landing_dir(self) -> Path:
        """Raw payload archive (non-personal feeds only) and manifests."""
        return self.var_dir / "landing"

    @property
    def summary_path(self) -> Path:
        return self.var_dir / "run_summary.json"


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def get_settings() -> Settings:
    """Read settings from the environment each call (tests and DAG runs change it)."""
    var_dir = _path("CG_VAR_DIR", REPO_ROOT / "var")
    return Settings(
        var_dir=var_dir,
        warehouse_path=_path("CG_WAREHOUSE_PATH", var_dir / "warehouse" / "private.duckdb"),
        published_dir=_path("CG_PUBLISHED_DIR", var_dir / "published"),
        dbt_project_dir=_path("CG_DBT_PROJECT_DIR", REPO_ROOT / "dbt_project"),
        sources_file=_path("CG_SOURCES_FILE", REPO_ROOT / "config" / "sources.yml"),
        mappings_dir=_path("CG_MAPPINGS_DIR", REPO_ROOT / "config" / "survey_mappings"),
    )
