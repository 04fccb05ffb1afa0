"""The package's layers import one way only (the contracts of pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
            "--config",
            str(ROOT / "pyproject.toml"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "module", ["resurgence.core.state", "resurgence.observe", "resurgence.processes.operations"]
)
def test_a_lower_layer_imports_on_its_own(module):
    """No import order matters: each module of a lower layer imports first in a fresh
    interpreter (the circle through a function-level import is gone)."""
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, cwd=ROOT)
