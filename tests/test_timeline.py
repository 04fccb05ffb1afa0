"""The flagship timeline: every event applies in its month."""

from __future__ import annotations

import numpy as np
import pytest

from resurgence.catalogue import PROCESSES
from resurgence.engine.run import chunk_params, initial_state
from resurgence.engine.step import step
from resurgence.months import month_offset


def _walk(model, n=4, seed=0):
    """Yield (month offset, state, params) after each month's step."""
    state, params = initial_state(model, n), chunk_params(model, 0, n)
    rngs = [np.random.default_rng(seed + i) for i in range(len(PROCESSES) + 1)]
    saved: dict = {}
    for t in range(model.n_months):
        step(state, params, t, model, rngs[0], rngs[1:], saved)
        yield t, state, params


def test_every_dated_fact_is_an_event_with_its_source(isk):
    assert len(isk.events) >= 20
    for event in isk.events:
        assert event.source, f"{event.month} {event.label}: no source sentence"
    months = {e.month for e in isk.events}
    for month in ("2021-08", "2021-12", "2022-05", "2023-01", "2023-02", "2023-09", "2023-11"):
        assert month in months


OUTCOMES = {"funding.transfer_scale", "funding.base_transfer", "treasury", "propaganda"}
"""What the processes must produce, never the timeline: money received or held, output."""


def test_no_event_writes_an_outcome_the_model_produces(isk):
    for event in isk.events:
        target = event.parameter or event.state
        assert target not in OUTCOMES, f"{event.month} {event.label} sets {target}"
        if event.state == "members":  # releases, detentions, moves: never the focal group's
            assert event.actor != isk.scenario.focal or "release" in event.label.lower()


def test_parameter_events_apply_in_their_month(isk, model):
    events = [e for e in isk.events if e.parameter is not None and e.op == "set"]
    by_month: dict[int, list] = {}
    for e in events:
        by_month.setdefault(month_offset(isk.scenario.start, e.month), []).append(e)
    assert by_month
    for t, _state, params in _walk(model):
        for e in by_month.get(t, []):
            value = params[e.parameter]
            if e.region:
                value = value[:, model.regions.index(e.region)]
            np.testing.assert_allclose(value, e.value, err_msg=f"{e.month} {e.label}")


def test_the_2023_stop_and_partial_recovery_come_from_their_causes(model):
    """Funding almost stops early in 2023 and partly recovers in the second half, below
    2021, out of the hub's crackdown, relocation, monitoring and the parent's decline."""
    income = {}
    for t, state, _params in _walk(model, n=400):
        income[model.months[t]] = float(np.median(state.income))
    before = np.mean([income[m] for m in ("2022-07", "2022-08", "2022-09", "2022-10")])
    stop = np.mean([income[m] for m in ("2023-02", "2023-03")])
    after = np.mean([income[m] for m in ("2023-08", "2023-09", "2023-10", "2023-11")])
    assert stop < 0.1 * before
    assert 3 * stop < after < 0.6 * income["2021-09"]


def test_until_restores_the_previous_value(model):
    push = {}
    for t, _state, params in _walk(model):
        push[model.months[t]] = params["ally.push"][0]
    assert push["2022-05"] == 0.0
    assert push["2022-06"] == pytest.approx(0.03)
    assert push["2023-02"] == pytest.approx(0.03)
    assert push["2023-03"] == 0.0


def test_state_events_apply_in_their_month(model):
    hub = model.hubs.index("turkey")
    h, t_ = model.entities.index("taliban"), model.entities.index("ttp")
    seen = {}
    for t, state, _params in _walk(model):
        seen[model.months[t]] = (
            state.hub_crackdown[0, hub],
            state.relation_anchor[0, h, t_],
            state.expulsions[0],
            state.recognition[0],
        )
    assert seen["2022-05"][0] == pytest.approx(0.2)
    assert seen["2022-06"][0] == pytest.approx(0.3)
    assert seen["2022-12"][0] == pytest.approx(0.3)
    assert seen["2023-01"][0] == pytest.approx(0.9)
    assert seen["2023-08"][1] == pytest.approx(-0.1)
    assert seen["2023-09"][1] == pytest.approx(-0.6)
    assert seen["2023-10"][2] == 0.0 and seen["2023-11"][2] == 1.0
    assert seen["2023-11"][3] == 0.0 and seen["2023-12"][3] == pytest.approx(0.2)


def test_members_events_apply_in_their_month(model):
    etim = model.units.index("etim")
    ne, rest = model.regions.index("north_east"), model.regions.index("rest")
    isk_total = {}
    etim_ne = {}
    for t, state, _params in _walk(model, n=200):
        isk_total[model.months[t]] = state.members[:, 0, :].sum(axis=1).mean()
        etim_ne[model.months[t]] = (
            state.members[:, etim, ne].mean(),
            state.members[:, etim, rest].mean(),
        )
    initial = model.initial["members"][0].sum()
    # prison releases at the takeover: about 1,600 more in the first month
    assert isk_total["2021-08"] > initial + 1400
    # ETIM moved away from Badakhshan in October 2021
    assert etim_ne["2021-10"][0] < 0.35 * etim_ne["2021-09"][0]
    assert etim_ne["2021-10"][1] > etim_ne["2021-09"][1] + 150
