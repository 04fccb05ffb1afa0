"""Estimators of the stylized facts of armed groups, and the event-level view they need.

Each estimator is the one the published fact was measured with, or a well-kept equivalent:

* `fit_tail`: the tail exponent of deaths per attack by maximum likelihood with the
  `powerlaw` package (Alstott, Bullmore & Plenz 2014; the method of Clauset, Shalizi &
  Newman 2009), discrete, with x_min chosen by the Kolmogorov-Smirnov distance or given.
* `fit_hawkes`: a univariate Hawkes process with an exponential kernel,
  lambda(t) = mu + n beta sum_i exp(-beta (t - t_i)), fitted by maximum likelihood with
  scipy (the `tick` library, the usual choice, does not install on Python 3.11 with numpy
  2). Returns the branching ratio n (the share of events triggered by earlier events, in
  a stationary process) and the decay beta. `fit_hawkes_varying`: the same with a
  background piecewise constant over pieces of a given length (the excitation's n and
  beta shared), the background profiled out in closed-form terms; a constant background
  reads slow changes of the rate as excitation. With either, a kernel as slow as the
  background's changes cannot be told apart from them (see its docstring and the tests).
* `fit_progress`: the progress curve of Johnson et al. (2011), tau_n = tau_1 n^(-b), by
  least squares on log tau_n against log n; `progress_relation` regresses b on
  log10 tau_1 across groups.
* `wilson`: Wilson score intervals for shares (ends by cause, survival).
* `spearman`: Spearman's rank correlation with a Fisher-z interval (severity and frequency
  against size, Clauset & Gleditsch 2012).

`hawkes_times` simulates event times of a Hawkes cluster process with a piecewise-constant
immigrant rate (used to plant known values in tests and to give the check event times).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

DAYS_PER_MONTH = 365.25 / 12


# ------------------------------------------------------------------ shares and correlations
def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float, float]:
    """The share successes / n and its Wilson score interval (nan for n = 0)."""
    if n <= 0:
        return float("nan"), float("nan"), float("nan")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def spearman(x, y, z: float = 1.959964) -> tuple[float, float, float, int]:
    """Spearman's rho of x and y with a Fisher-z 95% interval (Fieller et al. 1957 standard
    error sqrt(1.06 / (n - 3))), and the number of pairs."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = x.size
    if n < 5:
        return float("nan"), float("nan"), float("nan"), n
    rho = float(stats.spearmanr(x, y).statistic)
    if not np.isfinite(rho):
        return float("nan"), float("nan"), float("nan"), n
    fz = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    se = np.sqrt(1.06 / (n - 3))
    return rho, float(np.tanh(fz - z * se)), float(np.tanh(fz + z * se)), n


# ------------------------------------------------------------------ tail exponent
@dataclass(frozen=True)
class TailFit:
    alpha: float
    sigma: float  # standard error of alpha (Clauset et al. 2009, eq. 3.2)
    xmin: float
    n_tail: int

    @property
    def interval(self) -> tuple[float, float]:
        return self.alpha - 1.96 * self.sigma, self.alpha + 1.96 * self.sigma


def fit_tail(values, xmin: float | None = None) -> TailFit:
    """Discrete power-law fit of the positive `values` (deaths of fatal attacks) with
    `powerlaw.Fit`; x_min estimated by the KS distance unless given."""
    import powerlaw

    x = np.asarray(values)
    x = x[x > 0]
    if x.size < 10:
        return TailFit(float("nan"), float("nan"), float("nan"), int(x.size))
    fit = powerlaw.Fit(x, discrete=True, xmin=xmin, verbose=0)
    n_tail = int((x >= fit.xmin).sum())
    return TailFit(
        float(fit.power_law.alpha), float(fit.power_law.standard_err), float(fit.xmin), n_tail
    )


# ------------------------------------------------------------------ Hawkes
def _blocks(t: np.ndarray, beta: float) -> np.ndarray:
    """Edges of blocks of sorted times short enough (beta * span <= 300) that exponentials
    relative to a block's first time do not overflow."""
    span = 300.0 / beta
    edges = np.searchsorted(t, np.arange(t[0], t[-1] + span, span), side="left")
    return np.append(edges, t.size)


def _decayed_sums(t: np.ndarray, beta: float) -> np.ndarray:
    """A_i = sum_{j < i} exp(-beta (t_i - t_j)) for sorted times, in blocks short enough
    (beta * span <= 300) that the exponentials do not overflow."""
    out = np.empty_like(t)
    if t.size == 0:
        return out
    carry, ref = 0.0, t[0]
    for lo, hi in itertools.pairwise(_blocks(t, beta)):
        if hi <= lo:
            continue
        block = t[lo:hi]
        carry *= np.exp(-beta * (block[0] - ref))
        ref = block[0]
        e = np.exp(beta * (block - ref))
        before = np.cumsum(e) - e
        out[lo:hi] = np.exp(-beta * (block - ref)) * (before + carry)
        carry += e.sum()
    return out


def _decayed_moments(t: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """A_i as `_decayed_sums`, and B_i = sum_{j < i} (t_i - t_j) exp(-beta (t_i - t_j)) =
    -dA_i / d beta, by the same blocks (for the gradient in beta)."""
    a, b = np.empty_like(t), np.empty_like(t)
    if t.size == 0:
        return a, b
    s0 = s1 = 0.0  # sum of exp(beta u_j) and of u_j exp(beta u_j), u_j = t_j - ref, j earlier
    ref = t[0]
    for lo, hi in itertools.pairwise(_blocks(t, beta)):
        if hi <= lo:
            continue
        block = t[lo:hi]
        shift = block[0] - ref
        fade = np.exp(-beta * shift)
        s0, s1 = s0 * fade, (s1 - shift * s0) * fade
        ref = block[0]
        u = block - ref
        e = np.exp(beta * u)
        c0 = np.cumsum(e) - e + s0
        c1 = np.cumsum(u * e) - u * e + s1
        back = np.exp(-beta * u)
        a[lo:hi] = back * c0
        b[lo:hi] = np.maximum(back * (u * c0 - c1), 0.0)
        s0, s1 = s0 + e.sum(), s1 + (u * e).sum()
    return a, b


def hawkes_loglik(t: np.ndarray, horizon: float, mu: float, n: float, beta: float) -> float:
    """Log-likelihood of sorted event times on [0, horizon] under an exponential Hawkes
    process with baseline mu, branching ratio n and decay beta."""
    a = _decayed_sums(t, beta)
    lam = mu + n * beta * a
    compensator = mu * horizon + n * np.sum(1.0 - np.exp(-beta * (horizon - t)))
    return float(np.sum(np.log(lam)) - compensator)


@dataclass(frozen=True)
class HawkesFit:
    mu: float  # events per time unit (with a varying background: its mean over the horizon)
    n: float  # branching ratio
    beta: float  # decay per time unit
    events: int
    loglik: float
    period: float | None = None  # length of the background's pieces; None: constant
    background: tuple[float, ...] = ()  # the background rate of each piece (varying only)

    @property
    def half_life(self) -> float:
        return float(np.log(2.0) / self.beta)


def fit_hawkes(times, horizon: float, start: tuple[float, float] = (0.3, 0.1)) -> HawkesFit:
    """Maximum-likelihood fit of an exponential Hawkes process (constant baseline) to event
    times on [0, horizon]. `start` is the initial (branching ratio, decay); the
    optimiser works on (log mu, logit n, log beta) with L-BFGS-B and a few restarts.

    A constant baseline reads any slow change of the event rate (growth, decline, busy and
    quiet months) as self-excitation: on non-stationary series it overstates n. See
    `fit_hawkes_varying`."""
    t = np.sort(np.asarray(times, dtype=float))
    if t.size < 20:
        return HawkesFit(float("nan"), float("nan"), float("nan"), int(t.size), float("nan"))

    def unpack(theta):
        return np.exp(theta[0]), 1.0 / (1.0 + np.exp(-theta[1])), np.exp(theta[2])

    def objective(theta):
        mu, n, beta = unpack(theta)
        value = -hawkes_loglik(t, horizon, mu, n, beta)
        return value if np.isfinite(value) else 1e300

    rate = t.size / horizon
    best = None
    for n0, beta0 in (start, (0.6, start[1] * 3), (0.15, start[1] / 3)):
        theta0 = np.array([np.log(rate * (1 - n0)), np.log(n0 / (1 - n0)), np.log(beta0)])
        res = optimize.minimize(
            objective,
            theta0,
            method="L-BFGS-B",
            bounds=[(None, None), (-12, 12), (np.log(1e-4 / horizon), np.log(1e3))],
        )
        if best is None or res.fun < best.fun:
            best = res
    mu, n, beta = unpack(best.x)
    return HawkesFit(float(mu), float(n), float(beta), int(t.size), float(-best.fun))


def _background_given_excitation(
    piece: np.ndarray, lengths: np.ndarray, excited: np.ndarray
) -> np.ndarray:
    """The background rate of each piece that maximises the likelihood given the excited
    intensity `excited` (e_i = n beta A_i) at each event: mu_k solves
    sum_{i in k} 1 / (mu_k + e_i) = L_k (the length of piece k), or is 0 when the
    excitation alone explains the piece's events (the left side at 0 is <= L_k).

    The left side is convex and decreasing in mu, so Newton's method started below the root
    climbs to it monotonically; it starts from the larger of two lower bounds, m_k / L_k -
    mean e (Jensen) and 1 / L_k - min e (one term), or 0. All pieces at once."""
    k = lengths.size
    m = np.bincount(piece, minlength=k).astype(float)
    has = m > 0
    total = np.bincount(piece, weights=excited, minlength=k)
    low = np.full(k, np.inf)
    np.minimum.at(low, piece, excited)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(has, np.maximum(m / lengths - total / np.maximum(m, 1), 1 / lengths - low), 0)
    x = np.maximum(x, 0.0)
    for _ in range(100):
        with np.errstate(divide="ignore"):
            inv = 1.0 / (x[piece] + excited)
        g = np.bincount(piece, weights=inv, minlength=k) - lengths
        dg = np.bincount(piece, weights=inv * inv, minlength=k)
        step = np.where(has & (g > 0) & np.isfinite(g), g / np.where(dg > 0, dg, 1.0), 0.0)
        x = x + step
        if np.all(step <= 1e-12 * np.maximum(x, 1e-300)):
            break
    return np.where(has, x, 0.0)


def fit_hawkes_varying(
    times,
    horizon: float,
    period: float,
    start: tuple[float, float] = (0.3, 0.1),
) -> HawkesFit:
    """Maximum-likelihood fit of an exponential Hawkes process whose background rate is
    piecewise constant on pieces of length `period` (the last may be shorter), with one
    branching ratio n and one decay beta for the whole horizon:
    lambda(t) = mu_k(t) + n beta sum_i exp(-beta (t - t_i)).

    A background that may change from piece to piece keeps slow changes of the event rate
    (a group's growth and decline, a busy or quiet month) out of the excitation, which is
    then measured by the clustering of events within weeks. Lewis et al. (2012) likewise
    let the background of violence in Iraq change over time and the self-excitation act
    on short time-scales.

    The pieces must be long next to the kernel: pieces as short as its mean delay take up
    the excitation itself (n near 0 on a constant background), and even pieces many times
    longer take up some of it when events are few (n biased down), while changes of the
    background within a piece are still read as excitation (n biased up). Separating
    contagion from background changes on the same time-scale needs a model of those
    changes (Mohler 2013, Ann. Appl. Stat. 7:1525).

    The background is profiled out: for given (n, beta) the excited intensity at each event
    depends only on earlier events, and each piece's rate maximises the likelihood in
    closed-form terms (a one-dimensional concave problem, solved by Newton's method,
    `_background_given_excitation`); the profile likelihood of (n, beta) is maximised with
    L-BFGS-B and an exact gradient (the envelope theorem), with a few restarts. `start`
    is the initial (branching ratio, decay). The half-life is kept below one piece (a
    slower excitation is not told apart from a change of the background) and above
    horizon / 43,000 (to bound the work of `_decayed_moments`)."""
    t = np.sort(np.asarray(times, dtype=float))
    if t.size < 20:
        return HawkesFit(
            float("nan"), float("nan"), float("nan"), int(t.size), float("nan"), period
        )
    k = max(1, int(np.ceil(horizon / period - 1e-9)))
    edges = np.minimum(np.arange(k + 1) * period, horizon)
    lengths = np.diff(edges)
    piece = np.minimum((t // period).astype(np.int64), k - 1)
    left = horizon - t

    def profile(theta):
        n = 1.0 / (1.0 + np.exp(-theta[0]))
        beta = np.exp(theta[1])
        a, b = _decayed_moments(t, beta)
        excited = n * beta * a
        mu = _background_given_excitation(piece, lengths, excited)
        lam = mu[piece] + excited
        tail = np.exp(-beta * left)
        loglik = np.sum(np.log(lam)) - mu @ lengths - n * np.sum(1.0 - tail)
        d_n = np.sum(beta * a / lam) - np.sum(1.0 - tail)
        d_beta = n * np.sum((a - beta * b) / lam) - n * np.sum(left * tail)
        return loglik, np.array([d_n * n * (1.0 - n), d_beta * beta]), mu

    def objective(theta):
        value, grad, _ = profile(theta)
        if not np.isfinite(value):
            return 1e300, np.zeros(2)
        return -value, -grad

    best = None
    for n0, beta0 in (start, (0.6, start[1] * 3), (0.15, start[1] / 3)):
        theta0 = np.array([np.log(n0 / (1 - n0)), np.log(beta0)])
        res = optimize.minimize(
            objective,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-12, 12), (np.log(np.log(2.0) / period), np.log(3e4 / horizon))],
        )
        if best is None or res.fun < best.fun:
            best = res
    loglik, _, mu = profile(best.x)
    n = 1.0 / (1.0 + np.exp(-best.x[0]))
    return HawkesFit(
        float(mu @ lengths / horizon),
        float(n),
        float(np.exp(best.x[1])),
        int(t.size),
        float(loglik),
        float(period),
        tuple(float(v) for v in mu),
    )


def hawkes_times(
    rng: np.random.Generator,
    immigrant_rate: np.ndarray,
    n: float,
    beta: float,
    period: float = 1.0,
) -> np.ndarray:
    """Event times of a Hawkes cluster process on [0, len(immigrant_rate) * period].

    Immigrants arrive at the rate `immigrant_rate[k]` per unit time during period k
    (piecewise constant); every event has Poisson(n) children at exponential delays of rate
    `beta` (Hawkes 1974's cluster representation). Children past the horizon are dropped.
    """
    rate = np.asarray(immigrant_rate, dtype=float)
    horizon = rate.size * period
    counts = rng.poisson(rate * period)
    gen = np.repeat(np.arange(rate.size) * period, counts) + rng.random(counts.sum()) * period
    events = [gen]
    while gen.size:
        kids = rng.poisson(n, gen.size)
        gen = np.repeat(gen, kids) + rng.exponential(1.0 / beta, kids.sum())
        gen = gen[gen < horizon]
        events.append(gen)
    return np.sort(np.concatenate(events))


# ------------------------------------------------------------------ progress curve
@dataclass(frozen=True)
class ProgressFit:
    b: float
    tau1: float  # the observed first interval
    intercept: float  # fitted log10 tau_1
    intervals: int


def fit_progress(times, min_intervals: int = 5) -> ProgressFit:
    """Johnson et al. (2011): with tau_n the n-th interval between successive fatal days,
    fit log10 tau_n = log10 tau_1 - b log10 n by least squares. `times` are days (or any
    unit) of fatal events; events on the same day count once (fatal days)."""
    days = np.unique(np.floor(np.asarray(times, dtype=float)))
    tau = np.diff(days)
    if tau.size < min_intervals:
        return ProgressFit(float("nan"), float("nan"), float("nan"), int(tau.size))
    n = np.arange(1, tau.size + 1)
    slope, intercept = np.polyfit(np.log10(n), np.log10(tau), 1)
    return ProgressFit(float(-slope), float(tau[0]), float(intercept), int(tau.size))


def progress_relation(fits: list[ProgressFit]) -> tuple[float, float, float, int]:
    """Slope of b against log10 tau_1 across groups (least squares), with its 95% interval
    (t distribution) and the number of groups."""
    b = np.array([f.b for f in fits])
    x = np.log10(np.array([f.tau1 for f in fits]))
    keep = np.isfinite(b) & np.isfinite(x)
    b, x = b[keep], x[keep]
    if b.size < 5 or np.ptp(x) == 0:
        return float("nan"), float("nan"), float("nan"), int(b.size)
    res = stats.linregress(x, b)
    q = stats.t.ppf(0.975, b.size - 2)
    return float(res.slope), res.slope - q * res.stderr, res.slope + q * res.stderr, int(b.size)


def median_interval(values, rng: np.random.Generator, draws: int = 1000):
    """The median of `values` and a bootstrap 95% interval (percentile) for it."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    boots = np.median(rng.choice(v, size=(draws, v.size)), axis=1)
    lo, hi = np.quantile(boots, [0.025, 0.975])
    return float(np.median(v)), float(lo), float(hi)
