"""An alliance between the sheltered ally and the focal group (docs/background.md §8).

TTP leaders hint that, pushed to give up their war, they might ally with the Islamic State;
the two already cooperate in Khyber Pakhtunkhwa. The alliance is a regime, on or off in
each replica. It begins at a monthly hazard that grows with the square of the ally's
distrust of the host ((1 - relation) / 2, fed by the neighbour's killings and the host's
restrictions, see `ally`) and with its affinity for the focal group
((1 + relation) / 2); it breaks up at a constant rate. While it lasts, in the ally's areas
(regions tagged `ally_area`), the group shares the ally's logistics and "taxation"
(`revenue`), recruits in its areas (`recruitment`), shelters in its safe areas from the
host's raids (`counterterrorism`) and mounts joint operations (`operations`).
"""

import numpy as np

from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import State
from resurgence.processes.ally import distrust

PARAMETERS = (
    Parameter(
        "alliance.hazard",
        0.04,
        0.0,
        0.3,
        "per month at complete estrangement from the host and full affinity",
        "Assumption: no alliance by January 2024 while distrust was rising; a likely one "
        "within a few years if the ally breaks with the host.",
    ),
    Parameter(
        "alliance.breakup",
        0.03,
        0.0,
        0.3,
        "per month",
        "Assumption: alliances between jihadist rivals are fragile; about three years.",
    ),
    Parameter(
        "alliance.revenue",
        1.0,
        0.0,
        3.0,
        "relative gain of local revenue in the ally's areas",
        "Agreed 'taxation' rights and shared logistics in Khyber Pakhtunkhwa.",
    ),
    Parameter(
        "alliance.recruitment",
        1.0,
        0.0,
        3.0,
        "relative gain of recruitment in the ally's areas",
        "Agreed recruitment areas; the TTP's Afghan recruits are a pool the group can draw on.",
    ),
    Parameter(
        "alliance.shelter",
        0.5,
        0.0,
        1.0,
        "share of raid losses avoided in the ally's areas",
        "In TTP-controlled areas the TTP tolerates the group; allied, it hides it.",
    ),
    Parameter(
        "alliance.joint_operations",
        0.5,
        0.0,
        2.0,
        "relative gain of attacks in the ally's areas",
        "Joint operations and exchanged logistics.",
    ),
)


def hazard(state, p, model) -> np.ndarray:
    """Monthly probability that an alliance begins, per replica."""
    affinity = (1.0 + state.relation[:, model.ally_entity, model.focal_entity]) / 2.0
    return p["alliance.hazard"] * distrust(state, model) ** 2 * affinity


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    if model.ally_entity < 0:
        return
    u = rng.random(state.n)
    alive = state.ended == 0
    begins = (state.alliance == 0) & (u < hazard(state, p, model)) & alive
    ends = (state.alliance > 0) & ((u < p["alliance.breakup"]) | ~alive)
    state.alliance[begins] = 1.0
    state.alliance[ends] = 0.0


PROCESS = Process(
    "alliance",
    "An alliance regime between the sheltered ally and the focal group.",
    PARAMETERS,
    step,
)
