"""Defection flows between named groups and factions (docs/background.md §6, §7 and §8).

Each defection route (from a unit to another, declared in the scenario with its base rate)
moves members within their region. The rate of a route is its base rate times its pull:

* the host's restrictions on the source (a negative relation from the host to it or, for a
  faction, to its group; the focal group, which the host fights, is not "restricted");
* the source's affinity for the destination (a positive relation);
* the source's estrangement from whoever protects it (its group for a faction, such as the
  hard-liners and the ally's leadership; the host for a sheltered group, such as the
  ally): e = (1 - relation) / 2, as the factor (1 + w e) / (1 + w / 2), 1 at a neutral
  relation, so distrust of the host, fed by the neighbour's killings and the host's
  restrictions (`ally`), pushes the ally's members over (the focal group, which fights
  the host, has no protector);
* the host's disunity when the source is one of the host's own factions;
* the lasting salary shortfall when the source is the focal group (unpaid members go back
  to the groups they came from);
* for the focal group as destination, its visibility and its presence in the region
  (defectors join through the group's people where they are; `recruitment.presence`).

Members leaving a (unit, region) cell are split among its routes by a multinomial draw
(sequential conditional binomials) from the members at the start of the step, so
defection conserves members exactly and arrivals do not leave in the month they arrive.

A route with a `bloc` share can also go over at once: a faction, or part of a group,
defects in one event, at most once per route. Its monthly hazard is
`defection.bloc_hazard` times the relative excess of the route's pull over its calm level
(the grievances that make members leave one by one make a faction leave together), times
the destination's visibility for the focal group; then a `bloc` share of the source's
members in every region moves. Focal members leaving for another group are counted
(`splintered`: a faction leaving, for `ending`); nobody joins a focal group that has
ended.
"""

import numpy as np

from resurgence.core.draws import binomial
from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import FOCAL, State
from resurgence.processes.payroll import salary_strain
from resurgence.processes.recruitment import presence

PARAMETERS = (
    Parameter(
        "defection.restriction_weight",
        2.0,
        0.0,
        6.0,
        "relative gain per unit of host restriction",
        "Uzbek and Uyghur militants defected after the host restrained them.",
    ),
    Parameter(
        "defection.affinity_weight",
        1.5,
        0.0,
        6.0,
        "relative gain per unit of relation to the destination",
        "Cooperation and shared cadres ease moving over.",
    ),
    Parameter(
        "defection.disunity_weight",
        4.0,
        0.0,
        10.0,
        "relative gain per unit of host disunity",
        "Disgruntled host factions are a recruitment opportunity.",
    ),
    Parameter(
        "defection.visibility_elasticity",
        0.5,
        0.0,
        3.0,
        "elasticity",
        "Defectors join groups that look alive.",
    ),
    Parameter(
        "defection.estrangement_weight",
        3.0,
        0.0,
        10.0,
        "relative gain at complete estrangement from the source's protector",
        "TTP members suspect host elements of helping Pakistan with the killings; the "
        "hard-liners drift from the TTP's leadership; either way they lean to the group.",
    ),
    Parameter(
        "defection.unpaid_weight",
        3.0,
        0.0,
        10.0,
        "relative gain at a complete, lasting salary shortfall",
        "Many of the group's members are former TTP; unpaid, some go back to it.",
    ),
    Parameter(
        "defection.bloc_hazard",
        0.005,
        0.0,
        0.05,
        "per month at twice the calm pull",
        "A faction such as Jamaat ul-Ahrar, or part of the TTP, following the Uzbek and "
        "Uyghur militants into the group is its best chance of a comeback; assumption: at "
        "today's pull, a few per cent a year.",
    ),
)


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


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
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


PROCESS = Process(
    "defection",
    "Members moving between groups and factions, driven by restrictions and relations.",
    PARAMETERS,
    step,
)
