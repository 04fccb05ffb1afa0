"""What every workflow returns: its data in memory, a manifest, and the same run directory
and HTML report the command line writes."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from resurgence import __version__, store
from resurgence.errors import ResurgenceError

if TYPE_CHECKING:
    from resurgence.core.model import Model


@dataclass
class Result:
    """The common shape of a workflow's result.

    A subclass holds its data as pandas or xarray objects and says how they are written
    (`_write_tables`); `write` adds the manifest last, as every run directory has it, so a
    directory without a manifest is never mistaken for a complete run. `report` writes the
    result first when it has no directory yet (to a temporary one unless told where); only
    the kinds the HTML report has a page for (`report.page.KINDS`) have one.
    """

    manifest: dict
    out: Path | None = field(default=None, kw_only=True)

    def _write_tables(self, out: Path) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not say how it is written")

    def write(self, out: str | Path) -> Path:
        """Write the result's run directory (its tables, then `manifest.json`), holding the
        directory's lock, so no other run writes into it meanwhile."""
        out = Path(out)
        with store.hold_run_dir(out):
            store.prepare_run_dir(out)
            self._write_tables(out)
            store.write_json_atomic(out / store.MANIFEST, self.manifest)
        self.out = out
        return out

    def report(self, out: str | Path | None = None) -> Path:
        """Write the HTML report of this result and return its path.

        Without a run directory of its own (a result kept in memory), the result is
        written first to `out`, or to a new temporary directory. A kind of result the
        report has no page for is refused before anything is written, so no directory is
        left behind for a report that cannot be made."""
        from resurgence.report.page import KINDS, write_report  # plotly: only when reporting

        kind = self.manifest.get("kind", "run")
        if kind not in KINDS:
            raise ResurgenceError(
                f"the HTML report covers the results of {', '.join(KINDS)}, not of {kind}; "
                "write its tables with `write(dir)`"
            )
        if out is not None and (self.out is None or Path(out) != self.out):
            self.write(out)
        elif self.out is None:
            self.write(tempfile.mkdtemp(prefix="resurgence-"))
        path, _ = write_report(self.out)
        return path


def manifest_header(
    kind: str | None, command: str, model: Model | None = None, *, dated: bool = True
) -> dict:
    """The fields a workflow's manifest opens with, made in one place so that every kind
    of result names them alike for the report and whoever reads a run directory: `kind`
    (None for a run, whose manifest names none: readers take a missing kind for a run),
    `complete`, when and by which version it was made (unless not `dated`: the
    measurements' manifests record neither), the `command` that reproduces it, and with
    the compiled `model`, the scenario's name, title and hash."""
    header: dict = {} if kind is None else {"kind": kind}
    header["complete"] = True
    if dated:
        header["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        header["version"] = __version__
    header["command"] = command
    if model is not None:
        header["scenario"] = model.name
        header["title"] = model.title
        header["scenario_hash"] = model.scenario_hash
    return header


@contextmanager
def timing_write(manifest: dict, seconds: float) -> Iterator[None]:
    """Time the block that writes a result's tables into its manifest's timings: the
    workflow's `total_s` was taken before the write, so the write adds `write_s` and
    makes `total_s` the workflow's `seconds` plus the write (kept last, as the total)."""
    started = time.perf_counter()
    yield
    write_s = time.perf_counter() - started
    timings = manifest["timings"]
    timings.pop("total_s", None)
    timings["write_s"] = round(write_s, 3)
    timings["total_s"] = round(seconds + write_s, 3)
