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
from resurgence.analysis.filtering import BLOCK, FilterModel, Particles, workspace
from resurgence.analysis.nowcast import filter_months
from resurgence.analysis.summary import COLUMNS, QUANTILE_COLUMNS, QUANTILES, OnlineSummary
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.core.state import FOCAL
from resurgence.engine.run import chunk_bounds
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
    """Step equally weighted particles through months first..last, on the workers of
    their workspace; return the recorded arrays (replica, month, ...) and the particles,
    whose `figures` hold `rows`."""
    p = particles.take(np.arange(particles.n), rows=len(rows))
    engine = FilterModel(model, list(rows), seed, "forecast", first, space=particles.space)
    months = last - first + 1
    shape = particles.space.shape  # per particle; reading p.state would gather it here
    out = {
        "members": np.empty((p.n, months, *shape("members")), dtype=np.int32),
        "treasury": np.empty((p.n, months), dtype=np.float32),
        "attacks": np.empty((p.n, months, *shape("attacks")), dtype=np.int32),
        "deaths": np.empty((p.n, months, *shape("deaths")), dtype=np.int32),
    }
    for i, t in enumerate(range(first, last + 1)):
        engine.advance(p, t)
        state = p.state
        for name, arr in out.items():
            arr[:, i] = getattr(state, name)
        if progress:
            progress(1)
    reported, params = model.reported, p.params
    out["reported_attacks"] = np.concatenate(
        [
            observe.report(
                out["attacks"][lo:hi],
                {k: v[lo:hi] for k, v in params.items()},
                engine.streams(b).observe,
                reported,
            )
            for b, (lo, hi) in enumerate(chunk_bounds(p.n, BLOCK))
        ]
    )
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
    workers: int = 1,
) -> pd.DataFrame:
    """Summary (the schema of `run`) of the months origin+1..origin+horizon, after
    filtering `rows` (those ending at or before the origin) through the origin, the
    particles stepped on `workers` processes (the result does not depend on it)."""
    last = min(origin + horizon, model.n_months - 1)
    with workspace(model, workers) as space:
        filtered = filter_months(space, rows, particles, seed, months=origin + 1, progress=progress)
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
