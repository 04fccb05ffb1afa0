"""Scores of forecasts (CRPS, interval coverage, skill) and the baseline forecasters."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from resurgence.analysis.baselines import (
    NegativeBinomial,
    Persistence,
    RollingMean,
    fit_baselines,
)
from resurgence.analysis.scoring import point_value, score, summarise


def figures(values, start="2020-01", months=1, measure="attacks_claimed") -> pd.DataFrame:
    """Consecutive single figures, each covering `months` months, from `start`."""
    first = pd.Period(start, freq="M")
    starts = [first + i * months for i in range(len(values))]
    return pd.DataFrame(
        {
            "period_start": starts,
            "period_end": [s + months - 1 for s in starts],
            "measure": measure,
            "value_low": values,
            "value_high": values,
        }
    )


# scoring


def test_crps_of_a_point_mass_is_the_absolute_error():
    assert score(np.full(50, 7), 3.0).crps == pytest.approx(4.0)
    assert score(np.full(50, 7), 12.0).crps == pytest.approx(5.0)


def test_crps_prefers_a_sharp_well_centred_ensemble():
    rng = np.random.default_rng(0)
    sharp = score(rng.normal(100, 5, 4000), 100.0)
    wide = score(rng.normal(100, 50, 4000), 100.0)
    assert sharp.crps < wide.crps / 5  # CRPS of a centred normal scales with its spread


def test_crps_is_the_fair_estimator():
    """Samples 0 and 2 against 1: E|X - y| = 1, and the fair E|X - X'| / 2 over distinct
    pairs is 1, so 0; the empirical-distribution estimator would give 0.5."""
    assert score(np.array([0.0, 2.0]), 1.0).crps == pytest.approx(0.0)
    samples = np.random.default_rng(5).poisson(6.0, size=40).astype(float)
    pairs = np.abs(samples[:, None] - samples[None, :]).sum() / (40 * 39)
    fair = np.abs(samples - 4.0).mean() - pairs / 2
    assert score(samples, 4.0).crps == pytest.approx(fair)


def test_coverage_flags():
    samples = np.arange(1, 101)  # 1..100: q10 = 10, q25 = 25, q50 = 50, q75 = 75, q90 = 90
    at_median = score(samples, 50.0)
    assert (at_median.in50, at_median.in80, at_median.median) == (True, True, 50.0)
    assert (at_median.lo80, at_median.hi80) == (10.0, 90.0)
    outside_50 = score(samples, 80.0)
    assert (outside_50.in50, outside_50.in80) == (False, True)
    on_bound = score(samples, 90.0)  # bounds are inclusive
    assert on_bound.in80
    far = score(samples, 1000.0)
    assert (far.in50, far.in80) == (False, False)


def test_scoring_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2 samples"):
        score(np.array([3.0]), 3.0)


def test_only_single_figures_have_a_point_value():
    assert point_value(40, 40) == 40.0
    assert point_value(40, 60) is None
    assert point_value(np.nan, 60) is None
    assert point_value("", 60) is None


def test_summarise_skill_against_the_reference():
    scores = pd.DataFrame(
        {
            "method": ["persistence", "persistence", "model", "model", "persistence", "model"],
            "measure": ["attacks", "attacks", "attacks", "attacks", "deaths", "deaths"],
            "crps": [4.0, 6.0, 1.0, 3.0, 10.0, 15.0],
            "in50": [True, False, True, True, False, False],
            "in80": [True, True, True, True, False, True],
        }
    )
    out = summarise(scores, reference="persistence").set_index(["method", "measure"])
    assert out.loc[("model", "attacks"), "crps"] == pytest.approx(2.0)
    assert out.loc[("model", "attacks"), "skill"] == pytest.approx(1 - 2.0 / 5.0)
    assert out.loc[("model", "deaths"), "skill"] == pytest.approx(1 - 15.0 / 10.0)
    assert out.loc[("persistence", "attacks"), "skill"] == pytest.approx(0.0)
    assert out.loc[("persistence", "attacks"), "cover50"] == pytest.approx(0.5)
    assert out.loc[("model", "deaths"), "cover80"] == pytest.approx(1.0)
    assert out.loc[("model", "attacks"), "n"] == 2


def test_summarise_refuses_skill_over_different_rows():
    scores = pd.DataFrame(
        {
            "method": ["persistence", "persistence", "model"],
            "measure": "attacks",
            "crps": [4.0, 6.0, 1.0],
            "in50": True,
            "in80": True,
        }
    )
    with pytest.raises(ValueError, match="different numbers"):
        summarise(scores)


# baselines


def test_persistence_scales_the_last_rate_to_the_target():
    train = pd.concat([figures([30], "2020-01"), figures([50], "2020-02", months=5)])
    baseline = Persistence().fit(train)
    assert baseline.mean(2) == pytest.approx(20.0)
    samples = baseline.sample(np.random.default_rng(1), months=2, n=20_000)
    assert samples.mean() == pytest.approx(20.0, rel=0.03)
    assert samples.var() == pytest.approx(20.0, rel=0.1)  # Poisson, not a point


def test_persistence_takes_the_shortest_of_the_figures_that_end_last():
    year = figures([120], "2020-01", months=12)
    december = figures([30], "2020-12")
    assert Persistence().fit(pd.concat([year, december])).rate == pytest.approx(30.0)


def test_rolling_mean_weights_by_exposure_and_skips_overlaps():
    train = pd.concat(
        [
            figures([600], "2018-01", months=12),  # outside the window
            figures([120], "2019-01", months=12),  # overlaps the months below: left out
            figures([40], "2019-01", months=6),  # 6 months
            figures([10, 20, 30, 40, 50, 60], "2019-07"),  # 6 single months
        ]
    )
    baseline = RollingMean(window=12).fit(train)
    assert baseline.rate == pytest.approx((40 + 210) / 12)
    assert RollingMean(window=3).fit(train).rate == pytest.approx(50.0)


def test_negative_binomial_recovers_rate_and_dispersion():
    """240 monthly counts of NB(mean 10, k 4): the estimates' standard errors are about 2%
    of the rate and 12% of k, so the tolerances (10%, 35%) are about 3 of them."""
    rng = np.random.default_rng(7)
    k, rate = 4.0, 10.0
    counts = rng.negative_binomial(k, k / (k + rate), size=240)
    baseline = NegativeBinomial(trend=False).fit(figures(counts, "2000-01"))
    assert baseline.rate == pytest.approx(rate, rel=0.10)
    assert baseline.dispersion == pytest.approx(k, rel=0.35)
    total = baseline.sample(np.random.default_rng(2), months=3, n=20_000)
    mean = 3 * baseline.rate
    assert total.var() == pytest.approx(mean + mean**2 / baseline.dispersion, rel=0.1)


def test_negative_binomial_recovers_a_trend():
    months = np.arange(120)
    rate = 5.0 * np.exp(0.02 * (months - 119))  # 5 a month in the last month
    counts = np.random.default_rng(3).poisson(rate)
    baseline = NegativeBinomial().fit(figures(counts, "2010-01"))
    assert baseline.trend == pytest.approx(0.02, abs=0.006)
    assert baseline.mean(1, gap=0) == pytest.approx(5.0 * math.exp(0.02), rel=0.25)


def test_negative_binomial_uses_exposure():
    """A 12-month figure of 120 and monthly figures of 10 give the same rate."""
    year = NegativeBinomial().fit(figures([120], "2020-01", months=12))
    months = NegativeBinomial().fit(figures([10] * 12, "2020-01"))
    assert year.rate == pytest.approx(10.0, rel=1e-6)
    assert months.rate == pytest.approx(10.0, rel=1e-6)
    mixed = NegativeBinomial().fit(
        pd.concat([figures([120], "2019-01", months=12), figures([10] * 12, "2020-01")])
    )
    assert mixed.rate == pytest.approx(10.0, rel=1e-6)


def test_negative_binomial_falls_back_to_poisson_without_evidence_of_dispersion():
    poisson_counts = np.random.default_rng(4).poisson(10.0, size=60)
    assert math.isinf(NegativeBinomial().fit(figures(poisson_counts)).dispersion)
    few = NegativeBinomial().fit(figures([3, 40]))  # too few figures for k or a trend
    assert (few.dispersion, few.trend, few.rate) == (math.inf, 0.0, pytest.approx(21.5))
    zeros = NegativeBinomial().fit(figures([0, 0, 0, 0, 0]))
    assert zeros.sample(np.random.default_rng(0), months=4, n=10).tolist() == [0] * 10


def test_fit_baselines_errors_and_reproducibility():
    train = figures([5, 8, 6, 9, 7], "2021-01", measure="fatalities")
    with pytest.raises(ValueError, match="'fatalities'"):
        fit_baselines(train.iloc[:0], measure="fatalities")
    with pytest.raises(ValueError, match="'fatalities'"):
        fit_baselines(train.assign(value_high=train["value_low"] + 5))  # ranges only
    with pytest.raises(ValueError, match="after the origin"):
        fit_baselines(train, origin="2021-03")
    fitted = fit_baselines(train, origin="2021-08")
    assert set(fitted) == {"persistence", "rolling_mean", "negative_binomial"}
    for baseline in fitted.values():
        first = baseline.sample(np.random.default_rng(11), months=5, gap=2, n=100)
        again = baseline.sample(np.random.default_rng(11), months=5, gap=2, n=100)
        assert np.array_equal(first, again)
