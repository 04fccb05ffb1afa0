"""Posture: overt or underground, and cell size (docs/background.md §1 and §4).

Under raids, and expecting no territorial control, the group moves underground: mobile
bases and small cells. Posture relaxes toward a target raised by the month's loss rate to
raids and by the lasting salary shortfall (an assumption: a group that cannot pay its men
disperses them into small cells and lies low). Cell size follows posture; small cells
survive raids better (see `counterterrorism`) and can do less (see `operations`).
"""

import numpy as np

from resurgence.core.draws import clip01
from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import FOCAL, State
from resurgence.processes.payroll import salary_strain

PARAMETERS = (
    Parameter(
        "posture.target",
        0.3,
        0.0,
        1.0,
        "0 overt .. 1 underground",
        "Underground level the group seeks without raid pressure; the timeline raises it.",
    ),
    Parameter(
        "posture.pressure_sensitivity",
        10.0,
        0.0,
        40.0,
        "posture per unit monthly loss fraction",
        "Losing 3% of members to raids in a month pushes the target 0.3 underground.",
    ),
    Parameter(
        "posture.money_sensitivity",
        0.4,
        0.0,
        1.0,
        "posture per unit of lasting salary shortfall",
        "Assumption: a group that cannot pay its men goes to ground; at a complete, lasting "
        "shortfall the target rises by 0.4.",
    ),
    Parameter(
        "posture.adjust_rate",
        0.15,
        0.02,
        1.0,
        "per month",
        "Restructuring into mobile bases and small cells takes months.",
    ),
    Parameter(
        "posture.cell_size_overt",
        30.0,
        5.0,
        100.0,
        "members per cell",
        "Units of a group holding ground.",
    ),
    Parameter(
        "posture.cell_size_underground",
        6.0,
        2.0,
        20.0,
        "members per cell",
        "Small cells everywhere once underground.",
    ),
)


def cell_size(state, p) -> np.ndarray:
    """Mean cell size (members) of each replica, from its posture."""
    return (
        p["posture.cell_size_overt"] * (1.0 - state.posture)
        + p["posture.cell_size_underground"] * state.posture
    )


def cell_ratio(state, p) -> np.ndarray:
    """Cell size relative to the overt cell size, in (0, 1]."""
    return cell_size(state, p) / p["posture.cell_size_overt"]


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    members = state.members[:, FOCAL, :].sum(axis=1)
    loss_rate = state.losses.sum(axis=1) / np.maximum(members + state.losses.sum(axis=1), 1)
    strain = salary_strain(state, p)
    target = np.minimum(
        p["posture.target"]
        + p["posture.pressure_sensitivity"] * loss_rate
        + p["posture.money_sensitivity"] * strain,
        1.0,
    )
    state.posture += p["posture.adjust_rate"] * (target - state.posture)
    clip01(state.posture)


PROCESS = Process("posture", "Overt or underground posture and cell size.", PARAMETERS, step)
