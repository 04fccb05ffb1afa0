"""Local revenue (docs/background.md §3).

The group never raised much locally: a small take per member, lower underground, raised a
little by attempts to diversify when the parent's money runs short ("with little
success"), and higher where the allied group grants it "taxation" rights (regions tagged
`ally_area`, scaled by the ally's relation to the group), more so under an alliance
(`alliance.revenue`). Where the host integrates the Salafi community into its structures or
makes local reconciliation deals, the community's donations stop in the same measure as
its recruits (`counterterrorism.community_support`).
"""

import numpy as np

from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import FOCAL, State
from resurgence.processes.counterterrorism import community_support

PARAMETERS = (
    Parameter(
        "revenue.per_member",
        0.02,
        0.0,
        0.1,
        "USD thousand per member per month",
        "Local income was never large: about a tenth of a 2021 salary per member.",
    ),
    Parameter(
        "revenue.underground_penalty",
        0.5,
        0.0,
        1.0,
        "share lost when fully underground",
        "Hidden cells can tax and extort less.",
    ),
    Parameter(
        "revenue.diversification",
        0.2,
        0.0,
        1.0,
        "relative gain at a complete funding shortfall",
        "The group tried to diversify away from the parent, with little success.",
    ),
    Parameter(
        "revenue.ally_taxation",
        1.0,
        0.0,
        3.0,
        "relative gain per unit of the ally's relation",
        "Agreed 'taxation' rights in Khyber Pakhtunkhwa with the TTP.",
    ),
    Parameter(
        "revenue.noise",
        0.2,
        0.0,
        1.0,
        "log-normal sd",
        "Month-to-month variation of extortion and donations.",
    ),
)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    members = state.members[:, FOCAL, :]
    shortfall = 1.0 - state.paid_fraction
    per_member = (
        p["revenue.per_member"]
        * (1.0 - p["revenue.underground_penalty"] * state.posture)
        * (1.0 + p["revenue.diversification"] * shortfall)
    )
    ally = 0.0
    if model.ally_entity >= 0:
        ally = np.maximum(state.relation[:, model.ally_entity, model.focal_entity], 0.0)
    ally_gain = p["revenue.ally_taxation"] * ally + p["alliance.revenue"] * state.alliance
    regional = 1.0 + ally_gain[:, None] * model.region_tags["ally_area"]
    regional = regional * community_support(p)
    sigma = p["revenue.noise"]
    noise = np.exp(sigma * rng.standard_normal(state.n) - 0.5 * sigma**2)
    state.revenue[:] = per_member * noise * (members * regional).sum(axis=1)
    state.treasury += state.revenue


PROCESS = Process(
    "revenue", "Local revenue: small, diversification, ally taxation.", PARAMETERS, step
)
