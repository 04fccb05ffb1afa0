"""Operations: attacks by type, needing members and money (SYSTEM.md section 1).

Planned attacks in a region are proportional to the members there, reduced by small cells
(less capability), lost cohesion, and a shortage of money: the attacks planned must be
paid for from the cash left after payroll, except a share that needs no money. The budget
bounds the expected cost of the planned attacks; a busy month can cost more, up to the
whole treasury. Counts are negative
binomial (a gamma-distributed monthly tempo common to all regions, then Poisson), split
among attack types in their shares; their cost leaves the treasury.
"""

import numpy as np

from resurgence.processes.base import Parameter, Process
from resurgence.processes.posture import cell_ratio

PARAMETERS = (
    Parameter(
        "operations.attack_rate",
        0.016,
        0.001,
        0.06,
        "attacks per member per month, overt and fully funded",
        "About 40 attacks a month by some 3,000 members in late 2021 (UN, IS claims).",
    ),
    Parameter(
        "operations.cell_capability",
        0.5,
        0.0,
        1.5,
        "exponent of relative cell size",
        "Small cells survive better and can do less.",
    ),
    Parameter(
        "operations.cohesion_weight",
        0.5,
        0.0,
        1.0,
        "share of capability lost at zero cohesion",
        "A decaying organisation plans fewer operations.",
    ),
    Parameter(
        "operations.budget_share",
        0.6,
        0.02,
        1.0,
        "share of the cash left after payroll, per month",
        "Operations compete with salaries for the same cash.",
    ),
    Parameter(
        "operations.unfunded_share",
        0.3,
        0.0,
        1.0,
        "share of planned attacks that need no money",
        "Gunfire on patrols with members' own weapons costs next to nothing.",
    ),
    Parameter(
        "operations.dispersion",
        3.0,
        0.3,
        50.0,
        "negative-binomial shape",
        "Attack counts are over-dispersed: the tempo varies from month to month.",
    ),
)


def step(state, p, rng, model) -> None:
    members = state.members[:, 0, :]
    capability = cell_ratio(state, p) ** p["operations.cell_capability"] * (
        1.0 - p["operations.cohesion_weight"] * (1.0 - state.cohesion)
    )
    planned = p["operations.attack_rate"][:, None] * members * capability[:, None]
    unit_cost = float(model.attack_share @ model.attack_cost)
    budget = p["operations.budget_share"] * np.maximum(state.treasury, 0.0)
    want = planned.sum(axis=1) * unit_cost
    affordable = np.where(want > 0, np.minimum(1.0, budget / np.where(want > 0, want, 1.0)), 1.0)
    free = p["operations.unfunded_share"]
    funded = free + (1.0 - free) * affordable
    shape = p["operations.dispersion"]
    tempo = rng.gamma(shape, 1.0 / shape)
    counts = rng.poisson(planned * (funded * tempo)[:, None])
    left = counts
    remaining_share = 1.0
    for j, share in enumerate(model.attack_share[:-1]):
        part = rng.binomial(left, min(share / remaining_share, 1.0))
        state.attacks[:, :, j] = part
        left = left - part
        remaining_share -= share
    state.attacks[:, :, -1] = left
    cost = state.attacks.sum(axis=1) @ model.attack_cost
    state.treasury -= np.minimum(cost, np.maximum(state.treasury, 0.0))


PROCESS = Process(
    "operations", "Attacks by type, limited by members, cells and money.", PARAMETERS, step
)
