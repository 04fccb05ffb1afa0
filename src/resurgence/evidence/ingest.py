"""Event data (UCDP GED, ACLED) to monthly evidence rows of a scenario's actors and regions.

An event file is read (UTF-8 CSV, the dataset's columns, dates, numbers; anything else is
one `ResurgenceError`), each event is given one fate by the rules below in this order, and
the counted events are summed per month, region and actor into `attacks_recorded` and
`fatalities` rows. Every month from the file's first to its last event month (within
--from/--until) gets a row for every mapped actor and region, zeros included: a zero is a
month the dataset covers and records nothing in, not a missing month. The rules and their
reasons are in docs/ingest.md; the counts of every rule go into the report.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from resurgence.errors import ResurgenceError
from resurgence.evidence.columns import COLUMNS
from resurgence.months import parse_month
from resurgence.scenario.load import load_scenario, resolve_scenario_path
from resurgence.scenario.locate import key_lines, line_of
from resurgence.scenario.references import entities_of
from resurgence.scenario.schema import Scenario

TOP = 10  # names listed per rule in the report


@dataclass(frozen=True)
class Dataset:
    """What differs between event datasets: column names, date formats, precision codes."""

    key: str
    title: str
    reference: str
    start: str  # the event's (first) date
    end: str | None  # its last date, if the dataset has one
    sides: tuple[str, str]
    country: str
    admin: str
    deaths: str
    precision: str
    precision_codes: tuple[int, int]  # lowest and highest valid code
    imprecise_from: int | None  # codes from here on place the event in no admin-1 unit
    date_formats: tuple[str, ...]
    date_help: str  # the formats as a user reads them
    event_type: str | None = None
    violent_types: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns ingest reads; a file without one of them is malformed."""
        names = (self.start, self.end, *self.sides, self.country, self.admin, self.deaths)
        return tuple(c for c in (*names, self.precision, self.event_type) if c)


GED = Dataset(
    key="ged",
    title="UCDP GED",
    reference="https://ucdp.uu.se/downloads/ (UCDP Georeferenced Event Dataset, CC BY 4.0)",
    start="date_start",
    end="date_end",
    sides=("side_a", "side_b"),
    country="country",
    admin="adm_1",
    deaths="best",
    precision="where_prec",
    precision_codes=(1, 7),
    imprecise_from=6,  # 6: the country only; 7: international waters or airspace
    date_formats=("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"),
    date_help="YYYY-MM-DD, optionally with a time as in 2022-03-15 00:00:00.000",
)
ACLED = Dataset(
    key="acled",
    title="ACLED",
    reference="https://acleddata.com/ (ACLED export)",
    start="event_date",
    end=None,
    sides=("actor1", "actor2"),
    country="country",
    admin="admin1",
    deaths="fatalities",
    precision="geo_precision",
    precision_codes=(1, 3),
    imprecise_from=None,  # 3 is a provincial capital or region: admin-1 is still known
    date_formats=("%Y-%m-%d", "%d %B %Y"),
    date_help="YYYY-MM-DD or a day as in 15 March 2022",
    event_type="event_type",
    violent_types=("Battles", "Explosions/Remote violence", "Violence against civilians"),
)
DATASETS = {d.key: d for d in (GED, ACLED)}

# Each event gets the first fate whose test it meets; `counted` is the default.
RULES = {
    "outside_period": (False, "start month before --from or after --until"),
    "outside_countries": (False, "country is not one of the scenario's regions' countries"),
    "not_political_violence": (
        False,
        "ACLED event type other than Battles, Explosions/Remote violence and Violence "
        "against civilians (protests, riots, strategic developments)",
    ),
    "unmapped_actors": (False, "neither side maps to a scenario actor (in that month)"),
    "imprecise_location": (
        False,
        "GED where_prec 6-7 (country only, international waters or airspace) or no admin-1 "
        "name: the region is unknown",
    ),
    "unmapped_admin_units": (
        False,
        "admin-1 unit not in [regions], in a country without a [countries] catch-all",
    ),
    "counted": (True, "counted in a region, once for each scenario actor on either side"),
    "catch_all_region": (True, "admin-1 unit not in [regions]: counted in its country's region"),
    "spanning_months": (True, "GED date_start and date_end in different months: start month"),
    "admin1_precision": (True, "ACLED geo_precision 3 (provincial capital or region): counted"),
}


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


# ---------------------------------------------------------------- the mapping file


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


def month_index(text) -> int:
    """Months since year 0, so month arithmetic is integer arithmetic."""
    year, month = parse_month(text)
    return year * 12 + month - 1


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# ---------------------------------------------------------------- reading an event file


def read_events(path: Path, fmt: str | None = None) -> tuple[Dataset, pd.DataFrame]:
    """The file's dataset and its events: `month` and `end_month` (indices), `country`,
    `admin`, the two sides, `deaths`, `precision` and, for ACLED, `event_type`."""
    header = _scan(path)
    dataset = _dataset(path, header, fmt)
    wanted = set(dataset.columns)
    try:
        raw = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            usecols=lambda c: c.strip().lower() in wanted,
        )
    except pd.errors.ParserError as exc:  # quoting pandas reads otherwise than `csv`
        raise ResurgenceError(f"{path}: not a well-formed CSV file ({exc})") from None
    raw.columns = [c.strip().lower() for c in raw.columns]
    if raw.empty:
        raise ResurgenceError(f"{path}: the file has a header but no events")
    return dataset, _events(path, dataset, raw)


def _scan(path: Path) -> list[str]:
    """The header's names, lower-cased and stripped (old ACLED exports are upper-case),
    once the whole file has proved to be UTF-8 CSV with as many fields on every row as in
    its header: pandas would guess, fail obscurely, or (reading only some columns) drop
    the fields a stray comma adds."""
    try:
        with path.open("rb") as handle:
            _check_start(path, handle.read(4096))
            handle.seek(0)
            rows = csv.reader(_decoded(path, line, n) for n, line in enumerate(handle, 1))
            header = [name.strip().lstrip("\ufeff").lower() for name in next(rows)]
            if len(header) < 2:
                raise ResurgenceError(
                    f"{path}:1: not a CSV file: the first line has no commas "
                    f"(got {header[0][:60]!r}); save it as comma-separated CSV"
                )
            for row in rows:
                if row and len(row) != len(header):
                    hint = " (a comma inside a field needs quotes)" * (len(row) > len(header))
                    raise ResurgenceError(
                        f"{path}:{rows.line_num}: {len(row)} fields where the header has "
                        f"{len(header)}{hint}"
                    )
    except OSError as exc:
        raise ResurgenceError(f"{path}: cannot read the file ({exc.strerror})") from None
    except csv.Error as exc:
        raise ResurgenceError(
            f"{path}:{rows.line_num}: not a well-formed CSV file ({exc})"
        ) from None
    return header


def _check_start(path: Path, head: bytes) -> None:
    """Empty files, archives, UTF-16 and binary files, named for what they are."""
    if not head.strip():
        raise ResurgenceError(f"{path}: the file is empty")
    if head.startswith(b"PK\x03\x04"):
        raise ResurgenceError(
            f"{path}: a ZIP archive (or Excel workbook), not a CSV file; "
            "unzip it or export CSV, and pass the .csv file"
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ResurgenceError(f"{path}: UTF-16 text, not UTF-8; save the file as UTF-8")
    if b"\x00" in head:
        raise ResurgenceError(f"{path}: binary data, not a CSV text file")


def _decoded(path: Path, line: bytes, number: int) -> str:
    """A line as text; the first byte that is not UTF-8 is named with its line."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ResurgenceError(
            f"{path}:{number}: not UTF-8: byte 0x{line[exc.start]:02X} at column "
            f"{exc.start + 1} (Latin-1 or Windows-1252 text?); save the file as UTF-8"
        ) from None


def _dataset(path: Path, header: list[str], fmt: str | None) -> Dataset:
    """The dataset `fmt` names, else the one whose columns the header has most of; the
    message names the columns the chosen dataset misses."""
    if fmt is not None and fmt not in DATASETS:
        raise ResurgenceError(f"--format: expected ged or acled, got {fmt!r}")
    candidates = [DATASETS[fmt]] if fmt else list(DATASETS.values())
    dataset = max(candidates, key=lambda d: sum(c in header for c in d.columns))
    missing = [c for c in dataset.columns if c not in header]
    if missing:
        guess = "" if fmt else ", the closer match of UCDP GED and ACLED"
        raise ResurgenceError(
            f"{path}:1: missing column(s) {', '.join(missing)} "
            f"(needed in {dataset.title} files{guess})"
        )
    return dataset


def _events(path: Path, dataset: Dataset, raw: pd.DataFrame) -> pd.DataFrame:
    """Typed events; the first bad value ends in an error naming its row and column."""
    start = _dates(path, raw[dataset.start], dataset)
    events = pd.DataFrame(
        {
            "month": start.dt.year * 12 + start.dt.month - 1,
            "country": raw[dataset.country].str.strip(),
            "admin": raw[dataset.admin].str.strip(),
            "side_a": raw[dataset.sides[0]].str.strip(),
            "side_b": raw[dataset.sides[1]].str.strip(),
            "deaths": _whole(path, raw[dataset.deaths], (0, None)),
            "precision": _whole(path, raw[dataset.precision], dataset.precision_codes),
        }
    )
    events["end_month"] = events["month"]
    if dataset.end:
        end = _dates(path, raw[dataset.end], dataset)
        before = end < start
        if before.any():
            i = int(np.argmax(before.to_numpy()))
            raise ResurgenceError(
                f"{path}: row {i + 1} below the header: {dataset.end} "
                f"{raw[dataset.end].iat[i]!r} is before "
                f"{dataset.start} {raw[dataset.start].iat[i]!r}"
            )
        events["end_month"] = end.dt.year * 12 + end.dt.month - 1
    if dataset.event_type:
        events["event_type"] = raw[dataset.event_type].str.strip()
    return events


def _dates(path: Path, text: pd.Series, dataset: Dataset) -> pd.Series:
    """Dates in any of the dataset's formats (GED adds a time of day in some releases),
    parsed once per distinct text: a file of 300,000 events has a few thousand days."""
    text = text.str.strip()
    distinct = pd.Series(text.unique())
    parsed = pd.Series(pd.NaT, index=distinct.index, dtype="datetime64[ns]")
    for fmt in dataset.date_formats:
        missing = parsed.isna()
        parsed[missing] = pd.to_datetime(distinct[missing], format=fmt, errors="coerce")
    dates = text.map(pd.Series(parsed.to_numpy(), index=distinct.to_numpy()))
    bad = dates.isna()
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise ResurgenceError(
            f"{path}: row {i + 1} below the header: {text.name} {text.iat[i]!r} is not a "
            f"date (expected {dataset.date_help})"
        )
    return dates


def _whole(path: Path, text: pd.Series, bounds: tuple[int, int | None]) -> pd.Series:
    """Whole numbers within bounds (deaths >= 0, precision codes)."""
    values = pd.to_numeric(text.str.strip(), errors="coerce")
    low, high = bounds
    good = values.notna() & (values % 1 == 0) & (values >= low)
    if high is not None:
        good &= values <= high
    if not good.all():
        i = int(np.argmax(~good.to_numpy()))
        expected = f"{low} to {high}" if high is not None else f">= {low}"
        raise ResurgenceError(
            f"{path}: row {i + 1} below the header: {text.name} {text.iat[i]!r} is not a "
            f"whole number {expected}"
        )
    return values.astype("int64")


# ---------------------------------------------------------------- rules and aggregation


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
    result.rows.to_csv(out, index=False, columns=list(COLUMNS))
    report = report_path(out)
    payload = {
        "evidence": str(out),
        "mapping": str(result.mapping),
        "files": [asdict(r) for r in result.reports],
    }
    report.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return report
