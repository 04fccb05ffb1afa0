"""Nowcast: the group's latent strength month by month, given evidence, and why the
expected attacks changed.

The particle filter (`filtering.py`) runs from the scenario's start through the last
month asked for; each month it records weighted bands of the latent state (members,
treasury, posture, cohesion) and of the expected attacks, and splits the month's change
in expected attacks by cause (`drivers.py`). The split is per particle along its own
path (each particle carries last month's factors through resampling), averaged with the
filter's weights; what the evidence itself changes (reweighting the particles) is a
separate `revision` column, so the parts plus the revision add up to the change in the
filtered mean. After resampling, the change is counted from the resampled particles'
mean, so resampling noise does not show as revision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from resurgence.analysis import drivers
from resurgence.analysis.filtering import (
    FilterModel,
    Particles,
    Workspace,
    resample_rng,
    systematic,
    weighted_quantiles,
    workspace,
)
from resurgence.core.model import Model
from resurgence.core.state import FOCAL
from resurgence.evidence.load import Row

BAND_QUANTILES = (0.10, 0.50, 0.90)
LATENT = ("members", "treasury", "posture", "cohesion", "expected_attacks")


@dataclass
class Nowcast:
    bands: pd.DataFrame  # month, variable, mean, q10, q50, q90
    decomposition: pd.DataFrame  # month, expected, change, one column per factor, revision
    ess: np.ndarray  # effective sample size after each month's weighting
    particles: Particles  # at the end, equally weighted


def latent_values(p: Particles, f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    s = p.state
    return {
        "members": s.members[:, FOCAL, :].sum(axis=1).astype(np.float64),
        "treasury": s.treasury,
        "posture": s.posture,
        "cohesion": s.cohesion,
        "expected_attacks": f["expected"],
    }


def nowcast(
    model: Model,
    rows: list[Row],
    particles: int,
    seed: int,
    *,
    months: int | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> Nowcast:
    """Filter `particles` particles through the first `months` months (default: all),
    their blocks stepped on `workers` processes (the result does not depend on it)."""
    with workspace(model, workers) as space:
        return filter_months(space, rows, particles, seed, months=months, progress=progress)


def filter_months(
    space: Workspace,
    rows: list[Row],
    particles: int,
    seed: int,
    *,
    months: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Nowcast:
    """`nowcast` in a workspace the caller keeps, to go on from its particles."""
    model = space.model
    months = model.n_months if months is None else months
    labels = model.months  # computed on each access
    engine = FilterModel(model, rows, seed, space=space)
    ancestors_rng = resample_rng(seed)
    p = engine.start(particles)
    previous, before_mean = None, 0.0  # the split starts with the second month
    band_rows, split_rows, ess = [], [], []
    month = engine.submit(p, 0, drivers=True)
    for t in range(months):
        current = month()
        engine.weigh(p, t, lambda row: True)
        w = p.weights()
        latent = {k: v.copy() for k, v in latent_values(p, current).items()}
        weighted = current
        mean_now = float(w @ current["expected"])
        ess.append(p.ess())
        if ess[-1] < particles / 2:
            index = systematic(w, ancestors_rng)
            p = p.take(index)
            current = {k: v[index] for k, v in current.items()}
        if t + 1 < months:  # the workers step the next month while this one is summarised
            month = engine.submit(p, t + 1, drivers=True)
        if previous is not None:
            parts = drivers.lmdi(previous, weighted)
            moved = float(w @ (weighted["expected"] - previous["expected"]))
            split_rows.append(
                {
                    "month": labels[t],
                    "expected": mean_now,
                    "change": mean_now - before_mean,
                    **{f: float(w @ parts[f]) for f in drivers.FACTORS},
                    "revision": (mean_now - before_mean) - moved,
                }
            )
        for name, values in latent.items():
            q = weighted_quantiles(values, w, BAND_QUANTILES)
            band_rows.append((labels[t], name, float(w @ values), *q))
        if current is not weighted:
            mean_now = float(current["expected"].mean())  # the resampled particles' mean
        previous, before_mean = current, mean_now
        if progress:
            progress(1)
    if p.logw.any():
        p = p.take(systematic(p.weights(), ancestors_rng))
    bands = pd.DataFrame(band_rows, columns=["month", "variable", "mean", "q10", "q50", "q90"])
    return Nowcast(bands, pd.DataFrame(split_rows), np.array(ess), p)
