"""The previous engine's sampling, kept as the reference the current processes are tested
against (tests/test_engine_equivalence.py).

The steps of the processes whose sampling was made cheaper, and the observation model's
thinning, as they were before: copied verbatim (each module's `step` renamed after its
process), with the binomial helper they drew through. `PROCESSES` is the catalogue's list
with these steps in place of the current ones, under the same names, so each draws from
the same named stream. The law of every process must be the same in both; only the way it
is sampled differs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from resurgence.catalogue import PROCESSES as CURRENT
from resurgence.core.draws import clip01
from resurgence.core.model import Model
from resurgence.core.parameters import Params
from resurgence.core.state import FOCAL, State
from resurgence.limits import MAX_LEVEL
from resurgence.observe import CHANNELS
from resurgence.processes.ally import distrust
from resurgence.processes.counterterrorism import (
    backlash,
    ceiling,
    community_support,
    coordination,
    effective_capacity,
)
from resurgence.processes.operations import excitation_terms, expected_attacks, tail_deaths
from resurgence.processes.payroll import salary_strain
from resurgence.processes.posture import cell_ratio
from resurgence.processes.propaganda import spendable
from resurgence.processes.recruitment import presence

# core/draws.py


def binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial draws of the same shape as `n` (replica axis first), drawing only in the
    cells (columns after the replica axis) where some replica has n > 0 and p > 0.

    Most (faction, region) cells of a scenario are empty in every replica; skipping those
    columns keeps the cost proportional to the populated cells, and the result is the
    same law (an empty cell draws 0).
    """
    p = np.minimum(np.broadcast_to(p, n.shape), 1.0)
    if n.ndim < 2:
        return rng.binomial(n, p)
    live = ((n > 0) & (p > 0)).any(axis=0)
    if live.all():
        return rng.binomial(n, p)
    out = np.zeros(n.shape, dtype=np.int64)
    if live.any():
        out[:, live] = rng.binomial(n[:, live], p[:, live])
    return out


# processes/payroll.py


def payroll_step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    members = state.members[:, FOCAL, :]
    total = members.sum(axis=1)
    bill = total * (p["payroll.salary"] + p["payroll.logistics"])
    paid = np.minimum(spendable(state, p) * p["payroll.max_share"], bill)
    state.paid_fraction[:] = np.where(bill > 0, paid / np.where(bill > 0, bill, 1.0), 1.0)
    state.treasury -= paid
    memory = p["payroll.arrears_memory"]
    state.arrears *= memory
    state.arrears += 1.0 - state.paid_fraction
    strain = state.arrears * (1.0 - memory)  # in [0, 1]: the lasting unpaid share
    leave = (
        p["payroll.attrition_base"] * (2.0 - state.cohesion)
        + p["payroll.unpaid_attrition"] * strain
    )
    left = binomial(rng, members, leave[:, None])
    members -= left
    state.attrition += left


# processes/counterterrorism.py


def counterterrorism_step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    state.capacity += p["counterterrorism.manpower_growth"][:, None] * (
        ceiling(state, p, model) - state.capacity
    )
    state.equipment += p["counterterrorism.equipment_supply"] * (
        state.recognition - state.equipment
    )
    state.intel_share += p["counterterrorism.learning_rate"] * (
        p["counterterrorism.intel_target"] - state.intel_share
    )
    clip01(state.intel_share)
    state.monitoring += p["counterterrorism.monitoring_rate"] * (
        p["counterterrorism.monitoring_target"] - state.monitoring
    )
    clip01(state.monitoring)

    intel = state.intel_share
    by_intel = p["counterterrorism.lethality_intel"] * intel
    lethality = p["counterterrorism.lethality_indiscriminate"] * (1.0 - intel) + by_intel
    # The share of the month's raid losses due to intelligence-led raids (policing, as
    # against indiscriminate military sweeps), which `ending` reads to name a cause.
    state.raid_intel[:] = np.where(
        lethality > 0, by_intel / np.where(lethality > 0, lethality, 1), 0
    )
    exposure = cell_ratio(state, p) ** p["counterterrorism.cell_exposure"]
    hostility = np.maximum(-state.relation[:, model.host_entity, model.focal_entity], 0.0)
    lethality = lethality * exposure * hostility * coordination(state, p)
    # A community turned away from the group no longer shelters it: it tells the host.
    informed = 2.0 - community_support(p)
    rate = np.minimum(effective_capacity(state, p, model) * lethality[:, None] * informed, 0.5)
    rate = rate * model.region_tags["host_territory"]
    # An allied TTP hides the group in its safe areas.
    shelter = (p["alliance.shelter"] * state.alliance)[:, None] * model.region_tags["ally_area"]
    rate = rate * (1.0 - shelter)
    abroad = (p["counterterrorism.neighbour_lethality"] * exposure)[:, None]
    rate = rate + abroad * model.region_tags["abroad"]
    members = state.members[:, FOCAL, :]
    lost = binomial(rng, members, rate)
    members -= lost
    state.losses[:] = lost


# processes/operations.py


def monthly_deaths(state, p, rng, counts: np.ndarray) -> np.ndarray:
    """Total deaths per (replica, region) of `counts` attacks, each drawn from the severity
    law independently of the group's size and experience (Clauset & Gleditsch 2012).

    Drawn without looking at attacks one by one, except in the tail: of a cell's A attacks,
    T ~ Binomial(A, tail_share) are in the tail and F ~ Binomial(A - T, body share) in the
    body; the body's deaths are F + NegBinomial(F, 1 / body_mean) (a sum of geometrics,
    one gamma-Poisson draw per cell); the tail's are drawn one by one for the few tail
    attacks on one flat array and summed per cell.
    """
    tail_share = np.minimum(p["operations.severity_tail_share"], 1.0)
    body_share = np.clip(1.0 - p["operations.nonfatal_share"] - tail_share, 0.0, 1.0)
    body_cond = np.where(tail_share < 1.0, body_share / np.maximum(1.0 - tail_share, 1e-12), 0.0)
    tails = binomial(rng, counts, tail_share[:, None])
    fatal = binomial(rng, counts - tails, np.minimum(body_cond, 1.0)[:, None])
    mean = p["operations.severity_body_mean"][:, None]
    extra = rng.poisson(rng.gamma(fatal, mean - 1.0))  # NegBinomial(F, 1 / mean)
    deaths = fatal + extra
    total = int(tails.sum())
    if total:
        flat = tails.ravel()
        cells = np.repeat(np.arange(flat.size), flat)
        rows = cells // counts.shape[1]
        draws = tail_deaths(
            rng,
            p["operations.severity_alpha"][rows],
            p["operations.severity_xmin"][rows],
            p["operations.severity_xmax"][rows],
        )
        deaths += (
            np.bincount(cells, weights=draws, minlength=flat.size)
            .astype(np.int64)
            .reshape(counts.shape)
        )
    # Deaths are a count of persons: bounded like every level (MAX_LEVEL), so that a
    # month at the corners of the parameters' ranges cannot overflow the stored int32.
    return np.minimum(deaths, int(MAX_LEVEL))


def operations_step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    terms = expected_attacks(state, p, model)
    state.experience[:] = terms.experience
    state.excitation[:] = terms.carry
    by_type, funded, active = terms.by_type, terms.money, terms.active
    shape = p["operations.dispersion"]
    tempo = rng.gamma(shape, 1.0 / shape)
    _, _, a1, d = excitation_terms(p)
    carry = state.excitation
    counts = rng.poisson(terms.mean(tempo) * terms.where())
    carry *= d[:, None]
    carry += (terms.n * a1)[:, None] * counts
    carry *= active[:, None]
    state.experience += counts.sum(axis=1)
    # The month's attacks split among types in the funded mix (the scenario's shares when
    # nothing is funded: then only carried-over attacks happen).
    mix = np.where(funded[:, None] > 0, by_type / np.maximum(funded, 1e-300)[:, None], 1.0)
    mix = np.where(funded[:, None] > 0, mix, model.attack_share[None, :])
    left = counts
    remaining = np.ones(state.n)
    for j in range(len(model.attack_types) - 1):
        share = np.where(remaining > 0, mix[:, j] / np.maximum(remaining, 1e-300), 0.0)
        part = binomial(rng, left, np.clip(share, 0.0, 1.0)[:, None])
        state.attacks[:, :, j] = part
        left = left - part
        remaining = remaining - mix[:, j]
    state.attacks[:, :, -1] = left
    cost = state.attacks.sum(axis=1) @ model.attack_cost
    state.treasury -= np.minimum(cost, np.maximum(state.treasury, 0.0))
    state.deaths[:] = monthly_deaths(state, p, rng, counts)


# processes/ally.py


def _ally_move(rng, members, src, dst, rate) -> None:
    """Move a binomial share of members (n, units, K) from the source regions to the
    destination regions (index arrays), spread evenly over the destinations."""
    if src.size == 0 or dst.size == 0 or not np.any(rate > 0):
        return
    cells = members[:, :, src]
    moved = binomial(rng, cells, rate[:, None, None])
    members[:, :, src] = cells - moved
    left = moved.sum(axis=2)
    # An even multinomial split over the destinations, as sequential binomials.
    for i, region in enumerate(dst[:-1]):
        part = rng.binomial(left, 1.0 / (dst.size - i))
        members[:, :, region] += part
        left -= part
    members[:, :, dst[-1]] += left


def ally_step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    mediation = p["ally.mediation"]
    state.neighbour_pressure += p["neighbour.pressure_adjust"] * (
        p["neighbour.pressure"] - state.neighbour_pressure
    )
    pressure = state.neighbour_pressure * (1.0 - mediation)

    if model.ally_units:
        tags = model.region_tags
        idx = np.flatnonzero
        home, abroad = tags["host_territory"], tags["abroad"]
        frontier = idx(home & tags["border"])
        members = state.members[:, model.ally_units, :]
        exposed = idx(tags["border"] | abroad)
        lethality = (p["neighbour.strike_lethality"] * pressure)[:, None, None]
        members[:, :, exposed] -= binomial(rng, members[:, :, exposed], lethality)
        going = p["ally.return_rate"] * (1.0 - mediation) + p["ally.push"]
        _ally_move(rng, members, frontier, idx(abroad), going)
        _ally_move(rng, members, idx(abroad), frontier, p["ally.retreat"] * pressure)
        _ally_move(
            rng,
            members,
            idx(tags["relocation_origin"]),
            idx(tags["relocation_destination"]),
            p["ally.relocation"],
        )
        local = idx(home)
        growth = p["ally.growth"] * (
            1.0 - p["ally.ban_recruitment_effect"] * p["host.ally_ban_enforcement"]
        )
        members[:, :, local] += rng.poisson(growth[:, None, None] * members[:, :, local])
        state.members[:, model.ally_units, :] = members

    # Only relations with a lever can move away from their timeline level (the anchor),
    # so only those are updated: each relaxes toward anchor + lever.
    a, h, f, hard = model.ally_entity, model.host_entity, model.focal_entity, model.hardliner_entity
    if a < 0:
        return
    levers = [
        (h, a, -p["ally.enforcement_effect"] * p["host.ally_ban_enforcement"]),
        (
            a,
            h,
            -p["ally.distrust"] * pressure
            - p["ally.relocation_resentment"] * p["ally.relocation"]
            - p["ally.restraint_resentment"] * np.maximum(-state.relation[:, h, a], 0.0),
        ),
        (a, f, p["ally.war_end_affinity"] * mediation),
    ]
    if hard >= 0:
        levers += [
            (hard, f, p["ally.hardliner_rejection"] * mediation),
            (hard, a, -p["ally.hardliner_rejection"] * mediation),
        ]
    rev = p["ally.relation_reversion"]
    for i, j, shift in levers:
        target = np.clip(state.relation_anchor[:, i, j] + shift, -1.0, 1.0)
        state.relation[:, i, j] += rev * (target - state.relation[:, i, j])
    state.ally_distrust[:] = distrust(state, model)


# processes/defection.py


def route_pull(state, p, model) -> np.ndarray:
    """Each route's pull, shape (n, routes): the factor on its base rate from
    restrictions, affinity, estrangement, disunity and unpaid salaries (1 when calm)."""
    rel = state.relation
    host = model.host_entity
    pull = np.empty((state.n, len(model.routes)))
    for r, (src, dst, _) in enumerate(model.routes):
        src_e, dst_e = model.unit_entity[src], model.unit_entity[dst]
        if src == 0:  # the host fights the focal group; it does not restrain it
            restriction = 0.0
        else:  # a faction shares the restrictions on its group
            parent = model.unit_parent[src]
            restriction = np.maximum(np.maximum(-rel[:, host, src_e], -rel[:, host, parent]), 0.0)
        affinity = np.maximum(rel[:, src_e, dst_e], 0.0)
        factor = (1.0 + p["defection.restriction_weight"] * restriction) * (
            1.0 + p["defection.affinity_weight"] * affinity
        )
        if src != 0:  # the focal group has no protector
            w = p["defection.estrangement_weight"]
            estrangement = (1.0 - rel[:, src_e, model.unit_protector[src]]) / 2.0
            factor = factor * (1.0 + w * estrangement) / (1.0 + w / 2.0)
        if model.unit_is_host_faction[src]:
            factor = factor * (1.0 + p["defection.disunity_weight"] * (1.0 - state.host_unity))
        if src == 0:
            factor = factor * (1.0 + p["defection.unpaid_weight"] * salary_strain(state, p))
        pull[:, r] = factor
    return pull


def calm_pull(p, model, routes: np.ndarray) -> np.ndarray:
    """The pull of each route in calm times (n, len(routes)): no restriction, affinity or
    arrears, a neutral relation to the protector (1), and a host at its usual unity."""
    calm = np.ones((p["defection.bloc_hazard"].shape[0], routes.size))
    disunity = p["defection.disunity_weight"] * (1.0 - p["host.unity_target"])
    for i, r in enumerate(routes):
        if model.unit_is_host_faction[model.routes[r][0]]:
            calm[:, i] *= 1.0 + disunity
    return calm


def route_rates(state, p, model) -> np.ndarray:
    """Monthly defection probability of each route in each region, (n, routes, K)."""
    pull = route_pull(state, p, model)
    rates = np.empty((state.n, len(model.routes), len(model.regions)))
    reach = presence(state.members[:, FOCAL, :], p) * (state.ended == 0)[:, None]
    for r, (_, dst, name) in enumerate(model.routes):
        rate = p[name] * pull[:, r]
        if dst == 0:  # joining the focal group: it must look alive and be there
            rate = rate * state.visibility ** p["defection.visibility_elasticity"]
            rates[:, r, :] = rate[:, None] * reach
        else:
            rates[:, r, :] = rate[:, None]
    return rates


def defection_step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    state.splintered[:] = 0
    if not model.routes:
        return
    rates = np.minimum(route_rates(state, p, model), 0.5)
    sources = list(model.routes_by_source)
    # Probability of each route given that the member took none of its source's earlier
    # routes, after scaling a source's routes so that at most all of its members leave.
    conditional = np.zeros_like(rates)
    for ids in model.routes_by_source.values():
        probs = rates[:, ids] / np.maximum(rates[:, ids].sum(axis=1), 1.0)[:, None]
        remaining = 1.0 - np.cumsum(probs, axis=1) + probs
        conditional[:, ids] = np.where(remaining > 1e-12, probs / np.maximum(remaining, 1e-12), 0.0)
    # Everyone who leaves is drawn from the members at the start of the step, one round
    # per route position, all sources of a round in one draw.
    members = state.members
    left = members[:, sources, :]
    moved = np.zeros((state.n, len(model.routes), members.shape[2]), dtype=np.int64)
    rounds = max(len(ids) for ids in model.routes_by_source.values())
    for r in range(rounds):
        rows = [i for i, s in enumerate(sources) if len(model.routes_by_source[s]) > r]
        ids = [model.routes_by_source[sources[i]][r] for i in rows]
        drawn = binomial(rng, left[:, rows, :], conditional[:, ids, :])
        left[:, rows, :] -= drawn
        moved[:, ids, :] = drawn
    _move(state, model, moved)
    _blocs(state, p, rng, model)


def _blocs(state, p, rng, model) -> None:
    """Bloc defections: a route with a bloc share goes over at once, at most once."""
    routes = np.flatnonzero(model.route_bloc > 0)
    if routes.size == 0:
        return
    pull = route_pull(state, p, model)[:, routes]
    excess = np.maximum(pull / calm_pull(p, model, routes) - 1.0, 0.0)
    hazard = p["defection.bloc_hazard"][:, None] * excess
    for i, r in enumerate(routes):
        if model.routes[r][1] == 0:
            alive = (state.ended == 0) & (state.members[:, FOCAL, :].sum(axis=1) > 0)
            hazard[:, i] *= state.visibility ** p["defection.visibility_elasticity"] * alive
    happens = (rng.random(hazard.shape) < hazard) & ~state.bloc_done[:, routes]
    if not happens.any():
        return
    moved = np.zeros((state.n, len(model.routes), state.members.shape[2]), dtype=np.int64)
    for i, r in enumerate(routes):
        src = model.routes[r][0]
        going = binomial(rng, state.members[:, src, :], model.route_bloc[r])
        moved[:, r, :] = going * happens[:, i, None]
    state.bloc_done[:, routes] |= happens
    _move(state, model, moved)


def _move(state, model, moved: np.ndarray) -> None:
    """Move `moved` (n, routes, K) members along each route, counting arrivals in the
    focal group and the focal group's own leavers."""
    members = state.members
    for r, (src, dst, _) in enumerate(model.routes):
        members[:, src, :] -= moved[:, r, :]
        members[:, dst, :] += moved[:, r, :]
        if dst == 0:
            state.defections[:, src] += moved[:, r, :].sum(axis=1)
        elif src == 0:  # the focal group's own members leaving for another group
            state.attrition += moved[:, r, :]
            state.splintered += moved[:, r, :].sum(axis=1)


# processes/recruitment.py


def recruitment_step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    members = state.members[:, FOCAL, :]
    if np.isnan(state.pool).any():  # the first month: full pools
        first = np.isnan(state.pool)
        state.pool[first] = np.broadcast_to(p["recruitment.pool"], state.pool.shape)[first]
    recon = p["recruitment.reconciliation"]
    leaving = binomial(rng, members, recon * p["recruitment.reconciliation_exit"][:, None])
    members -= leaving
    state.attrition += leaving
    state.reconciled[:] = leaving.sum(axis=1)

    appeal = (
        p["recruitment.base_rate"]
        * state.visibility ** p["recruitment.visibility_elasticity"]
        * (1.0 + p["recruitment.propaganda_effect"] * state.propaganda)
        * (1.0 + state.recruit_boost)
    )
    rate = (
        appeal[:, None]
        * (1.0 + p["recruitment.backlash"][:, None] * backlash(state, p, model))
        * community_support(p)
        * presence(members, p)
        * (
            1.0
            + (p["alliance.recruitment"] * state.alliance)[:, None] * model.region_tags["ally_area"]
        )
    )
    active = (state.ended == 0)[:, None]  # a group that has ended recruits nobody
    pool = state.pool
    new = np.minimum(rng.poisson(pool * np.minimum(rate, 1.0) * active), np.floor(pool))
    new = new.astype(np.int64)
    members += new
    state.recruits[:] = new
    pool -= new
    pool += p["recruitment.pool_renewal"][:, None] * (p["recruitment.pool"] - pool)


# observe.py


def thin(
    latent: np.ndarray, rate: np.ndarray, conc: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Beta-binomial thinning of latent counts of shape (n, months, ...): one reporting
    rate per replica-month, mean `rate` and concentration `conc` (arrays of shape (n,))."""
    n, months = latent.shape[:2]
    a = (rate * conc)[:, None]
    b = np.maximum(((1.0 - rate) * conc)[:, None], 1e-9)  # a rate of 1 reports everything
    rho = rng.beta(np.broadcast_to(a, (n, months)), np.broadcast_to(b, (n, months)))
    rho = rho.reshape((n, months) + (1,) * (latent.ndim - 2))
    return binomial(rng, latent, rho).astype(latent.dtype)


def report(
    latent: np.ndarray,
    params: dict[str, np.ndarray],
    rng: np.random.Generator,
    channel: str = "reporting",
):
    """The run's `reported_attacks` for latent counts of shape (n, months, ...), through
    `channel` (a key of `CHANNELS`)."""
    c = CHANNELS[channel]
    return thin(latent, params[c.rate], params[c.concentration], rng)


STEPS = {
    "payroll": payroll_step,
    "counterterrorism": counterterrorism_step,
    "operations": operations_step,
    "ally": ally_step,
    "defection": defection_step,
    "recruitment": recruitment_step,
}

PROCESSES = tuple(replace(p, step=STEPS[p.name]) if p.name in STEPS else p for p in CURRENT)
"""The catalogue's processes in their order, with the reference steps."""
