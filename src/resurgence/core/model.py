"""The compiled model: what the engine and the processes read of a scenario."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from resurgence.core.parameters import Parameter
from resurgence.core.state import FLOW_CAUSES, FOCAL
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


@dataclass(frozen=True)
class RouteIndex:
    """The defection routes as index arrays, one entry per route, so that a process
    computes every route's rate in a few array operations instead of a loop over routes.

    `relations` indexes the flattened (entity x entity) relation matrix: the host's
    relation to each route's source, to the source's parent group, the source's relation
    to the target and to its protector (4 x routes). `single`: every source has one route.

    A column is a (route, region) pair, numbered route x regions + region: `cell` is its
    source's (unit, region) cell among the `sources` cells (position x regions + region),
    and `depth` its route's position in its source's list.
    """

    source: np.ndarray
    target: np.ndarray
    names: tuple[str, ...]
    relations: np.ndarray
    host_faction: np.ndarray
    from_focal: np.ndarray
    to_focal: np.ndarray
    bloc: np.ndarray  # the routes with a bloc share
    sources: np.ndarray  # the units with a route
    single: bool
    column_route: np.ndarray
    column_region: np.ndarray
    cell: np.ndarray
    depth: np.ndarray


def index_routes(model: Model) -> RouteIndex:
    """The model's routes as index arrays (`RouteIndex`)."""
    source = np.array([src for src, _, _ in model.routes], dtype=np.int64)
    target = np.array([dst for _, dst, _ in model.routes], dtype=np.int64)
    entity, host, size = model.unit_entity, model.host_entity, len(model.entities)
    relations = np.concatenate(
        [
            host * size + entity[source],
            host * size + model.unit_parent[source],
            entity[source] * size + entity[target],
            entity[source] * size + model.unit_protector[source],
        ]
    )
    sources = list(model.routes_by_source)
    n_regions = len(model.regions)
    column_route = np.repeat(np.arange(len(source)), n_regions)
    column_region = np.tile(np.arange(n_regions), len(source))
    position = {s: i for i, s in enumerate(sources)}
    cell = np.array([position[s] for s in source], dtype=np.int64)[column_route]
    depth = np.zeros(len(source), dtype=np.int64)
    for ids in model.routes_by_source.values():
        depth[ids] = np.arange(len(ids))
    return RouteIndex(
        source=source,
        target=target,
        names=tuple(name for _, _, name in model.routes),
        relations=relations.astype(np.int64),
        host_faction=np.asarray(model.unit_is_host_faction, dtype=bool)[source],
        from_focal=source == FOCAL,
        to_focal=target == FOCAL,
        bloc=np.flatnonzero(np.asarray(model.route_bloc) > 0),
        sources=np.array(sources, dtype=np.int64),
        single=all(len(ids) == 1 for ids in model.routes_by_source.values()),
        column_route=column_route,
        column_region=column_region,
        cell=cell * n_regions + column_region,
        depth=depth[column_route],
    )


@dataclass
class Model:
    """A scenario compiled into plain arrays: index tables, region masks, parameter
    values, initial values and the timeline as events keyed by month offset. Every
    process reads it; none changes it. `route_index` is derived from the routes when the
    model is made (and remade by `dataclasses.replace`)."""

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
    route_index: RouteIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.route_index = index_routes(self)

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
