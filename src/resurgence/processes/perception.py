"""Visibility and propaganda (SYSTEM.md sections 1 and 4).

Visibility is how active the group looks to members, would-be members and donors: a
moving average of a saturating function of its attacks (weighted by type) amplified by
propaganda. Propaganda output expands to offset inactivity, but costs money, so it falls
at the peak of a money crisis. Visibility feeds back on donations (`funding`) and
recruitment (`recruitment`): less money, fewer attacks, less money.
"""

import numpy as np

from resurgence.processes.base import Parameter, Process, clip01

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
    Parameter(
        "perception.propaganda_base",
        1.0,
        0.0,
        3.0,
        "relative output",
        "Output in a normal month.",
    ),
    Parameter(
        "perception.propaganda_offset",
        1.5,
        0.0,
        4.0,
        "relative output added at zero visibility",
        "Online propaganda was expanded to make up for the low level of attacks.",
    ),
    Parameter(
        "perception.propaganda_cost",
        15.0,
        0.0,
        100.0,
        "USD thousand per month at output 1",
        "Media teams, equipment and distribution.",
    ),
    Parameter(
        "perception.propaganda_budget_share",
        0.2,
        0.0,
        1.0,
        "share of the treasury per month",
        "At the money peak (first half of 2023) propaganda output fell too.",
    ),
)


def step(state, p, rng, model) -> None:
    v = state.visibility
    wanted = p["perception.propaganda_base"] + p["perception.propaganda_offset"] * (1.0 - v)
    spend = p["perception.propaganda_cost"] * wanted
    budget = p["perception.propaganda_budget_share"] * np.maximum(state.treasury, 0.0)
    funded = np.where(spend > 0, np.minimum(1.0, budget / np.where(spend > 0, spend, 1.0)), 1.0)
    state.propaganda[:] = wanted * funded
    state.treasury -= np.minimum(spend * funded, np.maximum(state.treasury, 0.0))
    weighted = state.attacks.sum(axis=1) @ model.attack_visibility
    signal = weighted * (1.0 + p["perception.amplification"] * state.propaganda)
    seen = 1.0 - np.exp(-signal / p["perception.reference_attacks"])
    m = p["perception.memory"]
    v *= 1.0 - m
    v += m * seen
    clip01(v)


PROCESS = Process(
    "perception", "Visibility from attacks and propaganda; propaganda output.", PARAMETERS, step
)
