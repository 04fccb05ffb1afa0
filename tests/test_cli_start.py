"""The command line starts fast: building it imports none of the heavy libraries the
commands use (each command imports what it needs when it runs), and `import resurgence`
alone imports almost nothing."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "elfi",
    "arviz",
    "GPy",
    "sklearn",
    "matplotlib",
    "SALib",
    "ema_workbench",
    "dask",
    "distributed",
    "plotly",
    "zarr",
    "duckdb",
    "scipy",
)


def loaded_after(statement: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after `statement`."""
    code = f"{statement}; import json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


def test_building_the_command_line_imports_no_heavy_library():
    loaded = loaded_after("import resurgence.cli")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_importing_the_package_imports_almost_nothing():
    loaded = loaded_after("import resurgence")
    ours = {"resurgence", "importlib", "json", "sys"}
    assert not loaded & {*HEAVY, "numpy", "pandas", "xarray", "typer", "rich", "pydantic"}
    before = loaded_after("import importlib")
    assert loaded - before <= ours
