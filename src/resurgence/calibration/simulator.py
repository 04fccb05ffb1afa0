"""Simulate what the evidence's rows would print, for a batch of parameter sets.

One call simulates `n` replicas, replica i with parameter set i, over the months the rows
need, and returns an (n, rows) array: each row's figure as the measure's observation
model prints it (`observe.py`). Every measure, and every row's own error, draws from a
stream of its own, so the figures of one row do not depend on which other rows exist.
"""

from __future__ import annotations

import numpy as np

from resurgence import observe
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.engine.run import chunk_params, simulate_chunk
from resurgence.evidence.load import Row


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
    out = simulate_chunk(model, 0, n, seed, 0, overrides)
    params = chunk_params(model, 0, n, overrides)
    return row_values(model, rows, out, params, seed)
