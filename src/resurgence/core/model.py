"""The compiled model: what the engine and the processes read of a scenario."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from resurgence.core.parameters import Parameter
from resurgence.core.state import FLOW_CAUSES
from resurgence.months import month_range
from resurgence.posterior import Posterior


@dataclass(frozen=True)
class CompiledEvent:
    """One change at a month offset. `kind` is 'parameter' or a state name.

    `index` selects within the target: a region index for regional parameters and
    capacity, (unit, region[, to_region]) for members, a hub for hub_crackdown,
    (from, to) entities for a relation; None means the whole target. A parameter event
    with an end (`until`) carries a `key`; at its end a 'restore' event with the same key
    puts back the value the parameter had just before the event.
    """

    month: int
    kind: str
    name: str
    op: str
    value: float
    index: tuple[int, ...] | None
    label: str
    key: int | None = None


@dataclass
class Model:
    """A scenario compiled into plain arrays: index tables, region masks, parameter
    values, initial values and the timeline as events keyed by month offset. Every
    process reads it; none changes it."""

    name: str
    title: str
    start: str
    n_months: int
    regions: list[str]
    region_tags: dict[str, np.ndarray]
    entities: list[str]
    units: list[str]
    unit_entity: np.ndarray
    unit_parent: np.ndarray  # entity of the unit's actor (itself for an actor)
    unit_is_host_faction: np.ndarray
    ally_units: list[int]
    focal_entity: int
    host_entity: int
    ally_entity: int
    hardliner_entity: int
    hubs: list[str]
    channel_names: list[str]
    channel_hubs: np.ndarray
    channel_n_hubs: np.ndarray
    channel_share: np.ndarray
    channel_lag: np.ndarray  # mean relocation lag per channel; NaN: the parameter's
    attack_types: list[str]
    attack_share: np.ndarray
    attack_cost: np.ndarray
    attack_visibility: np.ndarray
    routes: list[tuple[int, int, str]]
    routes_by_source: dict[int, list[int]]
    route_bloc: np.ndarray  # share of the source moving in a bloc defection, per route
    unit_protector: np.ndarray  # entity a unit owes loyalty to: its group, or the host
    parameters: dict[str, Parameter]
    values: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]
    events: dict[int, list[CompiledEvent]]
    reported: str  # the observation channel of reported attacks (`observe.CHANNELS`)
    policies: list[str] = field(default_factory=list)
    scenario_hash: str = ""
    countries: list[str] = field(default_factory=list)  # country of each region
    posterior: Posterior | None = None  # parameter draws given to the replicas

    @property
    def months(self) -> list[str]:
        return month_range(self.start, self.n_months)

    @property
    def sizes(self) -> dict[str, int]:
        """The length of each named state dimension (`core/state.py`)."""
        return {
            "actor": len(self.units),
            "region": len(self.regions),
            "attack_type": len(self.attack_types),
            "channel": len(self.channel_names),
            "hub": len(self.hubs),
            "entity": len(self.entities),
            "route": len(self.routes),
            "cause": len(FLOW_CAUSES),
        }
