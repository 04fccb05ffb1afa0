"""What every workflow returns: its data in memory, a manifest, and the same run directory
and HTML report the command line writes."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from resurgence import store


@dataclass
class Result:
    """The common shape of a workflow's result.

    A subclass holds its data as pandas or xarray objects and says how they are written
    (`_write_tables`); `write` adds the manifest last, as every run directory has it, so a
    directory without a manifest is never mistaken for a complete run. `report` writes the
    result first when it has no directory yet (to a temporary one unless told where).
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
        written first to `out`, or to a new temporary directory."""
        from resurgence.report import write_report

        if out is not None and (self.out is None or Path(out) != self.out):
            self.write(out)
        elif self.out is None:
            self.write(tempfile.mkdtemp(prefix="resurgence-"))
        path, _ = write_report(self.out)
        return path
