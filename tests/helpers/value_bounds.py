"""The bounds a value must keep: the schema's own, and those the reference checks
(scenarios/references.py) add, which depend on the rest of the document (a state set by an
event keeps the bounds core/state.py declares)."""

from __future__ import annotations

import math

from helpers.flagship_files import CATALOGUE, ISK_DOC
from helpers.schema_walk import Slot, get, schema_bounds
from resurgence.core.state import VARIABLES
from resurgence.limits import MAX_MEMBERS


def parameter_range(name: str, scenario_doc: dict) -> tuple[float, float]:
    spec = CATALOGUE[name]
    own = scenario_doc.get("parameters", {}).get(name, {}).get("range")
    return tuple(own) if own else (spec.low, spec.high)


def domain_bounds(doc: dict, path: tuple):
    """Bounds that references.py puts on a value, beyond the schema's, or None."""
    if path[0] == "parameters" and (path[2:3] == ("value",) or path[2:3] == ("by_region",)):
        low, high = parameter_range(path[1], ISK_DOC)
        return low, True, high, True
    if path[0] == "defections" and path[2] == "rate":
        low, high = get(doc, path[:2]).get("range", (0.0, 0.1))
        return max(low, 0.0), True, min(high, 1.0), True
    if path[0] == "relations" and path[2] == "value":
        kind = get(doc, path[:2])["type"]
        return (
            (0.0, True, 1.0, True) if kind in ("cooperation", "tolerance") else (-1, True, 0, True)
        )
    if "events" in path and path[-1] == "value":
        event = get(doc, path[:-1])
        op = event.get("op", "set")
        if "parameter" in event:
            if op == "set":
                low, high = parameter_range(event["parameter"], ISK_DOC)
                return low, True, high, True
            return (0.0, True, math.inf, True) if op == "multiply" else None
        state = event["state"]
        if state == "members":
            if op in ("multiply", "move"):
                return 0.0, True, 1.0, True
            return -MAX_MEMBERS, True, MAX_MEMBERS, True
        if op == "multiply":
            return 0.0, True, math.inf, True
        if op == "set":
            low, high = VARIABLES[state].bounds
            return low, True, high, True
    return None


def bounds_of(doc: dict, slot: Slot):
    low, low_in, high, high_in = schema_bounds(slot)
    extra = domain_bounds(doc, slot.path)
    if extra:
        low2, low2_in, high2, high2_in = extra
        if low2 > low or (low2 == low and not low2_in):
            low, low_in = low2, low2_in
        if high2 < high or (high2 == high and not high2_in):
            high, high_in = high2, high2_in
    if (low, high) == (-math.inf, math.inf):
        return None
    return low, low_in, high, high_in
