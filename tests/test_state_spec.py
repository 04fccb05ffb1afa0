"""The state is declared once (core/state.py) and everything else follows from it."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from resurgence.core.state import (
    EVENT_TARGETS,
    RECORDED,
    SCENARIO_SCALARS,
    VARIABLES,
    State,
)
from resurgence.engine.compile import compile_model
from resurgence.engine.run import initial_state, run
from resurgence.scenarios.schema import Initial


def test_every_state_field_has_its_specification():
    assert [f.name for f in fields(State)] == list(VARIABLES)
    for name, spec in VARIABLES.items():
        assert spec.doc, name
        if spec.target:
            assert spec.bounds is not None, name


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


def test_the_scenario_initial_table_and_event_targets_come_from_the_specification():
    for name in SCENARIO_SCALARS:
        field = Initial.model_fields[name]
        assert field.default == VARIABLES[name].default, name
    assert set(SCENARIO_SCALARS) <= set(EVENT_TARGETS)
    assert {"members", "capacity", "hub_crackdown", "relation"} <= set(EVENT_TARGETS)
