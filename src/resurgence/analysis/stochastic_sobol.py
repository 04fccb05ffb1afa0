"""Sobol' indices of a stochastic model's mean output, with the replicas' noise removed.

The output analysed at a parameter set x is a mean over K replicas, f(x) = (1/K) sum_r
h(x, w_r): for the resurgence probability, h is 1 when replica r resurges. The indices are
indices of g(x) = E_w h(x, w), the output averaged over the replicas' randomness (for the
engine: the posterior draw and every random event), whose variance over the parameters
they apportion. f(x) = g(x) + e(x) carries a noise e(x) of variance Var_w h(x, w) / K,
which inflates every quantity the estimators average; docs/sensitivity.md gives the
algebra.

Four estimators, each a mean over base rows j of a product of two rows' means, made
unbiased for g by subtracting the replicas' sample covariance of the two factors over K
(`_product`: E[mean x * mean y] = E x E y + Cov(x, y) / K). That holds whether the rows
of one base sample share their random numbers (common random numbers: the covariance
includes their correlation) or not, so long as different base samples are independent:

* first order: Saltelli's f(B)(f(AB) - f(A)) (SALib's), estimating V_i; and Jansen's
  (f(B) - f(AB))^2 / 2, estimating V - V_i (AB^i and B share column i only);
* total order: Jansen's (f(A) - f(AB))^2 / 2 (SALib's), estimating V_Ti; and
  f(A)(f(AB) - f(B)), estimating V - V_Ti (AB^i and A share every column but i).

The variance V is that of f over the A and B rows less the mean noise variance of a row,
the replicas' sample variance over K. SALib's estimators are precise for small indices;
the complementary ones, 1 - (estimate of V - V_i) / V, for large ones, where AB^i is
close to B (or A) and their differences small. Each index is the convex combination of
its two estimates with the least bootstrap variance.

The bootstrap resamples base rows with replacement (A_j, B_j and every AB_j together, as
SALib does) and recomputes every term, noise corrections included; the half-width is z
times the standard deviation of the resampled (combined) indices, SALib's convention. The
base rows are a scrambled Sobol' sequence rather than independent draws, so the intervals
are conservative. An output given as one value per set (no replica axis) is analysed as
deterministic: no noise term.

Groups may have different numbers of base rows (an adaptive design gives more to the
indices that need them): rows not evaluated hold NaN, and each group's indices come from
the longest prefix of base rows whose A, B and AB^i rows all hold values (`depths`), with
the variance V estimated on the same prefix. A prefix of a Sobol' sequence of 2^k points
is balanced, so each group's indices are those of SALib's design at its own N.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from resurgence.core.streams import stream


@dataclass(frozen=True)
class Blocks:
    """Replica-level outputs of a Saltelli design without second order, split by matrix:
    `a`, `b` (N, K) and `ab` (G, N, K), where AB^i is A with the columns of group i from
    B."""

    a: np.ndarray
    b: np.ndarray
    ab: np.ndarray

    @property
    def n(self) -> int:
        return self.a.shape[0]

    @property
    def replicas(self) -> int:
        return self.a.shape[1]

    def head(self, n: int) -> Blocks:
        """The first n base rows: a prefix of a Sobol' sequence of 2^k points is itself
        balanced, so this is the design SALib would have drawn at N = n."""
        return Blocks(self.a[:n], self.b[:n], self.ab[:, :n])


def _base_held(blocks: Blocks) -> np.ndarray:
    """Per base row j, whether A_j and B_j hold values (a row not evaluated holds NaN)."""
    return np.isfinite(blocks.a).all(axis=1) & np.isfinite(blocks.b).all(axis=1)


def _prefix(held: np.ndarray) -> np.ndarray:
    """The length of the leading run of True along the last axis."""
    return np.where(held.all(axis=-1), held.shape[-1], np.argmin(held, axis=-1))


def depths(blocks: Blocks) -> np.ndarray:
    """Per group, the base rows it can use: the longest prefix of rows j whose A_j, B_j and
    AB_j^i hold values."""
    return _prefix(np.isfinite(blocks.ab).all(axis=2) & _base_held(blocks)[None])


def _by_depth(blocks: Blocks) -> list[tuple[np.ndarray, Blocks]]:
    """The groups that share a depth (their positions) with the blocks of that prefix,
    deepest first; groups with fewer than 2 rows are left out."""
    depth = depths(blocks)
    parts = []
    for n in sorted(set(depth.tolist()), reverse=True):
        if n >= 2:
            at = np.flatnonzero(depth == n)
            parts.append((at, Blocks(blocks.a[:n], blocks.b[:n], blocks.ab[at, :n])))
    return parts


def split(y: np.ndarray, groups: int) -> Blocks:
    """Split outputs in SALib's row order (N (G + 2) rows: A_j, AB_j^1..AB_j^G, B_j for each
    j) into blocks; `y` is (rows,) for a deterministic output or (rows, K) for K replicas."""
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    step = groups + 2
    if y.shape[0] % step:
        raise ValueError(f"{y.shape[0]} rows is not a multiple of {step} (G + 2)")
    table = y.reshape(y.shape[0] // step, step, y.shape[1])
    return Blocks(table[:, 0], table[:, -1], np.moveaxis(table[:, 1:-1], 1, 0))


@dataclass(frozen=True)
class _Terms:
    """Per-base-row terms of the estimators, noise removed, so that any resample of the
    base rows is a weighted mean: each (G, N) except `f` and `noise`."""

    saltelli: np.ndarray  # f(B)(f(AB) - f(A)): V_i
    jansen_first: np.ndarray  # (f(B) - f(AB))^2 / 2: V - V_i
    jansen: np.ndarray  # (f(A) - f(AB))^2 / 2: V_Ti
    complement: np.ndarray  # f(A)(f(AB) - f(B)): V - V_Ti
    f: np.ndarray  # (N, 2): f(A_j), f(B_j), less their mean (for a stable variance)
    noise: np.ndarray  # (N,) mean of the noise variances of f(A_j) and f(B_j)


def _product(x: np.ndarray, y: np.ndarray, k: int, correct: bool) -> np.ndarray:
    """Per row, the mean of x times the mean of y over the last (replica) axis, less the
    noise term Cov(x, y) / K estimated by the replicas' sample covariance: an unbiased
    estimate of E x E y."""
    mx, my = x.mean(axis=-1), y.mean(axis=-1)
    if not correct:
        return mx * my
    cov = ((x - mx[..., None]) * (y - my[..., None])).sum(axis=-1) / (k - 1)
    return mx * my - cov / k


def _terms(blocks: Blocks, correct: bool) -> _Terms:
    k = blocks.replicas
    correct = correct and k > 1
    a, b, ab = blocks.a[None], blocks.b[None], blocks.ab
    d = a - ab  # h(A) - h(AB^i), replica by replica
    e = ab - b  # h(AB^i) - h(B)
    fa, fb = blocks.a.mean(axis=1), blocks.b.mean(axis=1)
    f = np.c_[fa, fb]
    noise = np.zeros_like(fa)
    if correct:
        noise = 0.5 * (blocks.a.var(axis=1, ddof=1) + blocks.b.var(axis=1, ddof=1)) / k
    b_, a_ = np.broadcast_to(b, e.shape), np.broadcast_to(a, e.shape)
    return _Terms(
        saltelli=-_product(b_, d, k, correct),
        jansen_first=0.5 * _product(e, e, k, correct),
        jansen=0.5 * _product(d, d, k, correct),
        complement=_product(a_, e, k, correct),
        f=f - f.mean(),
        noise=noise,
    )


def _estimate(t: _Terms, w: np.ndarray) -> dict[str, np.ndarray]:
    """The four estimators (each (B, G)) and the noise share of the rows' variance (B,),
    for base-row weights `w` (B, N): ones for the estimate, bootstrap counts for a
    resample."""
    n = w.sum(axis=1)
    m = 2 * n  # rows of A and B
    mean = (w @ t.f.sum(axis=1)) / m
    variance = (w @ (t.f**2).sum(axis=1) - m * mean**2) / (m - 1)
    noise = (w @ t.noise) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(variance - noise > 0, variance - noise, np.nan)[:, None]

        def share(terms: np.ndarray) -> np.ndarray:
            return (w @ terms.T) / n[:, None] / v

        return {
            "S1": (share(t.saltelli), 1 - share(t.jansen_first)),
            "ST": (share(t.jansen), 1 - share(t.complement)),
            "noise": np.where(variance > 0, noise / variance, np.nan),
        }


def _combine(
    estimate: tuple[np.ndarray, np.ndarray], resampled: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The convex combination of two estimators of the same indices with the least
    bootstrap variance, and its bootstrap replicates (the weight held at its estimate)."""
    (e1, e2), (b1, b2) = estimate, resampled
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample without variance
        c11, c22 = np.nanvar(b1, axis=0), np.nanvar(b2, axis=0)
        c12 = np.nanmean((b1 - np.nanmean(b1, axis=0)) * (b2 - np.nanmean(b2, axis=0)), axis=0)
        weight = np.clip(np.nan_to_num((c22 - c12) / (c11 + c22 - 2 * c12), nan=1.0), 0, 1)
    return weight * e1[0] + (1 - weight) * e2[0], weight * b1 + (1 - weight) * b2


def noise_share(blocks: Blocks) -> float:
    """The share of the variance of the outputs over the A and B rows (those evaluated)
    that is the replicas' noise (0 for a deterministic output)."""
    blocks = blocks.head(int(_prefix(_base_held(blocks))))
    return float(_estimate(_terms(blocks, correct=True), np.ones((1, blocks.n)))["noise"][0])


@dataclass(frozen=True)
class Indices:
    """First- and total-order indices of each group with the half-widths of their
    bootstrap intervals, and the share of the rows' variance that was replica noise."""

    S1: np.ndarray
    S1_conf: np.ndarray
    ST: np.ndarray
    ST_conf: np.ndarray
    noise_share: float


def indices(
    blocks: Blocks,
    *,
    correct: bool = True,
    combine: bool = True,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 1,
) -> Indices:
    """Sobol' indices of the replicas' mean. `correct=False`: of the K-replica mean as if
    it were deterministic. `combine=False`: SALib's estimators alone (Saltelli's S1,
    Jansen's ST), without the complementary ones. Groups of different depths (`depths`)
    are each analysed on their own prefix; the noise share is that of the deepest."""
    parts = _by_depth(blocks)
    if len(parts) != 1 or len(parts[0][0]) != blocks.ab.shape[0]:
        return _ragged(
            blocks,
            parts,
            correct=correct,
            combine=combine,
            resamples=resamples,
            confidence=confidence,
            seed=seed,
        )
    blocks = parts[0][1]
    t = _terms(blocks, correct)
    n = blocks.n
    full = _estimate(t, np.ones((1, n)))
    rng = stream(seed, "design", "bootstrap")
    w = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(float)
    boot = _estimate(t, w)
    z = norm.ppf(0.5 + confidence / 2)
    if not np.isfinite(full["ST"][0]).any():  # no variance beyond the replicas' noise
        nan = np.full(len(t.jansen), np.nan)
        return Indices(nan, nan, nan, nan, float(full["noise"][0]))
    got = {}
    for index in ("S1", "ST"):
        if combine:
            value, replicates = _combine(full[index], boot[index])
        else:
            value, replicates = full[index][0][0], boot[index][0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: no variance
            got[index] = (value, z * np.nanstd(replicates, axis=0, ddof=1))
    return Indices(*got["S1"], *got["ST"], float(full["noise"][0]))


def _ragged(blocks: Blocks, parts, **options) -> Indices:
    """`indices` of groups of different depths: each part on its own prefix."""
    got = {k: np.full(blocks.ab.shape[0], np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    noise = np.nan
    for at, part in parts:
        one = indices(part, **options)
        for k, values in got.items():
            values[at] = getattr(one, k)
        noise = one.noise_share if np.isnan(noise) else noise  # the deepest part's
    return Indices(got["S1"], got["S1_conf"], got["ST"], got["ST_conf"], noise)


def convergence(blocks: Blocks, steps: int = 4, **options) -> pd.DataFrame:
    """The indices at N / 2^(steps - 1), ..., N / 2, N base rows (prefixes of the design,
    each with its own bootstrap), N being each group's depth (`depths`): `samples`,
    `group` (its position), S1, S1_conf, ST, ST_conf. Sizes below 4 rows are left out."""
    frames = []
    for at, part in _by_depth(blocks):
        for e in range(steps - 1, -1, -1):
            n = part.n >> e
            if n < 4:
                continue
            got = indices(part.head(n), **options)
            frames.append(_convergence_rows(n, at, got))
    if not frames:
        return pd.DataFrame(columns=["samples", "group", "S1", "S1_conf", "ST", "ST_conf"])
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["samples", "group"], kind="stable", ignore_index=True)


def _convergence_rows(n: int, at: np.ndarray, got: Indices) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "samples": n,
            "group": at,
            "S1": got.S1,
            "S1_conf": got.S1_conf,
            "ST": got.ST,
            "ST_conf": got.ST_conf,
        }
    )
