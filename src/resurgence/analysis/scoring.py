"""Scores of probabilistic forecasts of published figures, and their summary by method.

A forecast of a figure is an ensemble of samples of its period total. It is scored by

* the CRPS (continuous ranked probability score), in the figure's own units: the mean
  absolute error of a point forecast generalised to a distribution, so a sharp forecast in
  the right place scores best, and a sharp one in the wrong place worst;
* whether the figure falls inside the central 50% and 80% intervals of the samples, whose
  coverage over many figures says whether the forecasts are calibrated.

Only single figures are scored (`value_low == value_high`, see `point_value`). A range
("between 40 and 60") or an open bound ("at least 40") is not a count, and scoring its
midpoint would invent an observation the source did not print; for the count measures a
backtest forecasts, ranges are rare, so leaving them out loses little.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scoringrules as sr

SUMMARY_COLUMNS = ["method", "measure", "n", "crps", "cover50", "cover80", "skill"]


@dataclass(frozen=True)
class Score:
    """One forecast's score; the interval bounds are inclusive (see `score`)."""

    crps: float
    in50: bool
    in80: bool
    median: float
    lo80: float
    hi80: float


def point_value(value_low, value_high) -> float | None:
    """The figure a row printed if it is a single figure, None for a range or an open
    bound (a missing low or high): only single figures are scored or fitted."""
    low = pd.to_numeric(value_low, errors="coerce")
    high = pd.to_numeric(value_high, errors="coerce")
    if pd.isna(low) or pd.isna(high) or low != high:
        return None
    return float(low)


def score(samples: np.ndarray, observed: float) -> Score:
    """Score an ensemble of at least two samples against the observed figure.

    The CRPS is the fair estimator, unbiased for the CRPS of the distribution the samples
    were drawn from, whatever their number. The default ("qd") is the CRPS of the samples'
    empirical distribution, which is too high by E|X - X'| / (2n), so methods scored with
    different numbers of samples would not compare. scoringrules' "fair" builds an n x n
    matrix of differences (72 MB at 3,000 samples); "pwm" (probability weighted moments)
    gives the same value from the sorted samples, so it is used. For a point mass (all
    samples equal) every estimator gives the absolute error.

    Intervals are quantiles with numpy's "inverted_cdf" (the smallest sample value whose
    share of samples at or below it reaches q), so their bounds are values some sample
    had, and both bounds are inclusive: 50% is [q25, q75], 80% is [q10, q90]. For counts
    the intervals therefore cover at least their nominal share of the distribution, and
    more when counts are small (a Poisson of mean 0.5 has a 50% interval of [0, 1], which
    holds 91% of it), so coverage somewhat above nominal is expected there.
    """
    samples = np.asarray(samples, dtype=np.float64).ravel()
    if samples.size < 2:
        raise ValueError(f"scoring needs at least 2 samples, got {samples.size}")
    if not math.isfinite(observed):
        raise ValueError(f"the observed figure must be a finite number, got {observed!r}")
    crps = float(sr.crps_ensemble(observed, samples, estimator="pwm", backend="numpy"))
    qs = np.quantile(samples, [0.10, 0.25, 0.50, 0.75, 0.90], method="inverted_cdf")
    lo80, lo50, median, hi50, hi80 = (float(q) for q in qs)
    return Score(
        crps=crps,
        in50=lo50 <= observed <= hi50,
        in80=lo80 <= observed <= hi80,
        median=median,
        lo80=lo80,
        hi80=hi80,
    )


def summarise(scores: pd.DataFrame, reference: str = "persistence") -> pd.DataFrame:
    """Mean CRPS, interval coverage and the number of scored rows by method and measure,
    with the CRPS skill against the `reference` method on the same measure:
    1 - CRPS_method / CRPS_reference (above 0 is better than the reference, 1 is perfect).

    `scores` has one row per scored figure and method, with columns method, measure, crps,
    in50 and in80. A skill compares mean CRPS, so it means something only when both
    methods scored the same figures: a measure whose methods scored different numbers of
    rows raises ValueError. The skill is NaN where the reference did not score the measure
    or scored it perfectly (a mean CRPS of 0).
    """
    summary = (
        scores.groupby(["method", "measure"], sort=True)
        .agg(
            n=("crps", "size"),
            crps=("crps", "mean"),
            cover50=("in50", "mean"),
            cover80=("in80", "mean"),
        )
        .reset_index()
    )
    for measure, group in summary.groupby("measure"):
        if group["n"].nunique() > 1:
            counts = ", ".join(
                f"{m}: {n}" for m, n in zip(group["method"], group["n"], strict=True)
            )
            raise ValueError(
                f"methods scored different numbers of {measure!r} rows ({counts}); "
                "skill needs every method scored on the same rows"
            )
    ref = summary.loc[summary["method"] == reference].set_index("measure")["crps"]
    ref_crps = summary["measure"].map(ref)
    summary["skill"] = (1.0 - summary["crps"] / ref_crps).where(ref_crps > 0)
    return summary[SUMMARY_COLUMNS]
