"""The DuckDB catalog of runs.

One DuckDB file, by default in the user's data directory, overridable with
RESURGENCE_CATALOG or --catalog, lists the runs; writers retry while another process
holds the file's lock.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import pandas as pd
import platformdirs

from resurgence.errors import ResurgenceError

CATALOG_COLUMNS = """
    run_id VARCHAR PRIMARY KEY,
    created VARCHAR,
    scenario VARCHAR,
    scenario_hash VARCHAR,
    policies VARCHAR,
    seed BIGINT,
    replicas BIGINT,
    months BIGINT,
    probability DOUBLE,
    ci_low DOUBLE,
    ci_high DOUBLE,
    definition VARCHAR,
    version VARCHAR,
    out_dir VARCHAR,
    command VARCHAR
"""


def default_catalog() -> Path:
    env = os.environ.get("RESURGENCE_CATALOG")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("resurgence")) / "catalog.duckdb"


def _connect(catalog: Path, read_only: bool = False, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(catalog), read_only=read_only)
        except (duckdb.IOException, duckdb.InvalidInputException) as exc:
            # Another process holds the lock, or is creating the file right now.
            transient = "lock" in str(exc).lower() or "not a valid duckdb" in str(exc).lower()
            if not transient or time.monotonic() > deadline:
                raise ResurgenceError(f"{catalog}: cannot open the run catalog ({exc})") from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def register_run(catalog: Path, record: dict) -> None:
    """Add a run to the catalog (creating it if needed)."""
    try:
        catalog.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResurgenceError(f"{catalog}: cannot create the catalog ({exc.strerror})") from None
    con = _connect(catalog)
    try:
        con.execute(f"CREATE TABLE IF NOT EXISTS runs ({CATALOG_COLUMNS})")
        columns = [line.split()[0] for line in CATALOG_COLUMNS.strip().splitlines()]
        placeholders = ", ".join("?" for _ in columns)
        con.execute(
            f"INSERT OR REPLACE INTO runs ({', '.join(columns)}) VALUES ({placeholders})",
            [record.get(c) for c in columns],
        )
    finally:
        con.close()


def list_runs(catalog: Path, limit: int = 50) -> pd.DataFrame:
    """The catalog's most recent runs, newest first."""
    if not catalog.exists():
        return pd.DataFrame()
    con = _connect(catalog, read_only=True)
    try:
        tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        if ("runs",) not in tables:
            return pd.DataFrame()
        return con.execute("SELECT * FROM runs ORDER BY created DESC LIMIT ?", [limit]).df()
    finally:
        con.close()
