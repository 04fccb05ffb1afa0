"""Visibility (docs/background.md §1).

Visibility is how active the group looks to members, would-be members and donors: a
moving average of a saturating function of its attacks (weighted by type) amplified by
this month's propaganda (`propaganda`). Visibility feeds back on donations (`funding`) and
recruitment (`recruitment`): less money, fewer attacks, less money.
"""

import numpy as np

from resurgence.core.draws import clip01
from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import State

PARAMETERS = (
    Parameter(
        "perception.memory",
        0.3,
        0.05,
        1.0,
        "weight of the current month",
        "Audiences judge activity over the last few months.",
    ),
    Parameter(
        "perception.reference_attacks",
        30.0,
        5.0,
        200.0,
        "weighted attacks per month",
        "Activity at which the group looks clearly active (visibility 0.63).",
    ),
    Parameter(
        "perception.amplification",
        0.5,
        0.0,
        2.0,
        "relative gain per unit of propaganda",
        "Propaganda made the few attacks look bigger than they were.",
    ),
)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    v = state.visibility
    weighted = (state.attacks.sum(axis=1) * model.attack_visibility).sum(axis=1)
    signal = weighted * (1.0 + p["perception.amplification"] * state.propaganda)
    seen = 1.0 - np.exp(-signal / p["perception.reference_attacks"])
    m = p["perception.memory"]
    v *= 1.0 - m
    v += m * seen
    clip01(v)


PROCESS = Process(
    "perception", "Visibility from attacks amplified by propaganda.", PARAMETERS, step
)
