"""The sheltered ally, the host and the neighbour (SYSTEM.md sections 7 and 8).

The scenario's `ally` (the TTP) lives on both sides of a border. Its members move abroad
when the host pushes them (`ally.push`), fall back into the host's territory under the
neighbour's operations (`ally.retreat`), are relocated away from the border if the host
tries it (`ally.relocation`), grow with local recruits, and are killed by the neighbour's
strikes and targeted killings in border regions. Relations move toward targets set by the
timeline plus the levers of the month: enforcement of the host's ban sours the host's
relation to the ally, the neighbour's killings feed the ally's distrust of the host (many
suspect host elements of helping), relocation is resented, and mediation with the
neighbour (which would end the ally's war) raises the ally's and its hard-liners' pull
toward the focal group while the hard-liners reject it. Relations drive `defection`.
"""

import numpy as np

from resurgence.processes.base import Parameter, Process, binomial

PARAMETERS = (
    Parameter(
        "ally.growth",
        0.004,
        0.0,
        0.05,
        "per month",
        "A growing number of Afghan recruits join the TTP.",
    ),
    Parameter(
        "ally.push",
        0.0,
        0.0,
        0.2,
        "share moved abroad per month",
        "The host asked the TTP to move its fighters into Pakistan; the timeline sets it.",
    ),
    Parameter(
        "ally.retreat",
        0.04,
        0.0,
        0.3,
        "share moved back per month per unit of pressure",
        "TTP numbers on Afghan soil move with operations in Pakistan.",
    ),
    Parameter(
        "ally.relocation",
        0.0,
        0.0,
        0.2,
        "share moved per month",
        "Relocation of TTP members to the north, tried without success in 2023.",
    ),
    Parameter(
        "ally.mediation",
        0.0,
        0.0,
        1.0,
        "mediation level",
        "No mediation between the TTP and the neighbour is under way.",
    ),
    Parameter(
        "ally.relation_reversion",
        0.15,
        0.01,
        1.0,
        "per month",
        "Relations return to their timeline level unless a lever holds them away.",
    ),
    Parameter(
        "ally.enforcement_effect",
        0.8,
        0.0,
        2.0,
        "relation lost per unit of enforcement",
        "Enforcing the ban turns the host against the TTP.",
    ),
    Parameter(
        "ally.distrust",
        0.5,
        0.0,
        2.0,
        "relation lost per unit of neighbour pressure",
        "Many in the TTP suspect host elements of helping with the killings.",
    ),
    Parameter(
        "ally.relocation_resentment",
        3.0,
        0.0,
        10.0,
        "relation lost per unit of relocation rate",
        "Each option is resisted by the TTP.",
    ),
    Parameter(
        "ally.war_end_affinity",
        0.6,
        0.0,
        1.0,
        "relation to the focal group gained at full mediation",
        "TTP leaders warn of massive defections to the group if they gave up their war.",
    ),
    Parameter(
        "ally.hardliner_rejection",
        0.6,
        0.0,
        1.0,
        "relation change at full mediation",
        "The hard-liners would reject mediation and lean to the group.",
    ),
    Parameter(
        "neighbour.pressure",
        0.5,
        0.0,
        3.0,
        "relative",
        "Occasional artillery and air strikes and targeted killings of commanders.",
    ),
    Parameter(
        "neighbour.pressure_adjust",
        0.3,
        0.01,
        1.0,
        "per month",
        "Campaigns build up and die down over months.",
    ),
    Parameter(
        "neighbour.strike_lethality",
        0.004,
        0.0,
        0.03,
        "share of border members per month per unit of pressure",
        "Strikes and killings remove commanders and fighters near the border.",
    ),
)


def _move(rng, members, src_mask, dst_mask, rate) -> None:
    """Move a binomial share of members from source regions to destination regions."""
    src = members[:, src_mask]
    moved = binomial(rng, src, np.broadcast_to(rate[:, None], src.shape))
    members[:, src_mask] = src - moved
    n_dst = int(dst_mask.sum())
    total = moved.sum(axis=1)
    members[:, dst_mask] += rng.multinomial(total, np.full(n_dst, 1.0 / n_dst))


def step(state, p, rng, model) -> None:
    mediation = p["ally.mediation"]
    state.neighbour_pressure += p["neighbour.pressure_adjust"] * (
        p["neighbour.pressure"] - state.neighbour_pressure
    )
    pressure = state.neighbour_pressure * (1.0 - mediation)

    tags = model.region_tags
    exposed = tags["border"] | tags["abroad"]
    for u in model.ally_units:
        members = state.members[:, u, :]
        if exposed.any():
            killed = binomial(
                rng, members, (p["neighbour.strike_lethality"] * pressure)[:, None] * exposed
            )
            members -= killed
        home = tags["host_territory"]
        if tags["abroad"].any() and home.any():
            _move(rng, members, home, tags["abroad"], p["ally.push"])
            _move(rng, members, tags["abroad"], home, p["ally.retreat"] * pressure)
        origin, destination = tags["relocation_origin"], tags["relocation_destination"]
        if origin.any() and destination.any():
            _move(rng, members, origin, destination, p["ally.relocation"])
        grown = rng.poisson(p["ally.growth"][:, None] * members * home)
        members += grown

    rel = state.relation
    target = state.relation_anchor.copy()
    a, h, f = model.ally_entity, model.host_entity, model.focal_entity
    if a >= 0:
        target[:, h, a] -= p["ally.enforcement_effect"] * p["host.ally_ban_enforcement"]
        target[:, a, h] -= (
            p["ally.distrust"] * pressure
            + p["ally.relocation_resentment"] * p["ally.relocation"]
        )
        target[:, a, f] += p["ally.war_end_affinity"] * mediation
        hard = model.hardliner_entity
        if hard >= 0:
            target[:, hard, f] += p["ally.hardliner_rejection"] * mediation
            target[:, hard, a] -= p["ally.hardliner_rejection"] * mediation
    rel += p["ally.relation_reversion"][:, None, None] * (target - rel)
    np.clip(rel, -1.0, 1.0, out=rel)


PROCESS = Process(
    "ally",
    "The sheltered ally's members, the neighbour's pressure, and ally-host relations.",
    PARAMETERS,
    step,
)
