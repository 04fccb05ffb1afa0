"""Defection flows between named groups and factions (SYSTEM.md sections 6, 7 and 8).

Each defection route (from a unit to another, declared in the scenario with its base rate)
moves members within their region. The rate grows with the host's restrictions on the
source (a negative relation from the host to it or, for a faction, to its group; the
focal group, which the host fights, is not "restricted"), with the source's affinity for the
destination (a positive relation), with the host's disunity when the source is one of the
host's own factions, and with the destination's visibility when it is the focal group.
Members leaving a (unit, region) cell are split among its routes by a multinomial draw
(sequential conditional binomials) from the members at the start of the step, so
defection conserves members exactly and arrivals do not leave in the month they arrive.
Focal members leaving for another group are counted (`splintered`: a faction leaving, for
`ending`); nobody joins a focal group that has ended.
"""

import numpy as np

from resurgence.processes.base import Parameter, Process, binomial

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
)


def route_rates(state, p, model) -> np.ndarray:
    """Monthly defection probability of each route, shape (n, routes)."""
    rel = state.relation
    rates = np.empty((state.n, len(model.routes)))
    for r, (src, dst, name) in enumerate(model.routes):
        src_e, dst_e = model.unit_entity[src], model.unit_entity[dst]
        if src == 0:  # the host fights the focal group; it does not restrain it
            restriction = 0.0
        else:  # a faction shares the restrictions on its group
            parent = model.unit_parent[src]
            restriction = np.maximum(
                np.maximum(-rel[:, model.host_entity, src_e], -rel[:, model.host_entity, parent]),
                0.0,
            )
        affinity = np.maximum(rel[:, src_e, dst_e], 0.0)
        rate = (
            p[name]
            * (1.0 + p["defection.restriction_weight"] * restriction)
            * (1.0 + p["defection.affinity_weight"] * affinity)
        )
        if model.unit_is_host_faction[src]:
            rate = rate * (1.0 + p["defection.disunity_weight"] * (1.0 - state.host_unity))
        if dst == 0:
            rate = rate * state.visibility ** p["defection.visibility_elasticity"]
        rates[:, r] = rate
    return rates


def step(state, p, rng, model) -> None:
    state.splintered[:] = 0
    if not model.routes:
        return
    rates = np.minimum(route_rates(state, p, model), 0.5)
    for r, (_, dst, _) in enumerate(model.routes):
        if dst == 0:  # nobody joins a focal group that has ended
            rates[:, r] = np.where(state.ended == 0, rates[:, r], 0.0)
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
        drawn = binomial(rng, left[:, rows, :], conditional[:, ids, None])
        left[:, rows, :] -= drawn
        moved[:, ids, :] = drawn
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
