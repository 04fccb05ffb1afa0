"""The layout of a run directory and the one way files get into it.

A run directory holds `ensemble.zarr`, `summary.parquet` and `manifest.json` (a `run`), or
the tables of another kind of run (below). Each file is written under a temporary name and
renamed when complete (the ensemble is filled chunk by chunk as `.ensemble.zarr.partial`),
and the manifest is written last: a directory without `manifest.json` is an incomplete
run, whatever else it holds.

A run directory belongs to one process at a time: the process writing it holds an
advisory lock on `.run.lock` inside it (`hold_run_dir`), so a second run or resume into a
directory in use stops with a message instead of overwriting the first run's chunks. The
lock file is removed when the writer ends normally; one left by a killed run is not
locked and is not part of the run (no reader looks at it).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pandas as pd
import xarray as xr

from resurgence.errors import ResurgenceError

MANIFEST = "manifest.json"
ENSEMBLE = "ensemble.zarr"
SUMMARY = "summary.parquet"
PARTIAL = f".{ENSEMBLE}.partial"  # the store while chunks are being written
LOCK = ".run.lock"  # locked by the process writing the directory
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
    reader never sees a half-written file; a failed write leaves nothing behind."""
    tmp = path.with_name(f".{path.name}.partial")
    try:
        writer(tmp)
        os.replace(tmp, path)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


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


def _make_dir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResurgenceError(
            f"{out}: cannot create the output directory ({exc.strerror})"
        ) from None


def prepare_run_dir(out: Path) -> None:
    """Create the run directory; a previous manifest is removed first, so a directory
    being rewritten never looks complete."""
    _make_dir(out)
    (out / MANIFEST).unlink(missing_ok=True)


_HELD: set[Path] = set()  # the run directories this process holds, resolved
# A forked worker is another process: it holds nothing of its own, whatever its parent held.
os.register_at_fork(after_in_child=_HELD.clear)


@contextmanager
def hold_run_dir(out: Path) -> Iterator[None]:
    """Hold the run directory `out` (created if needed) for this process while the block
    runs; raise `ResurgenceError` at once if another process holds it.

    The lock (`flock` on `LOCK`) is the operating system's: it ends with the process
    however the process ends, so a killed run never leaves a directory locked. Worker
    processes forked while it is held share it until they end.

    Holding is re-entrant, so a command can hold its directory from before its work to
    after its report while the workflow it calls holds it again to write: a hold of a
    directory this process already holds (the same resolved path) just proceeds, and the
    outermost releases it. A directory the outermost hold created and that is still empty
    when it ends (the work failed before writing) is removed, so a failed command leaves
    no directory behind."""
    created = not out.exists()
    _make_dir(out)
    key = out.resolve()
    if key in _HELD:
        yield
        return
    path = out / LOCK
    fd = _lock(out, path)
    _HELD.add(key)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())  # for the message of the next one to try
    try:
        yield
    finally:
        _HELD.discard(key)
        path.unlink(missing_ok=True)  # while still locked, so no one locks a removed file
        if created:
            with suppress(OSError):  # not empty: the work wrote into it
                out.rmdir()
        os.close(fd)


def _lock(out: Path, path: Path) -> int:
    """The lock file at `path`, open and locked by this process."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:  # its last holder had created it, and removed it empty
            _make_dir(out)
            continue
        except OSError as exc:
            raise ResurgenceError(f"{out}: cannot create {LOCK} ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            by = f"process {holder}" if holder.isdigit() else "another process"
            raise ResurgenceError(
                f"{out}: this run directory is in use by {by} (a run, a resume or a write "
                "into it); wait for it to end, or write to another directory"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise ResurgenceError(f"{out}: cannot lock {LOCK} ({exc.strerror})") from None
        if _still_at(fd, path):
            return fd
        os.close(fd)  # its last holder removed it between our open and our lock: again


def _still_at(fd: int, path: Path) -> bool:
    """Whether the open file `fd` is still the file at `path`."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


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
