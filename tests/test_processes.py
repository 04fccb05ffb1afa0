"""Each process on cases that can be computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from resurgence import observe
from resurgence.processes import (
    ally,
    cohesion,
    counterterrorism,
    defection,
    funding,
    host,
    operations,
    payroll,
    perception,
    posture,
    propaganda,
    recruitment,
    revenue,
    shocks,
    sponsor,
)


def test_sponsor_declines_at_its_rate_without_volatility(chunk, model, rng):
    state, p = chunk
    p["sponsor.volatility"][:] = 0.0
    p["sponsor.decline_rate"][:] = 0.02
    sponsor.step(state, p, rng, model)
    np.testing.assert_allclose(state.sponsor_resources, np.exp(-0.02))


def _clear_funding(state, p):
    state.hub_crackdown[:] = 0.0
    state.monitoring[:] = 0.0
    state.fragmentation[:] = 0.0
    state.visibility[:] = 1.0
    state.sponsor_resources[:] = 1.0
    state.treasury[:] = 0.0
    p["funding.base_transfer"][:] = 500.0
    p["funding.transfer_scale"][:] = 0.5


def test_funding_delivers_the_transfer_when_nothing_interdicts(chunk, model, rng):
    state, p = chunk
    _clear_funding(state, p)
    funding.step(state, p, rng, model)
    np.testing.assert_allclose(state.income, 250.0)
    np.testing.assert_allclose(state.treasury, 250.0)


def test_funding_hub_crackdown_interdicts_and_triggers_relocation(chunk, model, rng):
    state, p = chunk
    _clear_funding(state, p)
    state.hub_crackdown[:, 0] = 1.0  # the channel's first hub
    p["funding.hub_interdiction"][:] = 0.9
    p["funding.relocation_lag"][:] = 1.0  # completes the month after it starts
    p["funding.fragmentation_rate"][:] = 0.0
    funding.step(state, p, rng, model)
    np.testing.assert_allclose(state.income, 25.0)  # 10% of 250 gets through
    assert state.relocating.all()
    funding.step(state, p, rng, model)
    # relocating this month: the flow is cut by relocation_loss, then the move completes
    np.testing.assert_allclose(state.income, 25.0 * (1 - p["funding.relocation_loss"][0]))
    assert (state.channel_hub == 1).all() and not state.relocating.any()
    funding.step(state, p, rng, model)
    np.testing.assert_allclose(state.income, 250.0)  # the new hub is quiet


def test_funding_fragmentation_grows_under_interdiction_and_evades_it(chunk, model, rng):
    state, p = chunk
    _clear_funding(state, p)
    state.monitoring[:] = 1.0
    p["counterterrorism.monitoring_depth"][:] = 0.5
    p["funding.fragmentation_rate"][:] = 0.2
    funding.step(state, p, rng, model)
    np.testing.assert_allclose(state.fragmentation, 0.2 * 0.5)
    first = state.income.copy()
    state.fragmentation[:] = 1.0
    p["funding.fragmentation_cost"][:] = 0.0
    funding.step(state, p, rng, model)
    assert (state.income > first).all()


def test_revenue_is_per_member_without_noise(chunk, model, rng):
    state, p = chunk
    p["revenue.noise"][:] = 0.0
    p["revenue.ally_taxation"][:] = 0.0
    state.posture[:] = 0.0
    state.paid_fraction[:] = 1.0
    state.treasury[:] = 0.0
    revenue.step(state, p, rng, model)
    expected = p["revenue.per_member"] * state.members[:, 0, :].sum(axis=1)
    np.testing.assert_allclose(state.revenue, expected)
    np.testing.assert_allclose(state.treasury, expected)


def test_payroll_pays_in_full_when_rich_and_nothing_when_broke(chunk, model, rng):
    state, p = chunk
    p["payroll.attrition_base"][:] = 0.0
    p["payroll.unpaid_attrition"][:] = 0.0
    state.posture[:] = 0.0
    state.treasury[:] = 1e9
    total = state.members[:, 0, :].sum(axis=1)
    bill = (
        total * p["payroll.salary"]
        + total / p["posture.cell_size_overt"] * p["payroll.logistics_per_cell"]
    )
    payroll.step(state, p, rng, model)
    np.testing.assert_allclose(state.paid_fraction, 1.0)
    np.testing.assert_allclose(state.treasury, 1e9 - bill)
    state.treasury[:] = 0.0
    state.arrears[:] = 0.0
    payroll.step(state, p, rng, model)
    np.testing.assert_allclose(state.paid_fraction, 0.0)
    np.testing.assert_allclose(state.arrears, 1.0)
    assert (state.members[:, 0, :].sum(axis=1) == total).all()  # no attrition configured


def test_payroll_unpaid_members_leave(chunk, model, rng):
    state, p = chunk
    p["payroll.attrition_base"][:] = 0.0
    p["payroll.unpaid_attrition"][:] = 0.3
    p["payroll.arrears_memory"][:] = 0.0  # strain = this month's unpaid share
    state.treasury[:] = 0.0
    before = state.members[:, 0, :].sum()
    payroll.step(state, p, rng, model)
    left = state.attrition.sum()
    assert state.members[:, 0, :].sum() == before - left
    assert left == pytest.approx(0.3 * before, rel=0.05)


def test_cohesion_update(chunk, model, rng):
    state, p = chunk
    state.cohesion[:] = 0.5
    state.paid_fraction[:] = 1.0
    state.arrears[:] = 0.0
    state.visibility[:] = 1.0
    cohesion.step(state, p, rng, model)
    np.testing.assert_allclose(state.cohesion, 0.5 + p["cohesion.recovery"] * 0.5)


def test_posture_moves_toward_target_and_sets_cell_size(chunk, model, rng):
    state, p = chunk
    state.losses[:] = 0
    state.posture[:] = 0.0
    p["posture.target"][:] = 1.0
    p["posture.adjust_rate"][:] = 0.25
    posture.step(state, p, rng, model)
    np.testing.assert_allclose(state.posture, 0.25)
    expected = 0.75 * p["posture.cell_size_overt"] + 0.25 * p["posture.cell_size_underground"]
    np.testing.assert_allclose(posture.cell_size(state, p), expected)


def test_counterterrorism_capacity_and_no_raids_abroad(chunk, model, rng):
    state, p = chunk
    p["counterterrorism.manpower_growth"][:] = 0.5
    before = state.capacity.copy()
    counterterrorism.step(state, p, rng, model)
    ceiling = p["counterterrorism.capacity_ceiling"]
    np.testing.assert_allclose(state.capacity, before + 0.5 * (ceiling - before))
    abroad = model.region_tags["abroad"]
    assert abroad.any() and (state.losses[:, abroad] == 0).all()
    assert state.losses.sum() > 0


def test_counterterrorism_without_lethality_removes_nobody(chunk, model, rng):
    state, p = chunk
    p["counterterrorism.lethality_indiscriminate"][:] = 0.0
    p["counterterrorism.lethality_intel"][:] = 0.0
    before = state.members.copy()
    counterterrorism.step(state, p, rng, model)
    assert (state.members == before).all() and state.losses.sum() == 0


def test_small_cells_lose_fewer_members_to_raids(model, rng):
    from resurgence.engine.run import chunk_params, initial_state

    losses = {}
    for level in (0.0, 1.0):
        state, p = initial_state(model, 2000), chunk_params(model, 0, 2000)
        state.posture[:] = level
        counterterrorism.step(state, p, np.random.default_rng(1), model)
        losses[level] = state.losses.sum()
    assert losses[1.0] < 0.6 * losses[0.0]


def test_operations_need_members_and_cost_money(chunk, model, rng):
    state, p = chunk
    state.treasury[:] = 1e6
    operations.step(state, p, rng, model)
    spent = 1e6 - state.treasury
    np.testing.assert_allclose(spent, state.attacks.sum(axis=1) @ model.attack_cost)
    assert state.attacks.sum() > 0
    state.members[:, 0, :] = 0
    operations.step(state, p, rng, model)
    assert state.attacks.sum() == 0


def test_operations_broke_group_does_only_unfunded_attacks(model):
    from resurgence.engine.run import chunk_params, initial_state

    mean = {}
    for treasury in (0.0, 1e9):
        state, p = initial_state(model, 4000), chunk_params(model, 0, 4000)
        state.treasury[:] = treasury
        operations.step(state, p, np.random.default_rng(2), model)
        mean[treasury] = state.attacks.sum(axis=(1, 2)).mean()
    ratio = mean[0.0] / mean[1e9]
    assert ratio == pytest.approx(p["operations.unfunded_share"][0], abs=0.03)


def test_perception_without_attacks_fades(chunk, model, rng):
    state, p = chunk
    state.attacks[:] = 0
    state.visibility[:] = 0.8
    p["perception.memory"][:] = 0.5
    perception.step(state, p, rng, model)
    np.testing.assert_allclose(state.visibility, 0.4)


def test_propaganda_expands_with_inactivity_and_falls_when_broke(chunk, model, rng):
    state, p = chunk
    state.treasury[:] = 1e6
    state.visibility[:] = 1.0
    propaganda.step(state, p, rng, model)
    np.testing.assert_allclose(state.propaganda, p["propaganda.base"])
    state.visibility[:] = 0.0
    propaganda.step(state, p, rng, model)
    np.testing.assert_allclose(state.propaganda, p["propaganda.base"] + p["propaganda.offset"])
    state.treasury[:] = 0.0
    propaganda.step(state, p, rng, model)
    np.testing.assert_allclose(state.propaganda, 0.0)


def test_host_unity_update(chunk, model, rng):
    state, p = chunk
    state.host_unity[:] = 0.5
    state.expulsions[:] = 0.0
    state.monitoring[:] = 0.0
    p["host.ally_ban_enforcement"][:] = 0.0
    p["host.tension"][:] = 0.02
    host.step(state, p, rng, model)
    expected = 0.5 + p["host.unity_recovery"] * (p["host.unity_target"] - 0.5) - 0.02
    np.testing.assert_allclose(state.host_unity, expected)


def test_ally_moves_conserve_members(chunk, model, rng):
    state, p = chunk
    p["neighbour.strike_lethality"][:] = 0.0
    p["ally.growth"][:] = 0.0
    p["ally.push"][:] = 0.1
    p["ally.relocation"][:] = 0.1
    before = state.members.sum(axis=2)
    kp = model.regions.index("khyber_pakhtunkhwa")
    kp_before = state.members[:, model.ally_units, kp].sum()
    ally.step(state, p, rng, model)
    assert (state.members.sum(axis=2) == before).all()
    assert state.members[:, model.ally_units, kp].sum() != kp_before


def test_ally_strikes_kill_only_in_exposed_regions(chunk, model, rng):
    state, p = chunk
    p["ally.growth"][:] = 0.0
    p["ally.retreat"][:] = 0.0
    p["neighbour.strike_lethality"][:] = 0.03
    state.neighbour_pressure[:] = 3.0
    p["neighbour.pressure"][:] = 3.0
    safe = ~(model.region_tags["border"] | model.region_tags["abroad"])
    before = state.members[:, model.ally_units][:, :, safe].copy()
    total = state.members[:, model.ally_units].sum()
    ally.step(state, p, rng, model)
    assert (state.members[:, model.ally_units][:, :, safe] == before).all()
    assert state.members[:, model.ally_units].sum() < total


def test_ally_ban_enforcement_sours_the_hosts_relation(chunk, model, rng):
    state, p = chunk
    h, a = model.host_entity, model.ally_entity
    anchor = state.relation_anchor[0, h, a]
    p["host.ally_ban_enforcement"][:] = 1.0
    p["ally.relation_reversion"][:] = 1.0
    ally.step(state, p, rng, model)
    expected = np.clip(anchor - p["ally.enforcement_effect"][0], -1, 1)
    np.testing.assert_allclose(state.relation[:, h, a], expected)


def test_defection_conserves_members_and_records_arrivals(chunk, model, rng):
    state, p = chunk
    for name in p:
        if name.startswith("defection.") and "->" in name:
            p[name][:] = 0.2
    before = state.members.sum(axis=1)
    focal_before = state.members[:, 0, :].sum(axis=1)
    defection.step(state, p, rng, model)
    assert (state.members.sum(axis=1) == before).all()
    assert (state.members >= 0).all()
    arrived = state.defections.sum(axis=1)
    assert arrived.sum() > 0
    # the focal group's change is arrivals minus its own leavers (isk -> ttp)
    assert (state.members[:, 0, :].sum(axis=1) - focal_before <= arrived).all()


def test_defection_rate_grows_with_host_restriction(chunk, model):
    state, p = chunk
    imu_route = next(i for i, r in enumerate(model.routes) if r[2] == "defection.imu->isk")
    imu = model.unit_entity[model.routes[imu_route][0]]
    state.relation[:, model.host_entity, imu] = 0.0
    calm = defection.route_rates(state, p, model)[:, imu_route]
    state.relation[:, model.host_entity, imu] = -1.0
    restrained = defection.route_rates(state, p, model)[:, imu_route]
    np.testing.assert_allclose(restrained, calm * (1 + p["defection.restriction_weight"]))


def test_recruitment_needs_a_pool_and_reconciliation_cuts_it(chunk, model, rng):
    state, p = chunk
    p["recruitment.pool"][:] = 0.0
    recruitment.step(state, p, rng, model)
    assert state.recruits.sum() == 0
    p["recruitment.pool"][:] = 1e5
    p["recruitment.reconciliation"][:] = 0.0
    recruitment.step(state, p, np.random.default_rng(1), model)
    free = state.recruits.sum()
    p["recruitment.reconciliation"][:] = 1.0
    recruitment.step(state, p, np.random.default_rng(1), model)
    expected = 1 - p["recruitment.reconciliation_effect"][0]
    assert state.recruits.sum() == pytest.approx(free * expected, rel=0.1)


def test_windfalls(chunk, model, rng):
    state, p = chunk
    p["shocks.windfall_rate"][:] = 0.0
    before = state.treasury.copy()
    shocks.step(state, p, rng, model)
    assert (state.treasury == before).all()
    p["shocks.windfall_rate"][:] = 1.0
    shocks.step(state, p, rng, model)
    assert (state.treasury > before).all()
    np.testing.assert_allclose(state.recruit_boost, p["shocks.windfall_recruits"])


def test_observation_reports_at_most_what_happened(rng):
    latent = rng.poisson(20, size=(300, 12, 4, 2))
    params = {
        "observe.reporting_rate": np.full(300, 0.6),
        "observe.concentration": np.full(300, 50.0),
    }
    reported = observe.report(latent, params, rng)
    assert (reported <= latent).all() and (reported >= 0).all()
    assert reported.sum() / latent.sum() == pytest.approx(0.6, abs=0.02)
    params["observe.reporting_rate"][:] = 1.0
    assert (observe.report(latent, params, rng) == latent).all()
