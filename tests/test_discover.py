"""Scenario discovery: PRIM finds a planted box, its trajectory trades coverage for
density, and `resurgence discover` runs end to end and rejects bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from resurgence.analysis.discover import find_boxes, latin_hypercube
from resurgence.cli import app
from resurgence.errors import ResurgenceError

WIDE = "250"
TINY = ["--samples", "40", "--replicas", "4", "--workers", "1", "--horizon", "12"]


def invoke(args: list[str]):
    result = CliRunner().invoke(app, args, env={"COLUMNS": WIDE})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture(scope="module")
def planted():
    """3 uniform inputs; the outcome is true with probability 0.9 inside x1 > 0.7 and
    x2 < 0.4, 0.05 outside."""
    rng = np.random.default_rng(7)
    x = pd.DataFrame(rng.uniform(size=(1000, 3)), columns=["x1", "x2", "x3"])
    inside = (x["x1"] > 0.7) & (x["x2"] < 0.4)
    y = rng.uniform(size=len(x)) < np.where(inside, 0.9, 0.05)
    conditions = {"x1": "first", "x2": "second", "x3": "third"}
    ranges = {c: (0.0, 1.0) for c in x.columns}
    return find_boxes(x, y, 0.8, conditions=conditions, ranges=ranges)


def test_prim_finds_the_planted_box(planted):
    box = planted.boxes[planted.boxes["box"] == 1].set_index("parameter")
    assert {"x1", "x2"} <= set(box.index)
    x1, x2 = box.loc["x1"], box.loc["x2"]
    assert x1["low_restricted"] and abs(x1["low"] - 0.7) <= 0.1
    assert x2["high_restricted"] and abs(x2["high"] - 0.4) <= 0.1
    # the other sides stay (nearly) free
    assert x1["high"] >= 0.9 and x2["low"] <= 0.1
    if "x3" in box.index:  # loosely at most
        assert box.loc["x3", "high"] - box.loc["x3", "low"] >= 0.8
    assert box.loc["x1", "condition"] == "first"
    stats = planted.stats.iloc[0]
    assert stats["density"] >= 0.8
    assert stats["coverage"] >= 0.5
    # both real restrictions are far from chance
    assert x1["qp_low"] < 1e-6 and x2["qp_high"] < 1e-6


def test_trajectory_trades_coverage_for_density(planted):
    traj = planted.trajectory[planted.trajectory["box"] == 1].reset_index(drop=True)
    assert len(traj) > 10
    assert traj.loc[0, "coverage"] == 1.0 and traj.loc[0, "mass"] == 1.0
    peel = traj[traj["phase"].isin(["start", "peel"])]
    assert (np.diff(peel["coverage"]) <= 0).all()
    assert (np.diff(peel["density"]) > 0).all()
    assert (np.diff(peel["mass"]) < 0).all()
    # the chosen step: the highest coverage among the steps dense enough
    chosen = traj[traj["chosen"]]
    assert len(chosen) == 1
    dense = traj[traj["density"] >= 0.8]
    assert chosen["coverage"].iloc[0] == dense["coverage"].max()


def test_find_boxes_needs_both_outcomes():
    x = pd.DataFrame({"a": np.linspace(0, 1, 20)})
    with pytest.raises(ResurgenceError, match="both kinds"):
        find_boxes(x, np.zeros(20, dtype=bool))
    with pytest.raises(ResurgenceError, match="one value per set"):
        find_boxes(x, np.ones(5, dtype=bool))
    with pytest.raises(ResurgenceError, match="density"):
        find_boxes(x, np.arange(20) % 2, density=1.5)


def test_latin_hypercube_is_stratified_within_ranges_and_seeded():
    space = pd.DataFrame(
        {"parameter": ["a", "b"], "condition": ["c", "c"], "low": [0.0, 10.0], "high": [1.0, 30.0]}
    )
    design = latin_hypercube(space, 50, seed=3)
    assert design.shape == (50, 2)
    for name, lo, hi in (("a", 0.0, 1.0), ("b", 10.0, 30.0)):
        strata = np.floor((design[name] - lo) / (hi - lo) * 50).astype(int)
        assert sorted(strata) == list(range(50))  # one set in each of the 50 strata
    pd.testing.assert_frame_equal(design, latin_hypercube(space, 50, seed=3))
    assert not design.equals(latin_hypercube(space, 50, seed=4))


def test_discover_end_to_end(tmp_path):
    out = tmp_path / "disc"
    result = invoke(["discover", "isk", *TINY, "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "40 parameter sets x 4 replicas" in text
    assert "Likely resurgence: probability at least 0.5 in" in text
    assert f"written to {out}/" in text
    for name in ("samples.parquet", "boxes.parquet", "trajectory.parquet", "manifest.json"):
        assert (out / name).is_file(), name
    samples = pd.read_parquet(out / "samples.parquet")
    assert len(samples) == 40
    assert {"set", "probability", "likely", "attacks", "members"} <= set(samples.columns)
    assert "funding.hub_interdiction" in samples.columns
    assert samples["probability"].isin(np.arange(5) / 4).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert manifest["budget"] == {"samples": 40, "replicas": 4, "simulations": 160, "months": 41}
    assert manifest["resurgence"]["horizon"] == 12
    assert manifest["outcome"]["likely_sets"] == int(samples["likely"].sum())
    assert manifest["command"].startswith("resurgence ")  # sys.argv, as `run` records it
    assert manifest["seed"] == 20240101 and manifest["version"]
    assert set(manifest["timings"]) >= {"simulate_s", "prim_s", "total_s"}
    boxes = pd.read_parquet(out / "boxes.parquet")
    assert len(manifest["boxes"]) == boxes["box"].nunique()
    # The verdict printed is the one the sets written imply: PRIM runs when some sets are
    # likely resurgences and some not; it reports its box, or that none is dense enough.
    likely = int(samples["likely"].sum())
    assert manifest["prim"]["ran"] == (0 < likely < 40)
    if not manifest["prim"]["ran"]:
        verdict = f"{'No' if likely == 0 else 'Every'} parameter set is a likely resurgence"
    elif manifest["boxes"]:
        box = manifest["boxes"][0]
        assert box["density"] >= 0.8
        assert box["coverage"] == pytest.approx(box["cases"] / likely)
        assert box["density"] == pytest.approx(box["cases"] / box["n"])
        verdict = f"Box 1: coverage {box['coverage']:.2f}, density {box['density']:.2f}"
    else:
        verdict = "No box reaches density 0.8"
    assert verdict in text


def test_discover_with_no_likely_resurgence_says_so(tmp_path):
    out = tmp_path / "none"
    args = ["discover", "isk", "--samples", "10", "--replicas", "1", "--workers", "1"]
    result = invoke([*args, "--horizon", "3", "--threshold", "1e9", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "No parameter set is a likely resurgence" in result.stdout
    assert "Box 1" not in result.stdout
    assert pd.read_parquet(out / "boxes.parquet").empty
    assert json.loads((out / "manifest.json").read_text())["boxes"] == []


@pytest.mark.parametrize(
    "bad",
    [
        ["--samples", "0"],
        ["--likely", "1.5"],
        ["--likely", "0"],
        ["--density", "0"],
        ["--measure", "bogus"],
        ["--from", "2024-13"],
        ["--from", "2019-01"],
        ["--horizon", "0"],
    ],
)
def test_discover_bad_options_exit_2(bad, tmp_path):
    result = invoke(["discover", "isk", *TINY, *bad, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "x" / "manifest.json").exists()


def test_discover_unknown_scenario_exits_2(tmp_path):
    result = invoke(["discover", "no_such_scenario", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "error" in result.stderr


def test_discover_help_has_examples():
    result = invoke(["discover", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "resurgence discover isk" in result.stdout
