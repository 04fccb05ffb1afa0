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

A group wins (cause victory) when the host's unity stays below `ending.victory_unity` (in
effect, the state has collapsed) for `ending.floor_months` months while the group is
above its floor; the model has no other notion of winning, so victory is rare by
construction. Mediation, which Jones & Libicki count with politics, has no flow of its own
for the focal group.

Once ended, a group stays ended: its members are set to zero each month, it recruits
nobody, nobody joins it, and it attacks no more (`operations`, `recruitment`,
`defection`). The process runs last in the month, so that it sees the month's flows, and it
advances the state's month counter.
"""

import numpy as np

from resurgence.processes.base import Parameter, Process

CAUSES = ("active", "policing", "military", "politics", "splintering", "collapse", "victory")
"""Codes of `State.end_cause` (and the recorded `end_cause`), by index."""

FLOW_CAUSES = CAUSES[1:6]
"""The causes attributed from flows of members, in the order of `State.end_flows`."""

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
        "Assumption: a host this divided has lost its monopoly of force; the group has won.",
    ),
)


def step(state, p, rng, model) -> None:
    active = state.ended == 0
    members = state.members[:, 0, :]
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

    # Victory: the host has collapsed for as long as a defeat would take, the group intact.
    collapsed = state.host_unity < p["ending.victory_unity"]
    state.host_collapsed = np.where(collapsed, state.host_collapsed + 1, 0)
    won = active & ~beaten & ~below & (state.host_collapsed >= needed)
    state.end_cause[won] = CAUSES.index("victory")
    state.ended[won] = (state.clock - state.host_collapsed + 2)[won]

    over = state.ended > 0
    members[over] = 0
    state.clock += 1


PROCESS = Process(
    "ending",
    "The group ends below a floor of members (cause: the flow that wore it down) or wins.",
    PARAMETERS,
    step,
)
