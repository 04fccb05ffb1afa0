"""The sheltered ally, the host and the neighbour (docs/background.md §7 and §8).

The scenario's `ally` (the TTP) lives on both sides of a border. Its members (and its
factions') cross from the host's border regions abroad to fight (`ally.return_rate`, which
mediation winds down), more when the host pushes them (`ally.push`); they fall back into
the border regions under the neighbour's operations (`ally.retreat`), are relocated from
`relocation_origin` to `relocation_destination` regions if the host tries it
(`ally.relocation`), grow with local recruits in the host's territory (fewer when the host
enforces its ban on joining the ally's fight), and are killed by the neighbour's strikes
and targeted killings in border regions and abroad. Relations move toward targets set by the
timeline plus the levers of the month: enforcement of the host's ban sours the host's
relation to the ally; the ally's distrust of the host (its relation to the host falling)
grows with the neighbour's killings (many suspect host elements of helping), with the
host's restrictions on it (the ban, detentions: the host's negative relation to it) and
with relocation, which it resists; mediation with the neighbour (which would end the
ally's war) raises the ally's pull toward the focal group ("massive defections") while the
hard-liners reject it, leaning to the focal group and away from the ally's leadership.
Relations drive `defection` (trickles and bloc defections) and `alliance`.
"""

import numpy as np

from resurgence.core.draws import binomial, poisson
from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import State

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
        "ally.return_rate",
        0.015,
        0.0,
        0.2,
        "share of border members moving abroad per month",
        "Fighters cross back to fight in Pakistan; numbers on Afghan soil move with it.",
    ),
    Parameter(
        "ally.push",
        0.0,
        0.0,
        0.2,
        "extra share moved abroad per month",
        "The host asked the TTP to move its fighters into Pakistan; the timeline sets it.",
    ),
    Parameter(
        "ally.ban_recruitment_effect",
        0.5,
        0.0,
        1.0,
        "share of local recruitment stopped at full enforcement",
        "The host banned Afghans from joining the TTP's fight.",
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
        "ally.restraint_resentment",
        0.5,
        0.0,
        2.0,
        "relation lost per unit of the host's restraint of the ally",
        "The ban, the detentions of returning fighters and the crackdown after Chitral are "
        "resisted by the TTP.",
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


def _move(rng, members, src, dst, rate) -> None:
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
        part = binomial(rng, left, 1.0 / (dst.size - i))
        members[:, :, region] += part
        left -= part
    members[:, :, dst[-1]] += left


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
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
        _move(rng, members, frontier, idx(abroad), going)
        _move(rng, members, idx(abroad), frontier, p["ally.retreat"] * pressure)
        _move(
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
        members[:, :, local] += poisson(rng, growth[:, None, None] * members[:, :, local])
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


def distrust(state, model) -> np.ndarray:
    """The ally's distrust of the host, (1 - relation) / 2 in [0, 1]: 0.25 for the TTP's
    cooperation of 2021 (0.5), 1 for open hostility."""
    return (1.0 - state.relation[:, model.ally_entity, model.host_entity]) / 2.0


PROCESS = Process(
    "ally",
    "The sheltered ally's members, the neighbour's pressure, and ally-host relations.",
    PARAMETERS,
    step,
)
