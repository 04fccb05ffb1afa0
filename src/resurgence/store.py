"""Writing runs to disk and the DuckDB catalog of runs.

A run directory holds `ensemble.zarr`, `summary.parquet` and `manifest.json`. Each is
written under a temporary name and renamed when complete (the ensemble is filled chunk by
chunk as `.ensemble.zarr.partial`), and the manifest is written last: a directory without
`manifest.json` is an incomplete run, whatever else it holds.
The catalog (one DuckDB file, by default in the user's data directory, overridable with
RESURGENCE_CATALOG or --catalog) lists the runs; writers retry while another process
holds the file's lock.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import duckdb
import pandas as pd
import platformdirs
import xarray as xr

from resurgence.errors import ResurgenceError

MANIFEST = "manifest.json"
ENSEMBLE = "ensemble.zarr"
SUMMARY = "summary.parquet"
PARTIAL = f".{ENSEMBLE}.partial"  # the store while chunks are being written

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


def _replace_dir(tmp: Path, final: Path) -> None:
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def prepare_run_dir(out: Path) -> None:
    """Create the run directory; a previous manifest is removed first, so a directory
    being rewritten never looks complete."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResurgenceError(
            f"{out}: cannot create the output directory ({exc.strerror})"
        ) from None
    (out / MANIFEST).unlink(missing_ok=True)


def publish_ensemble(out: Path, markers: Path) -> None:
    """Give the completed store of a run its final name, then drop its chunk markers."""
    _replace_dir(out / PARTIAL, out / ENSEMBLE)
    shutil.rmtree(markers, ignore_errors=True)


def write_summary(out: Path, summary: pd.DataFrame) -> None:
    tmp = out / f".{SUMMARY}.partial"
    summary.to_parquet(tmp, index=False)
    os.replace(tmp, out / SUMMARY)


def read_ensemble(run_dir: str | Path) -> xr.Dataset:
    """Open a complete run's ensemble (lazily)."""
    run_dir = Path(run_dir)
    if not (run_dir / MANIFEST).is_file():
        raise ResurgenceError(f"{run_dir}: not a complete run (no {MANIFEST})")
    return xr.open_zarr(run_dir / ENSEMBLE)


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
