"""Invalid scenario and policy documents: a valid base (flagship_files) changed by one
mutation, written back as TOML.

Each mutation takes `draw`, a Base and a fresh copy of its document, changes the copy so
that it is invalid, and returns the path the first error must name when only one error can
follow (None when the loader's order of checks decides which problem comes first).
"""

from __future__ import annotations

import copy

from hypothesis import strategies as st

from helpers.bad_file import BadFile
from helpers.flagship_files import (
    CATALOGUE,
    END,
    ENTITIES,
    HUBS,
    ISK,
    KINDS,
    POLICY_BASE_LIST,
    REGIONS,
    SCENARIO_BASE,
    START,
    UNITS,
    Base,
)
from helpers.invalid_values import (
    BAD_MONTHS,
    BAD_NAMES,
    DATES,
    FRESH_NAMES,
    HUGE,
    NON_FINITE,
    SCALARS,
    UNKNOWN_KEYS,
    is_integer_slot,
    outside,
    wrong_type,
)
from helpers.schema_walk import category, get, rename_key, set_at
from helpers.toml_writer import toml_dumps
from helpers.value_bounds import bounds_of
from resurgence.core.state import EVENT_TARGETS
from resurgence.months import add_months

REFERENCES = {  # the fields of each list's items that name an actor, region or parameter
    "relations": {"from", "to"},
    "channels": {"source", "hub", "recipient"},
    "defections": {"from", "to"},
    "events": {"actor", "to", "region", "to_region", "parameter", "state"},
}


def is_reference(path: tuple) -> bool:
    if path[0] == "scenario":
        return path[1:] in (("focal",), ("host",), ("ally",), ("hardliners",))
    if path[0] == "channels" and len(path) == 4 and path[2] == "alternatives":
        return True
    if path[0] == "conditions":
        return len(path) == 4 and path[2] == "parameters"  # conditions.NAME.parameters[i]
    return len(path) >= 3 and path[-1] in REFERENCES.get(path[-3], ())


def reference_keys(doc: dict) -> list[tuple]:
    """Dict keys that name something: units, regions, hubs and parameters."""
    keys = [("parameters", name) for name in doc.get("parameters", {})]
    for name, setting in doc.get("parameters", {}).items():
        keys += [("parameters", name, "by_region", r) for r in setting.get("by_region", {})]
    initial = doc.get("initial", {})
    for unit, regions in initial.get("members", {}).items():
        keys.append(("initial", "members", unit))
        keys += [("initial", "members", unit, r) for r in regions]
    keys += [("initial", "capacity", r) for r in initial.get("capacity", {})]
    keys += [("initial", "hub_crackdown", h) for h in initial.get("hub_crackdown", {})]
    for name, condition in doc.get("conditions", {}).items():
        keys += [
            ("conditions", name, key, p)
            for key in ("group_favours", "scale", "ranges")
            for p in condition.get(key, {})
        ]
    return keys


def m_drop_required(draw, base: Base, doc: dict):
    slot = draw(st.sampled_from(base.required))
    del get(doc, slot.path[:-1])[slot.path[-1]]
    return slot.path


def m_empty_required_list(draw, base: Base, doc: dict):
    paths = [s.path for s in base.slots if category(s.tp) == "list" and s.required]
    path = draw(st.sampled_from(paths))
    set_at(doc, path, [])
    return path


def m_unknown_field(draw, base: Base, doc: dict):
    path, model = draw(st.sampled_from(base.tables))
    taken = set(model.model_fields) | {f.alias for f in model.model_fields.values() if f.alias}
    key = draw(UNKNOWN_KEYS.filter(lambda k: k not in taken))
    get(doc, path)[key] = draw(SCALARS)
    return (*path, key)


def m_wrong_type(draw, base: Base, doc: dict):
    slot = draw(st.sampled_from(base.slots))
    set_at(doc, slot.path, draw(wrong_type(category(slot.tp), slot.tp)))
    return slot.path


def m_malformed_name(draw, base: Base, doc: dict):
    slot = draw(st.sampled_from(base.names))
    set_at(doc, slot.path, draw(BAD_NAMES))
    return slot.path


def m_unknown_reference(draw, base: Base, doc: dict):
    fields = [s.path for s in base.slots if is_reference(s.path)]
    keys = reference_keys(base.doc)
    path = draw(st.sampled_from(fields + keys))
    name = draw(FRESH_NAMES)
    if path in keys:
        rename_key(doc, path, name)
    else:
        set_at(doc, path, name)
    return None


WRONG_KIND = {
    "focal": [n for n in ENTITIES if n != ISK.scenario.focal],
    "host": [n for n in ENTITIES if n != ISK.scenario.host],
    "ally": [n for n in ENTITIES if n != ISK.scenario.ally],
    "hardliners": [n for n in ENTITIES if n != ISK.scenario.hardliners],
    "hub": [n for n in ENTITIES if KINDS.get(n) != "state"],
    "source": [n for n in ENTITIES if KINDS.get(n) != "sponsor"],
    "recipient": [n for n in ENTITIES if n != ISK.scenario.focal],
    "unit": [n for n in ENTITIES if n not in UNITS],
}


def m_wrong_kind_reference(draw, base: Base, doc: dict):
    """An existing actor where another kind is needed: a hub that is no state, a focal
    group that is the host, a defection from a state, a relation to itself."""
    choices = [("scenario", k) for k in ("focal", "host", "ally", "hardliners")]
    for i, ch in enumerate(doc["channels"]):
        choices += [("channels", i, "hub"), ("channels", i, "source"), ("channels", i, "recipient")]
        choices += [("channels", i, "alternatives", j) for j in range(len(ch["alternatives"]))]
    choices += [("defections", i, end) for i in range(len(doc["defections"])) for end in "from to"]
    choices += [("relations", i, "to") for i in range(len(doc["relations"]))]
    choices += [("initial", "hub_crackdown", h) for h in doc["initial"]["hub_crackdown"]]
    path = draw(st.sampled_from(choices))
    if path[0] == "relations":
        set_at(doc, path, get(doc, path[:-1])["from"])
    elif path[0] == "defections":
        other = get(doc, path[:-1])["to" if path[-1] == "from" else "from"]
        set_at(doc, path, draw(st.sampled_from([*WRONG_KIND["unit"], other])))
    elif path[:2] == ("initial", "hub_crackdown"):
        states = [n for n, k in KINDS.items() if k == "state" and n not in HUBS]
        rename_key(doc, path, draw(st.sampled_from(states)))
    else:
        key = "hub" if path[-1] in ("alternatives", "hub") or path[-2] == "alternatives" else None
        set_at(doc, path, draw(st.sampled_from(WRONG_KIND[key or path[-1]])))
    return None


def m_out_of_range(draw, base: Base, doc: dict):
    slots = [(s, b) for s in base.numeric if (b := bounds_of(base.doc, s))]
    slot, bounds = draw(st.sampled_from(slots))
    value = draw(outside(*bounds))
    if is_integer_slot(slot) and isinstance(value, float) and value.is_integer():
        value = int(value)
    set_at(doc, slot.path, value)
    return None


def m_non_finite(draw, base: Base, doc: dict):
    slot = draw(st.sampled_from(base.numeric))
    set_at(doc, slot.path, draw(NON_FINITE))
    return slot.path


def m_huge_number(draw, base: Base, doc: dict):
    floats = [s for s in base.numeric if category(s.tp) == "float"]
    bounded = [(s, b) for s in base.numeric if (b := bounds_of(base.doc, s))]
    if draw(st.booleans()):
        slot = draw(st.sampled_from(floats))
        set_at(doc, slot.path, draw(HUGE))
        return slot.path
    slot, (low, _, high, _) = draw(st.sampled_from(bounded))
    big = [v for v in (10**30, -(10**30), 10**400, 1e300, -1e300) if not low <= v <= high]
    set_at(doc, slot.path, draw(st.sampled_from(big)))
    return None


def _event_lists(doc: dict) -> list[tuple]:
    lists = []
    if doc.get("events"):
        lists.append(("events",))
    if doc.get("policy", {}).get("events"):
        lists.append(("policy", "events"))
    for i, policy in enumerate(doc.get("policies", [])):
        if policy.get("events"):
            lists.append(("policies", i, "events"))
    return lists


def m_dates(draw, base: Base, doc: dict):
    """Events out of order or outside the scenario, `until` before `month`, an end before
    the start, a malformed month or a TOML date where a YYYY-MM string is expected."""
    options = ["malformed", "toml_date", "outside", "until"]
    swappable = [p for p in _event_lists(doc) if len({e["month"] for e in get(doc, p)}) > 1]
    if swappable:
        options.append("swap")
    if "scenario" in doc:
        options += ["end_before_start", "since_outside", "resurgence_outside"]
    kind = draw(st.sampled_from(options))
    if kind == "malformed":
        slot = draw(st.sampled_from(base.months))
        set_at(doc, slot.path, draw(BAD_MONTHS))
        return slot.path
    if kind == "toml_date":
        slot = draw(st.sampled_from(base.months))
        set_at(doc, slot.path, draw(st.one_of(DATES, st.datetimes(), st.times())))
        return slot.path
    outside_months = st.one_of(
        st.integers(-1200, -1).map(lambda k: add_months(START, k)),
        st.integers(1, 1200).map(lambda k: add_months(END, k)),
    )
    if kind == "swap":
        events = get(doc, draw(st.sampled_from(swappable)))
        pairs = [
            (i, j)
            for i in range(len(events))
            for j in range(i + 1, len(events))
            if events[i]["month"] != events[j]["month"]
        ]
        i, j = draw(st.sampled_from(pairs))
        events[i]["month"], events[j]["month"] = events[j]["month"], events[i]["month"]
        return None
    if kind == "outside":
        events = get(doc, draw(st.sampled_from(_event_lists(doc))))
        draw(st.sampled_from(events))["month"] = draw(outside_months)
        return None
    if kind == "until":
        events = get(doc, draw(st.sampled_from(_event_lists(doc))))
        event = draw(st.sampled_from(events))
        event["until"] = add_months(event["month"], -draw(st.integers(0, 600)))
        return None
    if kind == "end_before_start":
        doc["scenario"]["end"] = add_months(START, -draw(st.integers(0, 24000)))
        return None
    if kind == "since_outside":
        relation = draw(st.sampled_from(doc["relations"]))
        relation["since"] = draw(outside_months)
        return None
    doc["resurgence"]["start"] = draw(outside_months)
    return None


def m_duplicate_name(draw, base: Base, doc: dict):
    kind = draw(st.sampled_from(["copy", "rename", "faction", "route", "condition"]))
    if kind in ("copy", "rename"):
        key = draw(st.sampled_from(["regions", "actors", "channels", "attack_types"]))
        items = doc[key]
        i = draw(st.integers(0, len(items) - 1))
        if kind == "rename" and len(items) > 1:
            j = draw(st.integers(0, len(items) - 1).filter(lambda j: j != i))
            items[j]["name"] = items[i]["name"]
        else:
            items.insert(draw(st.integers(0, len(items))), copy.deepcopy(items[i]))
    elif kind == "faction":
        actor = draw(st.sampled_from([a for a in doc["actors"] if a.get("factions")]))
        actor["factions"].append(copy.deepcopy(draw(st.sampled_from(actor["factions"]))))
    elif kind == "route":
        routes = doc["defections"]
        routes.insert(
            draw(st.integers(0, len(routes))), copy.deepcopy(draw(st.sampled_from(routes)))
        )
    else:
        # a parameter of one condition also in another (its group_favours lists it)
        conditions = doc["conditions"]
        source = draw(st.sampled_from(sorted(conditions)))
        target = conditions[draw(st.sampled_from(sorted(set(conditions) - {source})))]
        parameter = draw(st.sampled_from(sorted(conditions[source]["group_favours"])))
        target["group_favours"][parameter] = "high"
        if "parameters" in target:
            target["parameters"].append(parameter)
    return None


def m_channel_cycle(draw, base: Base, doc: dict):
    channel = draw(st.sampled_from(doc["channels"]))
    hubs = [channel["hub"], *channel["alternatives"]]
    again = draw(st.sampled_from(hubs))
    alternatives = channel["alternatives"]
    alternatives.insert(draw(st.integers(0, len(alternatives))), again)
    return None


def m_channel_dangling(draw, base: Base, doc: dict):
    channel = draw(st.sampled_from(doc["channels"]))
    name = draw(st.one_of(FRESH_NAMES, st.sampled_from(WRONG_KIND["hub"])))
    where = draw(st.integers(0, len(channel["alternatives"])))
    if where == 0:
        channel["hub"] = name
    else:
        channel["alternatives"][where - 1] = name
    return None


def m_event_shape(draw, base: Base, doc: dict):
    """An event that changes two things or none, an op its target does not take, fields
    its target does not have or lacks, a fractional number of members."""
    events = get(doc, draw(st.sampled_from(_event_lists(doc))))
    event = draw(st.sampled_from(events))
    if "parameter" in event:
        kind = draw(st.sampled_from(["both", "none", "move", "extra", "bad_op"]))
    else:
        kind = draw(st.sampled_from(["both", "none", "until", "extra", "bad_op", "members"]))
    if kind == "both":
        if "parameter" in event:
            event["state"] = draw(st.sampled_from(EVENT_TARGETS))
        else:
            event["parameter"] = draw(st.sampled_from(sorted(CATALOGUE)))
    elif kind == "none":
        event.pop("parameter", None)
        event.pop("state", None)
    elif kind == "move":
        event["op"] = "move"
    elif kind == "until":
        event["until"] = add_months(event["month"], draw(st.integers(1, 12)))
    elif kind == "bad_op":
        event["op"] = draw(st.sampled_from(["divide", "Set", "", "replace", "min"]))
    elif kind == "extra":
        wanted = {
            "members": {"actor", "region"},
            "capacity": {"region"},
            "hub_crackdown": {"actor"},
            "relation": {"actor", "to"},
        }.get(event.get("state"), set())
        if event.get("op") == "move":
            wanted.add("to_region")
        key = draw(st.sampled_from(sorted({"actor", "to", "to_region"} - wanted)))
        event[key] = draw(st.sampled_from([REGIONS[0], "isk", "taliban"]))
    else:
        members = [e for e in events if e.get("state") == "members"]
        if not members:  # nothing to make fractional: drop the target instead
            event.pop("state")
            return None
        event = draw(st.sampled_from(members))
        if event["op"] == "add":
            event["value"] = draw(st.integers(-1000, 1000)) + draw(st.sampled_from([0.5, 0.25]))
        else:
            event.pop(draw(st.sampled_from(["actor", "region"])))
    return None


SCENARIO_MUTATIONS = {
    "missing required field": m_drop_required,
    "empty required list": m_empty_required_list,
    "unknown field": m_unknown_field,
    "wrong type": m_wrong_type,
    "malformed name": m_malformed_name,
    "unknown actor, region or parameter": m_unknown_reference,
    "wrong kind of actor": m_wrong_kind_reference,
    "out of range": m_out_of_range,
    "NaN or infinite": m_non_finite,
    "huge number": m_huge_number,
    "inconsistent dates": m_dates,
    "duplicated name": m_duplicate_name,
    "cyclic funding channel": m_channel_cycle,
    "dangling funding channel": m_channel_dangling,
    "malformed event": m_event_shape,
}
POLICY_MUTATIONS = {
    "missing required field": m_drop_required,
    "unknown field": m_unknown_field,
    "wrong type": m_wrong_type,
    "malformed name": m_malformed_name,
    "unknown actor, region or parameter": m_unknown_reference,
    "out of range": m_out_of_range,
    "NaN or infinite": m_non_finite,
    "huge number": m_huge_number,
    "inconsistent dates": m_dates,
    "malformed event": m_event_shape,
}


@st.composite
def mutated(draw, policy: bool) -> BadFile:
    base = draw(st.sampled_from(POLICY_BASE_LIST)) if policy else SCENARIO_BASE
    mutations = POLICY_MUTATIONS if policy else SCENARIO_MUTATIONS
    kind = draw(st.sampled_from(sorted(mutations)))
    doc = copy.deepcopy(base.doc)
    expect = mutations[kind](draw, base, doc)
    return BadFile(kind, toml_dumps(doc).encode("utf-8"), policy, expect, base=base.dumped)
