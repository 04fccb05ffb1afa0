"""The noise-corrected Sobol' estimators recover known indices of a stochastic function.

The test function is a probability with analytic Sobol' indices, observed the way the
engine's resurgence probability is: as the share of K Bernoulli replicas that come out 1.
Without the noise correction the same data give indices biased well outside their
intervals, so these tests fail if the correction is dropped or wrong.
"""

from __future__ import annotations

import numpy as np
import pytest
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from resurgence.analysis import stochastic_sobol as ss

# p(x) = 0.05 + A x1 + B x2 + C x2 x3 on [0, 1]^3: x1 acts alone, x2 and x3 interact.
A, B, C = 0.4, 0.2, 0.3
V1, V2, V3, V23 = A**2 / 12, (B + C / 2) ** 2 / 12, C**2 / 48, C**2 / 144
VARIANCE = V1 + V2 + V3 + V23
S1 = np.array([V1, V2, V3]) / VARIANCE  # 0.512, 0.392, 0.072
ST = np.array([V1, V2 + V23, V3 + V23]) / VARIANCE  # 0.512, 0.416, 0.096
PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0.0, 1.0]] * 3}


def probability(x: np.ndarray) -> np.ndarray:
    return 0.05 + A * x[:, 0] + B * x[:, 1] + C * x[:, 1] * x[:, 2]


def bernoulli(n: int, replicas: int, seed: int, *, common: bool) -> ss.Blocks:
    """K Bernoulli replicas of p at each row of a Saltelli design of N base rows. With
    `common`, the rows of one base sample (A_j, B_j, AB_j) share their replicas' uniforms,
    as common random numbers would, so the noise of the rows compared is correlated."""
    x = sobol_sample.sample(PROBLEM, n, calc_second_order=False, seed=seed)
    rng = np.random.default_rng(seed)
    if common:
        u = np.repeat(rng.random((n, replicas)), 3 + 2, axis=0)
    else:
        u = rng.random((len(x), replicas))
    return ss.split((u < probability(x)[:, None]).astype(float), 3)


def test_deterministic_output_gives_salibs_indices():
    """Without replicas and alone, the estimators are SALib's (up to its variance's ddof of
    0); combined with the complementary ones they still find the known indices."""
    n = 1024
    x = sobol_sample.sample(PROBLEM, n, calc_second_order=False, seed=3)
    y = probability(x)
    salib = sobol_analyze.analyze(PROBLEM, y, calc_second_order=False, seed=2)
    got = ss.indices(ss.split(y, 3), combine=False)
    ddof = (2 * n - 1) / (2 * n)
    np.testing.assert_allclose(got.S1, salib["S1"] * ddof, rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(got.ST, salib["ST"] * ddof, rtol=1e-7, atol=1e-6)
    assert got.noise_share == 0
    combined = ss.indices(ss.split(y, 3))
    np.testing.assert_allclose(combined.ST, ST, atol=0.005)
    np.testing.assert_allclose(combined.S1, S1, atol=0.005)


@pytest.mark.parametrize("common", [False, True], ids=["independent", "common"])
def test_noisy_bernoulli_recovers_the_known_indices(common):
    """16 replicas a row: about a third of the rows' variance is noise. The corrected
    total-order indices fall within their 95% intervals of the truth; uncorrected, the
    noise inflates (independent replicas) or distorts (common random numbers) them by
    several half-widths."""
    blocks = bernoulli(1024, 16, seed=5, common=common)
    got = ss.indices(blocks, seed=1)
    assert 0.2 < got.noise_share < 0.6
    assert np.all(np.abs(got.ST - ST) <= got.ST_conf), (got.ST, got.ST_conf)
    assert np.all(np.abs(got.S1 - S1) <= got.S1_conf), (got.S1, got.S1_conf)
    assert np.all(got.ST_conf < 0.1)
    raw = ss.indices(blocks, correct=False, seed=1)
    assert raw.noise_share == 0
    assert np.max(np.abs(raw.ST - ST) / raw.ST_conf) > 1.5


def test_noisy_gaussian_recovers_the_known_indices_and_ranks_them():
    """Gaussian noise of known variance per replica (0.1^2, 40% of the variance of p; 5% of
    that of an 8-replica mean); the indices come out within their intervals and in the
    true order, and uncorrected x3's is 40% too large."""
    n, replicas = 2048, 8
    x = sobol_sample.sample(PROBLEM, n, calc_second_order=False, seed=11)
    rng = np.random.default_rng(11)
    y = probability(x)[:, None] + 0.1 * rng.standard_normal((len(x), replicas))
    blocks = ss.split(y, 3)
    got = ss.indices(blocks, seed=2)
    assert got.noise_share == pytest.approx(
        0.01 / replicas / (VARIANCE + 0.01 / replicas), abs=0.03
    )
    assert np.all(np.abs(got.ST - ST) <= got.ST_conf)
    assert list(np.argsort(-got.ST)) == [0, 1, 2]
    raw = ss.indices(blocks, correct=False, seed=2)
    assert raw.ST[2] - ST[2] > 3 * raw.ST_conf[2]


def test_convergence_tightens_the_intervals():
    """The indices at N/8 ... N: the last size is the analysis itself, and the intervals
    narrow about like 1/sqrt(N)."""
    blocks = bernoulli(1024, 16, seed=7, common=False)
    table = ss.convergence(blocks, 4, seed=3)
    assert sorted(set(table["samples"])) == [128, 256, 512, 1024]
    full = ss.indices(blocks, seed=3)
    last = table[table["samples"] == 1024].sort_values("group")
    np.testing.assert_array_equal(last["ST"], full.ST)
    np.testing.assert_array_equal(last["ST_conf"], full.ST_conf)
    widths = table.groupby("samples")["ST_conf"].mean()
    assert widths[128] / widths[1024] == pytest.approx(np.sqrt(8), rel=0.35)


def test_a_prefix_is_the_smaller_design():
    """SALib's design at N = 256 is the first 256 base rows of its design at N = 1024, which
    is what makes the convergence table a sequence of smaller analyses."""
    big = sobol_sample.sample(PROBLEM, 1024, calc_second_order=False, seed=9)
    small = sobol_sample.sample(PROBLEM, 256, calc_second_order=False, seed=9)
    np.testing.assert_array_equal(big[: len(small)], small)


def test_split_refuses_a_ragged_design():
    with pytest.raises(ValueError, match="multiple of 5"):
        ss.split(np.zeros(12), 3)
