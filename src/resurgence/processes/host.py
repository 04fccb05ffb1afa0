"""Host unity (docs/background.md §5, condition 3, and §6).

The host's unity against the group recovers toward a target, and erodes with tension
between the leadership and its factions, with enforcing a ban on the sheltered ally (many
host members sympathise with it), with the economic strain of the neighbour's expulsions
of refugees, and with the economic cost of deep financial checks. Disunity weakens raids
(`counterterrorism`) and drives the host's own factions to defect (`defection`).
"""

import numpy as np

from resurgence.core.draws import clip01
from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import State

PARAMETERS = (
    Parameter(
        "host.unity_target",
        0.85,
        0.0,
        1.0,
        "unity",
        "The host has been relatively united against the group since 2021.",
    ),
    Parameter(
        "host.unity_recovery",
        0.08,
        0.0,
        0.5,
        "per month",
        "Leaders settle disputes within months.",
    ),
    Parameter(
        "host.tension",
        0.0,
        0.0,
        0.1,
        "unity lost per month",
        "Leadership-faction tension; the timeline raises it from late 2023.",
    ),
    Parameter(
        "host.ally_ban_enforcement",
        0.1,
        0.0,
        1.0,
        "enforcement level",
        "The host bans Afghans from joining the TTP's fight but cannot restrain it.",
    ),
    Parameter(
        "host.enforcement_split",
        0.02,
        0.0,
        0.3,
        "unity lost per month at full enforcement",
        "Probably a majority of the host's members in the east sympathise with the TTP.",
    ),
    Parameter(
        "host.expulsion_strain",
        0.005,
        0.0,
        0.1,
        "unity lost per month per unit of expulsions",
        "Hundreds of thousands of returnees strain the host's economy.",
    ),
    Parameter(
        "host.monitoring_cost",
        0.02,
        0.0,
        0.2,
        "unity lost per month at full monitoring depth",
        "Deep checks of informal transfers hurt a sector vital to the economy.",
    ),
)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    h = state.host_unity
    h += (
        p["host.unity_recovery"] * (p["host.unity_target"] - h)
        - p["host.tension"]
        - p["host.enforcement_split"] * p["host.ally_ban_enforcement"]
        - p["host.expulsion_strain"] * state.expulsions
        - p["host.monitoring_cost"] * state.monitoring * p["counterterrorism.monitoring_depth"]
    )
    clip01(h)


PROCESS = Process("host", "Host unity and the strains on it.", PARAMETERS, step)
