"""The `resurgence` command in a real subprocess, and the run catalog as `resurgence runs`
reads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from resurgence import store
from resurgence.cli import app


def subprocess_cli(args: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    """`python -m resurgence ARGS`, wide enough that no message is wrapped."""
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run(
        [sys.executable, "-m", "resurgence", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        **kw,
    )


def catalog_reads(catalog: Path) -> int:
    """`resurgence runs` lists the catalog without an error; how many runs it holds."""
    result = CliRunner().invoke(app, ["runs", "--catalog", str(catalog), "--limit", "100"])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return len(store.list_runs(catalog, 100))
