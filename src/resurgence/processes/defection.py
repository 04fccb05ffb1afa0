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
Only the cells where the source has members in some replica are drawn (an empty cell
sends nobody), and each draw only where the cell has members and the route a rate.

A route with a `bloc` share can also go over at once: a faction, or part of a group,
defects in one event, at most once per route. Its monthly hazard is
`defection.bloc_hazard` times the relative excess of the route's pull over its calm level
(the grievances that make members leave one by one make a faction leave together), times
the destination's visibility for the focal group; then a `bloc` share of the source's
members in every region moves (Binomial(members, bloc) per region). Every replica draws
each month whether a bloc goes over; who goes is drawn only in the replicas where one
does. Focal members leaving for another group are counted
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
    routes = model.route_index
    looked = state.relation.reshape(state.n, -1)[:, routes.relations]
    on_source, on_parent, affinity, to_protector = np.split(looked, 4, axis=1)
    # A faction shares the restrictions on its group; the host fights the focal group, it
    # does not restrain it.
    restriction = np.maximum(np.maximum(-on_source, -on_parent), 0.0) * ~routes.from_focal
    pull = 1.0 + p["defection.restriction_weight"][:, None] * restriction
    pull *= 1.0 + p["defection.affinity_weight"][:, None] * np.maximum(affinity, 0.0)
    w = p["defection.estrangement_weight"][:, None]
    estrangement = (1.0 + w * (1.0 - to_protector) / 2.0) / (1.0 + w / 2.0)
    pull *= np.where(routes.from_focal, 1.0, estrangement)  # the focal group has no protector
    disunity = 1.0 + p["defection.disunity_weight"] * (1.0 - state.host_unity)
    pull *= np.where(routes.host_faction, disunity[:, None], 1.0)
    unpaid = 1.0 + p["defection.unpaid_weight"] * salary_strain(state, p)
    pull *= np.where(routes.from_focal, unpaid[:, None], 1.0)
    return pull


def calm_pull(p, model, routes: np.ndarray) -> np.ndarray:
    """The pull of each route in calm times (n, len(routes)): no restriction, affinity or
    arrears, a neutral relation to the protector (1), and a host at its usual unity."""
    disunity = p["defection.disunity_weight"] * (1.0 - p["host.unity_target"])
    faction = model.route_index.host_faction[routes]
    return np.where(faction, 1.0 + disunity[:, None], 1.0)


def route_rates(state, p, model, pull: np.ndarray | None = None) -> np.ndarray:
    """Monthly defection probability of each route in each region, (n, routes, K), from
    the routes' pull (`route_pull`, computed when not given)."""
    if pull is None:
        pull = route_pull(state, p, model)
    to_focal = model.route_index.to_focal[:, None]
    reach = np.where(to_focal, _reach(state, p)[:, None, :], 1.0)
    return _base_rates(state, p, model, pull)[:, :, None] * reach


def _base_rates(state, p, model, pull: np.ndarray) -> np.ndarray:
    """Each route's rate before the focal group's reach in the region, (n, routes): its
    base rate times its pull, and for the focal group as destination its visibility (it
    must look alive)."""
    routes = model.route_index
    rate = np.stack([p[name] for name in routes.names], axis=1) * pull
    alive = state.visibility ** p["defection.visibility_elasticity"]
    rate *= np.where(routes.to_focal, alive[:, None], 1.0)
    return rate


def _reach(state, p) -> np.ndarray:
    """The focal group's reach in each region (n, K): defectors join through its people
    where they are, and nobody joins a group that has ended."""
    return presence(state.members[:, FOCAL, :], p) * (state.ended == 0)[:, None]


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    state.splintered[:] = 0
    routes = model.route_index
    if not routes.names:
        return
    n = state.n
    pull = route_pull(state, p, model)
    # Everyone who leaves is drawn from the members at the start of the step. Only the
    # (route, region) columns whose source has members there in some replica are drawn.
    left = state.members[:, routes.sources, :].reshape(n, -1)
    columns = np.flatnonzero(left.any(axis=0)[routes.cell])
    if columns.size:
        region, cell = routes.column_region[columns], routes.cell[columns]
        rate = _base_rates(state, p, model, pull)[:, routes.column_route[columns]]
        to_focal = routes.to_focal[routes.column_route[columns]]
        if to_focal.any():
            rate = np.where(to_focal, rate * _reach(state, p)[:, region], rate)
        np.minimum(rate, 0.5, out=rate)
        moved = np.zeros((n, len(routes.names) * state.members.shape[2]), dtype=np.int64)
        if routes.single:  # one route per source: its rate is the probability
            moved[:, columns] = binomial(rng, left[:, cell], rate)
        else:
            moved[:, columns] = _sequential(rng, left, rate, cell, routes.depth[columns])
        _move(state, model, moved.reshape(n, len(routes.names), -1))
    _blocs(state, p, rng, model, pull)


def _sequential(rng, left, rate, cell, depth) -> np.ndarray:
    """Members leaving along several routes of a source: one round per position in the
    source's list of routes, each with the probability of the route given that the member
    took none of the source's earlier routes, after scaling a source's routes so that at
    most all of its members leave (a multinomial split as sequential binomials)."""
    total = np.zeros(left.shape)
    for d in range(depth.max() + 1):
        at = depth == d
        total[:, cell[at]] += rate[:, at]
    remaining = np.maximum(total, 1.0)
    drawn = np.zeros(rate.shape, dtype=np.int64)
    for d in range(depth.max() + 1):
        at = depth == d
        share, room = rate[:, at], remaining[:, cell[at]]
        conditional = np.where(room > 1e-12, share / np.maximum(room, 1e-12), 0.0)
        remaining[:, cell[at]] = room - share
        drawn[:, at] = binomial(rng, left[:, cell[at]], conditional)
        left[:, cell[at]] -= drawn[:, at]
    return drawn


def _blocs(state, p, rng, model, pull: np.ndarray) -> None:
    """Bloc defections: a route with a bloc share goes over at once, at most once. Every
    replica draws whether it happens; only those where it does draw who goes."""
    routes = model.route_index.bloc
    if routes.size == 0:
        return
    excess = np.maximum(pull[:, routes] / calm_pull(p, model, routes) - 1.0, 0.0)
    hazard = p["defection.bloc_hazard"][:, None] * excess
    to_focal = model.route_index.to_focal[routes]
    if to_focal.any():
        alive = (state.ended == 0) & (state.members[:, FOCAL, :].sum(axis=1) > 0)
        joins = state.visibility ** p["defection.visibility_elasticity"] * alive
        hazard *= np.where(to_focal, joins[:, None], 1.0)
    happens = (rng.random(hazard.shape) < hazard) & ~state.bloc_done[:, routes]
    if not happens.any():
        return
    # Who goes is drawn for every route from the members before any bloc moves.
    blocs = []
    for i, r in enumerate(routes):
        rows = np.flatnonzero(happens[:, i])
        if rows.size:
            src = model.routes[r][0]
            blocs.append((r, rows, binomial(rng, state.members[rows, src], model.route_bloc[r])))
    state.bloc_done[:, routes] |= happens
    members = state.members
    for r, rows, going in blocs:
        src, dst, _ = model.routes[r]
        members[rows, src] -= going
        members[rows, dst] += going
        if dst == FOCAL:
            state.defections[rows, src] += going.sum(axis=1)
        elif src == FOCAL:
            state.attrition[rows] += going
            state.splintered[rows] += going.sum(axis=1)


def _move(state, model, moved: np.ndarray) -> None:
    """Move `moved` (n, routes, K) members along each route, counting arrivals in the
    focal group and the focal group's own leavers."""
    routes = model.route_index
    members = state.members
    if routes.single:  # each source has one route: one subtraction for all
        members[:, routes.source] -= moved
    else:
        for r, src in enumerate(routes.source):
            members[:, src] -= moved[:, r]
    for dst in np.unique(routes.target):
        members[:, dst] += moved[:, routes.target == dst].sum(axis=1)
    if routes.to_focal.any():  # arrivals by origin (one route from a source to the group)
        state.defections[:, routes.source[routes.to_focal]] += moved[:, routes.to_focal].sum(axis=2)
    if routes.from_focal.any():  # the focal group's own members leaving for another group
        leaving = moved[:, routes.from_focal].sum(axis=1)
        state.attrition += leaving
        state.splintered += leaving.sum(axis=1)


PROCESS = Process(
    "defection",
    "Members moving between groups and factions, driven by restrictions and relations.",
    PARAMETERS,
    step,
)
