"""Reliability: bad input never crashes, an interrupted run never leaves a lie, results stay
exact, and the run catalog survives concurrent use.

1. Bad input. Hypothesis mutates the flagship scenario (builtin isk.toml, parsed, changed,
   written back by the small TOML writer below) and small policy files: a required field
   dropped, an unknown field, a wrong type, an unknown or wrong-kind actor, region or
   parameter, a value out of range, NaN, infinite or huge, dates out of order or outside
   the scenario, a duplicated name, a funding channel that repeats a hub or names a hub
   that is no state, a malformed event; and it corrupts their bytes: truncated, binary
   bytes inserted, a binary file, UTF-16/UTF-32/Latin-1/cp1252/BOM encodings, a duplicated
   key or table, a broken line, a 5,000-digit number, arrays nested thousands deep. Each
   input must end in a `ResurgenceError` whose message starts with the file's path and
   names the place: `FILE:LINE: FIELD: ...` (the line holding that field), `FILE:LINE:` for
   text that is not TOML, `FILE: FIELD: ...` only for a top-level table the file lacks.
   About one input in 25 (picked by checksum, so a replay picks the same) also goes through
   the CLI (`validate`, `run FILE` or `run isk --policy FILE`; exit code 2, one `error:`
   line, no traceback) and batches go through a real subprocess. The
   `default` profile tries a few hundred inputs; `.ci/run` selects the `ci` profile
   (HYPOTHESIS_PROFILE=ci, tests/conftest.py), which tries over 10,000.
2. Extreme but valid parameters: every parameter at a corner of its declared range, every
   member cell at 0 or its declared maximum, over all 65 months, recorded without the
   int32/float32 casts: nothing negative, non-finite or beyond what the stored dtype holds.
3. Interrupted runs: `resurgence run` is SIGKILLed (its whole process group, workers
   included) at several moments; after each, nothing looks complete, what was finished is
   exact, the catalog reads, and `--resume` ends bit-identical to an uninterrupted run.
4. Concurrent use: processes registering runs in one DuckDB catalog at once, with a reader
   listing it meanwhile; every run ends up in it.

The figures are printed at the end of the session (conftest.py, pytest_terminal_summary).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import difflib
import io
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
import types
import typing
import zlib
from collections import Counter
from pathlib import Path

import annotated_types
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo
from rich.console import Console
from rich.markup import escape
from typer.testing import CliRunner

from resurgence import store
from resurgence.analysis.summary import summarise
from resurgence.cli import app
from resurgence.engine.compile import compile_model
from resurgence.engine.run import RECORDED, allocate, simulate_chunk
from resurgence.workflows.streamed import done_dir
from resurgence.errors import ResurgenceError
from resurgence.months import add_months
from resurgence.scenario import load_policy, load_scenario
from resurgence.scenario.load import builtin_policies, builtin_scenarios
from resurgence.scenario.locate import format_loc
from resurgence.scenario.references import (
    NONNEGATIVE_STATES,
    STATE_TARGETS,
    UNIT_INTERVAL_STATES,
    effective_parameters,
    entities_of,
    hubs_of,
    units_of,
)
from resurgence.scenario.schema import MAX_MEMBERS, PolicyFile, Scenario

CI = os.environ.get("HYPOTHESIS_PROFILE") == "ci"
CLI_EVERY = 25  # one input in this many also goes through the CLI
BAD_INPUT = settings(
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # conftest's autouse catalog fixture
    ],
)

# ---------------------------------------------------------------- the bases

ISK_PATH = builtin_scenarios()["isk"]
ISK_TEXT = ISK_PATH.read_text(encoding="utf-8")
ISK_DOC = tomllib.loads(ISK_TEXT)
ISK = load_scenario("isk")
CATALOGUE = effective_parameters(ISK)
START, END = ISK.scenario.start, ISK.scenario.end
REGIONS = [r.name for r in ISK.regions]
KINDS = {a.name: a.kind for a in ISK.actors}
ENTITIES = entities_of(ISK)
UNITS = units_of(ISK)
HUBS = hubs_of(ISK)
KNOWN_NAMES = (
    set(REGIONS)
    | set(ENTITIES)
    | set(UNITS)
    | set(CATALOGUE)
    | set(STATE_TARGETS)
    | {c.name for c in ISK.channels}
    | {t.name for t in ISK.attack_types}
    | set(ISK_DOC.get("conditions", {}))
)
POLICY_TEXTS = {
    name: path.read_text(encoding="utf-8") for name, path in sorted(builtin_policies("isk").items())
}


def _policy_bases() -> list[dict]:
    """The builtin policy files, and policies made of slices of the flagship's timeline
    (several months, so dates can be put out of order), one under [policy] itself."""
    bases = [tomllib.loads(text) for text in POLICY_TEXTS.values()]
    events = ISK_DOC["events"]
    for i, (lo, hi) in enumerate([(0, 6), (8, 16), (14, 27)]):
        bases.append(
            {"policy": {"name": f"timeline_{i}", "title": "A slice of the timeline"}, "events": []}
        )
        bases[-1]["events"] = copy.deepcopy(events[lo:hi])
    bases.append(
        {"policy": {"name": "nested", "events": copy.deepcopy(events[18:24])}, "events": []}
    )
    return bases


POLICY_BASES = _policy_bases()


# ---------------------------------------------------------------- a small TOML writer
# tomli_w would do; this is 60 lines and keeps the test extra small. It writes tables and
# arrays of tables with headers, small tables of plain values inline (as isk.toml does),
# NaN and infinities as TOML's nan and inf, and integers of any size.

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def toml_string(text: str) -> str:
    """A basic string; what is not printable is escaped, as error messages write keys."""
    escaped = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
    escaped |= {"\f": "\\f", "\r": "\\r"}
    out = []
    for ch in text:
        if ch in escaped:
            out.append(escaped[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    return key if _BARE.fullmatch(key) else toml_string(key)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"no TOML for {value!r}")


def _table_array(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _subtable(value, depth: int) -> bool:
    """Dicts are tables with a header at the top two levels, or when they hold tables."""
    if not isinstance(value, dict):
        return False
    return depth < 2 or any(isinstance(v, dict) or _table_array(v) for v in value.values())


def toml_dumps(doc: dict) -> str:
    lines: list[str] = []
    _write_table(lines, (), doc, 0)
    return "\n".join(lines).lstrip("\n") + "\n"


def _write_table(lines: list[str], path: tuple[str, ...], table: dict, depth: int) -> None:
    later = []
    for key, value in table.items():
        if _subtable(value, depth) or _table_array(value):
            later.append((key, value))
        else:
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    for key, value in later:
        full = ".".join(toml_key(k) for k in (*path, key))
        if isinstance(value, dict):
            lines += ["", f"[{full}]"]
            _write_table(lines, (*path, key), value, depth + 1)
        else:
            for item in value:
                lines += ["", f"[[{full}]]"]
                _write_table(lines, (*path, key), item, depth + 1)


# ---------------------------------------------------------------- walking the schema


@dataclasses.dataclass(frozen=True)
class Slot:
    """A value of the document with the type the schema expects there."""

    path: tuple
    tp: typing.Any  # the type, unwrapped of Annotated and Optional
    meta: tuple  # constraints (annotated_types Ge/Le/..., validators, pydantic metadata)
    required: bool  # a model's field without a default
    field: bool  # a model's field (not an item of a list or a dict)


def unwrap(tp) -> tuple[typing.Any, list]:
    meta: list = []
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp, *extra = typing.get_args(tp)
            meta.extend(extra)
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            assert len(args) == 1, f"the schema has a real union: {tp}"
            tp = args[0]
        else:
            return tp, meta


def constraints(meta) -> list:
    out = []
    for item in meta:
        if isinstance(item, FieldInfo):
            out.extend(item.metadata)
        else:
            out.append(item)
    return out


def is_model(tp) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def walk(model: type[BaseModel], data: dict, path: tuple = ()):
    """(slots, tables): every value of `data` the schema types, and every model table."""
    slots: list[Slot] = []
    tables: list[tuple[tuple, type[BaseModel]]] = [(path, model)]
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in data:
            continue
        tp, meta = unwrap(info.annotation)
        meta = constraints([*info.metadata, *meta])
        slot = Slot((*path, key), tp, tuple(meta), info.is_required(), True)
        slots.append(slot)
        _walk_value(tp, data[key], slot.path, slots, tables)
    return slots, tables


def _walk_value(tp, value, path, slots, tables) -> None:
    origin = typing.get_origin(tp)
    if is_model(tp) and isinstance(value, dict):
        more_slots, more_tables = walk(tp, value, path)
        slots += more_slots
        tables += more_tables
    elif origin in (list, tuple) and isinstance(value, list):
        args = typing.get_args(tp)
        for i, item in enumerate(value):
            if origin is tuple and i >= len(args):
                break
            item_tp, meta = unwrap(args[i] if origin is tuple else args[0])
            slot = Slot((*path, i), item_tp, tuple(constraints(meta)), False, False)
            slots.append(slot)
            _walk_value(item_tp, item, slot.path, slots, tables)
    elif origin is dict and isinstance(value, dict):
        item_tp, meta = unwrap(typing.get_args(tp)[1])
        for key, item in value.items():
            slot = Slot((*path, key), item_tp, tuple(constraints(meta)), False, False)
            slots.append(slot)
            _walk_value(item_tp, item, slot.path, slots, tables)


def category(tp) -> str:
    if typing.get_origin(tp) is typing.Literal:
        return "literal"
    if is_model(tp):
        return "model"
    origin = typing.get_origin(tp)
    if origin in (list, tuple, dict):
        return origin.__name__
    return {str: "str", float: "float", int: "int", bool: "bool"}[tp]


def schema_bounds(slot: Slot) -> tuple[float, bool, float, bool]:
    """(low, low included, high, high included) the schema's own constraints allow."""
    low, low_in, high, high_in = -math.inf, True, math.inf, True
    for c in slot.meta:
        if isinstance(c, annotated_types.Ge):
            low, low_in = c.ge, True
        elif isinstance(c, annotated_types.Gt):
            low, low_in = c.gt, False
        elif isinstance(c, annotated_types.Le):
            high, high_in = c.le, True
        elif isinstance(c, annotated_types.Lt):
            high, high_in = c.lt, False
    return low, low_in, high, high_in


def is_month(slot: Slot) -> bool:
    return any(
        isinstance(c, AfterValidator) and c.func.__name__ == "_check_month" for c in slot.meta
    )


def is_name(slot: Slot) -> bool:
    return any(getattr(c, "pattern", None) for c in slot.meta)


class Base:
    """A valid document, its slots and tables (computed once), and how to write it so that
    any truncation before its last closing quote is invalid."""

    def __init__(self, doc: dict, root: type[BaseModel], last: tuple[str, str]):
        self.doc = doc
        self.root = root
        self.slots, self.tables = walk(root, doc)
        self.required = [s for s in self.slots if s.required]
        self.numeric = [s for s in self.slots if category(s.tp) in ("float", "int")]
        self.months = [s for s in self.slots if is_month(s)]
        self.names = [s for s in self.slots if is_name(s)]
        table, key = last  # a required string the file ends with
        ordered = {k: v for k, v in doc.items() if k != table}
        rest = {k: v for k, v in doc[table].items() if k not in (key, "events")}
        ordered[table] = {**rest, key: doc[table][key]}
        if root is PolicyFile:
            ordered["events"] = doc.get("events", []) + doc[table].get("events", [])
            ordered = {"events": ordered.pop("events"), **ordered}
        self.text = toml_dumps(ordered)
        self.dumped = toml_dumps(doc)


SCENARIO_BASE = Base(ISK_DOC, Scenario, ("resurgence", "start"))
POLICY_BASE_LIST = [Base(doc, PolicyFile, ("policy", "name")) for doc in POLICY_BASES]


def get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def set_at(doc, path, value) -> None:
    get(doc, path[:-1])[path[-1]] = value


def rename_key(doc, path, new: str) -> None:
    """Rename the dict key at `path`, keeping its place in the table."""
    parent = get(doc, path[:-1])
    items = [(new if k == path[-1] else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)


# ---------------------------------------------------------------- values


def outside(low, low_in, high, high_in):
    """Strategy: numbers outside [low, high] (bounds included or not), finite or huge."""

    def bad(x) -> bool:
        if isinstance(x, float) and math.isnan(x):
            return True
        return x < low or x > high or (x == low and not low_in) or (x == high and not high_in)

    options = []
    if low > -math.inf:
        options += [
            st.floats(max_value=low, allow_nan=False, allow_infinity=False),
            st.integers(max_value=math.ceil(low)),
            st.sampled_from([-(10**30), -1e300, -1e308]),
        ]
    if high < math.inf:
        options += [
            st.floats(min_value=high, allow_nan=False, allow_infinity=False),
            st.integers(min_value=math.floor(high)),
            st.sampled_from([10**30, 1e300, 1e308]),
        ]
    return st.one_of(options).filter(bad)


def is_integer_slot(slot: Slot) -> bool:
    return category(slot.tp) == "int"


NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
HUGE = st.sampled_from([10**400, -(10**400)])  # beyond any float: never a number here
DATES = st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31))
SCALARS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=12),
)
KEYS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
UNKNOWN_KEYS = st.one_of(
    st.from_regex(r"[a-z_][a-z0-9_]{0,14}", fullmatch=True),
    st.sampled_from(["colour", "Name", "actor s", "clé", "value2", "from_", "régions"]),
    KEYS,
)
FRESH_NAMES = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True),
    st.sampled_from(
        [
            *("daesh", "mars", "ISK", "isk ", " isk", "", "taliban.nobody", "ttp.jua.x", "iśk"),
            *("funding.nonsense", "isk\u200b", "kabul.isk", "nangarhar2"),
        ]
    ),
).filter(lambda n: n not in KNOWN_NAMES)
BAD_MONTHS = st.one_of(
    st.sampled_from(
        [
            *("2022-13", "2022-00", "22-01", "2022/01", "2022-1", "2022-01-01", "", "Jan 2022"),
            *(" 2022-01", "2022-01 ", "\uff12\uff10\uff12\uff12-01", "2022_01", "202201"),
            *("2022-01\n", "\u0662\u0660\u0662\u0662-01"),
        ]
    ),
    st.text(max_size=10).filter(lambda s: not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", s)),
)
BAD_NAMES = st.one_of(
    st.sampled_from(["Bad Name", "1abc", "a" * 65, "", "isk-k", "ISK", "_x", "a.b"]),
    st.text(max_size=8).filter(lambda s: not re.fullmatch(r"[a-z][a-z0-9_]*", s)),
)


def wrong_type(cat: str, tp):
    """Strategy: values of a type the schema does not accept there (numbers are exact)."""
    lists = st.lists(SCALARS, max_size=3)
    dicts = st.dictionaries(KEYS, SCALARS, max_size=2)
    numbers = st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=False))
    if cat in ("str", "literal"):
        options = [numbers, st.booleans(), DATES, lists, dicts]
        if cat == "literal":
            allowed = typing.get_args(tp)
            options.append(st.text(max_size=12).filter(lambda s: s not in allowed))
        return st.one_of(options)
    if cat == "float":
        return st.one_of(st.text(max_size=12), st.booleans(), DATES, lists, dicts, st.times())
    if cat == "int":
        return st.one_of(st.text(max_size=12), st.booleans(), st.floats(), DATES, lists, dicts)
    if cat in ("list", "tuple"):
        return st.one_of(st.text(max_size=12), numbers, st.booleans(), DATES, dicts)
    if cat in ("dict", "model"):
        return st.one_of(st.text(max_size=12), numbers, st.booleans(), DATES, lists)
    raise AssertionError(cat)


# ---------------------------------------------------------------- bounds the checks add


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
            if state in UNIT_INTERVAL_STATES or state == "hub_crackdown":
                return 0.0, True, 1.0, True
            if state == "relation":
                return -1.0, True, 1.0, True
            if state in NONNEGATIVE_STATES or state == "capacity":
                return 0.0, True, math.inf, True
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


# ---------------------------------------------------------------- mutations
# Each takes `draw`, a Base and a fresh copy of its document, changes the copy so that it
# is invalid, and returns the path the first error must name when only one error can
# follow (None when the loader's order of checks decides which problem comes first).

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
            event["state"] = draw(st.sampled_from(STATE_TARGETS))
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


class BadFile:
    """An invalid file: what kind, its bytes, and what the first error must name. A plain
    class, so that Hypothesis shows its short repr (what changed), not every byte."""

    def __init__(
        self,
        kind: str,
        content: bytes,
        policy: bool,
        expect: tuple | None = None,  # the field the first error must name
        validate_crashes: bool = False,  # `resurgence validate` still crashes on it
        base: str = "",  # the text it was made from, to show what changed
    ):
        self.kind, self.content, self.policy = kind, content, policy
        self.expect, self.validate_crashes, self.base = expect, validate_crashes, base

    def anywhere(self) -> BadFile:
        """The same file, whose first error may be anywhere (a CLI may check it otherwise)."""
        return BadFile(self.kind, self.content, self.policy, None, self.validate_crashes)

    def __repr__(self) -> str:
        text = self.content.decode("utf-8", errors="backslashreplace")
        changed = [
            line
            for line in difflib.unified_diff(self.base.splitlines(), text.splitlines(), n=1)
            if not line.startswith(("---", "+++"))
        ]
        shown = "\n".join(line[:300] for line in changed[:30])
        return (
            f"BadFile({self.kind!r}, policy={self.policy}, expect={self.expect!r}, "
            f"{len(self.content)} bytes, changes:\n{shown})"
        )


@st.composite
def mutated(draw, policy: bool) -> BadFile:
    base = draw(st.sampled_from(POLICY_BASE_LIST)) if policy else SCENARIO_BASE
    mutations = POLICY_MUTATIONS if policy else SCENARIO_MUTATIONS
    kind = draw(st.sampled_from(sorted(mutations)))
    doc = copy.deepcopy(base.doc)
    expect = mutations[kind](draw, base, doc)
    return BadFile(kind, toml_dumps(doc).encode("utf-8"), policy, expect, base=base.dumped)


# ---------------------------------------------------------------- corrupted bytes

# Bytes that are never valid anywhere in a UTF-8 TOML file: control characters other than
# tab, line feed and carriage return, and bytes UTF-8 never uses.
NEVER_VALID = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xC0, 0xC1]
NEVER_VALID += list(range(0xF5, 0x100))
HEADERS = [b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"%PDF-1.7\n\xe2\xe3\xcf\xd3", b"\x1f\x8b\x08\x00"]


def raw_texts(policy: bool) -> list[tuple[str, int]]:
    """(text, last position) pairs: any truncation at or before the position is invalid,
    because the text's last required string is not yet closed there."""
    if policy:
        texts = [(t, '[policy]\nname = "') for t in POLICY_TEXTS.values()]
        texts += [(b.text, None) for b in POLICY_BASE_LIST]
    else:
        texts = [(ISK_TEXT, "[resurgence]"), (SCENARIO_BASE.text, None)]
    out = []
    for text, anchor in texts:
        if anchor is None:
            out.append((text, len(text.rstrip("\n")) - 1))  # the file's last closing quote
        else:
            start = text.index(anchor)
            key = 'start = "' if anchor == "[resurgence]" else 'name = "'
            opening = text.index(key, start) + len(key) - 1
            out.append((text, text.index('"', opening + 1)))
    return out


RAW_SCENARIO = raw_texts(policy=False)
RAW_POLICY = raw_texts(policy=True)
KEY_LINE = re.compile(r'^([A-Za-z0-9_"-][^=]*?) = (.+)$')


def _lines(text: str) -> list[str]:
    return text.split("\n")


@st.composite
def corrupted(draw, policy: bool) -> BadFile:
    raws = RAW_POLICY if policy else RAW_SCENARIO
    text, last = draw(st.sampled_from(raws))
    written = [b.text for b in POLICY_BASE_LIST] if policy else [SCENARIO_BASE.text]
    kind = draw(
        st.sampled_from(
            [
                "truncated",
                "binary bytes inserted",
                "binary file",
                "UTF-16",
                "UTF-32",
                "Latin-1 or cp1252",
                "UTF-8 with BOM",
                "duplicated key",
                "duplicated table",
                "broken line",
                "5,000-digit number",
                "deeply nested",
            ]
        )
    )
    data = text.encode("utf-8")
    crashes = False
    if kind == "truncated":
        data = text[: draw(st.integers(0, last))].encode("utf-8")
    elif kind == "binary bytes inserted":
        blob = bytearray(draw(st.binary(max_size=64)))
        blob.insert(draw(st.integers(0, len(blob))), draw(st.sampled_from(NEVER_VALID)))
        at = draw(st.integers(0, len(data)))
        data = data[:at] + bytes(blob) + data[at:]
    elif kind == "binary file":
        blob = bytearray(draw(st.binary(max_size=2048)))
        blob.insert(draw(st.integers(0, len(blob))), draw(st.sampled_from(NEVER_VALID)))
        data = draw(st.sampled_from([b"", *HEADERS])) + bytes(blob)
    elif kind == "UTF-16":
        data = text.encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be"])))
    elif kind == "UTF-32":
        data = text.encode(draw(st.sampled_from(["utf-32", "utf-32-le", "utf-32-be"])))
    elif kind == "Latin-1 or cp1252":
        at = draw(st.integers(0, len(text)))
        accent = draw(st.sampled_from("éüñçøßàÖ€œ"))
        encoding = "cp1252" if accent in "€œ" else draw(st.sampled_from(["latin-1", "cp1252"]))
        data = (text[:at] + accent + text[at:]).encode(encoding, errors="replace")
    elif kind == "UTF-8 with BOM":
        data = b"\xef\xbb\xbf" + data
    else:
        text = draw(st.sampled_from(written))
        lines = _lines(text)
        keyed = [i for i, line in enumerate(lines) if KEY_LINE.match(line)]
        if kind == "duplicated key":
            i = draw(st.sampled_from(keyed))
            lines.insert(i + 1, lines[i])
        elif kind == "duplicated table":
            headers = [ln for ln in lines if ln.startswith("[") and not ln.startswith("[[")]
            lines += ["", draw(st.sampled_from(headers)), ""]
        elif kind == "broken line":
            i = draw(st.sampled_from([i for i, ln in enumerate(lines) if ln]))
            line = lines[i]
            if line.startswith("["):
                lines[i] = line[:-1]  # a header without its closing bracket
            elif line.endswith('"') and draw(st.booleans()):
                lines[i] = line[:-1]  # a string without its closing quote
            else:
                lines[i] = line.replace(" = ", " ", 1)  # a key without '='
        elif kind == "5,000-digit number":
            numeric = [i for i in keyed if re.fullmatch(r"-?[0-9.e+-]+", lines[i].split(" = ")[-1])]
            i = draw(st.sampled_from(numeric))
            digits = "9" * draw(st.integers(4301, 20_000))
            lines[i] = lines[i].split(" = ")[0] + " = " + digits
            crashes = True
        else:  # deeply nested
            i = draw(st.sampled_from(keyed))
            depth = draw(st.one_of(st.integers(2, 50), st.integers(2, 20_000)))
            opening, closing = draw(st.sampled_from([("[", "]"), ("{ a = ", " }")]))
            lines[i] = lines[i].split(" = ")[0] + " = " + opening * depth + "1" + closing * depth
            crashes = depth > 150  # deep enough for tomllib's recursion to fail
        data = "\n".join(lines).encode("utf-8")
    return BadFile(kind, data, policy, None, crashes, base=text)


# ---------------------------------------------------------------- checking a rejection

QUOTED = r'"(?:[^"\\\n]|\\.)*"'
FIELD_PATH = rf"(?:[A-Za-z0-9_]+|{QUOTED})(?:\.(?:[A-Za-z0-9_]+|{QUOTED})|\[\d+\])*"
WHOLE_LINE = re.compile(rf"^({FIELD_PATH}|\(top level\)): (.+)$", re.S)


def field_names(field: str) -> list[str]:
    field = re.sub(r"\[\d+\]", "", field)
    return [q or b for q, b in re.findall(r'"((?:[^"\\\n]|\\.)*)"|([A-Za-z0-9_]+)', field)]


def check_names_place(message: str, path: Path, bad: BadFile) -> str:
    """`FILE:LINE: FIELD: ...` with LINE holding FIELD, `FILE:LINE: ...` for a file that is
    not UTF-8 TOML, or `FILE: FIELD: ...` for a top-level table the document lacks.
    Returns what kind of place was named."""
    assert message.startswith(f"{path}:"), message
    found = re.match(r":(\d+)?:? ?(.*)", message[len(str(path)) :], re.S)
    assert found, message
    line = int(found[1]) if found[1] else None
    body = found[2]
    if body.startswith(("TOML syntax error", "not UTF-8")):
        assert line is not None or "end of document" in body, message
        assert line is None or 1 <= line <= bad.content.count(b"\n") + 1, message
        return "line"
    whole = WHOLE_LINE.match(body)
    assert whole, f"no FIELD: in {message!r}"
    field, names = whole[1], field_names(whole[1])
    text = bad.content.decode("utf-8")
    if line is None:
        document = tomllib.loads(text)
        assert names[0] not in document, f"{message!r}: {names[0]} is written; give its line"
        place = "field"
    else:
        lines = text.splitlines()
        assert 1 <= line <= len(lines), message
        assert any(name in lines[line - 1] for name in names), (
            f"line {line} is {lines[line - 1]!r}, which does not hold {field}: {message}"
        )
        place = "line and field"
    if bad.expect is not None:
        wanted = format_loc(bad.expect)
        assert field == wanted or field.startswith((wanted + ".", wanted + "[")), (
            f"the first problem should be at {wanted}: {message}"
        )
    return place


def load(path: Path, bad: BadFile):
    return load_policy(str(path), ISK) if bad.policy else load_scenario(path)


def rejected_message(path: Path, bad: BadFile) -> str:
    with pytest.raises(ResurgenceError) as info:  # any other exception fails the test
        load(path, bad)
    return str(info.value)


def cli_args(path: Path, bad: BadFile, out: Path) -> list[str]:
    """`validate` for most inputs; `run` for a third of them and for the inputs on which
    `validate` still crashes (test_validate_crashes_on_text_tomllib_cannot_read)."""
    use_run = bad.validate_crashes or zlib.crc32(bad.content) // CLI_EVERY % 3 == 0
    run = ["run", "--replicas", "2", "--workers", "1", "--out", str(out)]
    if not use_run:
        return ["validate", str(path)]
    if bad.policy:
        return [*run[:1], "isk", *run[1:], "--policy", str(path)]
    return [*run[:1], str(path), *run[1:]]


def cli_message(args: list[str], path: Path, bad: BadFile) -> str:
    """The library's message for the loader the command uses: `run --policy` the policy
    loader, `run FILE` the scenario loader, `validate` the policy loader for a TOML file
    with a [policy] table and the scenario loader otherwise (cli.py _is_policy_file)."""
    as_policy = "--policy" in args
    if args[0] == "validate":
        try:
            as_policy = "policy" in tomllib.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            as_policy = False
    message = rejected_message(path, BadFile(bad.kind, bad.content, as_policy))
    check_names_place(message, path, BadFile(bad.kind, bad.content, as_policy))
    return message


def printed(message: str) -> str:
    """The line the CLI prints for a message, as rich renders it with the CLI's consoles
    (commands/common.py: no emoji codes, so an error on line 100 reads 'FILE:100: ...';
    test_an_error_on_line_100_is_printed_as_written checks that)."""
    console = Console(file=io.StringIO(), width=120, emoji=False)
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return console.file.getvalue().rstrip("\n")


def check_cli(path: Path, bad: BadFile, out: Path) -> None:
    """Exit code 2, no traceback, one `error:` line: the library's message."""
    args = cli_args(path, bad, out)
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")]
    assert errors == [printed(cli_message(args, path, bad))], result.stderr
    assert not out.exists(), "a rejected run wrote output"


class Tally:
    """How many invalid inputs were tried, by kind, and how each was rejected."""

    def __init__(self, figures: dict):
        self.figures = figures
        self.kinds: Counter = Counter()
        self.places: Counter = Counter()
        self.tried = self.rejected = self.cli = self.subprocess = 0

    def report(self) -> None:
        kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(self.kinds.items()))
        places = ", ".join(f"{k} {n:,}" for k, n in sorted(self.places.items()))
        self.figures["bad inputs"] = (
            f"reliability: {self.tried:,} invalid inputs tried, {self.rejected:,} rejected "
            f"cleanly (ResurgenceError naming FILE and place: {places}); {self.cli:,} also "
            f"through the CLI and {self.subprocess:,} through a real subprocess, each exit "
            f"code 2, no traceback"
        )
        self.figures["bad input kinds"] = f"reliability: invalid inputs by kind: {kinds}"


@pytest.fixture(scope="module")
def tally(reliability) -> Tally:
    return Tally(reliability)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bad-inputs")


def try_bad_input(bad: BadFile, workdir: Path, tally: Tally) -> None:
    path = workdir / ("policy.toml" if bad.policy else "scenario.toml")
    path.write_bytes(bad.content)
    tally.tried += 1
    tally.kinds[("policy: " if bad.policy else "scenario: ") + bad.kind] += 1
    message = rejected_message(path, bad)
    tally.places[check_names_place(message, path, bad)] += 1
    if zlib.crc32(bad.content) % CLI_EVERY == 0:  # the same inputs on every replay
        check_cli(path, bad, workdir / f"run-{tally.tried}")
        tally.cli += 1
    tally.rejected += 1
    tally.report()


# ---------------------------------------------------------------- 1. bad input


@pytest.mark.parametrize("base", [SCENARIO_BASE, *POLICY_BASE_LIST], ids=lambda b: b.root.__name__)
def test_the_bases_are_valid_as_written(base, tmp_path):
    """Each mutation starts from a valid file, so the mutation alone makes it invalid."""
    path = tmp_path / "base.toml"
    path.write_text(base.text, encoding="utf-8")
    if base.root is Scenario:
        assert load_scenario(path).model_dump() == ISK.model_dump()
    else:
        load_policy(str(path), ISK)
    for slot in base.required:
        assert get(base.doc, slot.path) is not None


@BAD_INPUT
@given(bad=mutated(policy=False))
def test_invalid_scenarios_are_rejected_cleanly(bad, workdir, tally):
    try_bad_input(bad, workdir, tally)


@BAD_INPUT
@given(bad=mutated(policy=True))
def test_invalid_policies_are_rejected_cleanly(bad, workdir, tally):
    try_bad_input(bad, workdir, tally)


@BAD_INPUT
@given(bad=corrupted(policy=False))
def test_corrupt_scenario_files_are_rejected_cleanly(bad, workdir, tally):
    try_bad_input(bad, workdir, tally)


@BAD_INPUT
@given(bad=corrupted(policy=True))
def test_corrupt_policy_files_are_rejected_cleanly(bad, workdir, tally):
    try_bad_input(bad, workdir, tally)


ANY_BAD = st.one_of(
    mutated(policy=False), mutated(policy=True), corrupted(policy=False), corrupted(policy=True)
)


@settings(BAD_INPUT, max_examples=8 if CI else 1)
@given(batch=st.lists(ANY_BAD, min_size=25, max_size=25), pick=st.integers(0, 24))
def test_bad_files_through_the_real_command(batch, pick, workdir, tally):
    """One `resurgence validate` process over 25 bad files: one `error:` line for each, in
    order, exit code 2, no traceback; and one `resurgence run isk --policy FILE`."""
    folder = workdir / "batch"
    folder.mkdir(exist_ok=True)
    paths = []
    for i, bad in enumerate(batch):
        paths.append(folder / f"{i:02d}-{'policy' if bad.policy else 'scenario'}.toml")
        paths[-1].write_bytes(bad.content)
    validated = [(p, b) for p, b in zip(paths, batch, strict=True) if not b.validate_crashes]
    proc = subprocess_cli(["validate", *(str(p) for p, _ in validated)], folder)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert errors == [printed(cli_message(["validate"], p, b)) for p, b in validated]
    path, bad = paths[pick], batch[pick]
    out = folder / "run"
    command = ["run", "isk", "--policy"] if bad.policy else ["run"]
    proc = subprocess_cli([*command, str(path), "--replicas", "2", "--out", str(out)], folder)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert errors == [printed(cli_message(command, path, bad))], proc.stderr
    assert not out.exists()
    tally.tried += len(batch)
    tally.rejected += len(batch)
    tally.subprocess += len(validated) + 1
    for bad in batch:
        tally.kinds[("policy: " if bad.policy else "scenario: ") + bad.kind] += 1
    tally.report()


def subprocess_cli(args: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run(
        [sys.executable, "-m", "resurgence", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        **kw,
    )


CRASHING_TEXT = {
    "5,000-digit number": 'title = "x"\nvalue = ' + "9" * 5000 + "\n",
    "arrays nested 5,000 deep": "value = " + "[" * 5000 + "]" * 5000 + "\n",
}


@pytest.mark.parametrize("text", CRASHING_TEXT.values(), ids=CRASHING_TEXT.keys())
def test_the_loader_reports_text_tomllib_cannot_read(text, tmp_path):
    """tomllib raises ValueError (over 4,300 digits) and RecursionError (deep nesting),
    not TOMLDecodeError; the loader reports both with the file and line."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    for loader in (lambda: load_scenario(path), lambda: load_policy(str(path), ISK)):
        with pytest.raises(ResurgenceError, match=r"TOML syntax error") as info:
            loader()
        assert str(info.value).startswith(f"{path}:")
        assert re.match(r":\d+: ", str(info.value)[len(str(path)) :]), str(info.value)


@pytest.mark.parametrize("text", CRASHING_TEXT.values(), ids=CRASHING_TEXT.keys())
def test_validate_crashes_on_text_tomllib_cannot_read(text, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2


# ---------------------------------------------------------------- 2. extreme parameters

FULL_MODEL = compile_model(ISK)  # all 65 months
INT32_MAX = np.iinfo(np.int32).max
FLOAT32_MAX = float(np.finfo(np.float32).max)


# Derandomized: a corner with every count at its maximum simulates tens of millions of
# attacks a month, each in the severity law's tail drawn one by one, so the cost of one
# example ranges from a tenth of a second to about a minute; fixed examples keep the suite's
# time fixed (about 50 s under the `ci` profile on 2 cores).
@settings(
    max_examples=60 if CI else 6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_corners_over_the_whole_scenario_fit_the_stored_types(data, seed, reliability):
    """test_engine.py samples parameter corners over 30 months; here every parameter is at
    a corner of its declared range, every member cell at 0 or the declared maximum (10
    million), over all 65 months, recorded in 64 bits: no count may reach what int32 holds
    (the ensemble's dtype) and no float what float32 holds, nothing negative or NaN."""
    model = FULL_MODEL
    n = 4
    overrides = {
        name: np.full(n, spec.low if data.draw(st.booleans(), label=name) else spec.high)
        for name, spec in model.parameters.items()
    }
    cells = data.draw(
        st.lists(
            st.sampled_from([0, MAX_MEMBERS]),
            min_size=model.initial["members"].size,
            max_size=model.initial["members"].size,
        ),
        label="members",
    )
    members = np.array(cells, dtype=np.int64).reshape(model.initial["members"].shape)
    model = dataclasses.replace(model, initial={**model.initial, "members": members})
    out = {
        name: np.zeros(arr.shape, np.int64 if arr.dtype.kind == "i" else np.float64)
        for name, arr in allocate(model, n).items()
    }
    with np.errstate(over="raise"):
        simulate_chunk(model, 0, n, seed, 0, overrides, out)
    for name, values in out.items():
        dtype = RECORDED[name].dtype if name in RECORDED else np.int32
        if np.dtype(dtype).kind == "i":
            assert values.min() >= 0, name
            assert values.max() < INT32_MAX, (name, values.max())
            EXTREMES["count"] = max(EXTREMES["count"], (int(values.max()), name))
        else:
            assert np.isfinite(values).all(), name
            assert np.abs(values).max() < FLOAT32_MAX, (name, np.abs(values).max())
            EXTREMES["float"] = max(EXTREMES["float"], (float(np.abs(values).max()), name))
    assert (out["reported_attacks"] <= out["attacks"]).all()
    EXTREMES["samples"] += 1
    (count, count_name), (real, real_name) = EXTREMES["count"], EXTREMES["float"]
    reliability["corners"] = (
        f"reliability: {EXTREMES['samples']} samples of every parameter at a corner of its "
        f"range and every member cell at 0 or {MAX_MEMBERS:,}, over {model.n_months} months "
        f"x {n} replicas: largest count {count:,} ({count_name}; int32 holds {INT32_MAX:,}), "
        f"largest float {real:.3g} ({real_name}; float32 holds {FLOAT32_MAX:.3g}); nothing "
        f"negative, NaN, infinite or overflowing"
    )


EXTREMES = {"samples": 0, "count": (0, ""), "float": (0.0, "")}


def test_a_valid_huge_treasury_stays_finite():
    """The largest treasury a scenario may declare stays finite; a larger one is refused."""
    from resurgence.scenario.schema import MAX_LEVEL

    for value, accepted in ((MAX_LEVEL, True), (1e300, False)):
        data = ISK.model_dump(by_alias=True)
        data["initial"]["treasury"] = value
        try:
            scenario = type(ISK).model_validate(data)
        except ValueError:
            assert not accepted
            continue
        assert accepted
        out = simulate_chunk(compile_model(scenario, n_months=6), 0, 2, 1, 0)
        assert np.isfinite(out["treasury"]).all()


# ---------------------------------------------------------------- 3. interrupted runs

KILL_RUN = ["run", "isk", "--replicas", "400", "--months", "12", "--from", "2021-09"]
KILL_RUN += ["--seed", "11", "--chunk-size", "20", "--workers", "2"]
N_CHUNKS = 20
# Where each kill lands: mid-simulation after a random delay, once every chunk is done
# (loading and summarising), when the store has just been renamed (before the manifest),
# and when the manifest has just been written (registering in the catalog).
KILLS = ["simulating", "simulating", "simulating", "summarising", "renamed", "registering"]
KILLS_DEFAULT = ["simulating", "registering"]
KNOWN_OUTPUTS = {
    store.MANIFEST,
    store.ENSEMBLE,
    store.SUMMARY,
    store.PARTIAL,
    done_dir(Path(store.PARTIAL)).name,
    f".{store.SUMMARY}.partial",
    f".{store.MANIFEST}.partial",
}


def _launch(out: Path, env: dict, log: Path, resume: bool) -> subprocess.Popen:
    with open(log, "ab") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "resurgence", *KILL_RUN, "--out", str(out)]
            + (["--resume"] if resume else []),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=fh,
            start_new_session=True,  # its own process group: the workers die with it
        )


def _markers(out: Path) -> int:
    folder = done_dir(out / store.PARTIAL)
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def _wait(proc: subprocess.Popen, ready, timeout: float = 300) -> bool:
    """Poll until `ready()`; False if the process ended first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the run never reached the moment"
        time.sleep(0.002)
    return True


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while _group_alive(proc.pid):  # the workers too, so nothing writes while we look
        assert time.monotonic() < deadline, "worker processes outlived the kill"
        time.sleep(0.01)


def _group_alive(group: int) -> bool:
    """Whether a process of the group still runs (zombies, dead but not yet reaped by an
    init that may never reap them, do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False


def _catalog_reads(catalog: Path) -> int:
    result = CliRunner().invoke(app, ["runs", "--catalog", str(catalog), "--limit", "100"])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return len(store.list_runs(catalog, 100))


def _inspect_after_kill(out: Path, reference: xr.Dataset) -> str:
    """Nothing that looks complete unless it is; what is finished is exact."""
    names = {p.name for p in out.iterdir()} if out.exists() else set()
    assert names <= KNOWN_OUTPUTS, names - KNOWN_OUTPUTS
    if store.MANIFEST in names:
        manifest = json.loads((out / store.MANIFEST).read_text())
        assert manifest["complete"] and all((out / n).exists() for n in manifest["outputs"])
        xr.testing.assert_identical(store.read_ensemble(out).load(), reference)
        pd.read_parquet(out / store.SUMMARY)
        return "complete (killed while registering)"
    if out.exists():
        with pytest.raises(ResurgenceError, match="not a complete run"):
            store.read_ensemble(out)
    if store.SUMMARY in names:
        pd.read_parquet(out / store.SUMMARY)  # written whole, then renamed
    if store.ENSEMBLE in names:  # renamed only when every chunk was in
        with xr.open_zarr(out / store.ENSEMBLE) as ds:
            xr.testing.assert_identical(ds.load(), reference)
        return "store renamed, no manifest yet"
    markers = done_dir(out / store.PARTIAL)
    if not markers.is_dir():
        return "starting (no store yet)"
    done = sorted(int(p.name.split("-")[1]) for p in markers.iterdir())
    if done:
        with xr.open_zarr(out / store.PARTIAL, consolidated=False) as ds:
            for i in done:  # every chunk marked done is the uninterrupted run's, bit for bit
                rows = {"replica": slice(20 * i, 20 * (i + 1))}
                xr.testing.assert_identical(ds.isel(rows).load(), reference.isel(rows))
    if len(done) == N_CHUNKS:
        return "summarising (all chunks done)"
    return f"simulating ({len(done)} of {N_CHUNKS} chunks done)"


def _check_summary(summary: pd.DataFrame, ensemble: xr.Dataset) -> None:
    """The run's summary against the exact one of the ensemble: quantiles exactly, means
    to rounding (a run sums chunk by chunk)."""
    exact = summarise(ensemble)
    pd.testing.assert_frame_equal(summary.drop(columns="mean"), exact.drop(columns="mean"))
    np.testing.assert_allclose(summary["mean"], exact["mean"], rtol=1e-12)


def test_sigkill_at_random_moments_then_resume_is_bit_identical(tmp_path, reliability):
    catalog = tmp_path / "catalog.duckdb"
    env = {**os.environ, "RESURGENCE_CATALOG": str(catalog)}
    log = tmp_path / "stderr.log"
    rng = np.random.default_rng(20240611)

    whole = tmp_path / "whole"
    started = time.monotonic()
    reference_proc = _launch(whole, env, log, resume=False)
    assert reference_proc.wait(timeout=300) == 0, log.read_text()
    wall = time.monotonic() - started
    simulate_s = json.loads((whole / store.MANIFEST).read_text())["timings"]["simulate_s"]
    with xr.open_zarr(whole / store.ENSEMBLE) as ds:
        reference = ds.load()
    assert _catalog_reads(catalog) == 1

    out = tmp_path / "killed"
    phases = []
    for number, moment in enumerate(KILLS if CI else KILLS_DEFAULT):
        before = _markers(out)
        proc = _launch(out, env, log, resume=number > 0)
        if moment == "simulating":  # after a random number of this run's chunks
            extra = int(rng.integers(0, max(1, (N_CHUNKS - before) // 2)))
            reached = _wait(proc, lambda b=before + extra: _markers(out) > b)
            time.sleep(rng.uniform(0.0, 0.5 * simulate_s / N_CHUNKS))  # inside the next
        elif moment == "summarising":
            reached = _wait(proc, lambda: _markers(out) == N_CHUNKS)
        elif moment == "renamed":
            reached = _wait(proc, lambda: (out / store.ENSEMBLE).exists())
        else:
            reached = _wait(proc, lambda: (out / store.MANIFEST).exists())
        assert reached, f"the run ended before the {moment} moment: {log.read_text()}"
        _kill_group(proc)
        phases.append(_inspect_after_kill(out, reference))
        assert _catalog_reads(catalog) >= 1
        if (out / store.MANIFEST).exists():
            break

    kills = len(phases)
    if not (out / store.MANIFEST).exists():
        proc = _launch(out, env, log, resume=True)
        assert proc.wait(timeout=300) == 0, log.read_text()
    xr.testing.assert_identical(store.read_ensemble(out).load(), reference)
    manifest = json.loads((out / store.MANIFEST).read_text())
    uninterrupted = json.loads((whole / store.MANIFEST).read_text())
    for key in ("resurgence", "resurgence_by_horizon"):
        assert manifest[key] == uninterrupted[key], key
    for run in (out, whole):
        _check_summary(pd.read_parquet(run / store.SUMMARY), reference)
    assert 1 <= _catalog_reads(catalog) <= 2
    reliability["kills"] = (
        f"reliability: {kills} kills, {kills} resumed bit-identical (SIGKILL to `resurgence "
        f"run`'s process group, 400 replicas x 12 months in {N_CHUNKS} chunks on 2 workers, "
        f"uninterrupted {wall:.1f} s; killed while: {'; '.join(phases)}; after each, no "
        f"manifest unless complete, every finished chunk bit-identical, catalog readable; "
        f"the resumed ensemble and resurgence probabilities bit-identical)"
    )


def test_a_run_killed_while_creating_its_store_resumes(tmp_path):
    from resurgence.workflows.streamed import _create
    from resurgence.workflows.run import execute

    model = compile_model(ISK, n_months=6)
    out = tmp_path / "run"
    store.prepare_run_dir(out)
    spec = {"scenario_hash": model.scenario_hash, "policies": [], "seed": 1}
    spec |= {"replicas": 40, "months": 6, "chunk_size": 20}
    _create(out / store.PARTIAL, model, 40, 20, spec)
    shutil.rmtree(done_dir(out / store.PARTIAL))  # killed just before the markers' folder
    settings_ = {"replicas": 40, "seed": 1, "months": 6, "chunk_size": 20}
    result = execute(
        "isk", out=out, resume=True, definition={"start": "2021-09", "horizon": 3}, **settings_
    )
    assert result.manifest["resumed_chunks"] == 0 and (out / store.MANIFEST).is_file()


# ---------------------------------------------------------------- 4. concurrent catalog

WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from resurgence.store import register_run
    catalog, who, count, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    Path(str(go) + "-" + who).touch()  # imported, ready
    while not go.exists():
        time.sleep(0.001)
    for i in range(count):
        register_run(catalog, {
            "run_id": f"{who}-{i:03d}", "created": f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}",
            "scenario": "isk", "policies": who, "seed": i, "replicas": 10, "months": 12,
            "probability": 0.5, "ci_low": 0.4, "ci_high": 0.6, "out_dir": who,
        })
        time.sleep(0.05)  # a gap, as between runs, in which a reader can get in
    print(json.dumps({"registered": count, "end": time.time()}))
    """
)
READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from resurgence.store import list_runs
    catalog, go, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    Path(str(go) + "-reader").touch()  # imported, ready
    while not go.exists():
        time.sleep(0.001)
    counts, starts = [], []
    while not stop.exists():
        starts.append(time.time())
        counts.append(len(list_runs(catalog, 1000)))
        time.sleep(0.01)
    print(json.dumps({"reads": len(counts), "counts": counts, "starts": starts}))
    """
)


def _record(run_id: str, i: int) -> dict:
    return {
        "run_id": run_id,
        "created": f"2023-12-31T00:00:{i:02d}",
        "scenario": "isk",
        "policies": "",
        "seed": i,
        "replicas": 10,
        "months": 12,
        "probability": 0.5,
        "ci_low": 0.4,
        "ci_high": 0.6,
        "out_dir": run_id,
    }


def test_concurrent_registrations_all_land_and_the_catalog_stays_readable(tmp_path, reliability):
    catalog = tmp_path / "catalog.duckdb"
    # The catalog exists already: two processes creating a new one at once is the race
    # test_a_catalog_being_created_by_another_process_is_waited_for documents.
    store.register_run(catalog, _record("existing", 0))
    go, stop = tmp_path / "go", tmp_path / "stop"
    writers_n, each = 2, 20 if CI else 10
    script = [sys.executable, "-c"]
    writers = [
        subprocess.Popen(
            [*script, WRITER, str(catalog), f"w{k}", str(each), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(writers_n)
    ]
    reader = subprocess.Popen(
        [*script, READER, str(catalog), str(go), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready = [Path(f"{go}-{who}") for who in (*(f"w{k}" for k in range(writers_n)), "reader")]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready):  # all imported: they start together
        assert time.monotonic() < deadline
        time.sleep(0.01)
    go.touch()
    ends = []
    for proc in writers:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        ends.append(json.loads(stdout)["end"])
    stop.touch()
    stdout, stderr = reader.communicate(timeout=300)
    assert reader.returncode == 0, stderr
    reads = json.loads(stdout)
    assert reads["reads"] >= 1
    assert reads["counts"] == sorted(reads["counts"]), "a reader saw runs disappear"

    during = sum(start < max(ends) for start in reads["starts"])
    assert during >= 1, "the reader never listed the catalog while the writers wrote"
    runs = store.list_runs(catalog, 1000)
    expected = {"existing"} | {f"w{k}-{i:03d}" for k in range(writers_n) for i in range(each)}
    assert set(runs["run_id"]) == expected
    assert _catalog_reads(catalog) == len(expected)  # and so does `resurgence runs`

    # Two real runs finishing together register both.
    env = {**os.environ, "RESURGENCE_CATALOG": str(catalog)}
    small = ["run", "isk", "--replicas", "10", "--months", "3", "--from", "2021-09"]
    small += ["--workers", "1"]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "resurgence",
                *small,
                "--seed",
                str(k),
                "--out",
                str(tmp_path / f"run{k}"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    runs = store.list_runs(catalog, 1000)
    assert len(runs) == len(expected) + 2
    assert {str((tmp_path / f"run{k}").resolve()) for k in range(2)} <= set(runs["out_dir"])
    reliability["catalog"] = (
        f"reliability: {writers_n} writers x {each} registrations at once into one DuckDB "
        f"catalog, and 2 `resurgence run`s finishing together: all {len(runs) - 1} of "
        f"{len(expected) + 1} new runs in it; a reader listed it {reads['reads']:,} times "
        f"without an error, {during} of them begun while the writers were writing"
    )


@pytest.mark.parametrize("policy", [False, True], ids=["scenario", "policy"])
def test_truncation_stops_where_the_file_becomes_valid(policy, tmp_path):
    """Cut one character later than any truncation the tests make, each text is valid: the
    truncated inputs are invalid because of the cut alone, up to its last byte."""
    for i, (text, last) in enumerate(RAW_POLICY if policy else RAW_SCENARIO):
        path = tmp_path / f"{i}.toml"
        path.write_text(text[: last + 1], encoding="utf-8")
        if policy:
            load_policy(str(path), ISK)
        else:
            load_scenario(path)


def test_a_catalog_being_created_by_another_process_is_waited_for(tmp_path):
    catalog = tmp_path / "catalog.duckdb"
    catalog.touch()  # another process has just created the file; no header yet

    def finish_creating() -> None:
        time.sleep(0.5)
        other = tmp_path / "other.duckdb"
        store.register_run(other, _record("theirs", 0))
        os.replace(other, catalog)

    creator = threading.Thread(target=finish_creating)
    creator.start()
    try:
        store.register_run(catalog, _record("mine", 1))
    finally:
        creator.join()
    assert set(store.list_runs(catalog)["run_id"]) == {"theirs", "mine"}


def test_an_error_on_line_100_is_printed_as_written(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("#\n" * 99 + "this is not TOML\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"error: {path}:100: TOML syntax error" in result.stderr, result.stderr
