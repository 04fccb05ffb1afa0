"""Payroll and unpaid-salary attrition (docs/background.md §3 and §4).

Each month the group owes salaries and logistics, both per member (bases, transport and
communications; the model does not assume that small cells cost more or less to run). It
pays what it can from a share of the cash it may spend (after the propaganda reserve,
keeping the rest back for operations); the unpaid
share accumulates as arrears (a decaying sum), and members leave with a probability that
grows with the arrears and with lost cohesion: unpaid salaries drive attrition. Leavers
are drawn binomially per region.
"""

import numpy as np

from resurgence.core.draws import binomial
from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import FOCAL, State
from resurgence.processes.propaganda import spendable

PARAMETERS = (
    Parameter(
        "payroll.salary",
        0.1,
        0.03,
        0.5,
        "USD thousand per member per month",
        "Assumption: a fighter's salary of the order of USD 100 a month.",
    ),
    Parameter(
        "payroll.logistics",
        0.012,
        0.0,
        0.1,
        "USD thousand per member per month",
        "Bases, transport and communications: about a tenth of a salary.",
    ),
    Parameter(
        "payroll.max_share",
        0.9,
        0.2,
        1.0,
        "share of the spendable cash per month",
        "Salaries come first: the group keeps a tenth of its cash back for operations even "
        "when short (propaganda has its own reserve).",
    ),
    Parameter(
        "payroll.attrition_base",
        0.008,
        0.0,
        0.05,
        "per month",
        "Members who leave in any month (doubled at zero cohesion).",
    ),
    Parameter(
        "payroll.unpaid_attrition",
        0.02,
        0.0,
        0.3,
        "per month at a complete, lasting shortfall",
        "Unpaid salaries drive attrition; membership fell in 2022-2023.",
    ),
    Parameter(
        "payroll.arrears_memory",
        0.7,
        0.0,
        0.95,
        "share of arrears kept from one month to the next",
        "Members tolerate a missed salary but not months of them.",
    ),
)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    members = state.members[:, FOCAL, :]
    total = members.sum(axis=1)
    bill = total * (p["payroll.salary"] + p["payroll.logistics"])
    paid = np.minimum(spendable(state, p) * p["payroll.max_share"], bill)
    state.paid_fraction[:] = np.where(bill > 0, paid / np.where(bill > 0, bill, 1.0), 1.0)
    state.treasury -= paid
    memory = p["payroll.arrears_memory"]
    state.arrears *= memory
    state.arrears += 1.0 - state.paid_fraction
    strain = state.arrears * (1.0 - memory)  # in [0, 1]: the lasting unpaid share
    leave = (
        p["payroll.attrition_base"] * (2.0 - state.cohesion)
        + p["payroll.unpaid_attrition"] * strain
    )
    left = binomial(rng, members, leave[:, None])
    members -= left
    state.attrition += left


def salary_strain(state, p) -> np.ndarray:
    """The lasting unpaid share of salaries, in [0, 1]."""
    return state.arrears * (1.0 - p["payroll.arrears_memory"])


PROCESS = Process("payroll", "Salaries and logistics; unpaid-salary attrition.", PARAMETERS, step)
