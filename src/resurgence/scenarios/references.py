"""Checks that the parts of a scenario refer to each other correctly.

Pydantic checks each field on its own; this module checks what needs the whole scenario:
an event's actor exists, a parameter is one a process declares and its value lies in its
range, a funding channel runs sponsor -> state hub -> focal group without repeating a hub,
dates are in order. Each problem carries the location (a path into the TOML document) so
the loader can name the line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from resurgence.catalogue import parameter_catalogue
from resurgence.core.parameters import Parameter
from resurgence.core.state import EVENT_TARGETS, VARIABLES
from resurgence.limits import MAX_MEMBERS
from resurgence.months import month_offset
from resurgence.scenarios.schema import (
    Condition,
    Event,
    ParameterSetting,
    Region,
    Scenario,
)

Loc = tuple[str | int, ...]


@dataclass
class Problem:
    loc: Loc
    message: str


def units_of(scenario: Scenario) -> list[str]:
    """Population units: the focal group first, then other groups and all group and host
    factions, in the order the scenario declares them."""
    units: list[str] = []
    for actor in scenario.actors:
        if actor.kind == "group":
            units.append(actor.name)
        if actor.kind in ("group", "host"):
            units.extend(f"{actor.name}.{f.name}" for f in actor.factions)
    focal = scenario.scenario.focal
    if focal in units:
        units.remove(focal)
        units.insert(0, focal)
    return units


def entities_of(scenario: Scenario) -> list[str]:
    """Actors and their factions ('actor.faction'): everything a relation can link."""
    names: list[str] = []
    for actor in scenario.actors:
        names.append(actor.name)
        names.extend(f"{actor.name}.{f.name}" for f in actor.factions)
    return names


def route_parameter(source: str, target: str) -> str:
    return f"defection.{source}->{target}"


def hubs_of(scenario: Scenario) -> list[str]:
    hubs: list[str] = []
    for channel in scenario.channels:
        for hub in (channel.hub, *channel.alternatives):
            if hub not in hubs:
                hubs.append(hub)
    return hubs


def effective_parameters(scenario: Scenario) -> dict[str, Parameter]:
    """The process catalogue plus one parameter per defection route."""
    catalogue = dict(parameter_catalogue())
    for route in scenario.defections:
        name = route_parameter(route.source, route.target)
        catalogue[name] = Parameter(
            name,
            route.rate,
            route.range[0],
            route.range[1],
            "share of the source per month",
            route.reason or "Base rate of this defection route.",
        )
    return catalogue


def select_regions(regions: list[Region], entries: list[str]) -> tuple[list[str], list[str]]:
    """The names of the regions that `entries` select (each a region's name, a region tag
    or a country), in the scenario's order, and the entries that match no region."""
    chosen: set[str] = set()
    unknown = []
    for entry in entries:
        matched = [r.name for r in regions if entry in (r.name, r.country, *r.tags)]
        if not matched:
            unknown.append(entry)
        chosen.update(matched)
    return [r.name for r in regions if r.name in chosen], unknown


def region_choices(regions: list[Region]) -> list[str]:
    """What an entry of a resurgence's `regions` can be: names, countries, tags in use."""
    names = [r.name for r in regions]
    countries = [r.country for r in regions if r.country]
    tags = [t for r in regions for t in r.tags]
    return list(dict.fromkeys(names + countries + tags))


def _one_of(names) -> str:
    names = list(names)
    shown = ", ".join(names[:25]) + (", ..." if len(names) > 25 else "")
    return f"expected one of: {shown}" if names else "none are declared"


class _Checker:
    def __init__(self, scenario: Scenario):
        self.s = scenario
        self.problems: list[Problem] = []
        self.regions = [r.name for r in scenario.regions]
        self.actors = {a.name: a for a in scenario.actors}
        self.entities = entities_of(scenario)
        self.units = units_of(scenario)
        self.hubs = hubs_of(scenario)
        self.catalogue = effective_parameters(scenario)

    def add(self, loc: Loc, message: str) -> None:
        self.problems.append(Problem(loc, message))

    def kind_of(self, name: str) -> str | None:
        actor = self.actors.get(name)
        return actor.kind if actor else None

    def run(self) -> list[Problem]:
        self.check_info()
        self.check_names()
        self.check_relations()
        self.check_channels()
        self.check_attack_types()
        self.check_parameters()
        self.check_defections()
        self.check_initial()
        self.check_events(self.s.events, ("events",))
        for i, policy in enumerate(self.s.policies):
            self.check_events(policy.events, ("policies", i, "events"))
        self.check_resurgence()
        self.check_conditions()
        return self.problems

    def check_resurgence(self) -> None:
        r = self.s.resurgence
        self.check_month_in_scenario(r.start, ("resurgence", "start"))
        _, unknown = select_regions(self.s.regions, r.regions)
        for entry in unknown:
            self.add(
                ("resurgence", "regions"),
                f"{entry!r} is not a region, a region tag or a country of the scenario; "
                + _one_of(region_choices(self.s.regions)),
            )

    def check_conditions(self) -> None:
        seen: dict[str, str] = {}
        for name, condition in self.s.conditions.items():
            loc = ("conditions", name)
            for parameter in condition.parameters:
                spec = self.catalogue.get(parameter)
                if spec is None:
                    self.add(
                        (*loc, "parameters"),
                        f"unknown parameter {parameter!r}; " + _one_of(sorted(self.catalogue)),
                    )
                elif parameter in seen:
                    self.add(
                        (*loc, "parameters"),
                        f"{parameter} is already in condition {seen[parameter]!r}",
                    )
                else:
                    seen[parameter] = name
            self.check_condition_tables(condition, loc)

    def check_condition_tables(self, condition: Condition, loc: Loc) -> None:
        """Every parameter says which end favours the group; `scale` and `ranges` name
        listed parameters, a scale only a regional one, and stay inside its range."""
        listed = set(condition.parameters)
        missing = [p for p in condition.parameters if p not in condition.group_favours]
        if missing:
            self.add(
                (*loc, "group_favours"),
                f"say which end of its range is in the group's favour for {', '.join(missing)}"
                ' ("high" or "low"): group_favours = { "NAME" = "low", ... }',
            )
        for key in ("group_favours", "scale", "ranges"):
            for parameter in getattr(condition, key):
                if parameter not in listed:
                    self.add(
                        (*loc, key, parameter),
                        f"{parameter} is not among the condition's parameters; "
                        + _one_of(condition.parameters),
                    )
        for parameter, (low, high) in condition.scale.items():
            spec = self.catalogue.get(parameter)
            if parameter not in listed or spec is None:
                continue
            where = (*loc, "scale", parameter)
            if not spec.regional:
                self.add(where, f"{parameter} is not regional: give its range in `ranges`")
            elif parameter in condition.ranges:
                self.add(where, f"give {parameter} either a scale or a range, not both")
            elif not 0 <= low < high:
                self.add(where, f"a scale needs 0 <= low < high, not [{low:g}, {high:g}]")
            else:
                self.check_scaled(spec, low, high, where)
        for parameter, (low, high) in condition.ranges.items():
            spec = self.catalogue.get(parameter)
            if parameter not in listed or spec is None:
                continue
            setting = self.s.parameters.get(parameter)
            lo, hi = setting.range if setting and setting.range else (spec.low, spec.high)
            if not lo <= low < high <= hi:
                self.add(
                    (*loc, "ranges", parameter),
                    f"range [{low:g}, {high:g}] of {parameter} must have low < high and lie "
                    f"within [{lo:g}, {hi:g}]",
                )

    def check_scaled(self, spec: Parameter, low: float, high: float, loc: Loc) -> None:
        """The factors keep every region's value inside the parameter's range."""
        setting = self.s.parameters.get(spec.name)
        lo, hi = setting.range if setting and setting.range else (spec.low, spec.high)
        base = setting.value if setting and setting.value is not None else spec.default
        by_region = setting.by_region if setting else {}
        for region in self.regions:
            value = by_region.get(region, base)
            scaled = (value * low, value * high)
            if min(scaled) < lo or max(scaled) > hi:
                self.add(
                    loc,
                    f"factors [{low:g}, {high:g}] take {spec.name} in {region} "
                    f"({value:g}) outside its range [{lo:g}, {hi:g}]",
                )
                return

    def check_info(self) -> None:
        info = self.s.scenario
        if month_offset(info.start, info.end) < 1:
            self.add(("scenario", "end"), f"end {info.end} must come after start {info.start}")
        if self.kind_of(info.focal) != "group":
            groups = [a for a, v in self.actors.items() if v.kind == "group"]
            self.add(
                ("scenario", "focal"),
                f"focal {info.focal!r} is not a group actor; " + _one_of(groups),
            )
        if self.kind_of(info.host) != "host":
            hosts = [a for a, v in self.actors.items() if v.kind == "host"]
            self.add(
                ("scenario", "host"), f"host {info.host!r} is not a host actor; " + _one_of(hosts)
            )
        if info.ally is not None and (
            self.kind_of(info.ally) != "group" or info.ally == info.focal
        ):
            groups = [a for a, v in self.actors.items() if v.kind == "group" and a != info.focal]
            self.add(
                ("scenario", "ally"),
                f"ally {info.ally!r} is not another group actor; " + _one_of(groups),
            )
        if info.hardliners is not None:
            factions = [e for e in self.entities if info.ally and e.startswith(info.ally + ".")]
            if info.hardliners not in factions:
                self.add(
                    ("scenario", "hardliners"),
                    f"hardliners {info.hardliners!r} is not a faction of the ally "
                    f"(written ally.faction); " + _one_of(factions),
                )

    def check_names(self) -> None:
        for key, items in (
            ("regions", self.s.regions),
            ("actors", self.s.actors),
            ("channels", self.s.channels),
            ("attack_types", self.s.attack_types),
            ("policies", self.s.policies),
        ):
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item.name in seen:
                    self.add((key, i, "name"), f"duplicated name {item.name!r}")
                seen.add(item.name)
        for i, actor in enumerate(self.s.actors):
            seen = set()
            for j, faction in enumerate(actor.factions):
                if faction.name in seen:
                    self.add(
                        ("actors", i, "factions", j, "name"), f"duplicated faction {faction.name!r}"
                    )
                seen.add(faction.name)

    def check_entity(self, name: str | None, loc: Loc, what: str = "actor") -> bool:
        if name not in self.entities:
            self.add(loc, f"unknown {what} {name!r}; " + _one_of(self.entities))
            return False
        return True

    def check_region(self, name: str | None, loc: Loc) -> bool:
        if name not in self.regions:
            self.add(loc, f"unknown region {name!r}; " + _one_of(self.regions))
            return False
        return True

    def check_month_in_scenario(self, month: str, loc: Loc) -> None:
        info = self.s.scenario
        if month_offset(info.start, month) < 0 or month_offset(month, info.end) < 0:
            self.add(loc, f"month {month} is outside the scenario ({info.start} to {info.end})")

    def check_relations(self) -> None:
        for i, rel in enumerate(self.s.relations):
            ok = self.check_entity(rel.source, ("relations", i, "from"))
            ok &= self.check_entity(rel.target, ("relations", i, "to"))
            if ok and rel.source == rel.target:
                self.add(("relations", i, "to"), "a relation links two different actors")
            if rel.since is not None:
                self.check_month_in_scenario(rel.since, ("relations", i, "since"))

    def check_channels(self) -> None:
        states = [a for a, v in self.actors.items() if v.kind == "state"]
        sponsors = [a for a, v in self.actors.items() if v.kind == "sponsor"]
        for i, ch in enumerate(self.s.channels):
            if ch.source not in sponsors:
                self.add(
                    ("channels", i, "source"),
                    f"source {ch.source!r} is not a sponsor actor; " + _one_of(sponsors),
                )
            path = [ch.hub, *ch.alternatives]
            for j, hub in enumerate(path):
                loc = ("channels", i, "hub") if j == 0 else ("channels", i, "alternatives")
                if hub not in states:
                    self.add(loc, f"hub {hub!r} is not a state actor; " + _one_of(states))
                elif hub in path[:j]:
                    self.add(
                        loc,
                        f"hub {hub!r} appears twice on the channel: the hubs form a "
                        "cycle; list each alternative once",
                    )
            if ch.recipient != self.s.scenario.focal:
                self.add(
                    ("channels", i, "recipient"),
                    f"recipient {ch.recipient!r} must be the focal group "
                    f"{self.s.scenario.focal!r} (only it has a treasury)",
                )

    def check_attack_types(self) -> None:
        total = sum(t.share for t in self.s.attack_types)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            self.add(("attack_types",), f"attack type shares must add up to 1, got {total:g}")

    def check_value(
        self, spec: Parameter, setting: ParameterSetting | None, value: float, loc: Loc
    ) -> None:
        low, high = setting.range if setting and setting.range else (spec.low, spec.high)
        if not low <= value <= high:
            self.add(loc, f"{spec.name} = {value:g} is outside its range [{low:g}, {high:g}]")

    def check_parameters(self) -> None:
        for name, setting in self.s.parameters.items():
            loc = ("parameters", name)
            spec = self.catalogue.get(name)
            if spec is None:
                self.add(loc, f"unknown parameter {name!r}; " + _one_of(sorted(self.catalogue)))
                continue
            if setting.range is not None:
                low, high = setting.range
                if low < spec.low or high > spec.high:
                    self.add(
                        (*loc, "range"),
                        f"range [{low:g}, {high:g}] of {name} must lie within "
                        f"[{spec.low:g}, {spec.high:g}]",
                    )
                    continue
            if setting.unit is not None and setting.unit != spec.unit:
                self.add((*loc, "unit"), f"the unit of {name} is {spec.unit!r}")
            if setting.value is not None:
                self.check_value(spec, setting, setting.value, (*loc, "value"))
            if setting.by_region and not spec.regional:
                self.add((*loc, "by_region"), f"{name} is not a regional parameter")
                continue
            for region, value in setting.by_region.items():
                if self.check_region(region, (*loc, "by_region", region)):
                    self.check_value(spec, setting, value, (*loc, "by_region", region))
            if setting.prior is not None:
                self.check_prior(name, spec, setting)

    def check_prior(self, name: str, spec: Parameter, setting: ParameterSetting) -> None:
        """A free parameter is one number: calibration cannot fit a regional table."""
        loc = ("parameters", name, "prior")
        if spec.regional:
            self.add(loc, f"{name} is regional; only a scalar parameter can be free")
            return
        low, high = setting.range if setting.range is not None else (spec.low, spec.high)
        prior = setting.prior
        if prior.low < low or prior.high > high:
            self.add(
                loc,
                f"prior [{prior.low:g}, {prior.high:g}] of {name} must lie within "
                f"[{low:g}, {high:g}]",
            )

    def check_defections(self) -> None:
        seen: set[tuple[str, str]] = set()
        for i, route in enumerate(self.s.defections):
            for key, name in (("from", route.source), ("to", route.target)):
                if name not in self.units:
                    self.add(
                        ("defections", i, key),
                        f"unknown group or faction {name!r}; " + _one_of(self.units),
                    )
            if route.source == route.target:
                self.add(("defections", i, "to"), "a route links two different units")
            if (route.source, route.target) in seen:
                self.add(("defections", i), f"duplicated route {route.source} -> {route.target}")
            seen.add((route.source, route.target))
            low, high = route.range
            if not (0.0 <= low <= route.rate <= high <= 1.0):
                self.add(
                    ("defections", i, "rate"),
                    f"rate {route.rate:g} must lie in its range [{low:g}, {high:g}] within [0, 1]",
                )

    def check_initial(self) -> None:
        init = self.s.initial
        for unit, by_region in init.members.items():
            if unit not in self.units:
                self.add(
                    ("initial", "members", unit),
                    f"unknown group or faction {unit!r}; " + _one_of(self.units),
                )
                continue
            for region in by_region:
                self.check_region(region, ("initial", "members", unit, region))
        for region in init.capacity:
            self.check_region(region, ("initial", "capacity", region))
        for hub in init.hub_crackdown:
            if hub not in self.hubs:
                self.add(
                    ("initial", "hub_crackdown", hub),
                    f"{hub!r} is not a hub of any channel; " + _one_of(self.hubs),
                )

    def check_events(self, events: list[Event], base: Loc) -> None:
        previous = None
        for i, event in enumerate(events):
            loc = (*base, i)
            self.check_month_in_scenario(event.month, (*loc, "month"))
            if previous is not None and month_offset(previous, event.month) < 0:
                self.add(
                    (*loc, "month"),
                    f"events must be in date order: {event.month} comes after {previous}",
                )
            previous = event.month
            if event.until is not None and month_offset(event.month, event.until) < 1:
                self.add(
                    (*loc, "until"), f"until {event.until} must come after month {event.month}"
                )
            if event.parameter is not None:
                self.check_parameter_event(event, loc)
            else:
                self.check_state_event(event, loc)

    def check_parameter_event(self, event: Event, loc: Loc) -> None:
        spec = self.catalogue.get(event.parameter)
        if spec is None:
            self.add(
                (*loc, "parameter"),
                f"unknown parameter {event.parameter!r}; " + _one_of(sorted(self.catalogue)),
            )
            return
        if event.op == "move":
            self.add((*loc, "op"), "a parameter takes op set, multiply or add")
        for key in ("actor", "to", "to_region"):
            if getattr(event, key) is not None:
                self.add((*loc, key), f"a parameter event has no {key!r}")
        if event.region is not None:
            if not spec.regional:
                self.add((*loc, "region"), f"{spec.name} is not a regional parameter")
            else:
                self.check_region(event.region, (*loc, "region"))
        if event.op == "set":
            self.check_value(spec, self.s.parameters.get(spec.name), event.value, (*loc, "value"))
        elif event.op == "multiply" and event.value < 0:
            self.add((*loc, "value"), "a multiplier must be >= 0")

    def check_state_event(self, event: Event, loc: Loc) -> None:
        name = event.state
        if event.until is not None:
            self.add((*loc, "until"), "until ends a parameter change; a state change happens once")
        if name not in EVENT_TARGETS:
            self.add((*loc, "state"), f"unknown state {name!r}; " + _one_of(EVENT_TARGETS))
            return
        allowed_ops = {"members": ("add", "multiply", "move")}.get(name, ("set", "multiply", "add"))
        if event.op not in allowed_ops:
            self.add((*loc, "op"), f"state {name} takes op " + ", ".join(allowed_ops))
        wanted = {
            "members": ("actor", "region"),
            "capacity": ("region",),
            "hub_crackdown": ("actor",),
            "relation": ("actor", "to"),
        }.get(name, ())
        if event.op == "move":
            wanted = (*wanted, "to_region")
        for key in ("actor", "to", "region", "to_region"):
            given = getattr(event, key) is not None
            if key in wanted and not given and not (name == "capacity" and key == "region"):
                self.add((*loc, key), f"state {name} needs {key!r}")
            elif given and key not in wanted:
                self.add((*loc, key), f"state {name} takes no {key!r}")
        if name == "members":
            if event.actor is not None and event.actor not in self.units:
                self.add(
                    (*loc, "actor"),
                    f"unknown group or faction {event.actor!r}; " + _one_of(self.units),
                )
            if event.op == "add" and event.value != int(event.value):
                self.add((*loc, "value"), "members change by a whole number")
            elif event.op == "add" and abs(event.value) > MAX_MEMBERS:
                # Larger changes overflow the engine's integer counts (1e300 crashed a run).
                self.add(
                    (*loc, "value"),
                    f"members change by at most {MAX_MEMBERS:,} at a time, got {event.value:g}",
                )
            if event.op in ("multiply", "move") and not 0.0 <= event.value <= 1.0:
                self.add((*loc, "value"), f"a share of members lies in [0, 1], got {event.value:g}")
        elif name == "hub_crackdown" and event.actor is not None and event.actor not in self.hubs:
            self.add((*loc, "actor"), f"{event.actor!r} is not a hub; " + _one_of(self.hubs))
        elif name == "relation":
            if event.actor is not None:
                self.check_entity(event.actor, (*loc, "actor"))
            if event.to is not None:
                self.check_entity(event.to, (*loc, "to"))
        for key in ("region", "to_region"):
            if getattr(event, key) is not None and key in wanted:
                self.check_region(getattr(event, key), (*loc, key))
        if event.op == "set":
            low, high = VARIABLES[name].bounds
            if not low <= event.value <= high:
                self.add((*loc, "value"), f"{name} is set to a value in [{low:g}, {high:g}]")
        if event.op == "multiply" and event.value < 0:
            self.add((*loc, "value"), "a multiplier must be >= 0")


def check_references(scenario: Scenario) -> list[Problem]:
    """All cross-reference problems of a structurally valid scenario, in document order."""
    return _Checker(scenario).run()
