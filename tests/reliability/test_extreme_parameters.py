"""Extreme but valid parameters: every parameter at a corner of its declared range, every
member cell at 0 or its declared maximum, over all 65 months, recorded without the
int32/float32 casts: nothing negative, non-finite or beyond what the stored dtype holds.
The figures are printed at the end of the session (conftest.py, pytest_terminal_summary).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.hypothesis_profile import CI
from resurgence.engine.compile import compile_model
from resurgence.engine.run import allocate, simulate_chunk
from resurgence.limits import MAX_LEVEL, MAX_MEMBERS
from resurgence.scenarios import load_scenario

ISK = load_scenario("isk")
FULL_MODEL = compile_model(ISK)  # all 65 months
INT32_MAX = np.iinfo(np.int32).max
FLOAT32_MAX = float(np.finfo(np.float32).max)
EXTREMES = {"samples": 0, "count": (0, ""), "float": (0.0, "")}  # the figures reported


# Derandomized: a corner with every count at its maximum simulates tens of millions of
# attacks a month, each in the severity law's tail drawn one by one, so the cost of one
# example ranges from a tenth of a second to about a minute; fixed examples keep the suite's
# time fixed (about 50 s under the `ci` profile on 2 cores).
@settings(
    max_examples=60 if CI else 6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_corners_over_the_whole_scenario_fit_the_stored_types(data, seed, reliability):
    """test_engine.py samples parameter corners over 30 months; here every parameter is at
    a corner of its declared range, every member cell at 0 or the declared maximum (10
    million), over all 65 months, recorded in 64 bits: no count may reach what int32 holds
    (the ensemble's dtype) and no float what float32 holds, nothing negative or NaN."""
    model = FULL_MODEL
    n = 4
    overrides = {
        name: np.full(n, spec.low if data.draw(st.booleans(), label=name) else spec.high)
        for name, spec in model.parameters.items()
    }
    cells = data.draw(
        st.lists(
            st.sampled_from([0, MAX_MEMBERS]),
            min_size=model.initial["members"].size,
            max_size=model.initial["members"].size,
        ),
        label="members",
    )
    members = np.array(cells, dtype=np.int64).reshape(model.initial["members"].shape)
    model = dataclasses.replace(model, initial={**model.initial, "members": members})
    stored = allocate(model, n)  # arrays of the ensemble's dtypes
    out = {
        name: np.zeros(arr.shape, np.int64 if arr.dtype.kind == "i" else np.float64)
        for name, arr in stored.items()
    }
    with np.errstate(over="raise"):
        simulate_chunk(model, 0, n, seed, 0, overrides, out)
    for name, values in out.items():
        if stored[name].dtype.kind == "i":
            assert values.min() >= 0, name
            assert values.max() < INT32_MAX, (name, values.max())
            EXTREMES["count"] = max(EXTREMES["count"], (int(values.max()), name))
        else:
            assert np.isfinite(values).all(), name
            assert np.abs(values).max() < FLOAT32_MAX, (name, np.abs(values).max())
            EXTREMES["float"] = max(EXTREMES["float"], (float(np.abs(values).max()), name))
    assert (out["reported_attacks"] <= out["attacks"]).all()
    EXTREMES["samples"] += 1
    (count, count_name), (real, real_name) = EXTREMES["count"], EXTREMES["float"]
    reliability["corners"] = (
        f"reliability: {EXTREMES['samples']} samples of every parameter at a corner of its "
        f"range and every member cell at 0 or {MAX_MEMBERS:,}, over {model.n_months} months "
        f"x {n} replicas: largest count {count:,} ({count_name}; int32 holds {INT32_MAX:,}), "
        f"largest float {real:.3g} ({real_name}; float32 holds {FLOAT32_MAX:.3g}); nothing "
        f"negative, NaN, infinite or overflowing"
    )


def test_a_valid_huge_treasury_stays_finite():
    """The largest treasury a scenario may declare stays finite; a larger one is refused."""
    for value, accepted in ((MAX_LEVEL, True), (1e300, False)):
        data = ISK.model_dump(by_alias=True)
        data["initial"]["treasury"] = value
        try:
            scenario = type(ISK).model_validate(data)
        except ValueError:
            assert not accepted
            continue
        assert accepted
        out = simulate_chunk(compile_model(scenario, n_months=6), 0, 2, 1, 0)
        assert np.isfinite(out["treasury"]).all()
