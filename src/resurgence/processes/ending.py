"""How a group ends, and why (Jones & Libicki 2008, RAND MG-741).

A group ends when its members stay below a floor (`ending.member_floor`) for
`ending.floor_months` months in a row; it is then dated, as event datasets date an end by
the last attack, to the month its final spell below the floor began. The cause is the flow
that took the most members over the months before and during that spell: a decaying sum
(memory `ending.attribution_memory` months) of the month's losses by kind,

* policing: raid losses due to intelligence-led raids (`counterterrorism.raid_intel`);
* military force: raid losses due to indiscriminate sweeps;
* politics: members who went home under reconciliation deals (`recruitment`);
* splintering: members who left for another group or faction (`defection`);
* collapse: members who left unpaid or demoralised (`payroll`); Jones & Libicki have no
  such category, and the check reports it separately rather than fold it into another.

A founding group is fragile (Phillips 2017: about half of groups end in their first
year). A group is founding in its first `ending.founding_months` months if it has not yet
carried out `operations.mature_experience` attacks (a scenario that starts with an
established group, with its attacks behind it, has no founding period). A founding group
below `ending.fragile_size` members loses its leadership in a month with raid losses with
probability `ending.decapitation`, which ends it (cause policing or military, by the kind
of raid); and one that attracts nobody (no recruit, no defector) for
`ending.floor_months` months in a row dissolves (cause collapse).

A group wins (cause victory) when it reaches its aims: the host's unity stays below
`ending.victory_unity` (the state has in effect collapsed) for `ending.floor_months`
months while the group holds ground (posture below one half: overt units, not cells) with
at least `ending.victory_members` members. A host collapse alone does not end a group: an
underground or small group lives on in the collapse, helped by it (`counterterrorism`,
`defection`). A group that has won keeps its members. Mediation, which Jones & Libicki
count with politics, has no flow of its own for the focal group.

Once ended, a group stays ended: it recruits nobody, nobody joins it, and it attacks no
more (`operations`, `recruitment`, `defection`); a defeated group's members are set to
zero each month. The process runs last in the month, so that it sees the month's flows,
and it advances the state's month counter.
"""

import numpy as np

from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import END_CAUSES, FOCAL, State

PARAMETERS = (
    Parameter(
        "ending.member_floor",
        5.0,
        1.0,
        100.0,
        "members",
        "Assumption: fewer members than an underground cell (6) cannot mount attacks.",
    ),
    Parameter(
        "ending.floor_months",
        6.0,
        1.0,
        36.0,
        "months",
        "Assumption: half a year below the floor without rebuilding; event datasets call a "
        "group ended after a stretch without attacks.",
    ),
    Parameter(
        "ending.attribution_memory",
        12.0,
        1.0,
        60.0,
        "months (e-folding time of the decaying sums of losses by cause)",
        "Assumption: the cause of an end is what wore the group down over about a year.",
    ),
    Parameter(
        "ending.victory_unity",
        0.1,
        0.0,
        0.5,
        "host unity",
        "Assumption: a host this divided has lost its monopoly of force.",
    ),
    Parameter(
        "ending.victory_members",
        1000.0,
        10.0,
        100000.0,
        "members",
        "Assumption: to take power in a collapsing state a group needs some thousand men "
        "holding ground.",
    ),
    Parameter(
        "ending.founding_months",
        12.0,
        0.0,
        60.0,
        "months",
        "The fragile first year of a group (Phillips 2017: about half of groups end in it).",
    ),
    Parameter(
        "ending.fragile_size",
        50.0,
        0.0,
        500.0,
        "members",
        "Assumption: a group of a few tens of members rests on a handful of leaders.",
    ),
    Parameter(
        "ending.decapitation",
        0.15,
        0.0,
        1.0,
        "probability per month with raid losses, below the fragile size",
        "A raid or the loss of its leader can end a founding group (Jordan 2009, Security "
        "Studies 18:719: decapitation ends young, small groups more often).",
    ),
)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    active = state.ended == 0
    members = state.members[:, FOCAL, :]
    total = members.sum(axis=1)
    raids = state.losses.sum(axis=1).astype(np.float64)
    left = state.attrition.sum(axis=1) - state.reconciled - state.splintered
    flows = np.stack(
        [
            raids * state.raid_intel,
            raids * (1.0 - state.raid_intel),
            state.reconciled.astype(np.float64),
            state.splintered.astype(np.float64),
            np.maximum(left, 0).astype(np.float64),
        ],
        axis=1,
    )
    state.end_flows *= np.exp(-1.0 / p["ending.attribution_memory"])[:, None]
    state.end_flows += flows

    below = total < p["ending.member_floor"]
    state.below_floor = np.where(below, state.below_floor + 1, 0)
    needed = p["ending.floor_months"]
    beaten = active & below & (state.below_floor >= needed)
    cause = 1 + np.argmax(state.end_flows, axis=1)
    state.end_cause[beaten] = cause[beaten]
    start = state.clock - state.below_floor + 2  # months counted from 1
    state.ended[beaten] = start[beaten]
    _founding_fragility(state, p, rng, active & ~beaten, total, raids)

    # Victory: the host has collapsed for as long as a defeat would take, while the group
    # holds ground in strength.
    collapsed = state.host_unity < p["ending.victory_unity"]
    state.host_collapsed = np.where(collapsed, state.host_collapsed + 1, 0)
    strong = (total >= p["ending.victory_members"]) & (state.posture < 0.5)
    won = (state.ended == 0) & strong & (state.host_collapsed >= needed)
    state.end_cause[won] = END_CAUSES.index("victory")
    state.ended[won] = (state.clock - state.host_collapsed + 2)[won]

    defeated = (state.ended > 0) & (state.end_cause != END_CAUSES.index("victory"))
    members[defeated] = 0
    state.clock += 1


def _founding_fragility(state, p, rng, active, total, raids) -> None:
    """A small founding group ends when raids take its leadership, or when it attracts
    nobody for `ending.floor_months` months."""
    founding = (state.experience < p["operations.mature_experience"]) & (
        state.clock < p["ending.founding_months"]
    )
    fragile = active & founding & (total > 0) & (total < p["ending.fragile_size"])
    joined = state.recruits.sum(axis=1) + state.defections.sum(axis=1)
    state.barren = np.where(fragile & (joined == 0), state.barren + 1, 0)
    hit = fragile & (raids > 0) & (rng.random(state.n) < p["ending.decapitation"])
    by_intel = rng.random(state.n) < state.raid_intel
    state.end_cause[hit] = np.where(
        by_intel, END_CAUSES.index("policing"), END_CAUSES.index("military")
    )[hit]
    dissolved = fragile & ~hit & (state.barren >= p["ending.floor_months"])
    state.end_cause[dissolved] = END_CAUSES.index("collapse")
    state.ended[hit | dissolved] = (state.clock + 1)[hit | dissolved]


PROCESS = Process(
    "ending",
    "The group ends below a floor of members (cause: the flow that wore it down) or wins.",
    PARAMETERS,
    step,
)
