"""Simulate what the evidence's rows would print, for a batch of parameter sets.

One call simulates `n` replicas, replica i with parameter set i, over the months the rows
need, and returns an (n, rows) array: each row's figure as the measure's observation
model prints it (`observe.py`). Every measure, and every row's own error, draws from a
stream of its own, so the figures of one row do not depend on which other rows exist.

A calibration simulates hundreds of thousands of replicas, so the simulation keeps only
what the rows observe: it steps a chunk as `engine.run.simulate_chunk` does, from the
same streams (the same replicas), but records only the outputs the rows' measures read
and skips the run's own reported attacks, about a tenth of a chunk's time.
"""

from __future__ import annotations

import numpy as np

from resurgence import observe
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.core.state import RECORDED
from resurgence.engine.run import chunk_params, chunk_streams, initial_state
from resurgence.engine.step import step
from resurgence.evidence.load import Row


def row_values(
    model: Model,
    rows: list[Row],
    out: dict[str, np.ndarray],
    params: dict[str, np.ndarray],
    seed: int,
) -> np.ndarray:
    """Each row's printed figure for the replicas of `out` (n, rows)."""
    n = next(iter(out.values())).shape[0]
    series: dict[tuple[str, int], np.ndarray] = {}
    values = np.empty((n, len(rows)))
    for r, row in enumerate(rows):
        measure = observe.MEASURES[row.measure]
        key = (row.measure, row.unit)
        if key not in series:
            rng = streams.stream(seed, "calibration", "measure", row.measure, row.unit)
            series[key] = observe.monthly(measure, out, params, rng, row.unit)
        values[:, r] = observe.period_value(
            measure,
            series[key],
            slice(row.start, row.end + 1),
            row.regions,
            params,
            streams.stream(seed, "calibration", "row", row.index),
        )
    return values


def simulate_rows(
    model: Model, rows: list[Row], overrides: dict[str, np.ndarray], seed: int
) -> np.ndarray:
    """Simulate one replica per parameter set of `overrides` (arrays of shape (n,)) and
    return the rows' figures (n, rows). `model` must cover the rows' months."""
    n = len(next(iter(overrides.values())))
    event_rng, _, process_rngs = chunk_streams(seed, "run", 0)
    params = chunk_params(model, 0, n, overrides)
    state = initial_state(model, n)
    out = {}
    for name in sorted({observe.MEASURES[row.measure].source for row in rows}):
        shape = getattr(state, name).shape[1:]
        out[name] = np.empty((n, model.n_months, *shape), dtype=RECORDED[name].recorded)
    saved: dict[int, np.ndarray] = {}
    for t in range(model.n_months):
        step(state, params, t, model, event_rng, process_rngs, saved)
        for name, arr in out.items():
            arr[:, t] = getattr(state, name)
    return row_values(model, rows, out, chunk_params(model, 0, n, overrides), seed)
