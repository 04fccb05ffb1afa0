"""Baseline forecasts of published figures: what a backtest's model has to beat.

Each baseline is fitted on the training rows of one measure (figures whose periods end at
or before the origin month) and forecasts the total of a target period of `months` months
that starts `gap` months after the origin: the target covers months origin + gap + 1 to
origin + gap + months, so gap 0 is the month right after the origin.

Figures cover periods of different lengths (a month, five months, a year), so every
baseline works from monthly rates with the period length as exposure. Only single figures
are used (`scoring.point_value`: ranges and open bounds are left out, as in scoring), and
figures printed twice for the same period are averaged into one.

Overlapping figures (a year and a month inside it) would count the same attacks twice, so
the figures used are a chain of periods that do not overlap, built backwards from the
origin (`_chain`): the figure that ends last (the shortest when several end together, as
the most recent information), then the one that ends last before that one starts, and so
on. A figure that overlaps one already chosen is left out.

* Persistence: the monthly rate of the last figure of the chain.
* RollingMean: total counts over total months of the last figures of the chain, until
  they cover `window` months (a figure longer than what is left of the window is used
  whole: a total cannot be split).
* NegativeBinomial: count_i ~ NB(mean = exposure_i * exp(a), dispersion k) over the whole
  chain by maximum likelihood, optionally with a log-linear trend (see its docstring).

Persistence and the rolling mean forecast a Poisson of the rate times the target's length
rather than a point: a point forecast's CRPS is just its absolute error, and it has no
intervals whose coverage could be scored. The Poisson is the least spread a count can
have at that mean, so these baselines are as sharp as a count forecast can be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln, xlogy

from resurgence.analysis.scoring import point_value

CHI2_1_95 = 3.841459  # 95% quantile of chi-squared with 1 degree of freedom
CHI2_1_90 = 2.705543  # 90% quantile: 5% test of a parameter on its boundary (k infinite)
LOG_K = (math.log(1e-2), math.log(1e8))  # bounds of log dispersion in the fit
MAX_TREND = 0.5  # bound of the trend in log rate per month (x1.65 a month)


Month = pd.Period | str  # a pandas Period 'M' or a 'YYYY-MM' string


def _month(value: Month) -> int:
    """Month ordinal of a pandas Period 'M' or a 'YYYY-MM' string."""
    return pd.Period(value, freq="M").ordinal


@dataclass(frozen=True)
class Baseline:
    """A fitted baseline: the target total is NB(mean, dispersion), a Poisson when the
    dispersion is infinite, with mean = rate * sum over target months j (1 = the month
    after the origin) of exp(trend * j)."""

    method: str
    measure: str
    origin: pd.Period
    rate: float  # counts a month in the origin month
    dispersion: float = math.inf  # k: variance = mean + mean^2 / k
    trend: float = 0.0  # change of the log rate per month

    def mean(self, months: int, gap: int = 0) -> float:
        """Mean total of the target period."""
        j = np.arange(gap + 1, gap + months + 1)
        return float(self.rate * np.exp(self.trend * j).sum())

    def sample(
        self, rng: np.random.Generator, months: int, gap: int = 0, n: int = 1000
    ) -> np.ndarray:
        """`n` samples of the target period's total."""
        mu = self.mean(months, gap)
        if math.isinf(self.dispersion):
            return rng.poisson(mu, size=n)
        k = self.dispersion
        return rng.negative_binomial(k, k / (k + mu), size=n)


def _figures(train: pd.DataFrame, measure: str | None) -> tuple[str, pd.DataFrame]:
    """The measure and its single figures as start, end (month ordinals), months and value,
    one row per period (figures for the same period averaged)."""
    if measure is None:
        measures = train["measure"].unique() if "measure" in train else []
        if len(measures) != 1:
            raise ValueError(
                "training rows must hold exactly one measure (or name it with measure=), "
                f"got {sorted(measures) or 'no rows'}"
            )
        measure = str(measures[0])
    rows = train[train["measure"] == measure]
    lows, highs = rows["value_low"], rows["value_high"]
    values = [point_value(lo, hi) for lo, hi in zip(lows, highs, strict=True)]
    figures = pd.DataFrame(
        {
            "start": [_month(v) for v in rows["period_start"]],
            "end": [_month(v) for v in rows["period_end"]],
            "value": pd.array(values, dtype="Float64"),
        }
    ).dropna()
    if figures.empty:
        raise ValueError(f"no training rows with a single figure for measure {measure!r}")
    if (figures["end"] < figures["start"]).any():
        raise ValueError(f"a {measure!r} training row ends before it starts")
    if (figures["value"] < 0).any():
        raise ValueError(f"a {measure!r} training row has a negative count")
    figures = figures.groupby(["start", "end"], as_index=False)["value"].mean()
    figures["value"] = figures["value"].astype(np.float64)
    figures["months"] = figures["end"] - figures["start"] + 1
    return measure, figures


def _chain(figures: pd.DataFrame, window: int | None = None) -> pd.DataFrame:
    """Figures that do not overlap, latest first (see the module docstring), stopping once
    they cover `window` months (all of them when None)."""
    ordered = figures.sort_values(["end", "months"], ascending=[False, True])
    chosen, cursor, covered = [], math.inf, 0
    for row in ordered.itertuples():
        if row.end > cursor:
            continue
        chosen.append(row.Index)
        cursor, covered = row.start - 1, covered + row.months
        if window is not None and covered >= window:
            break
    return ordered.loc[chosen]


def _origin(figures: pd.DataFrame, measure: str, origin: Month | None) -> int:
    if origin is None:
        return int(figures["end"].max())
    month = _month(origin)
    if figures["end"].max() > month:
        raise ValueError(f"a {measure!r} training row ends after the origin {origin}")
    return month


def _rate(chain: pd.DataFrame) -> float:
    return float(chain["value"].sum() / chain["months"].sum())


@dataclass(frozen=True)
class Persistence:
    """The last figure's monthly rate, as a Poisson."""

    name: str = "persistence"

    def fit(
        self, train: pd.DataFrame, *, measure: str | None = None, origin: Month | None = None
    ) -> Baseline:
        measure, figures = _figures(train, measure)
        month = _origin(figures, measure, origin)
        last = _chain(figures, window=1)
        return Baseline(self.name, measure, pd.Period(ordinal=month, freq="M"), _rate(last))


@dataclass(frozen=True)
class RollingMean:
    """The monthly rate over the last `window` months of figures, as a Poisson."""

    window: int = 12
    name: str = "rolling_mean"

    def fit(
        self, train: pd.DataFrame, *, measure: str | None = None, origin: Month | None = None
    ) -> Baseline:
        measure, figures = _figures(train, measure)
        month = _origin(figures, measure, origin)
        chain = _chain(figures, window=self.window)
        return Baseline(self.name, measure, pd.Period(ordinal=month, freq="M"), _rate(chain))


@dataclass(frozen=True)
class _Fit:
    log_rate: float  # a: log counts a month at the figures' mean mid-month
    trend: float
    dispersion: float
    loglik: float


def _loglik(y: np.ndarray, mu: np.ndarray, k: float) -> float:
    """Log-likelihood of counts y (gamma functions, so averaged duplicates that are not
    whole numbers still count) under NB(mu, k), or Poisson(mu) when k is infinite."""
    if math.isinf(k):
        return float((xlogy(y, mu) - mu - gammaln(y + 1)).sum())
    terms = gammaln(y + k) - gammaln(k) - gammaln(y + 1)
    terms += k * (math.log(k) - np.log(k + mu)) + xlogy(y, mu) - y * np.log(k + mu)
    return float(terms.sum())


def _mle(y: np.ndarray, offsets: np.ndarray, trend: bool, dispersion: bool) -> _Fit:
    """Maximum likelihood of mu_i = exp(a) * sum over the months of row i of exp(b * t),
    with t the month's offset from a reference (`offsets`, NaN past the row's end), over
    a, b (when `trend`) and log k (when `dispersion`, else Poisson), bounded for
    stability. Starts from the Poisson estimate without trend."""
    months = np.sum(~np.isnan(offsets), axis=1)
    start = [math.log(y.sum() / months.sum())]
    bounds = [(None, None)]
    if trend:
        start.append(0.0)
        bounds.append((-MAX_TREND, MAX_TREND))
    if dispersion:
        start.append(0.0)
        bounds.append(LOG_K)

    def unpack(theta):
        b = float(theta[1]) if trend else 0.0
        k = math.exp(theta[-1]) if dispersion else math.inf
        return float(theta[0]), b, k

    def negative(theta):
        a, b, k = unpack(theta)
        mu = np.exp(a) * np.nansum(np.exp(b * offsets), axis=1)
        return -_loglik(y, mu, k)

    result = minimize(negative, np.array(start), method="L-BFGS-B", bounds=bounds)
    a, b, k = unpack(result.x)
    return _Fit(a, b, k, -float(result.fun))


@dataclass(frozen=True)
class NegativeBinomial:
    """count_i ~ NB(mean = exp(a + b * t) summed over the months of row i, dispersion k)
    over the chain of figures (module docstring), by maximum likelihood.

    Each part is kept only when the figures support it, by a likelihood-ratio test at 5%:
    * the dispersion k needs at least 3 figures and must beat the Poisson (k infinite,
      its limit, so the null distribution is half chi-squared(1), half 0, and the critical
      value is the chi-squared(1) 90% quantile); otherwise k cannot be told from infinity
      and the forecast is a Poisson;
    * the trend b (`trend=True`) needs at least 4 figures and must beat no trend; a trend
      is extrapolated to the target, so one fitted to noise would do harm (each of the
      two fits makes its own choice of k, so a trend that explains apparent dispersion
      away is compared with the dispersed fit without it).
    Figures that are all zero give a rate of 0 (a forecast of 0 for sure).

    The predictive is the plug-in NB of the target's total (its mean summed over the
    target's months, same k): parameter uncertainty is left out, so with few figures the
    intervals are too narrow, which the interval coverage of a backtest shows.
    """

    trend: bool = True
    name: str = "negative_binomial"

    def fit(
        self, train: pd.DataFrame, *, measure: str | None = None, origin: Month | None = None
    ) -> Baseline:
        measure, figures = _figures(train, measure)
        month = _origin(figures, measure, origin)
        period = pd.Period(ordinal=month, freq="M")
        chain = _chain(figures)
        y = chain["value"].to_numpy(np.float64)
        if y.sum() == 0:
            return Baseline(self.name, measure, period, 0.0)
        # every month of every row (NaN past the row's end), as offsets from the figures'
        # mean mid-month, so that a and b are estimated nearly independently
        span = np.arange(chain["months"].max())
        grid = chain["start"].to_numpy()[:, None] + span[None, :]
        centre = float(((chain["start"] + chain["end"]) / 2).mean())
        offsets = np.where(grid <= chain["end"].to_numpy()[:, None], grid - centre, np.nan)
        best = self._family(y, offsets, trend=False)
        if self.trend and len(y) >= 4:
            trended = self._family(y, offsets, trend=True)
            if 2 * (trended.loglik - best.loglik) > CHI2_1_95:
                best = trended
        rate = math.exp(best.log_rate + best.trend * (month - centre))
        return Baseline(self.name, measure, period, rate, best.dispersion, best.trend)

    @staticmethod
    def _family(y: np.ndarray, offsets: np.ndarray, trend: bool) -> _Fit:
        """The NB fit if it beats the Poisson (see the class docstring), else the Poisson."""
        poisson = _mle(y, offsets, trend, dispersion=False)
        if len(y) < 3:
            return poisson
        nb = _mle(y, offsets, trend, dispersion=True)
        return nb if 2 * (nb.loglik - poisson.loglik) > CHI2_1_90 else poisson


BASELINES = {
    "persistence": Persistence(),
    "rolling_mean": RollingMean(),
    "negative_binomial": NegativeBinomial(),
}


def fit_baselines(
    train: pd.DataFrame, *, measure: str | None = None, origin: Month | None = None
) -> dict[str, Baseline]:
    """Fit every baseline in BASELINES on the training rows of one measure.

    `measure` picks the rows of that measure (else `train` must hold only one); `origin`
    (a Period 'M' or 'YYYY-MM') is the last month the training may cover, by default the
    last month it does cover, and the month the targets' `gap` counts from. Raises
    ValueError when the measure has no single figure to fit or a row ends after the origin.
    """
    return {
        name: baseline.fit(train, measure=measure, origin=origin)
        for name, baseline in BASELINES.items()
    }
