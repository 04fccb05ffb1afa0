"""The analysis workflows from Python: `rs.compare`, `rs.sensitivity`, `rs.discover`,
`rs.conditions` and `rs.check` return their data as tables, and `.write` gives the files
the command line writes for the same settings. Tiny budgets and a three-month horizon keep
each one to seconds."""

from __future__ import annotations

import json
import re
import tempfile

import pandas as pd
import pytest
from typer.testing import CliRunner

import resurgence as rs
from resurgence import store
from resurgence.cli import app
from resurgence.errors import ResurgenceError
from resurgence.report.page import KINDS
from resurgence.scenarios import load_scenario
from resurgence.workflows.check import CheckResult
from resurgence.workflows.compare import Comparison
from resurgence.workflows.conditions import ConditionsResult
from resurgence.workflows.discover import DiscoveryResult
from resurgence.workflows.sensitivity import SensitivityResult

SHORT = {"start": "2021-09", "horizon": 3, "consecutive": 1}
SHORT_OPTIONS = ["--from", "2021-09", "--horizon", "3", "--consecutive", "1", "--workers", "1"]


def cli(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.stdout + result.stderr


def files(out) -> set[str]:
    return {p.name for p in out.iterdir()}


def same_manifest_keys(api_dir, cli_dir) -> None:
    read = lambda d: json.loads((d / store.MANIFEST).read_text())  # noqa: E731
    assert read(api_dir).keys() == read(cli_dir).keys()


@pytest.fixture(scope="module")
def nothing(tmp_path_factory):
    """A policy with no events: an arm identical to the baseline."""
    path = tmp_path_factory.mktemp("policy") / "nothing.toml"
    path.write_text('[policy]\nname = "nothing"\n')
    return str(path)


def test_compare_returns_its_tables_and_writes_what_the_command_writes(tmp_path, nothing):
    result = rs.compare(
        "isk",
        policies=[nothing, "no_funding"],
        replicas=4,
        months=6,
        seed=3,
        workers=1,
        definition=SHORT,
    )
    assert isinstance(result, Comparison)
    assert list(result.arms["arm"]) == ["baseline", nothing, "no_funding"]
    assert set(result.trajectories["variable"]) == {"members", "treasury", "reported_attacks"}
    assert set(result.differences["outcome"]) == {
        "probability",
        "members",
        "treasury",
        "reported_attacks",
    }
    assert result.manifest["kind"] == "compare" and result.out is None

    api_dir = result.write(tmp_path / "api")
    cli(
        "compare",
        "isk",
        "-p",
        nothing,
        "-p",
        "no_funding",
        "-n",
        "4",
        "-m",
        "6",
        "-s",
        "3",
        "--out",
        str(tmp_path / "cli"),
        *SHORT_OPTIONS,
    )
    cli_dir = tmp_path / "cli"
    assert files(api_dir) == files(cli_dir) == {store.ARMS, store.TRAJECTORIES, store.MANIFEST}
    for name in (store.ARMS, store.TRAJECTORIES):
        pd.testing.assert_frame_equal(
            pd.read_parquet(api_dir / name), pd.read_parquet(cli_dir / name)
        )
    same_manifest_keys(api_dir, cli_dir)


def test_an_arm_identical_to_the_baseline_differs_by_exactly_zero(nothing):
    result = rs.compare(
        "isk", policies=[nothing], replicas=6, months=6, seed=5, workers=1, definition=SHORT
    )
    same = result.differences[result.differences["arm"] == nothing]
    assert (same["diff"] == 0.0).all()
    moved = result.trajectories[result.trajectories["arm"] == nothing]
    assert (moved[["diff_mean", "diff_low", "diff_high"]] == 0.0).all().all()


def test_sensitivity_returns_its_indices_and_writes_what_the_command_writes(tmp_path):
    result = rs.sensitivity(
        "isk", method="morris", samples=2, replicas=2, seed=4, workers=1, definition=SHORT
    )
    assert isinstance(result, SensitivityResult)
    assert set(result.indices["output"]) == {"probability", "attacks"}
    assert set(result.indices["level"]) == {"condition", "parameter"}
    assert len(result.samples) == result.manifest["design_rows"]
    assert result.manifest["months"] == 4  # compiled once, to the horizon's end

    api_dir = result.write(tmp_path / "api")
    cli(
        "sensitivity",
        "isk",
        "--method",
        "morris",
        "-N",
        "2",
        "-n",
        "2",
        "-s",
        "4",
        "--out",
        str(tmp_path / "cli"),
        *SHORT_OPTIONS,
    )
    cli_dir = tmp_path / "cli"
    assert files(api_dir) == files(cli_dir) == {store.SENSITIVITY, store.SAMPLES, store.MANIFEST}
    for name in (store.SENSITIVITY, store.SAMPLES):
        pd.testing.assert_frame_equal(
            pd.read_parquet(api_dir / name), pd.read_parquet(cli_dir / name)
        )
    same_manifest_keys(api_dir, cli_dir)


def test_discover_returns_its_boxes_and_writes_what_the_command_writes(tmp_path):
    likely = dict(SHORT, threshold=30)
    result = rs.discover("isk", samples=20, replicas=2, seed=2, workers=1, definition=likely)
    assert isinstance(result, DiscoveryResult)
    assert len(result.samples) == 20 and {"probability", "likely"} <= set(result.samples)
    assert not result.boxes.empty and result.trajectory["chosen"].any()
    assert result.manifest["prim"]["ran"]

    api_dir = result.write(tmp_path / "api")
    cli(
        "discover",
        "isk",
        "--samples",
        "20",
        "-n",
        "2",
        "-s",
        "2",
        "--threshold",
        "30",
        "--out",
        str(tmp_path / "cli"),
        *SHORT_OPTIONS,
    )
    cli_dir = tmp_path / "cli"
    expected = {store.SAMPLES, store.BOXES, store.TRAJECTORY, store.MANIFEST}
    assert files(api_dir) == files(cli_dir) == expected
    for name in (store.SAMPLES, store.BOXES, store.TRAJECTORY):
        pd.testing.assert_frame_equal(
            pd.read_parquet(api_dir / name), pd.read_parquet(cli_dir / name)
        )
    same_manifest_keys(api_dir, cli_dir)


def test_conditions_returns_its_table_and_writes_what_the_command_writes(tmp_path, monkeypatch):
    result = rs.conditions("isk", replicas=2, seed=6, workers=1, definition=SHORT)
    assert isinstance(result, ConditionsResult)
    assert set(result.table["verdict"]) <= {"agrees", "opposite", "unclear"}
    assert list(result.table["condition"]) == list(dict.fromkeys(result.space["condition"]))
    # The report has no page for it: refused before a temporary directory is written.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    covered = f"covers the results of {', '.join(KINDS)}, not of conditions"
    with pytest.raises(ResurgenceError, match=re.escape(covered)):
        result.report()
    assert list(tmp_path.iterdir()) == [] and result.out is None

    api_dir = result.write(tmp_path / "api")
    cli("conditions", "isk", "-n", "2", "-s", "6", "--out", str(tmp_path / "cli"), *SHORT_OPTIONS)
    cli_dir = tmp_path / "cli"
    expected = {store.CONDITIONS_CSV, store.CONDITIONS_JSON, store.MANIFEST}
    assert files(api_dir) == files(cli_dir) == expected
    for name in (store.CONDITIONS_CSV, store.CONDITIONS_JSON):
        assert (api_dir / name).read_text() == (cli_dir / name).read_text()
    same_manifest_keys(api_dir, cli_dir)


def test_a_loaded_scenario_runs_as_its_name_does():
    by_name = rs.conditions("isk", replicas=2, seed=6, workers=1, definition=SHORT)
    loaded = rs.conditions(load_scenario("isk"), replicas=2, seed=6, workers=1, definition=SHORT)
    pd.testing.assert_frame_equal(by_name.table, loaded.table)
    assert by_name.parameters == loaded.parameters


def test_check_returns_its_table_and_writes_the_commands_markdown(tmp_path):
    result = rs.check(replicas=20, sample=5, workers=1)
    assert isinstance(result, CheckResult)
    assert list(result.table.columns[:3]) == ["scope", "fact", "source"]
    assert set(result.table["verdict"]) <= {"pass", "FAIL", "n/a"}
    assert result.markdown.startswith("# Validation")

    written = result.write(tmp_path / "api.md")
    cli("check", "-n", "20", "--sample", "5", "--workers", "1", "--out", str(tmp_path / "cli.md"))
    assert written.read_text() == (tmp_path / "cli.md").read_text()


@pytest.mark.parametrize(
    "call",
    [
        lambda: rs.sensitivity("isk", policies=["no_funding"]),
        lambda: rs.discover("isk", chunk_size=10),
        lambda: rs.conditions("isk", months=12),
        lambda: rs.compare("isk", dask_local=2),
        lambda: rs.check(definition={"threshold": 3}),
    ],
)
def test_a_setting_a_workflow_cannot_honour_is_refused(call):
    with pytest.raises(ResurgenceError, match="does not use"):
        call()


def test_a_misspelt_setting_or_resurgence_field_is_an_error():
    with pytest.raises(TypeError, match="replica"):
        rs.compare("isk", replica=10)
    with pytest.raises(TypeError, match="treshold"):
        rs.conditions("isk", definition={"treshold": 3})


@pytest.mark.parametrize(
    ("workflow", "sizes"),
    [
        (rs.sensitivity, {"method": "morris", "samples": 2, "replicas": 8}),
        (rs.discover, {"samples": 8, "replicas": 4}),
    ],
)
def test_sensitivity_and_discovery_run_on_the_calibrated_model(workflow, sizes):
    """Each replica draws its free parameters from the posterior, as `rs.run` does, unless
    told `posterior="none"`; the manifest says which, and the outputs differ."""
    calibrated = workflow("isk", seed=3, **sizes)
    plain = workflow("isk", seed=3, posterior="none", **sizes)
    assert "builtin posterior" in calibrated.manifest["parameters"]
    assert calibrated.manifest["posterior"] is not None
    assert plain.manifest["parameters"] == "parameters: the scenario's values (no posterior)"
    assert plain.manifest["posterior"] is None
    assert "--posterior none" in plain.manifest["command"]
    outputs = ["probability", "attacks"]
    assert not calibrated.samples[outputs].equals(plain.samples[outputs])
