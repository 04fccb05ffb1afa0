"""Simulate what the evidence's rows would print, for a batch of parameter sets.

One call simulates `n` replicas, replica i with parameter set i, over the months the rows
need, and returns an (n, rows) array: each row's figure as the measure's observation
model prints it (`observe.py`). Every measure, and every row's own error, draws from a
stream of its own, so the figures of one row do not depend on which other rows exist.
"""

from __future__ import annotations

import numpy as np

from resurgence import observe
from resurgence.engine.compile import Model
from resurgence.engine.run import chunk_params, simulate_chunk
from resurgence.evidence.load import Row

MEASURE_STREAM, ROW_STREAM = 1000, 2000  # spawn keys beyond those of the engine's streams


def stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, *key)))


def row_values(
    model: Model,
    rows: list[Row],
    out: dict[str, np.ndarray],
    params: dict[str, np.ndarray],
    seed: int,
) -> np.ndarray:
    """Each row's printed figure for the replicas of `out` (n, rows)."""
    n = out["treasury"].shape[0]
    series: dict[tuple[str, int], np.ndarray] = {}
    values = np.empty((n, len(rows)))
    names = list(observe.MEASURES)
    for r, row in enumerate(rows):
        measure = observe.MEASURES[row.measure]
        key = (row.measure, row.unit)
        if key not in series:
            rng = stream(seed, MEASURE_STREAM, names.index(row.measure), row.unit)
            series[key] = observe.monthly(measure, out, params, rng, row.unit)
        values[:, r] = observe.period_value(
            measure,
            series[key],
            slice(row.start, row.end + 1),
            row.regions,
            params,
            stream(seed, ROW_STREAM, row.index),
        )
    return values


def simulate_rows(
    model: Model, rows: list[Row], overrides: dict[str, np.ndarray], seed: int
) -> np.ndarray:
    """Simulate one replica per parameter set of `overrides` (arrays of shape (n,)) and
    return the rows' figures (n, rows). `model` must cover the rows' months."""
    n = len(next(iter(overrides.values())))
    out = simulate_chunk(model, 0, n, seed, 0, overrides)
    params = chunk_params(model, 0, n, overrides)
    return row_values(model, rows, out, params, seed)
