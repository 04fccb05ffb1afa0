"""Backtest: forecasts from rolling origins, scored against what was then printed.

One pass of the particle filter runs through the evidence. At each origin (from the last
training month, every `step` months), the filtered particles are forked and projected
`horizon` months; every row that starts after the origin and ends within the horizon is
a target, scored for the model by the CRPS and by the coverage of its 50% and 80%
intervals (`scoring.py`). The baselines (`baselines.py`) are fitted at each origin on the
rows of the same measure, area and actor that the model can use and that end at or
before it, so model and baselines see the same training data. Targets are count figures
printed as one number; a target no baseline can be fitted for (no earlier figure of its
measure and area) is left out for every method and counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from resurgence import observe
from resurgence.analysis.baselines import fit_baselines
from resurgence.analysis.filtering import (
    FilterModel,
    Workspace,
    resample_rng,
    systematic,
    workspace,
)
from resurgence.analysis.forecast import project
from resurgence.analysis.scoring import score, summarise
from resurgence.core.model import Model
from resurgence.evidence.load import Row

SAMPLES = 1000  # baseline samples per target


@dataclass
class Backtest:
    scores: pd.DataFrame  # one row per origin, target and method
    table: pd.DataFrame  # per method and measure: n, crps, cover50, cover80, skill
    unscored: pd.DataFrame  # targets left out, with the reason


def backtest(
    model: Model,
    evidence: pd.DataFrame,
    rows: list[Row],
    train_until: int,
    horizon: int,
    particles: int,
    seed: int,
    *,
    step: int = 1,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> Backtest:
    """Score forecasts from origins train_until, train_until + step, ... (month offsets),
    the particles stepped on `workers` processes (the result does not depend on it)."""
    with workspace(model, workers) as space:
        return _backtest(
            space, evidence, rows, train_until, horizon, particles, seed, step, progress
        )


def _backtest(
    space: Workspace,
    evidence: pd.DataFrame,
    rows: list[Row],
    train_until: int,
    horizon: int,
    particles: int,
    seed: int,
    step: int,
    progress: Callable[[int], None] | None,
) -> Backtest:
    model = space.model
    last = max(r.end for r in rows)
    origins = set(range(train_until, last, step))
    engine = FilterModel(model, rows, seed, space=space)
    rng = resample_rng(seed, "backtest")  # ancestors and baseline samples
    p = engine.start(particles)
    scored, unscored = [], []
    for t in range(last):
        engine.advance(p, t)
        engine.weigh(p, t, lambda row: True)
        if t in origins:
            targets = [
                r
                for r in rows
                if r.start > t
                and r.end <= t + horizon
                and r.exact
                and observe.MEASURES[r.measure].kind == "count"
            ]
            if targets:
                start = p.take(systematic(p.weights(), rng))
                _, q = project(model, start, t + 1, max(r.end for r in targets), seed, targets)
                for j, target in enumerate(targets):
                    outcome = _score_target(model, evidence, rows, target, t, q.figures[:, j], rng)
                    (scored if isinstance(outcome, list) else unscored).append(outcome)
        if p.ess() < particles / 2:
            p = p.take(systematic(p.weights(), rng))
        if progress:
            progress(1)
    scores = pd.DataFrame([s for group in scored for s in group])
    table = summarise(scores) if not scores.empty else pd.DataFrame()
    return Backtest(scores, table, pd.DataFrame(unscored, columns=["origin", "target", "reason"]))


def _score_target(model, evidence, rows: list[Row], target: Row, origin: int, samples, rng):
    """The target's scores for the model and each baseline, or (origin, target, reason).

    The baselines train on the rows the model can use too (resolved against the scenario)
    of the target's measure, area and actor that end at or before the origin, so both see
    the same training data."""
    month = model.months[origin]
    row = evidence.iloc[target.index]
    same = [
        r.index
        for r in rows
        if r.measure == target.measure
        and r.unit == target.unit
        and np.array_equal(r.regions, target.regions)
        and r.end <= origin
    ]
    train = evidence.iloc[same]
    try:
        baselines = fit_baselines(train, measure=target.measure, origin=month)
    except ValueError as exc:
        return (month, target.label, str(exc))
    months = target.end - target.start + 1
    gap = target.start - origin - 1
    forecasts = {"model": samples}
    for name, baseline in baselines.items():
        forecasts[name] = baseline.sample(rng, months, gap, n=SAMPLES)
    out = []
    for method, values in forecasts.items():
        s = score(np.asarray(values, dtype=np.float64), float(target.low))
        out.append(
            {
                "origin": month,
                "target": target.label,
                "line": int(row["line"]),
                "measure": target.measure,
                "months": months,
                "lead": gap + months,
                "observed": float(target.low),
                "method": method,
                "crps": s.crps,
                "in50": s.in50,
                "in80": s.in80,
                "median": s.median,
                "lo80": s.lo80,
                "hi80": s.hi80,
            }
        )
    return out
