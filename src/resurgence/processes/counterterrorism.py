"""The host's counter-terrorism (docs/background.md §2).

Raids remove a share of the group's members in each region: the host's capacity there,
times a lethality that shifts from indiscriminate to intelligence-led raids as the host
learns, times the exposure of the group's cells (small cells survive better), times the
host's hostility to the group (its relation to it), reduced when the host is divided.
Capacity grows with manpower toward a regional ceiling; equipment (airlift, drones), which
follows diplomatic recognition, adds capacity in mountain regions. Infighting lowers the
host's coordination everywhere (`counterterrorism.unity_weight`) and opens the regions of
its disgruntled factions: there the ceiling falls with disunity, in proportion to the
faction's presence (`counterterrorism.faction_opening`). Abroad (regions tagged
`abroad`), the neighbour's own counter-terrorism raids the group
(`counterterrorism.neighbour_lethality`): no region is a raid-free haven unless a scenario
says so. Under an alliance, the ally hides the group in its areas (`alliance.shelter`); where the
host has integrated the Salafi community or made reconciliation deals, the community no
longer shelters the group and raids find more of it (`community_support`).
Indiscriminate raids cause backlash that feeds recruitment (see `recruitment`). Financial
monitoring of informal transfers rises toward a target; its depth (how thorough the checks
are) sets the share of transfers it stops (see `funding`) and its economic cost (see
`host`).
The share of raid losses due to intelligence-led raids is kept (`raid_intel`) so that an
end of the group can be attributed to policing or to military force (`ending`).
"""

import numpy as np

from resurgence.core.draws import binomial, clip01
from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import FOCAL, State
from resurgence.processes.posture import cell_ratio

PARAMETERS = (
    Parameter(
        "counterterrorism.capacity_ceiling",
        1.0,
        0.0,
        3.0,
        "relative capacity",
        "Capacity the host's manpower can reach in a region without new equipment.",
        regional=True,
    ),
    Parameter(
        "counterterrorism.manpower_growth",
        0.03,
        0.0,
        0.2,
        "per month toward the ceiling",
        "The host keeps adding manpower to army and police.",
    ),
    Parameter(
        "counterterrorism.equipment_gain",
        0.6,
        0.0,
        2.0,
        "relative capacity at full equipment",
        "Airlift and drones matter most for mountain operations.",
    ),
    Parameter(
        "counterterrorism.equipment_supply",
        0.05,
        0.0,
        0.3,
        "per month toward the recognition level",
        "Recognition brings military supplies only over time.",
    ),
    Parameter(
        "counterterrorism.intel_target",
        0.2,
        0.0,
        1.0,
        "share of intelligence-led raids sought",
        "Early repression was fairly indiscriminate; the timeline raises the target.",
    ),
    Parameter(
        "counterterrorism.learning_rate",
        0.25,
        0.0,
        0.5,
        "per month",
        "After a few months of fairly indiscriminate repression, counter-terrorism was "
        "largely intelligence-led throughout 2022 and 2023: most of the shift within "
        "half a year.",
    ),
    Parameter(
        "counterterrorism.lethality_indiscriminate",
        0.012,
        0.0,
        0.06,
        "share of members per month per unit capacity",
        "Sweeping operations catch few members of a clandestine group.",
    ),
    Parameter(
        "counterterrorism.lethality_intel",
        0.05,
        0.0,
        0.15,
        "share of members per month per unit capacity",
        "Raids on urban hideouts took a heavy toll.",
    ),
    Parameter(
        "counterterrorism.cell_exposure",
        0.7,
        0.0,
        2.0,
        "exponent of relative cell size",
        "Small cells are found less often and lose fewer members per raid.",
    ),
    Parameter(
        "counterterrorism.unity_weight",
        0.5,
        0.0,
        1.0,
        "share of effectiveness lost at zero unity",
        "Infighting diverts the host's forces and intelligence.",
    ),
    Parameter(
        "counterterrorism.faction_opening",
        0.8,
        0.0,
        1.0,
        "share of capacity lost at zero unity where a host faction is strongest",
        "Assumption: a disgruntled faction stops policing its own areas; infighting opens "
        "regions to the group.",
    ),
    Parameter(
        "counterterrorism.neighbour_lethality",
        0.008,
        0.0,
        0.05,
        "share of members per month abroad (overt cells)",
        "Pakistan's own counter-terrorism acts on the group's members in Khyber "
        "Pakhtunkhwa; assumption: about half the host's early, indiscriminate toll.",
    ),
    Parameter(
        "counterterrorism.monitoring_target",
        0.2,
        0.0,
        1.0,
        "monitoring level sought",
        "Monitoring of hawala networks before the host stepped it up.",
    ),
    Parameter(
        "counterterrorism.monitoring_rate",
        0.1,
        0.0,
        1.0,
        "per month",
        "Monitoring networks take months to build.",
    ),
    Parameter(
        "counterterrorism.monitoring_depth",
        0.25,
        0.0,
        1.0,
        "share of monitored transfers stopped",
        "Checks stay superficial: the sector is vital to the economy.",
    ),
)


def effective_capacity(state, p, model) -> np.ndarray:
    """Capacity per region (n, K): manpower plus equipment in mountain regions."""
    gain = (p["counterterrorism.equipment_gain"] * state.equipment)[:, None]
    return state.capacity + gain * model.region_tags["mountain"]


def coordination(state, p) -> np.ndarray:
    """Share of the host's effectiveness left by infighting, per replica."""
    return 1.0 - p["counterterrorism.unity_weight"] * (1.0 - state.host_unity)


def ceiling(state, p, model) -> np.ndarray:
    """Capacity the host's manpower can reach in each region (n, K): the regional ceiling,
    lowered where a disgruntled host faction is strong (its presence relative to the
    region where it is strongest)."""
    factions = state.members[:, model.unit_is_host_faction, :].sum(axis=1)
    presence = factions / np.maximum(factions.max(axis=1, keepdims=True), 1)
    opening = p["counterterrorism.faction_opening"] * (1.0 - state.host_unity)
    return p["counterterrorism.capacity_ceiling"] * (1.0 - opening[:, None] * presence)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    state.capacity += p["counterterrorism.manpower_growth"][:, None] * (
        ceiling(state, p, model) - state.capacity
    )
    state.equipment += p["counterterrorism.equipment_supply"] * (
        state.recognition - state.equipment
    )
    state.intel_share += p["counterterrorism.learning_rate"] * (
        p["counterterrorism.intel_target"] - state.intel_share
    )
    clip01(state.intel_share)
    state.monitoring += p["counterterrorism.monitoring_rate"] * (
        p["counterterrorism.monitoring_target"] - state.monitoring
    )
    clip01(state.monitoring)

    intel = state.intel_share
    by_intel = p["counterterrorism.lethality_intel"] * intel
    lethality = p["counterterrorism.lethality_indiscriminate"] * (1.0 - intel) + by_intel
    # The share of the month's raid losses due to intelligence-led raids (policing, as
    # against indiscriminate military sweeps), which `ending` reads to name a cause.
    state.raid_intel[:] = np.where(
        lethality > 0, by_intel / np.where(lethality > 0, lethality, 1), 0
    )
    exposure = cell_ratio(state, p) ** p["counterterrorism.cell_exposure"]
    hostility = np.maximum(-state.relation[:, model.host_entity, model.focal_entity], 0.0)
    lethality = lethality * exposure * hostility * coordination(state, p)
    # A community turned away from the group no longer shelters it: it tells the host.
    informed = 2.0 - community_support(p)
    rate = np.minimum(effective_capacity(state, p, model) * lethality[:, None] * informed, 0.5)
    rate = rate * model.region_tags["host_territory"]
    # An allied TTP hides the group in its safe areas.
    shelter = (p["alliance.shelter"] * state.alliance)[:, None] * model.region_tags["ally_area"]
    rate = rate * (1.0 - shelter)
    abroad = (p["counterterrorism.neighbour_lethality"] * exposure)[:, None]
    rate = rate + abroad * model.region_tags["abroad"]
    members = state.members[:, FOCAL, :]
    lost = binomial(rng, members, rate)
    members -= lost
    state.losses[:] = lost


def community_support(p) -> np.ndarray:
    """Share of the local community's support (recruits, donations, shelter) the group
    keeps in each region (n, K), after the host's integration of the Salafi community
    (`recruitment.integration_effect`) and its local reconciliation deals
    (`recruitment.reconciliation_effect`)."""
    integration = p["recruitment.integration_effect"][:, None] * p["recruitment.salafi_integration"]
    deals = p["recruitment.reconciliation_effect"][:, None] * p["recruitment.reconciliation"]
    return (1.0 - integration) * (1.0 - deals)


def backlash(state, p, model) -> np.ndarray:
    """Indiscriminate pressure per region (n, K), which feeds recruitment; none where the
    host does not operate."""
    pressure = effective_capacity(state, p, model) * (1.0 - state.intel_share)[:, None]
    return pressure * model.region_tags["host_territory"]


PROCESS = Process(
    "counterterrorism",
    "Host raids (indiscriminate then intelligence-led), capacity, equipment, monitoring.",
    PARAMETERS,
    step,
)
