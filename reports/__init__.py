"""Area reports: a static, offline, printable site built from the published DuckDB file only."""
