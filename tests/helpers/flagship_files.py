"""The flagship scenario (isk) and its policies: the names they use, and the valid files
(bases) that the invalid inputs are made from."""

from __future__ import annotations

import copy
import tomllib

from pydantic import BaseModel

from helpers.schema_walk import category, is_month, is_name, walk
from helpers.toml_writer import toml_dumps
from resurgence.core.state import EVENT_TARGETS
from resurgence.scenarios import load_scenario
from resurgence.scenarios.load import builtin_policies, builtin_scenarios
from resurgence.scenarios.references import (
    effective_parameters,
    entities_of,
    hubs_of,
    units_of,
)
from resurgence.scenarios.schema import PolicyFile, Scenario

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
    | set(EVENT_TARGETS)
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
