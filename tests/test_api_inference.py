"""rs.nowcast, rs.forecast, rs.backtest and rs.calibrate called from Python on the flagship:
the documented results, the same files as the command line, the same result from the same
seed. Sizes are the smallest that exercise each workflow, so the file runs in seconds."""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import resurgence as rs
from resurgence import posterior as posteriors
from resurgence.cli import app
from resurgence.errors import ResurgenceError
from resurgence.evidence.load import builtin_evidence
from resurgence.report.page import KINDS
from resurgence.scenarios import load_scenario
from resurgence.workflows.measurement import (
    DATAFRAME,
    BacktestResult,
    ForecastResult,
    NowcastResult,
    UnusableEvidence,
)

runner = CliRunner()

PARTICLES = 50  # the command line's least
NOWCAST = {"until": "2022-03", "particles": PARTICLES, "seed": 5}
FORECAST = {"origin": "2022-06", "months": 3, "particles": PARTICLES, "seed": 5}
BACKTEST = {"train_until": "2021-12", "horizon": 12, "step": 6, "particles": PARTICLES, "seed": 5}
# The command line's least population and batch; one population is the fewest ABC-SMC runs.
CALIBRATE = {"until": "2022-12", "samples": 50, "populations": 1, "batch_size": 100, "seed": 5}

SAME = ["-n", "50", "-s", "5"]  # the particles and seed of the calls above
CLI = {
    "nowcast": ["nowcast", "isk", "--until", "2022-03", *SAME],
    "forecast": ["forecast", "isk", "--from", "2022-06", "--months", "3", *SAME],
    "backtest": [
        "backtest",
        "isk",
        "--train-until",
        "2021-12",
        "--horizon",
        "12",
        "--step",
        "6",
        *SAME,
    ],
}


@pytest.fixture(scope="module")
def results():
    """Each measurement workflow once, as the tests below read it."""
    return {
        "nowcast": rs.nowcast("isk", **NOWCAST),
        "forecast": rs.forecast("isk", **FORECAST),
        "backtest": rs.backtest("isk", **BACKTEST),
    }


@pytest.fixture(scope="module")
def calibration():
    return rs.calibrate("isk", **CALIBRATE)


def test_nowcast_returns_bands_and_the_split_of_each_change(results):
    result = results["nowcast"]
    assert isinstance(result, NowcastResult)
    months = [f"2021-{m:02d}" for m in range(8, 13)] + ["2022-01", "2022-02", "2022-03"]
    assert list(dict.fromkeys(result.bands["month"])) == months
    assert set(result.bands["variable"]) == {
        "members",
        "treasury",
        "posture",
        "cohesion",
        "expected_attacks",
    }
    assert (result.bands["q10"] <= result.bands["q90"]).all()
    parts = result.decomposition
    assert list(parts["month"]) == months[1:]
    causes = ["members", "money", "posture", "cohesion", "other", "revision"]
    np.testing.assert_allclose(parts[causes].sum(axis=1), parts["change"], atol=1e-6)
    assert list(result.ess.index) == months and (result.ess <= PARTICLES + 1e-9).all()
    assert result.rows > 0 and not result.skipped.empty
    m = result.manifest
    assert (m["kind"], m["scenario"], m["until"], m["seed"]) == ("nowcast", "isk", "2022-03", 5)
    assert "builtin posterior" in m["parameters"]


def test_forecast_returns_the_run_summary_of_the_months_ahead(results):
    result = results["forecast"]
    assert isinstance(result, ForecastResult)
    summary = result.summary
    assert sorted(summary["month"].unique()) == ["2022-07", "2022-08", "2022-09"]
    headline = summary[(summary["region"] == "all") & (summary["actor"] == result.focal)]
    assert {"members", "attacks_claimed", "attacks_recorded", "fighters"} <= set(
        headline["variable"]
    )
    assert result.manifest["kind"] == "forecast" and result.manifest["months"] == 3


def test_backtest_scores_the_model_against_the_baselines(results):
    result = results["backtest"]
    assert isinstance(result, BacktestResult)
    methods = {"model", "persistence", "rolling_mean", "negative_binomial"}
    assert set(result.scores["method"]) == methods == set(result.table["method"])
    assert {"crps", "skill", "cover50", "cover80"} <= set(result.table.columns)
    # The builtin posterior was calibrated on evidence to 2022-12, after the first origin.
    assert result.lookahead == "2022-12"


def test_calibrate_returns_a_posterior_that_a_workflow_can_use(calibration, tmp_path):
    names = ["operations.attack_rate", "recruitment.base_rate"]
    names += ["observe.claimed_rate", "observe.recorded_rate"]
    assert list(calibration.summary["parameter"]) == names
    assert list(calibration.draws.columns) == [*names, "weight"]
    assert calibration.draws["weight"].sum() == pytest.approx(1.0)
    assert len(calibration.draws) == CALIBRATE["samples"]
    assert list(calibration.populations["population"]) == [1]
    assert set(calibration.check.columns) == {"row", "low", "high", "q10", "q50", "q90", "inside"}
    assert calibration.manifest["until"] == "2022-12"

    path = calibration.write(tmp_path / "posterior.parquet")
    saved = posteriors.load(path)
    np.testing.assert_array_equal(saved.values, calibration.posterior.values)
    assert saved.meta["scenario"] == "isk"
    used = rs.forecast("isk", origin="2022-06", months=1, particles=PARTICLES, posterior=str(path))
    assert f"posterior {path}" in used.manifest["parameters"]
    with pytest.raises(ResurgenceError, match="no HTML report"):
        calibration.report()


@pytest.mark.parametrize("kind", ["nowcast", "forecast", "backtest"])
def test_write_gives_the_files_of_the_command(results, kind, tmp_path):
    command = runner.invoke(app, [*CLI[kind], "-o", str(tmp_path / "cli")])
    assert command.exit_code == 0, command.output
    written = results[kind].write(tmp_path / "api")
    cli_files = sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert sorted(p.name for p in written.iterdir()) == cli_files
    assert "manifest.json" in cli_files
    for name in cli_files:
        assert (written / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name


@pytest.mark.parametrize("kind", ["nowcast", "forecast", "backtest"])
def test_report_refuses_a_measurement_before_writing_anything(results, kind, tmp_path, monkeypatch):
    """The HTML report has no page for a measurement: it says which kinds it covers, and
    neither a temporary directory nor the one given is written for nothing."""
    result = replace(results[kind], out=None)  # kept in memory (another test writes it)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where report() would write
    covered = re.escape(f"covers the results of {', '.join(KINDS)}, not of {kind}")
    with pytest.raises(ResurgenceError, match=covered):
        result.report()
    with pytest.raises(ResurgenceError, match=covered):
        result.report(tmp_path / "out")
    assert list(tmp_path.iterdir()) == [] and result.out is None


def test_calibrate_writes_the_posterior_file_of_the_command(calibration, tmp_path):
    args = ["calibrate", "isk", "--until", "2022-12", "--samples", "50", "--populations", "1"]
    args += ["--batch-size", "100", "-s", "5", "-o", str(tmp_path / "cli.parquet")]
    command = runner.invoke(app, args)
    assert command.exit_code == 0, command.output
    cli = posteriors.load(tmp_path / "cli.parquet")
    api = posteriors.load(calibration.write(tmp_path / "api.parquet"))
    np.testing.assert_array_equal(api.values, cli.values)
    np.testing.assert_array_equal(api.weights, cli.weights)
    timing = {"seconds"}
    assert {k: v for k, v in api.meta.items() if k not in timing} == {
        k: v for k, v in cli.meta.items() if k not in timing
    }


def test_the_same_seed_gives_the_same_result(results):
    again = rs.nowcast("isk", **NOWCAST)
    pd.testing.assert_frame_equal(again.bands, results["nowcast"].bands)
    pd.testing.assert_frame_equal(again.decomposition, results["nowcast"].decomposition)
    other = rs.nowcast("isk", **{**NOWCAST, "seed": 6})
    assert not other.bands.equals(results["nowcast"].bands)


def test_evidence_as_a_dataframe_and_a_loaded_scenario(results):
    frame = pd.read_csv(builtin_evidence("isk"))
    result = rs.nowcast(load_scenario("isk"), evidence=frame, **NOWCAST)
    pd.testing.assert_frame_equal(result.bands, results["nowcast"].bands)
    assert result.manifest["evidence"] == DATAFRAME
    bad = frame.assign(value_low=frame["value_low"].astype(object))
    bad.loc[0, "value_low"] = "many"
    with pytest.raises(ResurgenceError, match=f"{DATAFRAME}:2: value_low"):
        rs.nowcast("isk", evidence=bad, **NOWCAST)


def test_unused_settings_and_unusable_evidence_are_refused():
    with pytest.raises(ResurgenceError, match="nowcast does not use the setting"):
        rs.nowcast("isk", replicas=5000, **NOWCAST)
    with pytest.raises(TypeError, match="unknown setting"):
        rs.forecast("isk", particle=10, origin="2022-06")
    late = pd.DataFrame(
        {
            "period_start": ["2040-01"],
            "period_end": ["2040-01"],
            "measure": ["attacks_claimed"],
            "value_low": [5],
            "value_high": [5],
        }
    )
    with pytest.raises(UnusableEvidence) as caught:
        rs.nowcast("isk", evidence=late, **NOWCAST)
    assert list(caught.value.skipped["line"]) == [2]
