"""Recruitment from local pools (docs/background.md §1, §2 and §4).

Each region has a pool of potential recruits (the Salafi community and other
sympathisers). Recruits leave the pool, which refills slowly toward its size as a new
generation comes of age (`recruitment.pool_renewal`), so a region recruited hard yields
less. Recruits need recruiters where the pool is: the rate grows with the group's members
in the region and saturates (`presence`, half reach at `recruitment.presence_half`
members), so a region the group has left recruits nobody. Recruits are a Poisson count of
mean pool x rate (the limit of a binomial draw, the rate being small), at most the pool.
The rate is raised by visibility, propaganda, backlash against indiscriminate raids,
windfalls and an alliance with the sheltered ally in its areas (`alliance`), and cut by
the host's integration of the Salafi community and by local reconciliation deals: both
take away the community's support (`counterterrorism.community_support`), which also stops
its donations (`revenue`) and its shelter from raids (`counterterrorism`). Reconciliation
also draws members out of the group (they go home under the deal); they are counted
(`reconciled`) so that an end of the group can be attributed to politics (`ending`). A
group that has ended recruits nobody.
"""

import numpy as np

from resurgence.core.draws import binomial, poisson
from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import FOCAL, State
from resurgence.processes.counterterrorism import backlash, community_support

PARAMETERS = (
    Parameter(
        "recruitment.pool",
        0.0,
        0.0,
        1_000_000.0,
        "persons",
        "Potential recruits in a region: the Salafi community and other sympathisers.",
        regional=True,
    ),
    Parameter(
        "recruitment.base_rate",
        0.0003,
        0.0,
        0.005,
        "share of the pool per month at full visibility and presence",
        "Recruits of the order of 1% of members a month in 2021.",
    ),
    Parameter(
        "recruitment.pool_renewal",
        0.005,
        0.0,
        0.05,
        "share of the pool's shortfall refilled per month",
        "Assumption: a new generation of sympathisers comes of age over years (6% a year).",
    ),
    Parameter(
        "recruitment.presence_half",
        100.0,
        5.0,
        2000.0,
        "members in a region",
        "Assumption: recruitment runs through personal networks; a hundred members in a "
        "province reach half of what a large presence would.",
    ),
    Parameter(
        "recruitment.visibility_elasticity",
        0.7,
        0.0,
        3.0,
        "elasticity",
        "Would-be members read inactivity as decline.",
    ),
    Parameter(
        "recruitment.propaganda_effect",
        0.3,
        0.0,
        2.0,
        "relative gain per unit of propaganda",
        "Online recruitment was expanded with propaganda.",
    ),
    Parameter(
        "recruitment.backlash",
        0.5,
        0.0,
        3.0,
        "relative gain per unit of indiscriminate pressure",
        "Indiscriminate repression pushes communities toward the group.",
    ),
    Parameter(
        "recruitment.salafi_integration",
        0.0,
        0.0,
        1.0,
        "share of the community integrated",
        "The host has not integrated the Salafi community, even locally.",
        regional=True,
    ),
    Parameter(
        "recruitment.integration_effect",
        0.7,
        0.0,
        1.0,
        "share of the community's support (recruits, donations, shelter) removed at full "
        "integration",
        "Integration into the state's structures removes the main grievance of a major "
        "source of the group's support.",
    ),
    Parameter(
        "recruitment.reconciliation",
        0.0,
        0.0,
        1.0,
        "reach of local reconciliation deals",
        "No deals with communities connected to the group, except an experiment.",
        regional=True,
    ),
    Parameter(
        "recruitment.reconciliation_effect",
        0.6,
        0.0,
        1.0,
        "share of the community's support (recruits, donations, shelter) removed at full reach",
        "The Nangarhar experiment worked: deals turn the group's communities away from it.",
    ),
    Parameter(
        "recruitment.reconciliation_exit",
        0.02,
        0.0,
        0.1,
        "share of members leaving per month at full reach",
        "Deals let members go home.",
    ),
)


def presence(members: np.ndarray, p) -> np.ndarray:
    """The group's reach in each region, in [0, 1): m / (m + presence_half)."""
    half = p["recruitment.presence_half"][:, None]
    return members / (members + half)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    members = state.members[:, FOCAL, :]
    if np.isnan(state.pool).any():  # the first month: full pools
        first = np.isnan(state.pool)
        state.pool[first] = np.broadcast_to(p["recruitment.pool"], state.pool.shape)[first]
    recon = p["recruitment.reconciliation"]
    leaving = binomial(rng, members, recon * p["recruitment.reconciliation_exit"][:, None])
    members -= leaving
    state.attrition += leaving
    state.reconciled[:] = leaving.sum(axis=1)

    appeal = (
        p["recruitment.base_rate"]
        * state.visibility ** p["recruitment.visibility_elasticity"]
        * (1.0 + p["recruitment.propaganda_effect"] * state.propaganda)
        * (1.0 + state.recruit_boost)
    )
    rate = (
        appeal[:, None]
        * (1.0 + p["recruitment.backlash"][:, None] * backlash(state, p, model))
        * community_support(p)
        * presence(members, p)
        * (
            1.0
            + (p["alliance.recruitment"] * state.alliance)[:, None] * model.region_tags["ally_area"]
        )
    )
    active = (state.ended == 0)[:, None]  # a group that has ended recruits nobody
    pool = state.pool
    new = np.minimum(poisson(rng, pool * np.minimum(rate, 1.0) * active), np.floor(pool))
    new = new.astype(np.int64)
    members += new
    state.recruits[:] = new
    pool -= new
    pool += p["recruitment.pool_renewal"][:, None] * (p["recruitment.pool"] - pool)


PROCESS = Process(
    "recruitment", "Recruits from local pools; reconciliation and integration.", PARAMETERS, step
)
