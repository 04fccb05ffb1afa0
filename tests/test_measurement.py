"""Evidence, calibration, nowcast, forecast and backtest against synthetic truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from resurgence import observe
from resurgence.analysis import drivers
from resurgence.analysis.backtest import backtest
from resurgence.analysis.nowcast import nowcast
from resurgence.calibration.free import FreeParameter
from resurgence.calibration.simulator import simulate_rows
from resurgence.calibration.smc import calibrate
from resurgence.cli import app
from resurgence.engine.compile import compile_model
from resurgence.engine.run import chunk_params, posterior_draws, simulate_chunk
from resurgence.errors import ResurgenceError
from resurgence.evidence.columns import COLUMNS
from resurgence.evidence.load import builtin_evidence, read_evidence, resolve
from resurgence.months import add_months
from resurgence.scenarios import load_scenario

runner = CliRunner()


def _write(path, rows: list[dict]) -> str:
    frame = pd.DataFrame(rows)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = ""
    frame[list(COLUMNS)].to_csv(path, index=False)
    return str(path)


def _row(start, end, measure, low, high=None, **extra) -> dict:
    high = low if high is None else high
    return {
        "period_start": start,
        "period_end": end,
        "measure": measure,
        "value_low": low,
        "value_high": high,
        **extra,
    }


@pytest.fixture(scope="module")
def isk():
    return load_scenario("isk")


# ---------------------------------------------------------------- evidence


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "is empty"),
        ("period_start,period_end,measure\n2021-08,2021-09,attacks_claimed\n", "missing column"),
        (
            "period_start,period_end,measure,value_low,value_high\n"
            "2021-8,2021-09,attacks_claimed,1,1\n",
            ":2: period_start",
        ),
        (
            "period_start,period_end,measure,value_low,value_high\n2021-08,2021-09,attack,1,1\n",
            "unknown measure",
        ),
        (
            "period_start,period_end,measure,value_low,value_high\n"
            "2021-08,2021-09,attacks_claimed,5,2\n",
            "above value_high",
        ),
        (
            "period_start,period_end,measure,value_low,value_high\n"
            "2021-08,2021-09,attacks_claimed,,x\n",
            "expected a number",
        ),
        (
            "period_start,period_end,measure,value_low,value_high\n"
            "2021-09,2021-08,attacks_claimed,1,1\n",
            "before period_start",
        ),
    ],
)
def test_bad_evidence_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "evidence.csv"
    path.write_text(content)
    with pytest.raises(ResurgenceError, match=message):
        read_evidence(path)


def test_evidence_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "evidence.csv"
    path.write_bytes(
        b"period_start,period_end,measure,value_low,value_high\n2021-08,2021-08,caf\xe9,1,1\n"
    )
    with pytest.raises(ResurgenceError, match=r":2: not UTF-8"):
        read_evidence(path)


def test_every_flagship_row_is_used_or_has_a_reason(isk):
    table = read_evidence(builtin_evidence("isk"))
    resolved = resolve(table, isk, compile_model(isk), until="2022-12")
    assert len(resolved.rows) + len(resolved.skipped) == len(table)
    used = {(r.measure, r.start, r.end) for r in resolved.rows}
    # 145 attacks claimed Jan-Nov 2022 (months 5..15 from 2021-08) and the UN's 152
    assert ("attacks_claimed", 5, 15) in used
    assert ("attacks_recorded", 0, 4) in used
    assert resolved.skipped["reason"].str.len().gt(0).all()
    assert (resolved.skipped["reason"] == "starts before the scenario (2021-08)").sum() >= 10


def test_period_rows_sum_months_and_estimates_average(isk, tmp_path):
    """A figure over several months is the sum of the model's months (counts)."""
    model = compile_model(isk, n_months=6)
    path = _write(
        tmp_path / "e.csv",
        [
            _row("2021-08", "2021-08", "attacks_recorded", 1),
            _row("2021-09", "2021-09", "attacks_recorded", 1),
            _row("2021-08", "2021-09", "attacks_recorded", 1),
        ],
    )
    rows = resolve(read_evidence(path), isk, model).rows
    overrides = {"observe.recorded_rate": np.full(200, 1.0)}
    overrides["observe.recorded_concentration"] = np.full(200, 500.0)
    values = simulate_rows(model, rows, overrides, seed=3)
    np.testing.assert_allclose(values[:, 0] + values[:, 1], values[:, 2])


# ---------------------------------------------------------------- calibration


def _synthetic_evidence(model, isk, truth: dict, seed: int, tmp_path) -> list:
    """Mixed periods and measures, printed from one simulated replica with `truth`."""
    template = [
        _row("2021-08", "2021-11", "attacks_claimed", 0, country="Afghanistan"),
        _row("2022-01", "2022-11", "attacks_claimed", 0, country="Afghanistan"),
        _row("2021-08", "2021-12", "attacks_recorded", 0, country="Afghanistan"),
        _row("2021-08", "2022-01", "fighters_estimate", 0, country="Afghanistan"),
    ]
    path = _write(tmp_path / f"template-{seed}.csv", template)
    rows = resolve(read_evidence(path), isk, model).rows
    overrides = {k: np.array([v]) for k, v in truth.items()}
    printed = simulate_rows(model, rows, overrides, seed=seed)[0]
    filled = []
    for spec, value in zip(template, printed, strict=True):
        if spec["measure"] == "fighters_estimate":
            filled.append(
                {**spec, "value_low": round(value * 0.8), "value_high": round(value * 1.2)}
            )
        else:
            filled.append({**spec, "value_low": value, "value_high": value})
    path = _write(tmp_path / f"evidence-{seed}.csv", filled)
    return resolve(read_evidence(path), isk, model).rows


def test_calibration_covers_true_values_and_learns(isk, tmp_path):
    """Simulation-based calibration: true values drawn from the prior fall inside the 90%
    posterior intervals at a rate consistent with 90%, and the posterior is narrower than
    the prior (a calibration that returned its prior would cover too, but not contract)."""
    model = compile_model(isk, n_months=16)
    free = [
        FreeParameter("operations.attack_rate", "loguniform", 0.004, 0.05),
        FreeParameter("observe.claimed_rate", "uniform", 0.1, 1.0),
    ]
    rng = np.random.default_rng(11)
    inside, widths = 0, []
    repeats = 8
    for rep in range(repeats):
        truth = {p.name: float(p.sample(1, rng)[0]) for p in free}
        rows = _synthetic_evidence(model, isk, truth, 100 + rep, tmp_path)
        posterior, records = calibrate(
            model, rows, free, samples=200, populations=3, batch_size=500, seed=rep
        )
        summary = posterior.describe().set_index("parameter")
        for p in free:
            lo, hi = summary.loc[p.name, "q05"], summary.loc[p.name, "q95"]
            inside += lo <= truth[p.name] <= hi
            prior_lo, prior_hi = p.interval(0.9)
            widths.append((np.log(hi) - np.log(lo)) / (np.log(prior_hi) - np.log(prior_lo)))
        assert [r.population for r in records] == [1, 2, 3]
        assert all(r.simulations >= r.accepted == 200 for r in records)
        assert records[-1].total_simulations == sum(r.simulations for r in records)
        assert records[-1].tolerance < records[0].tolerance
    total = repeats * len(free)
    # P(X <= 10) = 0.3% for X ~ Binomial(16, 0.9)
    assert inside >= 11, f"{inside} of {total} true values inside the 90% intervals"
    assert np.mean(widths) < 0.8, f"posterior/prior width {np.mean(widths):.2f}"


def test_calibrate_command_writes_a_posterior_run_can_use(tmp_path):
    out = tmp_path / "post.parquet"
    calibrate = ["calibrate", "isk", "--until", "2022-12", "--samples", "100"]
    result = runner.invoke(
        app, [*calibrate, "--populations", "2", "--batch-size", "500", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "ABC-SMC populations" in result.output and "posterior predictive" in result.output
    run = ["run", "isk", "-n", "200", "-m", "12", "--posterior", str(out), "-w", "1"]
    run += ["-o", str(tmp_path / "r"), "--catalog", str(tmp_path / "c.duckdb")]
    run = runner.invoke(app, [*run, "--from", "2022-01", "--horizon", "6"])
    assert run.exit_code == 0, run.output
    assert f"posterior {out}" in " ".join(run.output.split())


def test_run_says_which_parameters_it_used(tmp_path):
    args = ["run", "isk", "-n", "100", "-m", "6", "-w", "1", "--catalog", str(tmp_path / "c")]
    args += ["--from", "2021-09", "--horizon", "3"]
    default = runner.invoke(app, [*args, "-o", str(tmp_path / "a")])
    assert default.exit_code == 0, default.output
    assert "builtin posterior" in default.output
    plain = runner.invoke(app, [*args, "-o", str(tmp_path / "b"), "--posterior", "none"])
    assert "scenario's values" in plain.output


def test_calibrate_rejects_bad_evidence_with_exit_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("period_start,period_end\n2021-08,2021-09\n")
    result = runner.invoke(app, ["calibrate", "isk", "--until", "2022-12", "-e", str(bad)])
    assert result.exit_code == 2
    assert "missing column" in result.output


# ---------------------------------------------------------------- nowcast and backtest


def _truth_and_monthly_evidence(isk, tmp_path, months=30, seed=5):
    """One synthetic truth (replica 0 of a run with `seed`) and the evidence it prints:
    attacks recorded every month, drawn through the `attacks_recorded` measure's own
    observation model with the truth's parameters (so the filter's model of how the
    evidence arises is the right one), and a +-15% range around the true members every
    six months."""
    model = compile_model(isk, n_months=months)
    truth = simulate_chunk(model, 0, 1, seed, 0)
    params = chunk_params(model, 0, 1, None, posterior_draws(model, 1, seed, "run", 0))
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    measure = observe.MEASURES["attacks_recorded"]
    recorded = observe.monthly(measure, truth, params, rng)[0].sum(axis=1)
    members = truth["members"][0, :, 0, :].sum(axis=1)
    rows = [
        _row(add_months(model.start, t), add_months(model.start, t), "attacks_recorded", v)
        for t, v in enumerate(recorded)
    ]
    rows += [
        _row(
            add_months(model.start, t),
            add_months(model.start, t),
            "fighters_estimate",
            round(members[t] * 0.85),
            round(members[t] * 1.15),
        )
        for t in range(0, months, 6)
    ]
    path = _write(tmp_path / f"truth-{seed}.csv", rows)
    table = read_evidence(path)
    return model, truth, table, resolve(table, isk, model).rows


NOWCAST_TRUTHS, NOWCAST_MONTHS, NOWCAST_PARTICLES = 40, 12, 500


def test_nowcast_bands_cover_the_synthetic_truth(isk, tmp_path):
    """The 80% bands of members cover synthetic truths in 80% of their months, on average
    over NOWCAST_TRUTHS independent truths (each its own run seed, evidence and filter
    seed).

    One truth's months are strongly autocorrelated (a filter that misses a shock misses
    it for the rest of the path), so one path's coverage lies anywhere in [0, 1]. The
    truths are independent, though, so their mean coverage is a mean of K i.i.d. values
    with standard error se = sd / sqrt(K), sd estimated from the truths' own spread and
    floored at 0.15 (so that a chance-narrow spread cannot make the check strict). The
    mean must lie within 3.5 se of 0.8, both ways: bands too narrow and bands too wide
    (covering always) fail. With K = 40 and sd about 0.28, that is 0.8 +- 0.16.

    Measured with these settings (12 months, 500 particles), drawing sets of 40 truths
    200,000 times from the measured ones:
    - on 057472d, 400 truths: mean coverage 0.77, sd 0.28; the check fails for 0.16% of
      the sets, and for none of the 10 disjoint sets of 40;
    - on the revised model in progress (working tree after 6196b3d), 200 truths: mean
      0.78, sd 0.29; fails for 0.25% of the sets, none of the 5 disjoint ones.
    A single truth's coverage is below 0.7 for about 30% of truths; the former check
    (one 30-month truth, >= 0.7) failed for 10 of 40 truth seeds (tests-review-2026-12)."""
    covered = []
    for k in range(NOWCAST_TRUTHS):
        model, truth, _, rows = _truth_and_monthly_evidence(
            isk, tmp_path, months=NOWCAST_MONTHS, seed=100 + k
        )
        result = nowcast(model, rows, NOWCAST_PARTICLES, seed=1000 + k)
        bands = result.bands[result.bands["variable"] == "members"]
        members = truth["members"][0, :, 0, :].sum(axis=1)
        inside = (bands["q10"].to_numpy() <= members) & (members <= bands["q90"].to_numpy())
        covered.append(inside.mean())
        parts = result.decomposition
        total = parts[list(drivers.FACTORS)].sum(axis=1) + parts["revision"]
        np.testing.assert_allclose(total, parts["change"], atol=1e-6)
    covered = np.array(covered)
    se = max(covered.std(ddof=1), 0.15) / np.sqrt(covered.size)
    assert abs(covered.mean() - 0.8) <= 3.5 * se, (
        f"80% bands cover the truths in {covered.mean():.0%} of months (se {se:.3f}); "
        f"per truth: {np.round(covered, 2).tolist()}"
    )


BACKTEST_TRUTHS = 6


def test_model_backtest_beats_persistence_on_model_data(isk, tmp_path):
    """On data the model itself generated, the model's forecasts beat persistence: the
    mean CRPS over BACKTEST_TRUTHS independent synthetic truths (20 months, origins at
    months 8 and 14, 11 monthly targets each) is lower for the model.

    One truth alone is a noisy verdict; the mean over independent truths is not.
    Measured with these settings, per truth and for the mean over six truths (400,000
    resamples of the measured truths):
    - on 057472d, 120 truths: the model loses on 8 (6.7%), the mean over six in 0.03%
      of resamples and in none of the 20 disjoint sets of six; mean CRPS 5.3 against
      11.4;
    - on the revised model in progress (working tree after 6196b3d, `reported` = claims),
      60 truths: the model loses on 7 (12%), the mean over six in 0.15% of resamples
      and in none of the 10 disjoint sets; mean CRPS 4.3 against 8.0.
    The former test (one 30-month truth) failed for 2 of 31 truth seeds
    (tests-review-2026-12) and for 2 of 40 on 057472d."""
    means = {"model": [], "persistence": []}
    for k in range(BACKTEST_TRUTHS):
        model, _, table, rows = _truth_and_monthly_evidence(isk, tmp_path, months=20, seed=200 + k)
        result = backtest(
            model, table, rows, train_until=8, horizon=6, particles=300, seed=4 + k, step=6
        )
        assert set(result.scores["method"]) == {
            "model",
            "persistence",
            "rolling_mean",
            "negative_binomial",
        }
        crps = result.table.set_index("method")["crps"]
        for method, values in means.items():
            values.append(crps[method])
    assert np.mean(means["model"]) < np.mean(means["persistence"]), means


def test_lmdi_parts_add_up_to_the_change():
    rng = np.random.default_rng(0)
    before = {f: rng.uniform(0.2, 2, 50) for f in drivers.FACTORS}
    after = {f: rng.uniform(0.2, 2, 50) for f in drivers.FACTORS}
    for d in (before, after):
        d["expected"] = np.prod([d[f] for f in drivers.FACTORS], axis=0)
    after["expected"][:3] = 0.0  # a group with no members at the end
    parts = drivers.lmdi(before, after)
    total = sum(parts[f] for f in drivers.FACTORS)
    np.testing.assert_allclose(total, after["expected"] - before["expected"], atol=1e-12)


def test_drivers_give_the_expected_attacks_of_the_operations_process(isk):
    """The decomposition's product is the month's expected attacks: its mean over many
    replicas matches the attacks the engine draws (the tempo has mean 1)."""
    from resurgence.analysis.filtering import FilterModel

    model = compile_model(isk, n_months=30)
    engine = FilterModel(model, [], seed=3)
    p = engine.start(4000)
    for t in range(30):
        f = engine.advance(p, t, drivers=True)
        product = np.prod([f[name] for name in drivers.FACTORS], axis=0)
        np.testing.assert_allclose(product, f["expected"], rtol=1e-9)
        if t in (0, 10, 20, 29):
            drawn = p.state.attacks.sum(axis=(1, 2)).mean()
            assert abs(f["expected"].mean() / drawn - 1) < 0.05, (t, f["expected"].mean(), drawn)


# ---------------------------------------------------------------- review cases


def test_a_bad_or_foreign_posterior_is_refused(tmp_path, isk):
    from resurgence import posterior as posteriors
    from resurgence.engine.compile import with_posterior

    good = posteriors.load(posteriors.builtin_posterior("isk"))
    frame = good.frame()
    frame.loc[0, "operations.attack_rate"] = np.nan
    frame.to_parquet(tmp_path / "nan.parquet")
    with pytest.raises(ResurgenceError, match="not numbers"):
        posteriors.load(tmp_path / "nan.parquet")
    foreign = posteriors.Posterior(good.names, good.values, good.weights, {"scenario": "other"})
    with pytest.raises(ResurgenceError, match="calibrated for scenario 'other'"):
        with_posterior(compile_model(isk), foreign)


def test_forecast_past_the_scenario_end_covers_every_month_asked(tmp_path):
    out = tmp_path / "f"
    result = runner.invoke(
        app, ["forecast", "isk", "--from", "2026-11", "--months", "4", "-n", "100", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    months = sorted(pd.read_parquet(out / "summary.parquet")["month"].unique())
    assert months == ["2026-12", "2027-01", "2027-02", "2027-03"]


def test_nowcast_of_one_month_and_a_bad_until(tmp_path):
    path = _write(tmp_path / "one.csv", [_row("2021-08", "2021-08", "attacks_claimed", 5)])
    one = runner.invoke(app, ["nowcast", "isk", "-e", path, "-n", "100", "-o", str(tmp_path / "n")])
    assert one.exit_code == 0, one.output
    bad = runner.invoke(app, ["nowcast", "isk", "--until", "2021-13", "-o", str(tmp_path / "m")])
    assert bad.exit_code == 2 and "--until" in bad.output


def test_backtest_baselines_ignore_rows_the_model_cannot_use(isk, tmp_path):
    """Another actor's figures must not feed the focal group's baselines."""
    model = compile_model(isk, n_months=12)
    rows = [
        _row(add_months(model.start, t), add_months(model.start, t), "attacks_recorded", 30)
        for t in range(12)
    ]
    rows.append(_row("2021-10", "2021-10", "attacks_recorded", 100_000, actor="imu"))
    table = read_evidence(_write(tmp_path / "e.csv", rows))
    resolved = resolve(table, isk, model)
    result = backtest(model, table, resolved.rows, 5, 3, particles=100, seed=1, step=3)
    rolling = result.scores[result.scores["method"] == "rolling_mean"]
    assert (rolling["median"] < 100).all(), rolling["median"].tolist()
