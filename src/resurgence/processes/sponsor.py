"""Sponsor decline (SYSTEM.md section 3).

The parent organisation's resources have declined since 2018, with ups and downs: a
geometric random walk with negative drift. What it sends is set in `funding`.
"""

import numpy as np

from resurgence.processes.base import Parameter, Process

PARAMETERS = (
    Parameter(
        "sponsor.decline_rate",
        0.015,
        0.0,
        0.06,
        "per month (log scale)",
        "The parent's resources have fallen since 2018; 1.5%/month is about 16%/year.",
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


def step(state, p, rng, model) -> None:
    sigma = p["sponsor.volatility"]
    shock = rng.standard_normal(state.n)
    state.sponsor_resources *= np.exp(-p["sponsor.decline_rate"] - 0.5 * sigma**2 + sigma * shock)


PROCESS = Process(
    "sponsor", "The sponsor's resources decline with ups and downs.", PARAMETERS, step
)
