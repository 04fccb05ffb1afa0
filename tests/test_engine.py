"""Invariants of the engine: conservation, non-negativity, determinism, workers."""

from __future__ import annotations

import numpy as np
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resurgence.engine.compile import compile_model
from resurgence.engine.run import chunk_params, initial_state, run
from resurgence.processes import defection

COUNTS = ("members", "attacks", "reported_attacks", "losses", "attrition", "recruits")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    members=st.lists(st.integers(0, 5000), min_size=48, max_size=48),
    rates=st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6),
    relation=st.floats(-1.0, 1.0),
    unity=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_defection_conserves_members(model, members, rates, relation, unity, seed):
    state, p = initial_state(model, 1), chunk_params(model, 0, 1)
    state.members[0] = np.array(members).reshape(state.members.shape[1:])
    state.relation[:] = relation
    state.host_unity[:] = unity
    for (_, _, name), rate in zip(model.routes, rates, strict=True):
        p[name][:] = rate
    before = state.members.sum(axis=1).copy()
    defection.step(state, p, np.random.default_rng(seed), model)
    assert (state.members >= 0).all()
    assert (state.members.sum(axis=1) == before).all()


def _draw_parameters(model, data) -> dict[str, np.ndarray]:
    """A value for every parameter anywhere in its declared range, corners included."""
    values = {}
    for name, spec in model.parameters.items():
        corner = data.draw(st.sampled_from(["low", "high", "inside"]), label=name)
        if corner == "low":
            value = spec.low
        elif corner == "high":
            value = spec.high
        else:
            value = data.draw(st.floats(spec.low, spec.high), label=name)
        values[name] = np.full(8, value)
    return values


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_counts_stay_whole_finite_and_non_negative(isk, data, seed):
    model = compile_model(isk, n_months=30)
    overrides = _draw_parameters(model, data)
    ds = run(model, 8, seed, chunk_size=8, overrides=overrides)
    for name in COUNTS:
        assert (ds[name].values >= 0).all(), name
    for name in ds.data_vars:
        assert np.isfinite(ds[name].values).all(), name
    assert (ds["treasury"].values >= 0).all()
    assert (ds["reported_attacks"].values <= ds["attacks"].values).all()
    for name in ("cohesion", "posture", "visibility", "host_unity", "monitoring"):
        values = ds[name].values
        assert ((values >= 0) & (values <= 1)).all(), name


def test_same_seed_same_ensemble_and_other_seed_differs(model):
    a = run(model, 64, 11, chunk_size=32)
    b = run(model, 64, 11, chunk_size=32)
    c = run(model, 64, 12, chunk_size=32)
    xr.testing.assert_identical(a, b)
    assert not a["members"].equals(c["members"])


def test_results_do_not_depend_on_the_number_of_workers(model):
    serial = run(model, 90, 5, chunk_size=30, workers=1)
    parallel = run(model, 90, 5, chunk_size=30, workers=2)
    xr.testing.assert_identical(serial, parallel)


def test_a_replica_does_not_depend_on_how_many_others_run(model):
    """Chunk i is seeded by (seed, i): the first chunk is the same in a larger run."""
    small = run(model, 30, 9, chunk_size=30)
    large = run(model, 120, 9, chunk_size=30)
    xr.testing.assert_identical(small, large.isel(replica=slice(0, 30)))


def test_ensemble_has_named_dimensions(model):
    ds = run(model, 4, 1, chunk_size=4)
    assert ds["members"].dims == ("replica", "month", "actor", "region")
    assert ds["attacks"].dims == ("replica", "month", "region", "attack_type")
    assert ds["treasury"].dims == ("replica", "month")
    assert next(iter(ds["actor"].values)) == "isk"
    assert ds.sizes["month"] == model.n_months
    assert ds["month"].values[0] == "2021-08" and ds["month"].values[-1] == "2026-12"


def test_policies_change_outcomes_on_common_random_numbers(isk):
    from resurgence.scenarios import load_policy

    base = run(compile_model(isk, n_months=40), 200, 3, chunk_size=100)
    cut = compile_model(isk, [load_policy("no_funding", isk)], n_months=40)
    policy = run(cut, 200, 3, chunk_size=100)
    before = base["month"].values < "2024-01"
    # identical until the policy starts, on the same random numbers
    xr.testing.assert_identical(
        base["members"].isel(month=before), policy["members"].isel(month=before)
    )
    end = {"month": -1}
    assert policy["income"].isel(end).mean() < base["income"].isel(end).mean()


def test_focal_membership_balances_its_recorded_flows(isk):
    """members(t) - members(t-1) = recruits + arrivals - raid losses - leavers, every month
    without a scheduled change of the focal group's members."""
    model = compile_model(isk, n_months=40)
    ds = run(model, 40, 2, chunk_size=40)
    members = ds["members"].sel(actor="isk").sum("region").values.astype(np.int64)
    flows = (
        ds["recruits"].sum("region")
        + ds["defections"].sum("actor")
        - ds["losses"].sum("region")
        - ds["attrition"].sum("region")
    ).values
    scheduled = {
        e.month for e in isk.events if e.state == "members" and e.actor == isk.scenario.focal
    }
    months = list(ds["month"].values)
    checked = 0
    for t in range(1, len(months)):
        if months[t] not in scheduled:
            assert (members[:, t] - members[:, t - 1] == flows[:, t]).all(), months[t]
            checked += 1
    assert checked >= 30
