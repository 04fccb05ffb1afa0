"""Sponsor decline (docs/background.md §3).

The parent organisation's resources have declined since 2018, with ups and downs: a
geometric random walk whose drift is the trend of its resources. The trend may be a
recovery as well as a decline (condition 1: the alignment against the group's funding
may dissolve). What it sends is set in `funding`.
"""

import numpy as np

from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import State

PARAMETERS = (
    Parameter(
        "sponsor.decline_rate",
        0.015,
        -0.03,
        0.06,
        "per month (log scale); negative: the parent recovers",
        "The parent's resources have fallen since 2018; 1.5%/month is about 16%/year. "
        "A negative rate is a recovery (new revenue, a new province), which the analysis "
        "leaves open.",
    ),
    Parameter(
        "sponsor.volatility",
        0.08,
        0.0,
        0.3,
        "per month (log scale)",
        "Ups and downs of the parent's income from month to month.",
    ),
)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    sigma = p["sponsor.volatility"]
    shock = rng.standard_normal(state.n)
    state.sponsor_resources *= np.exp(-p["sponsor.decline_rate"] - 0.5 * sigma**2 + sigma * shock)


PROCESS = Process(
    "sponsor", "The sponsor's resources decline with ups and downs.", PARAMETERS, step
)
