"""The observation model (src/resurgence/observe.py): what each channel reports of the
latent counts, and the error of an analyst's estimate of members.

The statistical checks have a tolerance of 4 standard errors, the standard error
derived from the law the module documents (beta-binomial thinning, log-normal error):
a correct model fails one check with probability about 6e-5 (normal approximation),
its 23 such checks together about 0.15%, and the seeds are fixed. Parameter
dicts are shaped as the engine passes them: one value per replica, an array of shape
(n,) (`test_the_engine_passes_one_value_per_replica` pins that against `chunk_params`).
"""

from __future__ import annotations

import numpy as np
import pytest

from resurgence import observe
from resurgence.engine.compile import compile_model
from resurgence.engine.run import chunk_params, simulate_chunk

Z = 4.0  # tolerance, in standard errors

# Each channel: what it is called in the evidence (or "reporting" for the run's
# `reported_attacks`), its rate and its concentration parameter, as the module docstring
# names them. Written out here rather than read from observe.MEASURES, so that a
# measure wired to another channel's parameters fails.
CHANNELS = {
    "reporting": ("observe.reporting_rate", "observe.concentration"),
    "attacks_claimed": ("observe.claimed_rate", "observe.claimed_concentration"),
    "attacks_recorded": ("observe.recorded_rate", "observe.recorded_concentration"),
    "fatalities": ("observe.fatalities_rate", "observe.fatalities_concentration"),
}

# Distinct rates and concentrations for every channel at once: a channel that read
# another's parameters would thin at a rate at least 0.1 (many standard errors) away.
DISTINCT = {
    "observe.reporting_rate": 0.7,
    "observe.concentration": 15.0,
    "observe.claimed_rate": 0.35,
    "observe.claimed_concentration": 8.0,
    "observe.recorded_rate": 0.6,
    "observe.recorded_concentration": 30.0,
    "observe.fatalities_rate": 0.9,
    "observe.fatalities_concentration": 50.0,
    "observe.fighters_log_sd": 0.3,
}


def _params(n: int, **values: float) -> dict[str, np.ndarray]:
    """Every observation parameter at its declared default, one value per replica, with
    `values` (names without the `observe.` prefix) instead where given."""
    params = {p.name: np.full(n, float(p.default)) for p in observe.PARAMETERS}
    for name, value in values.items():
        assert f"observe.{name}" in params, name
        params[f"observe.{name}"] = np.full(n, float(value))
    return params


def _observe(channel: str, attacks: np.ndarray, params, rng) -> np.ndarray:
    """What `channel` reports of latent attacks (n, months, regions, types), deaths being
    the attacks summed over types (so every channel sees the same latent counts), as
    (n, months, regions)."""
    if channel == "reporting":
        return observe.report(attacks, params, rng).sum(axis=3)
    out = {"attacks": attacks, "deaths": attacks.sum(axis=3)}
    return observe.monthly(observe.MEASURES[channel], out, params, rng)


def _beta_binomial_var(n: int, rate: float, conc: float) -> float:
    """Variance of a beta-binomial count: n trials, a beta rate of mean `rate` and
    concentration `conc` (a + b)."""
    return n * rate * (1 - rate) * (1 + (n - 1) / (conc + 1))


def _variance_and_se(x: np.ndarray) -> tuple[float, float]:
    """Sample variance of i.i.d. values and its standard error, sqrt((m4 - s^4) / m)
    with m4 the sample fourth central moment."""
    d = x - x.mean()
    s2 = float(x.var(ddof=1))
    m4 = float(np.mean(d**4))
    return s2, float(np.sqrt(max(m4 - s2**2, 0.0) / x.size))


def test_each_measure_names_declared_parameters():
    names = {p.name for p in observe.PARAMETERS}
    for measure, (rate, conc) in CHANNELS.items():
        if measure in observe.MEASURES:
            m = observe.MEASURES[measure]
            assert (m.rate, m.concentration) == (rate, conc), measure
        assert {rate, conc} <= names
    assert observe.MEASURES["fatalities"].source == "deaths"
    assert observe.MEASURES["fighters_estimate"].kind == "estimate"
    assert "observe.fighters_log_sd" in names


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_each_channel_thins_at_its_own_mean_rate(channel):
    """Reported / latent over many replica-months is the channel's own rate.

    All four channels have distinct rates in the same dict (claimed 0.35, recorded 0.6,
    reporting 0.7, fatalities 0.9), so a channel reading another's rate is off by at
    least 0.1. Every replica-month has latent total L = 30 (3 regions x 2 types x 5)
    sharing one beta rate, so its reported total is beta-binomial and the ratio over
    D = 24,000 replica-months has standard error
    sqrt(r (1 - r) (1 + (L - 1) / (c + 1)) / (L D)), 0.0004-0.0012 here: the tolerance
    (4 se, at most 0.0046) is 4-11 times tighter than test_processes.py's abs=0.02."""
    n, months, regions, types, k = 2000, 12, 3, 2, 5
    rng = np.random.default_rng(101)
    attacks = np.full((n, months, regions, types), k, dtype=np.int32)
    params = _params(n, **{name.removeprefix("observe."): v for name, v in DISTINCT.items()})
    reported = _observe(channel, attacks, params, rng)
    assert reported.shape == (n, months, regions)
    assert (reported >= 0).all() and (reported <= k * types).all()
    rate, conc = (DISTINCT[name] for name in CHANNELS[channel])
    total = regions * types * k
    se = np.sqrt(_beta_binomial_var(total, rate, conc) / total**2 / (n * months))
    observed = reported.sum() / attacks.sum()
    assert abs(observed - rate) <= Z * se, (channel, observed, rate, se)


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_reported_counts_are_beta_binomial_not_binomial(channel):
    """For a fixed latent count N = 50, the variance of the reported count over replica-
    months is the beta-binomial N r (1 - r) (1 + (N - 1) / (c + 1)), within 4 standard
    errors of the sample variance (se = sqrt((m4 - s^4) / m), m = 40,000 draws, about
    0.6% of the variance). With r = 0.6 and c = 4 that is 129.6, 10.8 times the binomial
    N r (1 - r) = 12; the other channels' parameters are set far off (rate 0.2, c = 400)
    so that a channel reading them fails both the mean and the variance."""
    m, latent, rate, conc = 40_000, 50, 0.6, 4.0
    rng = np.random.default_rng(202)
    other = {}
    for r_name, c_name in CHANNELS.values():
        other[r_name.removeprefix("observe.")] = 0.2
        other[c_name.removeprefix("observe.")] = 400.0
    params = _params(m, **other)
    r_name, c_name = CHANNELS[channel]
    params[r_name][:], params[c_name][:] = rate, conc
    attacks = np.full((m, 1, 1, 1), latent, dtype=np.int64)
    x = _observe(channel, attacks, params, rng)[:, 0, 0].astype(np.float64)
    assert abs(x.mean() - latent * rate) <= Z * np.sqrt(_beta_binomial_var(latent, rate, conc) / m)
    s2, se = _variance_and_se(x)
    expected = _beta_binomial_var(latent, rate, conc)
    binomial = latent * rate * (1 - rate)
    assert abs(s2 - expected) <= Z * se, (channel, s2, expected, se)
    assert s2 > 5 * binomial, (channel, s2, binomial)


def test_a_high_concentration_approaches_binomial_thinning():
    """At the highest declared concentration (500) the beta layer barely varies: the
    variance is the beta-binomial's 1.098 times the binomial (N = 50, r = 0.6), within
    4 se (about 3%), and within 15% of plain binomial thinning."""
    m, latent, rate = 40_000, 50, 0.6
    high = next(p.high for p in observe.PARAMETERS if p.name == "observe.concentration")
    rng = np.random.default_rng(303)
    params = _params(m, reporting_rate=rate, concentration=high)
    attacks = np.full((m, 1, 1, 1), latent, dtype=np.int64)
    x = observe.report(attacks, params, rng)[:, 0, 0, 0].astype(np.float64)
    s2, se = _variance_and_se(x)
    binomial = latent * rate * (1 - rate)
    assert abs(s2 - _beta_binomial_var(latent, rate, high)) <= Z * se, (s2, se)
    assert abs(s2 / binomial - 1) < 0.15, s2 / binomial


def test_one_reporting_rate_per_replica_month():
    """Cells of one replica-month share its rate, so two regions' reported counts
    covary by N^2 Var(rate) = N^2 r (1 - r) / (c + 1) (120 for N = 50, r = 0.6, c = 4;
    independent thinning per cell would give 0), while two months are independent
    (covariance 0). Tolerance 4 se, se = sqrt((Var X0 Var X1 + cov^2) / m) for the
    sample covariance of m = 40,000 pairs (about 0.9 here)."""
    m, latent, rate, conc = 40_000, 50, 0.6, 4.0
    rng = np.random.default_rng(404)
    params = _params(m, reporting_rate=rate, concentration=conc)
    attacks = np.full((m, 2, 2, 1), latent, dtype=np.int64)
    x = observe.report(attacks, params, rng)[..., 0].astype(np.float64)
    var = _beta_binomial_var(latent, rate, conc)
    shared = latent**2 * rate * (1 - rate) / (conc + 1)
    for a, b, expected in ((x[:, 0, 0], x[:, 0, 1], shared), (x[:, 0, 0], x[:, 1, 0], 0.0)):
        cov = float(np.cov(a, b)[0, 1])
        se = np.sqrt((var * var + expected**2) / m)
        assert abs(cov - expected) <= Z * se, (cov, expected, se)


def test_a_rate_of_one_reports_every_event_of_its_own_channel_only():
    """Swapping measure names is seen: with the recorded rate at 1 and the claimed rate
    at its lowest (0.01), records are the latent attacks exactly and claims are about 1%
    of them; fatalities thin deaths, not attacks."""
    n = 500
    rng = np.random.default_rng(505)
    params = _params(n, recorded_rate=1.0, claimed_rate=0.01, fatalities_rate=1.0)
    attacks = rng.poisson(20, size=(n, 6, 3, 2))
    deaths = rng.poisson(70, size=(n, 6, 3))
    out = {"attacks": attacks, "deaths": deaths}
    recorded = observe.monthly(observe.MEASURES["attacks_recorded"], out, params, rng)
    np.testing.assert_array_equal(recorded, attacks.sum(axis=3))
    claimed = observe.monthly(observe.MEASURES["attacks_claimed"], out, params, rng)
    assert claimed.sum() < 0.03 * attacks.sum()
    fatalities = observe.monthly(observe.MEASURES["fatalities"], out, params, rng)
    np.testing.assert_array_equal(fatalities, deaths)


def test_the_fighters_estimate_is_the_units_members():
    members = np.arange(4 * 3 * 2 * 5).reshape(4, 3, 2, 5)
    out = {"members": members}
    series = observe.monthly(observe.MEASURES["fighters_estimate"], out, _params(4), None, 1)
    np.testing.assert_array_equal(series, members[:, :, 1, :])


def test_estimate_error_is_log_normal_with_median_one():
    """estimate_error is exp(fighters_log_sd * Z), as its docstring says: log-mean 0
    (median one, not mean one), log-sd the replica's own fighters_log_sd, so the
    arithmetic mean is exp(sd^2 / 2). Half the replicas have sd 0.1, half 0.5; each
    half has 50,000 errors. Tolerances 4 se: sd / sqrt(m) for the log-mean,
    sd / sqrt(2 m) for the log-sd, sqrt((exp(sd^2) - 1) exp(sd^2) / m) for the mean. A
    mean-one error (exp(sd Z - sd^2 / 2)) is off by sd^2 / 2 = 0.125 in log-mean at
    sd 0.5, about 55 se."""
    n, k = 2000, 50
    rng = np.random.default_rng(606)
    params = _params(n)
    params["observe.fighters_log_sd"][: n // 2] = 0.1
    params["observe.fighters_log_sd"][n // 2 :] = 0.5
    error = observe.estimate_error(params, rng, (n, k))
    assert error.shape == (n, k) and (error > 0).all()
    for rows, sd in ((slice(0, n // 2), 0.1), (slice(n // 2, n), 0.5)):
        logs = np.log(error[rows]).ravel()
        m = logs.size
        assert abs(logs.mean()) <= Z * sd / np.sqrt(m), (sd, logs.mean())
        assert abs(logs.std(ddof=1) - sd) <= Z * sd / np.sqrt(2 * m), (sd, logs.std())
        mean_se = np.sqrt((np.exp(sd**2) - 1) * np.exp(sd**2) / m)
        assert abs(error[rows].mean() - np.exp(sd**2 / 2)) <= Z * mean_se, sd


def test_a_period_figure_sums_counts_and_averages_estimates_times_the_error():
    """period_value: a count is the plain sum over months and regions of the area; an
    estimate is the mean over months of the area's members times one log-normal error
    per replica, whose log has mean 0 and sd fighters_log_sd (0.3 here; 4 se over
    m = 100,000 replicas)."""
    m, sd = 100_000, 0.3
    rng = np.random.default_rng(707)
    params = _params(m, fighters_log_sd=sd)
    series = np.zeros((m, 4, 3), dtype=np.int64)
    series[:, :, 0] = [100, 200, 300, 400]
    series[:, :, 1] = 1000
    series[:, :, 2] = 7  # outside the area
    regions = np.array([True, True, False])
    count = observe.period_value(
        observe.MEASURES["attacks_claimed"], series, slice(0, 3), regions, params, rng
    )
    np.testing.assert_array_equal(count, np.full(m, 100 + 200 + 300 + 3 * 1000.0))
    estimate = observe.period_value(
        observe.MEASURES["fighters_estimate"], series, slice(1, 4), regions, params, rng
    )
    logs = np.log(estimate / (1000 + (200 + 300 + 400) / 3))
    assert abs(logs.mean()) <= Z * sd / np.sqrt(m), logs.mean()
    assert abs(logs.std(ddof=1) - sd) <= Z * sd / np.sqrt(2 * m), logs.std()


def test_the_engine_passes_one_value_per_replica(isk):
    """The parameter dicts above have the engine's shapes: chunk_params gives every
    observation parameter as (n,), and every measure's observation runs on a simulated
    chunk's outputs and reports no more than happened."""
    model = compile_model(isk, n_months=3)
    n = 7
    params = chunk_params(model, 0, n)
    for p in observe.PARAMETERS:
        assert params[p.name].shape == (n,), p.name
    out = simulate_chunk(model, 0, n, 1, 0)
    rng = np.random.default_rng(808)
    for name, measure in observe.MEASURES.items():
        series = observe.monthly(measure, out, params, rng)
        assert series.shape == (n, 3, out["deaths"].shape[2]), name
        if measure.kind == "count":
            latent = out[measure.source]
            latent = latent.sum(axis=3) if latent.ndim == 4 else latent
            assert ((series >= 0) & (series <= latent)).all(), name
