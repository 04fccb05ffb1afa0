"""Exogenous windfalls (docs/background.md §5, condition 5).

New chances to raise money or recruit arise from events outside the group's control
(a prison break, a new war nearby, a wealthy donor): at a small monthly rate a windfall
brings cash and a temporary boost to recruitment.
"""

import numpy as np

from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import State

PARAMETERS = (
    Parameter(
        "shocks.windfall_rate",
        0.02,
        0.0,
        0.2,
        "probability per month",
        "About one windfall every four years, as prison breaks and sudden conflicts occur.",
    ),
    Parameter(
        "shocks.windfall_money",
        300.0,
        0.0,
        3000.0,
        "USD thousand (mean of an exponential law)",
        "Of the order of a few months of 2021 payroll.",
    ),
    Parameter(
        "shocks.windfall_recruits",
        1.0,
        0.0,
        5.0,
        "relative boost to recruitment",
        "A windfall event (e.g. prisoners freed) can double recruitment for a while.",
    ),
    Parameter(
        "shocks.windfall_duration",
        6.0,
        1.0,
        24.0,
        "months (e-folding time of the boost)",
        "Opportunities fade over months.",
    ),
)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    n = state.n
    happens = rng.random(n) < p["shocks.windfall_rate"]
    money = rng.exponential(1.0, n) * p["shocks.windfall_money"]
    state.treasury += np.where(happens, money, 0.0)
    state.recruit_boost *= np.exp(-1.0 / p["shocks.windfall_duration"])
    np.maximum(
        state.recruit_boost,
        np.where(happens, p["shocks.windfall_recruits"], 0.0),
        out=state.recruit_boost,
    )


PROCESS = Process("shocks", "Exogenous windfalls of money and recruits.", PARAMETERS, step)
