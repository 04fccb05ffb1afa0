"""Forecast from an origin month: filter the evidence up to the origin, then project.

The scenario's timeline applies throughout (events before the origin shaped the filtered
state; events after it still happen in the projection). Without evidence up to the
origin the filter has nothing to weigh and the forecast is the model's own prediction.
The output has the summary schema of `resurgence run`, for the projected months, with one
variable per measure of the evidence's observation models (`attacks_claimed`,
`attacks_recorded`, `fighters` (a monthly estimate of the members, with the estimate's
log-normal error), and `fatalities`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from resurgence import observe
from resurgence.analysis.filtering import FilterModel, Particles
from resurgence.analysis.nowcast import nowcast
from resurgence.analysis.summary import COLUMNS, QUANTILE_COLUMNS, QUANTILES, OnlineSummary
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.core.state import FOCAL
from resurgence.evidence.load import Row


def project(
    model: Model,
    particles: Particles,
    first: int,
    last: int,
    seed: int,
    rows: list[Row] = (),
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, np.ndarray], Particles]:
    """Step equally weighted particles through months first..last; return the recorded
    arrays (replica, month, ...) and the particles, whose `figures` hold `rows`."""
    p = particles.copy()
    p.figures = np.zeros((p.n, len(rows)))
    engine = FilterModel(model, list(rows), seed, "forecast", first)
    obs_rng = engine.observe_rng
    months = last - first + 1
    s = p.state
    out = {
        "members": np.empty((p.n, months, *s.members.shape[1:]), dtype=np.int32),
        "treasury": np.empty((p.n, months), dtype=np.float32),
        "attacks": np.empty((p.n, months, *s.attacks.shape[1:]), dtype=np.int32),
    }
    out["deaths"] = np.empty((p.n, months, *s.deaths.shape[1:]), dtype=np.int32)
    for i, t in enumerate(range(first, last + 1)):
        engine.advance(p, t)
        for name, arr in out.items():
            arr[:, i] = getattr(p.state, name)
        if progress:
            progress(1)
    reported = model.reported
    out["reported_attacks"] = observe.report(out["attacks"], p.params, obs_rng, reported)
    return out, p


def measure_series(
    out: dict[str, np.ndarray], params: dict[str, np.ndarray], seed: int
) -> dict[str, np.ndarray]:
    """Each evidence measure's monthly series over all regions (replica, month)."""
    rng = streams.stream(seed, "forecast", "measures")
    series = {}
    for name, measure in observe.MEASURES.items():
        if measure.source not in out:
            continue
        values = observe.monthly(measure, out, params, rng).sum(axis=2)
        if measure.kind == "estimate":  # an analyst's estimate of each month: with its error
            values = values * observe.estimate_error(params, rng, values.shape)
            name = "fighters"
        series[name] = values
    return series


def forecast(
    model: Model,
    rows: list[Row],
    origin: int,
    horizon: int,
    particles: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Summary (the schema of `run`) of the months origin+1..origin+horizon, after
    filtering `rows` (those ending at or before the origin) through the origin."""
    filtered = nowcast(model, rows, particles, seed, months=origin + 1, progress=progress)
    last = min(origin + horizon, model.n_months - 1)
    out, p = project(model, filtered.particles, origin + 1, last, seed, progress=progress)
    months = model.months[origin + 1 : last + 1]
    summary = OnlineSummary(model.units, model.regions, len(months))
    summary.update(out)
    frames = [summary.frame(months)]
    focal = model.units[FOCAL]
    for name, values in measure_series(out, p.params, seed).items():
        qs = np.quantile(values.astype(np.float64), QUANTILES, axis=0, method="inverted_cdf")
        frame = pd.DataFrame({"month": months, "variable": name, "actor": focal, "region": "all"})
        frame["mean"] = values.mean(axis=0)
        for column, q in zip(QUANTILE_COLUMNS, qs, strict=True):
            frame[column] = q
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[COLUMNS]
