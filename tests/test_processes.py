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
    state.host_unity[:] = 1.0
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
    p["funding.crackdown_follow"][:] = 0.0
    funding.step(state, p, rng, model)
    np.testing.assert_allclose(state.income, 25.0)  # 10% of 250 gets through
    assert state.relocating.all()
    funding.step(state, p, rng, model)
    # relocating this month: the flow is cut by relocation_loss, then the move completes
    np.testing.assert_allclose(state.income, 25.0 * (1 - p["funding.relocation_loss"][0]))
    assert (state.channel_hub == 1).all() and not state.relocating.any()
    funding.step(state, p, rng, model)
    np.testing.assert_allclose(state.income, 250.0)  # the new hub is quiet


def test_a_crackdown_follows_the_money_to_the_new_hub(chunk, model, rng):
    state, p = chunk
    _clear_funding(state, p)
    state.hub_crackdown[:, 0] = 0.8
    state.channel_hub[:] = 1  # the finance has moved on
    p["funding.crackdown_follow"][:] = 0.25
    p["funding.fragmentation_rate"][:] = 0.0
    funding.step(state, p, rng, model)
    # the new hub's crackdown rises a quarter of the way toward the old hub's
    np.testing.assert_allclose(state.hub_crackdown[:, 1], 0.25 * 0.8)
    funding.step(state, p, rng, model)
    np.testing.assert_allclose(state.income, 250.0 * (1 - 0.9 * 0.2))
    np.testing.assert_allclose(state.hub_crackdown[:, 1], 0.2 + 0.25 * (0.8 - 0.2))
    np.testing.assert_allclose(state.hub_crackdown[:, 0], 0.8)  # the old hub is unchanged


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


@pytest.mark.parametrize("depth", [0.25, 0.9])
def test_deeper_checks_see_through_small_transfers(chunk, model, rng, depth):
    state, p = chunk
    _clear_funding(state, p)
    state.monitoring[:] = 1.0
    state.fragmentation[:] = 1.0
    p["funding.fragmentation_cost"][:] = 0.0
    p["funding.fragmentation_evasion"][:] = 0.6
    p["counterterrorism.monitoring_depth"][:] = depth
    funding.step(state, p, rng, model)
    evaded = 0.6 * (1 - depth)  # superficial checks miss what looks like remittances
    np.testing.assert_allclose(state.income, 250.0 * (1 - depth * (1 - evaded)))


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
    bill = total * (p["payroll.salary"] + p["payroll.logistics"])
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


def test_counterterrorism_capacity_and_raids_abroad_by_the_neighbour_only(chunk, model, rng):
    state, p = chunk
    state.host_unity[:] = 1.0  # no faction's region is open
    p["counterterrorism.manpower_growth"][:] = 0.5
    p["counterterrorism.neighbour_lethality"][:] = 0.0
    before = state.capacity.copy()
    counterterrorism.step(state, p, rng, model)
    ceiling = p["counterterrorism.capacity_ceiling"]
    np.testing.assert_allclose(state.capacity, before + 0.5 * (ceiling - before))
    abroad = model.region_tags["abroad"]
    assert abroad.any() and (state.losses[:, abroad] == 0).all()
    assert state.losses.sum() > 0
    p["counterterrorism.neighbour_lethality"][:] = 0.05
    counterterrorism.step(state, p, rng, model)
    assert state.losses[:, abroad].sum() > 0


def test_host_infighting_opens_the_regions_of_its_factions(model):
    from resurgence.engine.run import chunk_params, initial_state

    state, p = initial_state(model, 3), chunk_params(model, 0, 3)
    state.host_unity[:] = [1.0, 0.5, 0.0]
    ceiling = counterterrorism.ceiling(state, p, model)
    ne = model.regions.index("north_east")  # where most Tajik members are
    full = p["counterterrorism.capacity_ceiling"][0, ne]
    opening = p["counterterrorism.faction_opening"][0]
    np.testing.assert_allclose(ceiling[:, ne], full * (1 - opening * np.array([0, 0.5, 1])))
    nowhere = state.members[0, model.unit_is_host_faction, :].sum(axis=0) == 0
    np.testing.assert_allclose(
        ceiling[2, nowhere], p["counterterrorism.capacity_ceiling"][2, nowhere]
    )
    assert (counterterrorism.coordination(state, p) == [1.0, 0.75, 0.5]).all()


def test_counterterrorism_without_lethality_removes_nobody(chunk, model, rng):
    state, p = chunk
    p["counterterrorism.lethality_indiscriminate"][:] = 0.0
    p["counterterrorism.lethality_intel"][:] = 0.0
    p["counterterrorism.neighbour_lethality"][:] = 0.0
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


def test_operations_broke_group_does_only_cheap_unfunded_attacks(model):
    from resurgence.engine.run import chunk_params, initial_state

    mean, explosive = {}, {}
    for treasury in (0.0, 1e9):
        state, p = initial_state(model, 4000), chunk_params(model, 0, 4000)
        state.treasury[:] = treasury
        operations.step(state, p, np.random.default_rng(2), model)
        mean[treasury] = state.attacks.sum(axis=(1, 2)).mean()
        explosive[treasury] = state.attacks[:, :, 1].sum() / state.attacks.sum()
    gunfire = model.attack_share[0]  # the cheapest type
    ratio = mean[0.0] / mean[1e9]
    assert ratio == pytest.approx(p["operations.unfunded_share"][0] * gunfire, rel=0.1)
    assert explosive[0.0] == 0.0  # explosives need money
    assert explosive[1e9] == pytest.approx(model.attack_share[1], abs=0.02)


def test_unpaid_fighters_stay_home(model):
    from resurgence.engine.run import chunk_params, initial_state

    state, p = initial_state(model, 2), chunk_params(model, 0, 2)
    state.arrears[:] = [0.0, 1.0 / (1.0 - p["payroll.arrears_memory"][0])]  # strain 0 and 1
    posture, _ = operations.capability_terms(state, p)
    np.testing.assert_allclose(posture[1] / posture[0], 1 - p["operations.unpaid_idleness"][0])


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
    assert (calm > 0).any()
    np.testing.assert_allclose(restrained, calm * (1 + p["defection.restriction_weight"])[:, None])


def test_defection_into_the_group_goes_through_its_presence(chunk, model):
    state, p = chunk
    route = next(i for i, r in enumerate(model.routes) if r[2] == "defection.ttp->isk")
    state.members[:, 0, :] = 0
    state.members[:, 0, 0] = 100
    rates = defection.route_rates(state, p, model)[:, route]
    assert (rates[:, 1:] == 0).all() and (rates[:, 0] > 0).all()


def test_the_allys_distrust_of_the_host_pulls_its_members_over(chunk, model):
    state, p = chunk
    route = next(i for i, r in enumerate(model.routes) if r[2] == "defection.ttp->isk")
    ttp, host = model.unit_entity[model.routes[route][0]], model.host_entity
    state.relation[:, ttp, host] = 0.5
    trusting = defection.route_rates(state, p, model)[:, route]
    state.relation[:, ttp, host] = -0.5
    distrustful = defection.route_rates(state, p, model)[:, route]
    w = p["defection.estrangement_weight"][:, None]
    expected = np.broadcast_to((1 + 0.75 * w) / (1 + 0.25 * w), trusting.shape)
    assert (expected > 1).all()
    np.testing.assert_allclose(distrustful / trusting, expected)


def test_a_bloc_defection_moves_its_share_at_once_and_only_once(model):
    from resurgence.engine.run import chunk_params, initial_state

    state, p = initial_state(model, 500), chunk_params(model, 0, 500)
    for name in p:
        if name.startswith("defection.") and "->" in name:
            p[name][:] = 0.0  # no trickles: only blocs move
    p["defection.bloc_hazard"][:] = 0.05
    jua = model.units.index("ttp.jua")
    route = next(i for i, r in enumerate(model.routes) if r[0] == jua and r[1] == 0)
    before = state.members[:, jua, :].sum(axis=1)
    defection.step(state, p, np.random.default_rng(4), model)
    went = state.bloc_done[:, route].copy()
    assert 0 < went.sum() < 500
    moved = state.defections[:, jua]
    assert (moved[~went] == 0).all()
    share = moved[went].sum() / before[went].sum()
    assert share == pytest.approx(model.route_bloc[route], abs=0.03)
    state.defections[:] = 0
    defection.step(state, p, np.random.default_rng(5), model)
    assert (state.defections[went, jua] == 0).all()  # a route goes over once


def _recruit(state, p, model, seed=1):
    """One month of recruitment from full pools (the scenario's first month)."""
    state.pool[:] = np.nan
    recruitment.step(state, p, np.random.default_rng(seed), model)
    return state.recruits.sum()


def test_recruitment_needs_a_pool_and_reconciliation_cuts_it(chunk, model, rng):
    state, p = chunk
    p["recruitment.pool"][:] = 0.0
    assert _recruit(state, p, model) == 0
    p["recruitment.pool"][:] = 1e5
    p["recruitment.reconciliation"][:] = 0.0
    free = _recruit(state, p, model)
    p["recruitment.reconciliation"][:] = 1.0
    p["recruitment.reconciliation_exit"][:] = 0.0
    expected = 1 - p["recruitment.reconciliation_effect"][0]
    assert _recruit(state, p, model) == pytest.approx(free * expected, rel=0.1)


def test_recruits_deplete_the_pool_which_refills_slowly(chunk, model, rng):
    state, p = chunk
    p["recruitment.pool"][:] = 1e5
    p["recruitment.base_rate"][:] = 0.003
    p["recruitment.pool_renewal"][:] = 0.01
    recruits = _recruit(state, p, model)
    assert recruits > 0
    expected = 1e5 - state.recruits + 0.01 * state.recruits
    np.testing.assert_allclose(state.pool, expected)


def test_recruitment_needs_recruiters_where_the_pool_is(chunk, model, rng):
    state, p = chunk
    p["recruitment.pool"][:] = 1e5
    state.members[:, 0, :] = 0
    assert _recruit(state, p, model) == 0  # nobody of the group is there
    state.members[:, 0, :] = 10
    few = _recruit(state, p, model)
    state.members[:, 0, :] = 1000
    many = _recruit(state, p, model)
    half = p["recruitment.presence_half"][0]
    expected = (1000 / (1000 + half)) / (10 / (10 + half))
    assert many / few == pytest.approx(expected, rel=0.15)


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
