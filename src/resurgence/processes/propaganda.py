"""Propaganda (SYSTEM.md section 4).

Online propaganda and recruitment were expanded to make up for the low level of attacks:
the output the group wants grows as its visibility falls. Propaganda costs money, paid
from a share of the treasury, so at the peak of a money crisis output falls too. Output
amplifies how visible attacks are (`perception`) and helps recruitment (`recruitment`).
"""

import numpy as np

from resurgence.processes.base import Parameter, Process

PARAMETERS = (
    Parameter(
        "propaganda.base",
        1.0,
        0.0,
        3.0,
        "relative output",
        "Output in a normal month.",
    ),
    Parameter(
        "propaganda.offset",
        1.5,
        0.0,
        4.0,
        "relative output added at zero visibility",
        "Online propaganda was expanded to make up for the low level of attacks.",
    ),
    Parameter(
        "propaganda.cost",
        15.0,
        0.0,
        100.0,
        "USD thousand per month at output 1",
        "Media teams, equipment and distribution.",
    ),
    Parameter(
        "propaganda.budget_share",
        0.2,
        0.0,
        1.0,
        "share of the treasury per month",
        "At the money peak (first half of 2023) propaganda output fell too.",
    ),
)


def step(state, p, rng, model) -> None:
    wanted = p["propaganda.base"] + p["propaganda.offset"] * (1.0 - state.visibility)
    spend = p["propaganda.cost"] * wanted
    budget = p["propaganda.budget_share"] * np.maximum(state.treasury, 0.0)
    funded = np.where(spend > 0, np.minimum(1.0, budget / np.where(spend > 0, spend, 1.0)), 1.0)
    state.propaganda[:] = wanted * funded
    state.treasury -= np.minimum(spend * funded, np.maximum(state.treasury, 0.0))


PROCESS = Process(
    "propaganda",
    "Propaganda output: expanded to offset inactivity, limited by money.",
    PARAMETERS,
    step,
)
