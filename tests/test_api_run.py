"""`rs.run`, `scenario` and `rs.read_run`: a run held in memory and the same run
streamed to a directory are identical, a written result is the directory `resurgence run`
writes, its manifest names the command that makes it again, and a loaded scenario runs as
its name does."""

from __future__ import annotations

import copy
import shlex

import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

import resurgence as rs
from resurgence import store
from resurgence.cli import app
from resurgence.errors import ResurgenceError
from resurgence.scenarios.load import builtin_scenarios
from resurgence.workflows.api import resolve, scenario

SMALL = {"replicas": 60, "months": 40, "chunk_size": 20, "seed": 3}


@pytest.fixture(scope="module")
def in_memory():
    """A run held in memory, on 2 worker processes, of the scenario loaded in Python."""
    return rs.run(scenario("isk"), workers=2, **SMALL)


@pytest.fixture(scope="module")
def streamed(tmp_path_factory):
    """The same run by name, streamed to a directory in this process."""
    return rs.run("isk", out=tmp_path_factory.mktemp("streamed") / "run", workers=1, **SMALL)


def test_in_memory_and_streamed_runs_are_identical(in_memory, streamed):
    assert in_memory.out is None and streamed.out is not None
    xr.testing.assert_identical(in_memory.ensemble, streamed.ensemble.load())
    pd.testing.assert_frame_equal(in_memory.summary, streamed.summary, check_exact=True)
    assert in_memory.probability == streamed.probability
    assert in_memory.curve == streamed.curve
    assert in_memory.manifest["posterior_digest"] == streamed.manifest["posterior_digest"]
    assert in_memory.manifest["posterior_digest"] is not None  # the builtin posterior
    assert in_memory.model.scenario_hash == streamed.model.scenario_hash


def test_a_written_result_is_the_directory_resurgence_run_writes(in_memory, streamed, tmp_path):
    result = copy.copy(in_memory)  # the fixture stays a result without a directory
    out = result.write(tmp_path / "written")
    assert result.out == out
    assert sorted(p.name for p in out.iterdir()) == sorted(streamed.manifest["outputs"])
    written, reference = rs.read_run(out), rs.read_run(streamed.out)
    xr.testing.assert_identical(written.ensemble.load(), reference.ensemble.load())
    pd.testing.assert_frame_equal(written.summary, reference.summary, check_exact=True)
    assert written.probability == reference.probability == in_memory.probability
    assert written.curve == reference.curve == streamed.manifest["resurgence_by_horizon"]
    rows = (20, *in_memory.ensemble["members"].shape[1:])  # one Zarr chunk a chunk of replicas
    with xr.open_zarr(out / store.ENSEMBLE) as a, xr.open_zarr(streamed.out / store.ENSEMBLE) as b:
        assert a["members"].encoding["chunks"] == b["members"].encoding["chunks"] == rows


def test_read_run_compiles_the_runs_model_again(streamed):
    again = rs.read_run(streamed.out)
    assert again.manifest == streamed.manifest
    assert again.model.scenario_hash == streamed.model.scenario_hash
    assert again.model.posterior.digest == streamed.model.posterior.digest


def test_read_run_refuses_what_is_not_a_complete_run(tmp_path):
    with pytest.raises(ResurgenceError, match="not a complete run"):
        rs.read_run(tmp_path)
    (tmp_path / store.MANIFEST).write_text('{"kind": "compare"}')
    with pytest.raises(ResurgenceError, match="not the directory of a run"):
        rs.read_run(tmp_path)


def test_a_loaded_scenario_is_the_builtin_one_only_while_unchanged(tmp_path):
    isk = scenario("isk")
    assert resolve(isk).builtin == "isk" and resolve(isk).posterior(None)[0] is not None
    changed = isk.model_copy(deep=True)
    changed.scenario.title = "IS-K, changed in Python"
    assert resolve(changed).builtin is None and resolve(changed).source is None
    assert resolve(changed).posterior(None)[0] is None
    path = str(builtin_scenarios()["isk"])
    assert resolve(path).builtin is None and resolve(path).source == path
    result = rs.run(changed, replicas=10, months=30, seed=1)
    assert result.manifest["posterior"] is None
    assert result.manifest["scenario_source"] is None
    assert result.manifest["title"] == "IS-K, changed in Python"


def test_a_settings_object_and_keywords_run_alike_and_keywords_change_it():
    settings = rs.Settings(replicas=20, months=30, seed=9, chunk_size=10)
    given = rs.run("isk", settings)
    xr.testing.assert_identical(
        given.ensemble, rs.run("isk", replicas=20, months=30, seed=9, chunk_size=10).ensemble
    )
    other = rs.run("isk", settings, seed=10)
    assert other.manifest["seed"] == 10 and other.manifest["replicas"] == 20
    assert not other.ensemble["members"].equals(given.ensemble["members"])
    with pytest.raises(TypeError, match="unknown setting"):
        rs.run("isk", settings, replica=10)


def test_runs_without_a_directory_refuse_what_needs_one():
    with pytest.raises(ResurgenceError, match="give out=DIR"):
        rs.run("isk", replicas=10_000_000)
    with pytest.raises(ResurgenceError, match="give out=DIR"):
        rs.run("isk", replicas=10, months=30, dask_local=2)
    with pytest.raises(ResurgenceError, match="resume needs out"):
        rs.run("isk", replicas=10, months=30, resume=True)


def test_a_definition_the_run_cannot_measure_fails_before_any_directory(tmp_path):
    with pytest.raises(ResurgenceError, match="outside the run's months"):
        rs.run("isk", replicas=10, months=12, out=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_a_run_kept_in_memory_is_reported_from_the_directory_it_writes(in_memory, tmp_path):
    result = copy.copy(in_memory)  # the fixture stays a result without a directory
    page = result.report(tmp_path / "reported")
    assert page == tmp_path / "reported" / store.REPORT and page.is_file()
    assert result.out == tmp_path / "reported"


def test_the_definition_is_read_as_every_workflow_reads_it():
    one = rs.run("isk", replicas=10, months=30, seed=1, definition={"regions": "kabul"})
    assert one.probability.definition.regions == ("kabul",)
    listed = rs.run("isk", replicas=10, months=30, seed=1, definition={"regions": ["kabul"]})
    assert one.probability == listed.probability
    with pytest.raises(TypeError, match=r"unknown resurgence field\(s\): treshold"):
        rs.run("isk", replicas=10, months=30, definition={"treshold": 3})


def test_the_manifest_names_the_command_that_makes_the_same_run(tmp_path):
    result = rs.run(
        "isk",
        replicas=20,
        months=30,
        seed=4,
        chunk_size=10,
        policies=["no_funding"],
        posterior="none",
        definition={"threshold": 5, "regions": ["kabul", "kunar"]},
    )
    command = shlex.split(result.manifest["command"])
    assert command[:3] == ["resurgence", "run", "isk"]
    made = CliRunner().invoke(app, [*command[1:], "--out", str(tmp_path / "cli")])
    assert made.exit_code == 0, made.output
    again = rs.read_run(tmp_path / "cli")
    assert again.probability == result.probability
    assert again.manifest["policies"] == ["no_funding"] and again.manifest["posterior"] is None
    pd.testing.assert_frame_equal(again.summary, result.summary, check_exact=True)
