"""Calibration gives the same posterior on any number of workers, and its simulator's
figures are those of the engine's own chunk."""

from __future__ import annotations

import numpy as np
import pytest

from resurgence.calibration.free import free_parameters
from resurgence.calibration.simulator import row_values, simulate_rows
from resurgence.calibration.smc import calibrate
from resurgence.core import streams
from resurgence.engine.compile import compile_model
from resurgence.engine.run import chunk_params, simulate_chunk
from resurgence.evidence.load import builtin_evidence, read_evidence, resolve
from resurgence.scenarios import load_scenario


@pytest.fixture(scope="module")
def problem():
    spec = load_scenario("isk")
    evidence = read_evidence(builtin_evidence("isk"))
    resolved = resolve(evidence, spec, compile_model(spec), until="2022-12")
    model = compile_model(spec, n_months=resolved.last_month + 1)
    return model, resolved.rows, free_parameters(spec)


def test_the_simulator_prints_the_figures_of_a_whole_chunk(problem):
    """It records only what the rows read, from the chunk's own streams: the same
    replicas, so the same figures."""
    model, rows, free = problem
    rng = streams.stream(3, "design", "test")
    overrides = {p.name: p.sample(40, rng) for p in free}
    out = simulate_chunk(model, 0, 40, 9, 0, overrides)
    whole = row_values(model, rows, out, chunk_params(model, 0, 40, overrides), 9)
    np.testing.assert_array_equal(simulate_rows(model, rows, overrides, 9), whole)


def test_calibration_is_the_same_on_one_or_two_workers(problem):
    model, rows, free = problem
    settings = {"samples": 60, "populations": 2, "batch_size": 150, "seed": 5}
    (one, records1), (two, records2) = (
        calibrate(model, rows, free, workers=w, **settings) for w in (1, 2)
    )
    np.testing.assert_array_equal(one.values, two.values)
    np.testing.assert_array_equal(one.weights, two.weights)
    assert [r.tolerance for r in records1] == [r.tolerance for r in records2]
