"""Propaganda (docs/background.md §4).

Online propaganda and recruitment were expanded to make up for the low level of attacks:
the output the group wants grows as its visibility falls. Propaganda costs money. It has a
budget priority: a share (`propaganda.priority`) of the month's receipts (transfers and
local revenue) is kept back for it before salaries and operations are paid (`reserve`,
which `payroll` and `operations` leave alone), up to what the wanted output costs, and it
may spend a share of the treasury beyond that. At the peak of a money crisis, with almost
nothing coming in, output falls too; as soon as some money arrives again, the reserve lets
it expand while salaries stay unpaid.
Output amplifies how visible attacks are (`perception`) and helps recruitment
(`recruitment`).
"""

import numpy as np

from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import State

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
        30.0,
        0.0,
        100.0,
        "USD thousand per month at output 1",
        "Assumption: media teams, equipment, distribution and online recruiters, some 5% "
        "of the 2021 budget.",
    ),
    Parameter(
        "propaganda.budget_share",
        0.2,
        0.0,
        1.0,
        "share of the treasury per month",
        "At the money peak (first half of 2023) propaganda output fell too.",
    ),
    Parameter(
        "propaganda.priority",
        0.2,
        0.0,
        1.0,
        "share of the month's receipts kept back before salaries",
        "Propaganda was expanded after the crisis peak while salaries went unpaid: the "
        "media effort comes before pay.",
    ),
)


def wanted(state, p) -> np.ndarray:
    """Output the group wants: more when it looks inactive."""
    return p["propaganda.base"] + p["propaganda.offset"] * (1.0 - state.visibility)


def reserve(state, p) -> np.ndarray:
    """Cash kept back for propaganda this month, before salaries and operations: a share
    of the month's receipts, at most what the wanted output costs and what there is."""
    receipts = state.income + state.revenue
    keep = np.minimum(p["propaganda.priority"] * receipts, p["propaganda.cost"] * wanted(state, p))
    return np.minimum(keep, np.maximum(state.treasury, 0.0))


def spendable(state, p) -> np.ndarray:
    """Cash that salaries and operations may draw on: the treasury less the reserve."""
    return np.maximum(state.treasury, 0.0) - reserve(state, p)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    spend = p["propaganda.cost"] * wanted(state, p)
    budget = np.maximum(
        reserve(state, p), p["propaganda.budget_share"] * np.maximum(state.treasury, 0.0)
    )
    funded = np.where(spend > 0, np.minimum(1.0, budget / np.where(spend > 0, spend, 1.0)), 1.0)
    state.propaganda[:] = wanted(state, p) * funded
    state.treasury -= np.minimum(spend * funded, np.maximum(state.treasury, 0.0))


PROCESS = Process(
    "propaganda",
    "Propaganda output: expanded to offset inactivity, limited by money.",
    PARAMETERS,
    step,
)
