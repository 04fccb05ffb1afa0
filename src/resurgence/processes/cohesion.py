"""Organisational cohesion (docs/background.md §4 and §5, condition 2).

Short of money and nearly inactive, a group risks organisational decay. Cohesion falls with
the lasting salary shortfall and with invisibility, and recovers while salaries are paid.
Cohesion scales attrition (`payroll`) and operational capability (`operations`).
"""

import numpy as np

from resurgence.core.draws import clip01
from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import State
from resurgence.processes.payroll import salary_strain

PARAMETERS = (
    Parameter(
        "cohesion.decay_unpaid",
        0.04,
        0.0,
        0.4,
        "per month at a complete shortfall",
        "Unpaid members lose faith in the leadership.",
    ),
    Parameter(
        "cohesion.decay_inactivity",
        0.02,
        0.0,
        0.2,
        "per month at zero visibility",
        "Inactivity is read as decline inside the group too.",
    ),
    Parameter(
        "cohesion.recovery",
        0.05,
        0.0,
        0.3,
        "per month when fully paid",
        "A paid, active organisation rebuilds its structure.",
    ),
)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    c = state.cohesion
    strain = salary_strain(state, p)
    c += (
        p["cohesion.recovery"] * (1.0 - c) * state.paid_fraction
        - p["cohesion.decay_unpaid"] * strain * c
        - p["cohesion.decay_inactivity"] * (1.0 - state.visibility) * c
    )
    clip01(c)


PROCESS = Process("cohesion", "Organisational decay and recovery.", PARAMETERS, step)
