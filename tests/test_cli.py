"""End-to-end tests of the `resurgence` command line.

The main run goes through a real subprocess (`python -m resurgence.cli`) to prove the exit
code and the absence of a traceback; the other commands use typer's CliRunner on the same
app. Every test that runs or lists runs points RESURGENCE_CATALOG at a file under a
temporary directory, so the user's catalog is never touched.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

import resurgence
from resurgence.cli import app
from resurgence.scenarios.load import builtin_scenarios

RUN_ARGS = ["--replicas", "200", "--months", "30", "--seed", "3", "--workers", "1"]
SUMMARY_COLUMNS = [
    "month",
    "variable",
    "actor",
    "region",
    "mean",
    "q05",
    "q10",
    "q25",
    "q50",
    "q75",
    "q90",
    "q95",
]
PROBABILITY_LINE = re.compile(
    r"probability\s+(\d\.\d{3})\s+95% CI \[(\d\.\d{3}), (\d\.\d{3})\]"
    r"\s+\(\d[\d,]* of 200 replicas\)"
)
WIDE = "250"  # rich wraps at 80 columns when not on a terminal; keep tables on one line


def run_cli(args: list[str], *, catalog: Path, cwd: Path) -> subprocess.CompletedProcess:
    """The real console entry in a fresh interpreter, with a private catalog."""
    env = {**os.environ, "RESURGENCE_CATALOG": str(catalog), "COLUMNS": WIDE}
    return subprocess.run(
        [sys.executable, "-m", "resurgence.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def invoke(args: list[str]):
    """The app in-process; stdout and stderr are captured separately."""
    result = CliRunner().invoke(app, args, env={"COLUMNS": WIDE})
    # An escaped exception (anything but the exit the CLI raises) would be a crash.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture(autouse=True)
def private_catalog(tmp_path, monkeypatch) -> Path:
    """Every test gets its own catalog; in-process runs read the variable at call time."""
    catalog = tmp_path / "catalog.duckdb"
    monkeypatch.setenv("RESURGENCE_CATALOG", str(catalog))
    monkeypatch.chdir(tmp_path)  # a run without --out would write runs/ here
    return catalog


@dataclass
class Run:
    proc: subprocess.CompletedProcess
    out: Path
    catalog: Path


@pytest.fixture(scope="module")
def isk_run(tmp_path_factory) -> Run:
    """`resurgence run isk --replicas 200 --months 30 --seed 3 --workers 1 --out DIR`."""
    base = tmp_path_factory.mktemp("isk_run")
    out = base / "run"
    catalog = base / "catalog.duckdb"
    proc = run_cli(["run", "isk", *RUN_ARGS, "--out", str(out)], catalog=catalog, cwd=base)
    return Run(proc, out, catalog)


# ---------------------------------------------------------------- run


def test_run_exits_zero_and_prints_probability_and_summary(isk_run):
    proc = isk_run.proc
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    match = PROBABILITY_LINE.search(proc.stdout)
    assert match, proc.stdout
    p, low, high = (float(x) for x in match.groups())
    assert low <= p <= high
    # the summary table: the focal group's variables at the first and last month
    # the flagship reports through its claims channel ([resurgence] reported), and says so
    for label in ("members", "treasury (USD k)", "attacks (latent)", "attacks (claimed)"):
        assert label in proc.stdout
    assert "2021-08" in proc.stdout  # first month of the run
    assert "2024-01" in proc.stdout  # last month of a 30-month run
    assert "Simulated and stored in" in proc.stdout and "summary.parquet" in proc.stdout


def test_run_writes_ensemble_zarr(isk_run):
    assert isk_run.proc.returncode == 0, isk_run.proc.stderr
    ds = xr.open_zarr(isk_run.out / "ensemble.zarr")
    assert set(ds.sizes) == {"replica", "month", "actor", "region", "attack_type"}
    assert ds.sizes["replica"] == 200
    assert ds.sizes["month"] == 30
    assert str(ds["month"].values[0]) == "2021-08"
    assert str(ds["month"].values[-1]) == "2024-01"
    for name in ("members", "treasury", "attacks", "reported_attacks"):
        assert name in ds.data_vars
    assert ds.attrs["seed"] == 3
    assert ds.attrs["reported"] == "claimed"  # the flagship's calibrated channel
    assert "claimed" in ds["reported_attacks"].attrs["description"]


def test_run_writes_summary_parquet(isk_run):
    assert isk_run.proc.returncode == 0, isk_run.proc.stderr
    summary = pd.read_parquet(isk_run.out / "summary.parquet")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert {"members", "treasury", "attacks", "reported_attacks"} <= set(summary["variable"])
    assert (summary["region"] == "all").any()
    for variable in ("members", "treasury", "attacks", "reported_attacks"):
        rows = summary[(summary["variable"] == variable) & (summary["region"] == "all")]
        assert rows["month"].nunique() == 30, variable
    assert (summary["q05"] <= summary["q50"]).all()
    assert (summary["q50"] <= summary["q95"]).all()


def test_run_writes_manifest(isk_run):
    assert isk_run.proc.returncode == 0, isk_run.proc.stderr
    manifest = json.loads((isk_run.out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 3
    assert manifest["replicas"] == 200
    assert manifest["months"] == 30
    assert isinstance(manifest["scenario_hash"], str) and manifest["scenario_hash"]
    assert manifest["version"] == resurgence.__version__
    assert {"simulate_s", "summarise_s", "total_s"} <= set(manifest["timings"])
    r = manifest["resurgence"]
    assert 0.0 <= r["ci_low"] <= r["probability"] <= r["ci_high"] <= 1.0
    assert r["replicas"] == 200
    assert manifest["reported"] == "claimed"
    assert r["definition"]["area"] == ["Afghanistan"]
    assert "khyber_pakhtunkhwa" not in r["definition"]["regions"]
    assert "claimed attacks a month in Afghanistan" in r["definition_text"]


def test_same_seed_gives_identical_summary(isk_run, tmp_path):
    """The same command again (in-process this time) reproduces the summary exactly."""
    assert isk_run.proc.returncode == 0, isk_run.proc.stderr
    again = tmp_path / "again"
    result = invoke(["run", "isk", *RUN_ARGS, "--out", str(again)])
    assert result.exit_code == 0, result.stderr
    first = pd.read_parquet(isk_run.out / "summary.parquet")
    second = pd.read_parquet(again / "summary.parquet")
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    first_manifest = json.loads((isk_run.out / "manifest.json").read_text(encoding="utf-8"))
    second_manifest = json.loads((again / "manifest.json").read_text(encoding="utf-8"))
    assert first_manifest["resurgence"] == second_manifest["resurgence"]
    assert first_manifest["scenario_hash"] == second_manifest["scenario_hash"]


def test_runs_lists_the_run(isk_run, monkeypatch):
    assert isk_run.proc.returncode == 0, isk_run.proc.stderr
    monkeypatch.setenv("RESURGENCE_CATALOG", str(isk_run.catalog))
    result = invoke(["runs"])
    assert result.exit_code == 0, result.stderr
    assert "no runs" not in result.stdout
    assert str(isk_run.catalog) in result.stdout
    assert str(isk_run.out.resolve()) in result.stdout
    line = next(row for row in result.stdout.splitlines() if str(isk_run.out.resolve()) in row)
    assert "isk" in line
    assert " 3 " in line and " 200 " in line and " 30 " in line  # seed, replicas, months


def test_runs_on_an_empty_catalog(private_catalog):
    result = invoke(["runs"])
    assert result.exit_code == 0, result.stderr
    assert f"no runs in {private_catalog}" in result.stdout
    assert not private_catalog.exists()


def test_run_with_policy_no_funding(tmp_path, private_catalog):
    out = tmp_path / "policy_run"
    args = ["run", "isk", "-n", "50", "--months", "30", "--seed", "5", "--workers", "1"]
    result = invoke([*args, "--policy", "no_funding", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "policies: no_funding" in result.stdout
    assert "probability" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["policies"] == ["no_funding"]
    assert private_catalog.exists()


def test_run_with_unknown_policy_exits_2(tmp_path, private_catalog):
    out = tmp_path / "never"
    proc = run_cli(
        ["run", "isk", "-n", "10", "-w", "1", "--policy", "no_such_policy", "--out", str(out)],
        catalog=private_catalog,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert re.search(r"^error: ", proc.stderr, re.MULTILINE), proc.stderr
    assert "no_such_policy" in proc.stderr
    assert "reconciliation_deals" in proc.stderr  # the policies it could have named
    assert not out.exists()
    assert not private_catalog.exists()


def test_run_with_from_outside_the_run_exits_2(tmp_path):
    out = tmp_path / "from_run"
    args = ["run", "isk", "-n", "10", "--months", "30", "--seed", "1", "--workers", "1"]
    for start, says in (("2019-01", "before the scenario's start"), ("2024-06", "outside")):
        result = invoke([*args, "--from", start, "--out", str(out)])
        assert result.exit_code == 2, (result.stdout, result.stderr)
        assert "error:" in result.stderr
        assert start in result.stderr and says in result.stderr
        assert "Traceback" not in result.stderr
        assert not (out / "manifest.json").exists()


def test_run_regions_option(tmp_path):
    out = tmp_path / "regions"
    args = ["run", "isk", "-n", "10", "--months", "30", "--seed", "1", "--workers", "1"]
    result = invoke([*args, "--regions", "khyber_pakhtunkhwa, abroad", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "claimed attacks a month in khyber_pakhtunkhwa, abroad for" in result.stdout
    definition = json.loads((out / "manifest.json").read_text())["resurgence"]["definition"]
    assert definition["regions"] == ["khyber_pakhtunkhwa"]
    result = invoke([*args, "--regions", "all", "--out", str(tmp_path / "all")])
    assert result.exit_code == 0, result.stderr
    assert (
        json.loads((tmp_path / "all" / "manifest.json").read_text())["resurgence"]["definition"][
            "regions"
        ]
        == []
    )
    result = invoke([*args, "--regions", "Afghanistan,Mars", "--out", str(tmp_path / "bad")])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "--regions: 'Mars' is not a region, a region tag or a country" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_malformed_from_exits_2(tmp_path):
    result = invoke(["run", "isk", "-n", "10", "--from", "2019-13", "--out", str(tmp_path)])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "--from" in result.stderr and "YYYY-MM" in result.stderr


# ---------------------------------------------------------------- scenarios, show, validate


def test_scenarios_lists_isk():
    result = invoke(["scenarios"])
    assert result.exit_code == 0, result.stderr
    assert re.search(r"\bisk\b", result.stdout)
    assert "2021-08 to 2026-12" in result.stdout
    assert "no_funding" in result.stdout


def test_show_prints_the_timeline():
    result = invoke(["show", "isk"])
    assert result.exit_code == 0, result.stderr
    assert "timeline" in result.stdout
    assert "2023-01" in result.stdout
    assert "Turkey's crackdown at its height" in result.stdout


def test_show_parameters():
    result = invoke(["show", "isk", "--parameters"])
    assert result.exit_code == 0, result.stderr
    assert "parameters" in result.stdout
    assert "payroll.salary" in result.stdout
    assert "funding.base_transfer" in result.stdout


def test_show_unknown_scenario_exits_2():
    result = invoke(["show", "no_such_scenario"])
    assert result.exit_code == 2
    assert "no_such_scenario" in result.stderr and "isk" in result.stderr


def test_validate_builtin_file():
    path = builtin_scenarios()["isk"]
    result = invoke(["validate", str(path)])
    assert result.exit_code == 0, result.stderr
    assert f"ok: {path}" in result.stdout
    assert "scenario isk" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    "command", [None, "run", "validate", "scenarios", "show", "runs", "conditions"]
)
def test_help(command):
    args = ["--help"] if command is None else [command, "--help"]
    result = invoke(args)
    assert result.exit_code == 0, result.stderr
    assert "Example" in result.stdout


def test_runs_lists_a_catalog_row_with_missing_values(tmp_path):
    from resurgence.store import register_run

    catalog = tmp_path / "catalog.duckdb"
    register_run(catalog, {"run_id": "partial-record", "scenario": "isk"})
    result = CliRunner().invoke(app, ["runs", "--catalog", str(catalog)], env={"COLUMNS": WIDE})
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if " isk " in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    # created, scenario, policies, seed, replicas, months, probability [CI], out_dir
    assert cells == ["-", "isk", "-", "-", "-", "-", "- [-, -]", "-"], row
