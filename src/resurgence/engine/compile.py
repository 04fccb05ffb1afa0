"""Compile a validated scenario (and policies layered on it) into plain arrays.

The engine never sees TOML or pydantic objects: a `Model` holds index tables, region
masks, parameter values and the timeline as compiled events keyed by month offset.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np

from resurgence.core.model import CompiledEvent, Model
from resurgence.core.parameters import Parameter
from resurgence.core.state import SCENARIO_SCALARS
from resurgence.errors import ResurgenceError
from resurgence.months import month_offset
from resurgence.posterior import Posterior
from resurgence.scenarios.references import (
    effective_parameters,
    entities_of,
    hubs_of,
    route_parameter,
    units_of,
)
from resurgence.scenarios.schema import Event, Policy, Scenario

REGION_TAGS = (
    "mountain",
    "abroad",
    "border",
    "ally_area",
    "relocation_origin",
    "relocation_destination",
)


def _compile_event(event: Event, offset: int, ctx: dict) -> CompiledEvent:
    regions, units, entities, hubs = ctx["regions"], ctx["units"], ctx["entities"], ctx["hubs"]
    index: tuple[int, ...] | None = None
    if event.parameter is not None:
        kind, name = "parameter", event.parameter
        if event.region is not None:
            index = (regions.index(event.region),)
    else:
        kind = name = event.state
        if name == "members":
            index = (units.index(event.actor), regions.index(event.region))
            if event.op == "move":
                index = (*index, regions.index(event.to_region))
        elif name == "capacity" and event.region is not None:
            index = (regions.index(event.region),)
        elif name == "hub_crackdown":
            index = (hubs.index(event.actor),)
        elif name == "relation":
            index = (entities.index(event.actor), entities.index(event.to))
    return CompiledEvent(offset, kind, name, event.op, event.value, index, event.label)


def compile_model(
    scenario: Scenario,
    policies: list[Policy] | tuple[Policy, ...] = (),
    n_months: int | None = None,
) -> Model:
    """Compile a scenario, with policies layered on its timeline, into a `Model`."""
    info = scenario.scenario
    regions = [r.name for r in scenario.regions]
    entities = entities_of(scenario)
    units = units_of(scenario)
    hubs = hubs_of(scenario)
    total_months = month_offset(info.start, info.end) + 1
    months = total_months if n_months is None else n_months
    K = len(regions)

    tags = {t: np.array([t in r.tags for r in scenario.regions]) for t in REGION_TAGS}
    tags["host_territory"] = ~tags["abroad"]

    unit_entity = np.array([entities.index(u) for u in units])
    unit_parent = np.array([entities.index(u.split(".")[0]) for u in units])
    host_factions = np.array([u.split(".")[0] == info.host and "." in u for u in units])
    host = entities.index(info.host)
    unit_protector = np.array(
        [parent if "." in u else host for u, parent in zip(units, unit_parent, strict=True)]
    )
    ally_units = [i for i, u in enumerate(units) if info.ally and u.split(".")[0] == info.ally]

    max_hubs = max((1 + len(c.alternatives) for c in scenario.channels), default=1)
    channel_hubs = np.zeros((len(scenario.channels), max_hubs), dtype=np.int64)
    for c, ch in enumerate(scenario.channels):
        path = [hubs.index(h) for h in (ch.hub, *ch.alternatives)]
        channel_hubs[c, : len(path)] = path
        channel_hubs[c, len(path) :] = path[-1]

    catalogue = effective_parameters(scenario)
    values: dict[str, np.ndarray] = {}
    params: dict[str, Parameter] = {}
    for name, spec in catalogue.items():
        setting = scenario.parameters.get(name)
        value = spec.default
        low, high, reason = spec.low, spec.high, spec.reason
        if setting is not None:
            value = setting.value if setting.value is not None else value
            low, high = setting.range if setting.range is not None else (low, high)
            reason = setting.reason or reason
        params[name] = Parameter(name, value, low, high, spec.unit, reason, spec.regional)
        if spec.regional:
            arr = np.full(K, value, dtype=np.float64)
            for region, v in (setting.by_region if setting else {}).items():
                arr[regions.index(region)] = v
            values[name] = arr
        else:
            values[name] = np.array(value, dtype=np.float64)

    routes = []
    by_source: dict[int, list[int]] = {}
    for route in scenario.defections:
        src, dst = units.index(route.source), units.index(route.target)
        by_source.setdefault(src, []).append(len(routes))
        routes.append((src, dst, route_parameter(route.source, route.target)))

    init = scenario.initial
    members = np.zeros((len(units), K), dtype=np.int64)
    for unit, by_region in init.members.items():
        for region, count in by_region.items():
            members[units.index(unit), regions.index(region)] = count
    capacity = np.full(K, 0.0)
    for region, value in init.capacity.items():
        capacity[regions.index(region)] = value
    crackdown = np.zeros(len(hubs))
    for hub, value in init.hub_crackdown.items():
        crackdown[hubs.index(hub)] = value
    initial = {name: np.array(float(getattr(init, name))) for name in SCENARIO_SCALARS}
    initial.update(
        members=members,
        capacity=capacity,
        hub_crackdown=crackdown,
        fragmentation=np.array(
            [
                init.fragmentation if c.fragmentation is None else c.fragmentation
                for c in scenario.channels
            ]
        ),
    )

    ctx = {"regions": regions, "units": units, "entities": entities, "hubs": hubs}
    events: dict[int, list[CompiledEvent]] = {}
    relation = np.zeros((len(entities), len(entities)))
    for rel in scenario.relations:
        i, j = entities.index(rel.source), entities.index(rel.target)
        if rel.since is None or rel.since == info.start:
            relation[i, j] = rel.value
        else:
            offset = month_offset(info.start, rel.since)
            events.setdefault(offset, []).append(
                CompiledEvent(
                    offset,
                    "relation",
                    "relation",
                    "set",
                    rel.value,
                    (i, j),
                    f"{rel.type}: {rel.source} -> {rel.target}",
                )
            )
    initial["relation"] = relation

    timeline = list(scenario.events) + [e for p in policies for e in p.events]
    for key, event in enumerate(timeline):
        offset = month_offset(info.start, event.month)
        compiled = _compile_event(event, offset, ctx)
        if event.until is not None:
            compiled = replace(compiled, key=key)
            end = month_offset(info.start, event.until)
            events.setdefault(end, []).append(
                replace(compiled, month=end, op="restore", label=f"end of: {event.label}")
            )
        events.setdefault(offset, []).append(compiled)
    for month_events in events.values():
        month_events.sort(key=lambda e: e.op != "restore")  # endings first, then new changes

    digest = hashlib.sha256(scenario.model_dump_json().encode())
    for policy in policies:
        digest.update(policy.model_dump_json().encode())

    return Model(
        name=info.name,
        title=info.title,
        start=info.start,
        n_months=months,
        regions=regions,
        region_tags=tags,
        entities=entities,
        units=units,
        unit_entity=unit_entity,
        unit_parent=unit_parent,
        unit_is_host_faction=host_factions,
        ally_units=ally_units,
        focal_entity=entities.index(info.focal),
        host_entity=entities.index(info.host),
        ally_entity=entities.index(info.ally) if info.ally else -1,
        hardliner_entity=entities.index(info.hardliners) if info.hardliners else -1,
        hubs=hubs,
        channel_names=[c.name for c in scenario.channels],
        channel_hubs=channel_hubs,
        channel_n_hubs=np.array([1 + len(c.alternatives) for c in scenario.channels]),
        channel_share=np.array([c.share for c in scenario.channels]),
        channel_lag=np.array(
            [np.nan if c.relocation_lag is None else c.relocation_lag for c in scenario.channels]
        ),
        attack_types=[t.name for t in scenario.attack_types],
        attack_share=np.array([t.share for t in scenario.attack_types]),
        attack_cost=np.array([t.cost for t in scenario.attack_types]),
        attack_visibility=np.array([t.visibility for t in scenario.attack_types]),
        routes=routes,
        routes_by_source=by_source,
        route_bloc=np.array([route.bloc for route in scenario.defections]),
        unit_protector=unit_protector,
        parameters=params,
        values=values,
        initial=initial,
        events=events,
        reported=scenario.resurgence.reported,
        policies=[p.name for p in policies],
        scenario_hash=digest.hexdigest()[:16],
        countries=[r.country for r in scenario.regions],
    )


def with_posterior(model: Model, posterior: Posterior) -> Model:
    """The model whose replicas each draw their free parameters from `posterior`.

    The posterior's parameters must be the model's scalar parameters, with draws inside
    their ranges. The scenario's hash stays the scenario's; a run records the posterior's
    own digest beside it, so a resumed run cannot mix posteriors.
    """
    where = posterior.source or "posterior"
    fitted = posterior.meta.get("scenario")
    if fitted is not None and fitted != model.name:
        raise ResurgenceError(
            f"{where}: calibrated for scenario {fitted!r}, not {model.name!r}; "
            "calibrate this scenario (`resurgence calibrate`) or say --posterior none"
        )
    for j, name in enumerate(posterior.names):
        spec = model.parameters.get(name)
        if spec is None or spec.regional:
            raise ResurgenceError(
                f"{where}: {name!r} is not a scalar parameter of scenario {model.name}"
            )
        values = posterior.values[:, j]
        if not np.isfinite(values).all() or values.min() < spec.low or values.max() > spec.high:
            raise ResurgenceError(
                f"{where}: draws of {name} leave its range [{spec.low:g}, {spec.high:g}]"
            )
    return replace(model, posterior=posterior)
