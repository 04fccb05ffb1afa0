"""Event data (UCDP GED, ACLED) to monthly evidence rows of a scenario's actors and regions.

Each file's events (read and checked by `events.py`) are mapped to the scenario's actors
and regions (`mapping.py`), each event is given one fate by the rules of `datasets.RULES`
in their order, and the counted events are summed per month, region and actor into
`attacks_recorded` and `fatalities` rows. Every month from the file's first to its last
event month (within --from/--until) gets a row for every mapped actor and region, zeros
included: a zero is a month the dataset covers and records nothing in, not a missing
month. The rules and their reasons are in docs/ingest.md; the counts of every rule go
into the report written beside the evidence file.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from resurgence.errors import ResurgenceError
from resurgence.evidence.columns import COLUMNS
from resurgence.evidence.datasets import RULES, Dataset
from resurgence.evidence.events import read_events
from resurgence.evidence.mapping import (
    ActorRule,
    Mapping,
    default_mapping_path,
    load_mapping,
    normalise,
    normalise_admin,
)
from resurgence.months import month_index, month_text
from resurgence.scenarios.load import load_scenario
from resurgence.scenarios.references import entities_of
from resurgence.scenarios.schema import Scenario
from resurgence.store import write_atomic, write_text

TOP = 10  # names listed per rule in the report


@dataclass
class RuleCount:
    """How many events one rule caught, and the names it caught most often."""

    rule: str
    counted: bool
    events: int
    description: str
    top: dict[str, int] = field(default_factory=dict)


@dataclass
class FileReport:
    """What became of one file's events."""

    file: str
    dataset: str
    events_read: int
    events_counted: int
    first_month: str | None
    last_month: str | None
    rows: int
    rules: list[RuleCount]


@dataclass
class Ingested:
    """Evidence rows of all files (in file order) and one report per file."""

    rows: pd.DataFrame
    reports: list[FileReport]
    mapping: Path


def ingest(
    scenario: str,
    files: list[Path],
    *,
    mapping: Path | None = None,
    fmt: str | None = None,
    first: str | None = None,
    last: str | None = None,
) -> Ingested:
    """Read and aggregate every file; nothing is written."""
    period = (_option_month("--from", first), _option_month("--until", last))
    if None not in period and period[0] > period[1]:
        raise ResurgenceError(f"--from {first} is after --until {last}")
    spec = load_scenario(scenario)
    mapping = mapping or default_mapping_path(scenario)
    mappings = load_mapping(mapping, spec)
    frames, reports = [], []
    for path in files:
        dataset, events = read_events(Path(path), fmt)
        rows, report = aggregate(Path(path), dataset, events, mappings[dataset.key], spec, period)
        frames.append(rows)
        reports.append(report)
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    return Ingested(rows, reports, mapping)


def _option_month(option: str, text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return month_index(text)
    except ValueError as exc:
        raise ResurgenceError(f"{option}: {exc}") from None


def aggregate(
    path: Path,
    dataset: Dataset,
    events: pd.DataFrame,
    mapping: Mapping,
    scenario: Scenario,
    period: tuple[int | None, int | None],
) -> tuple[pd.DataFrame, FileReport]:
    """One file's events to evidence rows and the report of their fates."""
    events = _mapped(events, mapping)
    fate = _fates(events, dataset, scenario, period)
    counted = events[fate == "counted"]
    months = _months(events["month"], period)
    rows = _rows(counted, months, mapping, scenario)
    events_word = "event" if len(counted) == 1 else "events"
    rows["source_title"] = f"{dataset.title} file {path.name}, {len(counted)} {events_word}"
    rows["source_url_or_ref"] = dataset.reference
    rows = rows[list(COLUMNS)]
    report = FileReport(
        file=str(path),
        dataset=dataset.key,
        events_read=len(events),
        events_counted=len(counted),
        first_month=month_text(months[0]) if len(months) else None,
        last_month=month_text(months[-1]) if len(months) else None,
        rows=len(rows),
        rules=_rule_counts(events, fate, dataset),
    )
    return rows, report


def _mapped(events: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """Adds each side's scenario actor (in the event's month) and the event's region."""
    events = events.copy()
    for side in ("side_a", "side_b"):
        names = _normalised(events[side], normalise)
        events[f"actor_{side[-1]}"] = _actor(names, events["month"], mapping.actors)
    admin = _normalised(events["admin"], normalise_admin)
    country = _normalised(events["country"], normalise)
    events["listed"] = admin.map(mapping.regions)
    events["region"] = events["listed"].fillna(country.map(mapping.countries))
    return events


def _normalised(values: pd.Series, how) -> pd.Series:
    """`how` applied once per distinct name: a global GED file has 300,000 rows, not
    300,000 names."""
    names = values.unique()
    return values.map(dict(zip(names, map(how, names), strict=True)))


def _actor(names: pd.Series, months: pd.Series, rules: dict[str, ActorRule]) -> pd.Series:
    """The scenario actor of each name in its event's month (missing: none)."""
    actor = names.map({k: r.actor for k, r in rules.items()})
    first = names.map({k: r.first for k, r in rules.items()}).astype(float)
    last = names.map({k: r.last for k, r in rules.items()}).astype(float)
    in_time = ~(months < first) & ~(months > last)  # NaN bounds compare False: no bound
    return actor.where(in_time)


def _fates(
    events: pd.DataFrame,
    dataset: Dataset,
    scenario: Scenario,
    period: tuple[int | None, int | None],
) -> pd.Series:
    """The first rule each event meets (RULES' order), else 'counted'."""
    month = events["month"]
    first = month.min() if period[0] is None else period[0]
    last = month.max() if period[1] is None else period[1]
    countries = {normalise(r.country) for r in scenario.regions if r.country}
    violent = (
        events["event_type"].isin(dataset.violent_types)
        if dataset.event_type
        else pd.Series(True, index=events.index)
    )
    imprecise = events["admin"].eq("")
    if dataset.imprecise_from is not None:
        imprecise |= events["precision"] >= dataset.imprecise_from
    conditions = [
        ~month.between(first, last),
        ~_normalised(events["country"], normalise).isin(countries),
        ~violent,
        events["actor_a"].isna() & events["actor_b"].isna(),
        imprecise,
        events["region"].isna(),
    ]
    names = list(RULES)[: len(conditions)]
    return pd.Series(np.select(conditions, names, default="counted"), index=events.index)


def _months(months: pd.Series, period: tuple[int | None, int | None]) -> np.ndarray:
    """The file's first to last event month, within --from/--until: the months it covers."""
    lo, hi = int(months.min()), int(months.max())
    lo = lo if period[0] is None else max(lo, period[0])
    hi = hi if period[1] is None else min(hi, period[1])
    return np.arange(lo, hi + 1)


def _rows(
    counted: pd.DataFrame, months: np.ndarray, mapping: Mapping, scenario: Scenario
) -> pd.DataFrame:
    """Event counts and deaths per month, region and actor, zeros included; an event with
    the same actor on both sides counts once for it."""
    sides = [
        counted[["month", "region", actor, "deaths"]].rename(columns={actor: "actor"})
        for actor in ("actor_a", "actor_b")
    ]
    long = pd.concat(sides).dropna(subset=["actor"]).reset_index(names="event")
    long = long.drop_duplicates(["event", "actor"])
    totals = long.groupby(["month", "region", "actor"]).agg(
        attacks_recorded=("event", "size"), fatalities=("deaths", "sum")
    )
    order = {"actor": entities_of(scenario), "region": [r.name for r in scenario.regions]}
    actors = sorted({r.actor for r in mapping.actors.values()}, key=order["actor"].index)
    mapped = {*mapping.regions.values(), *mapping.countries.values()}
    regions = [r for r in order["region"] if r in mapped]
    grid = pd.MultiIndex.from_product([months, regions, actors], names=totals.index.names)
    totals = totals.reindex(grid, fill_value=0).reset_index()
    rows = totals.melt(
        id_vars=["month", "region", "actor"], var_name="measure", value_name="value_low"
    )
    rows["period_start"] = rows["period_end"] = rows["month"].map(month_text)
    rows["country"] = rows["region"].map({r.name: r.country for r in scenario.regions})
    rows["value_high"] = rows["value_low"] = rows["value_low"].astype("int64")
    rows["verified"] = "ingested"
    return rows.sort_values(["actor", "region", "measure", "month"], key=_in_order(order))


def _in_order(orders: dict[str, list[str]]):
    """Sort key: actors and regions in the scenario's order, other columns as they are."""

    def key(column: pd.Series) -> pd.Series:
        order = orders.get(column.name)
        return column.map(order.index) if order else column

    return key


def _rule_counts(events: pd.DataFrame, fate: pd.Series, dataset: Dataset) -> list[RuleCount]:
    """Every rule that applies to the dataset, in RULES' order, with its count and the
    names it caught most often."""
    counted = fate == "counted"
    caught = {rule: fate == rule for rule in RULES}
    caught["catch_all_region"] = counted & events["listed"].isna()
    caught["spanning_months"] = counted & (events["end_month"] != events["month"])
    caught["admin1_precision"] = counted & (events["precision"] == dataset.precision_codes[1])
    place = events["country"] + " / " + events["admin"].replace("", "(none)")
    names = {
        "outside_countries": [events["country"]],
        "not_political_violence": [events.get("event_type")],
        "unmapped_actors": [events["side_a"], events["side_b"]],
        "imprecise_location": [place],
        "unmapped_admin_units": [place],
        "catch_all_region": [place],
    }
    applies = {
        "not_political_violence": dataset.event_type is not None,
        "spanning_months": dataset.end is not None,
        "admin1_precision": dataset.imprecise_from is None,
    }
    return [
        RuleCount(
            rule,
            is_counted,
            int(caught[rule].sum()),
            description,
            _top([values[caught[rule]] for values in names.get(rule, [])]),
        )
        for rule, (is_counted, description) in RULES.items()
        if applies.get(rule, True)
    ]


def _top(columns: list[pd.Series]) -> dict[str, int]:
    """The most frequent non-empty names of the caught events."""
    counts = Counter(name for values in columns for name in values if name)
    return dict(counts.most_common(TOP))


def report_path(out: Path) -> Path:
    """`<out>.report.json` beside the evidence file."""
    return out.with_name(out.name + ".report.json")


def write(result: Ingested, out: Path) -> Path:
    """The evidence CSV at `out` and its report beside it; returns the report's path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, lambda tmp: result.rows.to_csv(tmp, index=False, columns=list(COLUMNS)))
    report = report_path(out)
    payload = {
        "evidence": str(out),
        "mapping": str(result.mapping),
        "files": [asdict(r) for r in result.reports],
    }
    write_text(report, json.dumps(payload, indent=2) + "\n")
    return report
