"""Defection flows between named groups and factions (SYSTEM.md sections 6, 7 and 8).

Each defection route (from a unit to another, declared in the scenario with its base rate)
moves members within their region. The rate grows with the host's restrictions on the
source (a negative relation from the host to it), with the source's affinity for the
destination (a positive relation), with the host's disunity when the source is one of the
host's own factions, and with the destination's visibility when it is the focal group.
Members leaving a (unit, region) cell are split among its routes by a multinomial draw
(sequential conditional binomials), so defection conserves members exactly.
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
        restriction = np.maximum(-rel[:, model.host_entity, src_e], 0.0)
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
    if not model.routes:
        return
    rates = route_rates(state, p, model)
    members = state.members
    for src, route_ids in model.routes_by_source.items():
        probs = np.minimum(rates[:, route_ids], 0.5)
        total = probs.sum(axis=1)
        probs = probs / np.maximum(total, 1.0)[:, None]  # at most all of them leave
        left = members[:, src, :].copy()
        remaining = np.ones(state.n)
        for col, r in enumerate(route_ids):
            dst = model.routes[r][1]
            q = np.where(remaining > 0, probs[:, col] / np.maximum(remaining, 1e-12), 0.0)
            moved = binomial(rng, left, q[:, None])
            left -= moved
            remaining -= probs[:, col]
            members[:, src, :] -= moved
            members[:, dst, :] += moved
            if dst == 0:
                state.defections[:, src] += moved.sum(axis=1)


PROCESS = Process(
    "defection",
    "Members moving between groups and factions, driven by restrictions and relations.",
    PARAMETERS,
    step,
)
