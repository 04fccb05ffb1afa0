"""The mapping file: which source names are which scenario actors, regions and countries.

Datasets spell the same actor or province in many ways, and GED's "Government of
Afghanistan" is a different actor before and after the 2021 takeover. `X.mapping.toml`
beside the scenario `X.toml` names them once, in shared tables that a dataset's own tables
override; names are compared normalised, so spelling variants need no entries of their
own. The file is checked against the scenario and its first problem ends in one error
with its line.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from resurgence.errors import ResurgenceError
from resurgence.evidence.datasets import DATASETS
from resurgence.months import month_index
from resurgence.scenarios.load import resolve_scenario_path
from resurgence.scenarios.locate import key_lines, line_of
from resurgence.scenarios.references import entities_of
from resurgence.scenarios.schema import Scenario


def normalise(name: str) -> str:
    """Case, accents, punctuation and spacing vary between datasets and releases
    ("Tehrik-i-Taliban" vs "tehrik i taliban"); they never tell two names apart."""
    letters = "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    )
    return " ".join(re.sub(r"[\W_]+", " ", letters.casefold()).split())


def normalise_admin(name: str) -> str:
    """An admin-1 name normalised, without the word "province": GED writes "Nangarhar
    province" where ACLED writes "Nangarhar"."""
    return " ".join(w for w in normalise(name).split() if w != "province")


@dataclass(frozen=True)
class ActorRule:
    """A source name's scenario actor, in the months (indices) the name means that actor:
    GED's "Government of Afghanistan" is the Taliban only from the 2021 takeover."""

    actor: str
    first: int | None = None
    last: int | None = None


@dataclass(frozen=True)
class Mapping:
    """One dataset's view of the mapping file, keys normalised."""

    actors: dict[str, ActorRule]
    regions: dict[str, str]
    countries: dict[str, str]


TABLES = ("actors", "regions", "countries")


def default_mapping_path(scenario: str) -> Path:
    """`X.mapping.toml` beside the scenario file `X.toml` (builtin or the user's)."""
    path = resolve_scenario_path(scenario)
    return path.with_name(f"{path.stem}.mapping.toml")


def load_mapping(path: Path, scenario: Scenario) -> dict[str, Mapping]:
    """The mapping of every dataset, checked against the scenario's actors and regions."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResurgenceError(
            f"{path}: no mapping file; write one (see docs/ingest.md) or pass --mapping"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResurgenceError(f"{path}: cannot read the mapping file as UTF-8 ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ResurgenceError(f"{path}: TOML syntax error: {exc}") from None
    checker = _MappingChecker(path, text, scenario)
    checker.table(data, (), (*TABLES, *DATASETS))
    for key in DATASETS:
        checker.table(data, (key,), TABLES)
    return {key: checker.mapping(data, key) for key in DATASETS}


class _MappingChecker:
    """Reads the mapping's tables and stops at its first problem with FILE:LINE."""

    def __init__(self, path: Path, text: str, scenario: Scenario):
        self.path, self.lines = path, key_lines(text)
        self.actors = entities_of(scenario)
        self.regions = {r.name: r.country for r in scenario.regions}

    def fail(self, loc: tuple, message: str) -> ResurgenceError:
        line = line_of(self.lines, loc)
        where = f"{self.path}:{line}" if line else str(self.path)
        return ResurgenceError(f"{where}: {'.'.join(map(str, loc))}: {message}")

    def table(self, data: dict, loc: tuple, allowed: tuple[str, ...] | None = None) -> dict:
        """The table at `loc` ({} when absent), with only `allowed` keys if given."""
        table = data
        for part in loc:
            table = table.get(part, {})
            if not isinstance(table, dict):
                raise self.fail(loc, "expected a table")
        unknown = [key for key in table if allowed is not None and key not in allowed]
        if unknown:
            raise self.fail((*loc, unknown[0]), f"unknown table; expected {', '.join(allowed)}")
        return table

    def mapping(self, data: dict, dataset: str) -> Mapping:
        """Shared tables, overridden by the dataset's own."""
        readers = {"actors": self.actor, "regions": self.region, "countries": self.country}
        found = {}
        for name, read in readers.items():
            found[name] = {}
            for loc in ((name,), (dataset, name)):
                found[name].update(self.entries(self.table(data, loc), loc, read))
        return Mapping(**found)

    def entries(self, table: dict, loc: tuple, read) -> dict:
        """One table's entries under normalised keys; two spellings that normalise alike
        must agree."""
        how = normalise_admin if loc[-1] == "regions" else normalise
        out, origin = {}, {}
        for key, value in table.items():
            norm = how(key)
            entry = read(value, (*loc, key))
            if norm in out and out[norm] != entry:
                raise self.fail(
                    (*loc, key), f"{key!r} and {origin[norm]!r} are the same name, mapped apart"
                )
            out[norm], origin[norm] = entry, key
        return out

    def actor(self, value, loc: tuple) -> ActorRule:
        if isinstance(value, str):
            value = {"actor": value}
        if not isinstance(value, dict) or set(value) - {"actor", "from", "until"}:
            raise self.fail(loc, 'expected an actor name or { actor = "...", from, until }')
        name = value.get("actor")
        if name not in self.actors:
            raise self.fail(
                loc, f"unknown actor {name!r}; the scenario's: {', '.join(self.actors)}"
            )
        first, last = (self.month(value.get(k), (*loc, k)) for k in ("from", "until"))
        if first is not None and last is not None and first > last:
            raise self.fail(loc, "from is after until")
        return ActorRule(name, first, last)

    def month(self, text, loc: tuple) -> int | None:
        if text is None:
            return None
        try:
            return month_index(text)
        except ValueError as exc:
            raise self.fail(loc, str(exc)) from None

    def region(self, value, loc: tuple) -> str:
        if not isinstance(value, str) or value not in self.regions:
            raise self.fail(
                loc, f"unknown region {value!r}; the scenario's: {', '.join(self.regions)}"
            )
        return value

    def country(self, value, loc: tuple) -> str:
        region = self.region(value, loc)
        if normalise(self.regions[region]) != normalise(str(loc[-1])):
            raise self.fail(
                loc, f"region {region!r} lies in {self.regions[region] or 'no country'!r}"
            )
        return region
