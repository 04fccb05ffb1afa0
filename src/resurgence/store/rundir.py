"""The layout of a run directory and the one way files get into it.

A run directory holds `ensemble.zarr`, `summary.parquet` and `manifest.json` (a `run`), or
the tables of another kind of run (below). Each file is written under a temporary name and
renamed when complete (the ensemble is filled chunk by chunk as `.ensemble.zarr.partial`),
and the manifest is written last: a directory without `manifest.json` is an incomplete
run, whatever else it holds.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import xarray as xr

from resurgence.errors import ResurgenceError

MANIFEST = "manifest.json"
ENSEMBLE = "ensemble.zarr"
SUMMARY = "summary.parquet"
PARTIAL = f".{ENSEMBLE}.partial"  # the store while chunks are being written
REPORT = "report.html"
ARMS = "arms.parquet"  # compare
TRAJECTORIES = "trajectories.parquet"  # compare
SENSITIVITY = "sensitivity.parquet"  # sensitivity
SAMPLES = "samples.parquet"  # sensitivity, discover
BOXES = "boxes.parquet"  # discover
TRAJECTORY = "trajectory.parquet"  # discover: PRIM's peeling trajectory
CONDITIONS_CSV = "conditions.csv"  # conditions
CONDITIONS_JSON = "conditions.json"  # conditions
NOWCAST = "nowcast.parquet"  # nowcast
DECOMPOSITION = "decomposition.parquet"  # nowcast
BACKTEST = "backtest.parquet"  # backtest
BACKTEST_SUMMARY = "backtest_summary.parquet"  # backtest
BACKTEST_JSON = "backtest.json"  # backtest


def write_atomic(path: Path, writer: Callable[[Path], None]) -> None:
    """Write a file through `writer(temporary_path)`, then rename it to `path`, so a
    reader never sees a half-written file."""
    tmp = path.with_name(f".{path.name}.partial")
    writer(tmp)
    os.replace(tmp, path)


def write_json_atomic(path: Path, data: dict) -> None:
    def dump(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=False)
            fh.flush()
            os.fsync(fh.fileno())

    write_atomic(path, dump)


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_text(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _replace_dir(tmp: Path, final: Path) -> None:
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


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
    write_parquet(out / SUMMARY, summary)


def read_ensemble(run_dir: str | Path) -> xr.Dataset:
    """Open a complete run's ensemble (lazily)."""
    run_dir = Path(run_dir)
    if not (run_dir / MANIFEST).is_file():
        raise ResurgenceError(f"{run_dir}: not a complete run (no {MANIFEST})")
    return xr.open_zarr(run_dir / ENSEMBLE)
