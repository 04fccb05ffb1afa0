"""Policies against the baseline on common random numbers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from resurgence.analysis.compare import Arm, paired_difference, run_arm, summarise_arms
from resurgence.analysis.resurgence import Definition
from resurgence.cli import app
from resurgence.scenarios import load_policy


@pytest.fixture(scope="module")
def active(isk):
    """A definition under which resurgence is common in the baseline, so that a policy's
    effect can be seen with a few hundred replicas."""
    return Definition.from_scenario(isk, threshold=5.0, horizon=24)


def test_identical_arms_differ_by_exactly_zero(isk, active):
    cut = load_policy("no_funding", isk)
    outcomes = [
        run_arm(isk, Arm(name, [cut]), 120, 7, active, months=54, chunk_size=60)
        for name in ("first", "second")
    ]
    comparison = summarise_arms(outcomes, [str(i) for i in range(54)])
    second = comparison.arms.iloc[1]
    assert second["diff"] == 0.0
    assert second["diff_low"] <= 0.0 <= second["diff_high"]
    arm = comparison.trajectories[comparison.trajectories["arm"] == "second"]
    assert (arm["diff_mean"] == 0.0).all()
    assert (arm["diff_low"] == 0.0).all() and (arm["diff_high"] == 0.0).all()


def test_cutting_the_sponsors_transfers_lowers_the_resurgence_probability(isk, active):
    """The paired 95% interval of the effect lies wholly below 0.

    No guard on where the baseline probability lies: `high < 0` needs baseline
    resurgences that the cut removes, whatever their share, and a baseline near 0 fails
    it anyway. Measured (400 replicas, this definition) with seeds 0-199 on 057472d:
    effect -0.215 (sd 0.025 across seeds), upper end at most -0.10, no seed fails; the
    former guard 0.1 < P(baseline) < 0.9 failed for 34 of the 200 (baseline 0.84-0.93).
    With seeds 0-99 on the revised model in progress (working tree after 6196b3d,
    resurgence counted in claimed attacks): baseline 0.18-0.32, effect -0.157 (sd
    0.017), upper end at most -0.08, no seed fails."""
    arms = [Arm("baseline", []), Arm("no_funding", [load_policy("no_funding", isk)])]
    outcomes = [run_arm(isk, arm, 400, 11, active, months=48) for arm in arms]
    base, cut = outcomes
    delta, low, high = paired_difference(base.hits, cut.hits)
    probabilities = (base.probability.estimate, cut.probability.estimate)
    assert delta == pytest.approx(cut.hits.mean() - base.hits.mean())
    assert low <= delta < high < 0, (probabilities, delta, low, high)
    # before the policy starts (2024-01) the two arms are the same replicas
    before = 29  # months from 2021-08 to 2023-12
    assert np.array_equal(base.series["members"][:, :before], cut.series["members"][:, :before])


def test_paired_difference_interval():
    rng = np.random.default_rng(0)
    base = rng.random(500) < 0.4
    assert paired_difference(base, base)[0] == 0.0
    arm = base | (rng.random(500) < 0.2)
    delta, low, high = paired_difference(base, arm)
    assert delta == pytest.approx(arm.mean() - base.mean())
    assert low < delta < high and low >= -1 and high <= 1
    # pairing: the same difference with independent arms has a wider interval
    independent = rng.permutation(arm)
    _, low_i, high_i = paired_difference(base, independent)
    assert high_i - low_i > high - low
    # all switched off: the difference is -1 and the interval reaches it
    delta, low, high = paired_difference(np.ones(50, bool), np.zeros(50, bool))
    assert delta == -1.0 and low == pytest.approx(-1.0) and high < -0.85


def test_compare_command_end_to_end(tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        app,
        [
            "compare",
            "isk",
            "-p",
            "no_funding",
            "-p",
            "no_funding+hub_crackdown",
            "--replicas",
            "30",
            "--months",
            "40",
            "--workers",
            "1",
            "--horizon",
            "12",
            "--out",
            str(out),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "P(resurgence)" in result.stdout and "no_funding+hub_crackdown" in result.stdout
    arms = pd.read_parquet(out / "arms.parquet")
    assert list(arms["arm"]) == ["baseline", "no_funding", "no_funding+hub_crackdown"]
    assert arms.loc[0, "diff"] == 0.0
    traj = pd.read_parquet(out / "trajectories.parquet")
    assert set(traj["variable"]) == {"members", "treasury", "reported_attacks"}
    assert traj["month"].nunique() == 40
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "compare" and manifest["replicas"] == 30


def test_compare_command_rejects_an_unknown_policy(tmp_path):
    result = CliRunner().invoke(
        app, ["compare", "isk", "-p", "nothing_like_it", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    assert "nothing_like_it" in result.stderr and "Traceback" not in result.stderr
