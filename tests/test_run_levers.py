"""The levers `resurgence run` takes beside its policies, which the explorer's saved runs
record: `--condition NAME=LEVEL` and a policy started in another month, `NAME@YYYY-MM`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import resurgence as rs
from resurgence.cli import app
from resurgence.errors import ResurgenceError

FAST = {"replicas": 60, "months": 40, "seed": 11, "workers": 1}


def _members(**changes) -> np.ndarray:
    return rs.run("isk", **FAST, **changes).ensemble["members"].values


@pytest.fixture(scope="module")
def base() -> np.ndarray:
    return _members()


def test_a_condition_at_level_zero_is_the_scenario_to_the_last_bit(base):
    assert np.array_equal(_members(conditions={"windfalls": 0.0, "host_unity": 0.0}), base)


@pytest.mark.parametrize("level", [-1.0, 1.0])
@pytest.mark.parametrize(
    "condition",
    ["funding_alignment", "organisational_decay", "host_unity", "host_weak_spots", "windfalls"],
)
def test_every_condition_at_either_end_changes_the_run(base, condition, level):
    assert not np.array_equal(_members(conditions={condition: level}), base)


def test_a_level_moves_each_parameter_the_same_fraction_of_the_way():
    from resurgence.analysis.conditions import at_levels, condition_space
    from resurgence.engine.compile import compile_model

    spec = rs.scenario("isk")
    model = compile_model(spec)
    space = condition_space(spec, model)
    half = at_levels(model, space, {"funding_alignment": 0.5})
    full = at_levels(model, space, {"funding_alignment": 1.0})
    for row in space[space["condition"] == "funding_alignment"].itertuples():
        base = float(model.values[row.parameter])
        end = row.low if row.favours == "low" else row.high
        assert float(full.values[row.parameter]) == pytest.approx(end)
        assert float(half.values[row.parameter]) == pytest.approx((base + end) / 2)


def test_the_command_takes_conditions_and_a_policy_from_another_month(tmp_path):
    out = tmp_path / "run"
    args = ["run", "isk", "-n", "40", "-m", "40", "-w", "1", "--out", str(out)]
    levers = ["-c", "windfalls=0.5", "-p", "reconciliation_deals@2023-01"]
    result = CliRunner().invoke(app, [*args, *levers])
    assert result.exit_code == 0, result.stderr
    assert "conditions: windfalls +0.5" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["conditions"] == {"windfalls": 0.5}
    assert manifest["policies"] == ["reconciliation_deals@2023-01"]
    assert "--condition windfalls=0.5" in manifest["command"]
    assert "--policy reconciliation_deals@2023-01" in manifest["command"]
    # The run read back compiles the same model: conditions and the moved policy included.
    assert (
        rs.read_run(out).model.values["shocks.windfall_rate"]
        != rs.run("isk", **FAST).model.values["shocks.windfall_rate"]
    )


@pytest.mark.parametrize(
    ("lever", "says"),
    [
        (["-c", "windfalls=2"], "level 2.0 is outside [-1, 1]"),
        (["-c", "windfalls"], "expected NAME=LEVEL"),
        (["-c", "no_such=0.5"], "unknown condition 'no_such'"),
        (["-p", "reconciliation_deals@2030-01"], "runs outside the scenario"),
        (["-p", "reconciliation_deals@2024-13"], "expected a month as YYYY-MM"),
    ],
)
def test_bad_levers_are_refused(tmp_path, lever, says):
    out = tmp_path / "never"
    result = CliRunner().invoke(
        app, ["run", "isk", "-n", "5", "-w", "1", "--out", str(out), *lever]
    )
    assert result.exit_code == 2
    assert says in result.stderr
    assert not (out / "manifest.json").exists()


class Stop(Exception):
    pass


def test_a_resume_with_other_conditions_is_refused(tmp_path):
    """A run cut short with one level of a condition cannot be finished with another."""
    out = tmp_path / "run"
    settings = {"replicas": 40, "months": 32, "chunk_size": 10, "workers": 1, "seed": 2}

    def stop(_):
        raise Stop

    with pytest.raises(Stop):
        rs.run("isk", out=out, conditions={"windfalls": 1.0}, progress=stop, **settings)
    with pytest.raises(ResurgenceError, match=r"other settings \(values\)"):
        rs.run("isk", out=out, resume=True, conditions={"windfalls": -1.0}, **settings)
    resumed = rs.run("isk", out=out, resume=True, conditions={"windfalls": 1.0}, **settings)
    assert resumed.manifest["resumed_chunks"] == 1
