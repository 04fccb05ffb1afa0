"""The state is declared once (core/state.py) and everything else follows from it."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from resurgence.core.model import CompiledEvent
from resurgence.core.state import EVENT_TARGETS, RECORDED, SCENARIO_SCALARS, VARIABLES
from resurgence.engine.compile import compile_model
from resurgence.engine.run import initial_state, run
from resurgence.engine.step import apply_event
from resurgence.scenarios.schema import Initial


def test_every_state_variable_an_event_may_change_has_bounds_and_a_description():
    for name, spec in VARIABLES.items():
        assert spec.doc, name
        if spec.target:
            assert spec.bounds is not None, name


@pytest.mark.parametrize(("name", "factor"), [("cohesion", 5.0), ("treasury", -1.0)])
def test_an_event_is_clipped_to_the_declared_bounds(isk, name, factor):
    model = compile_model(isk, n_months=3)
    state = initial_state(model, 3)
    getattr(state, name)[:] = 0.9
    event = CompiledEvent(0, name, name, "multiply", factor, None, "test")
    apply_event(state, {}, event, model, np.random.default_rng(0), {})
    low, high = VARIABLES[name].bounds
    assert (getattr(state, name) == np.clip(0.9 * factor, low, high)).all()


def test_the_initial_state_has_the_declared_dims_dtypes_and_values(isk):
    model = compile_model(isk, n_months=3)
    state = initial_state(model, 4)
    sizes = model.sizes
    for name, spec in VARIABLES.items():
        arr = getattr(state, name)
        assert arr.shape == (4, *(sizes[d] for d in spec.dims)), name
        assert arr.dtype == np.dtype(spec.dtype), name
    assert (state.cohesion == isk.initial.cohesion).all()
    assert (state.relation_anchor == state.relation).all()
    assert np.isnan(state.pool).all() and (state.paid_fraction == 1.0).all()


def test_the_ensemble_records_what_the_specification_says(isk):
    model = compile_model(isk, n_months=3)
    ds = run(model, 5, 1)
    assert set(ds.data_vars) == {*RECORDED, "reported_attacks"}
    for name, spec in RECORDED.items():
        assert ds[name].dtype == np.dtype(spec.recorded), name
        assert ds[name].dims == ("replica", "month", *spec.dims), name
        assert ds[name].attrs["description"] == spec.doc


def test_the_scenario_initial_table_follows_the_specification(isk):
    """A scalar left out starts at its declared default; one outside its declared bounds
    is refused, naming the field."""
    given = isk.initial.model_dump()
    unset = Initial.model_validate({k: v for k, v in given.items() if k != "cohesion"})
    model = compile_model(isk.model_copy(update={"initial": unset}), n_months=2)
    assert (initial_state(model, 2).cohesion == VARIABLES["cohesion"].default).all()
    for name in SCENARIO_SCALARS:
        low, high = VARIABLES[name].bounds
        for outside in (low - 1.0, high + 1.0):
            with pytest.raises(ValidationError, match=name):
                Initial.model_validate(given | {name: outside})
    assert {"members", "capacity", "hub_crackdown", "relation"} <= set(EVENT_TARGETS)
