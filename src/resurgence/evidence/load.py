"""Read an evidence file and resolve its rows against a scenario.

Reading checks the file (UTF-8 CSV, the required columns, months as YYYY-MM, numbers,
known measures) and ends in one `ResurgenceError` naming the file, line and column.
Resolving decides, for each row, whether the model can be compared with it and how: the
months it covers as offsets into the model, the regions of its area and the actor. A row
the model cannot use (outside the scenario's months, after `until`, a measure the model
does not produce) keeps the reason, so every caller can say what it left out.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from resurgence.core.model import Model
from resurgence.core.state import FOCAL, RECORDED
from resurgence.errors import ResurgenceError
from resurgence.evidence.columns import COLUMNS, MEASURES, REQUIRED
from resurgence.months import month_offset, parse_month
from resurgence.observe import MEASURES as MODELLED
from resurgence.scenarios.schema import Scenario

BUILTIN = resources.files("resurgence.evidence") / "builtin"


def builtin_evidence(scenario: str) -> Path | None:
    """The evidence file shipped with a builtin scenario, if any."""
    path = Path(str(BUILTIN / f"{scenario}.csv"))
    return path if path.is_file() else None


def read_evidence(path: Path | str) -> pd.DataFrame:
    """The rows of an evidence file, checked, with every column of `COLUMNS` (missing
    optional ones empty), values as floats (NaN: not given) and `line` the file's line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResurgenceError(f"{path}: cannot read the evidence file ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ResurgenceError(f"{path}:{line}: not UTF-8 text; save the file as UTF-8") from None
    if not text.strip():
        raise ResurgenceError(f"{path}: the evidence file is empty")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise ResurgenceError(f"{path}: not a CSV file ({exc})") from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ResurgenceError(
            f"{path}:1: missing column(s) {', '.join(missing)}; an evidence file has "
            f"the columns {', '.join(COLUMNS)}"
        )
    if frame.empty:
        raise ResurgenceError(f"{path}: the evidence file has a header but no rows")
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    frame = frame[list(COLUMNS)].apply(lambda c: c.str.strip())
    frame["line"] = np.arange(len(frame)) + 2
    for row in frame.itertuples():
        _check_row(path, row)
    for column in ("value_low", "value_high"):
        frame[column] = pd.to_numeric(frame[column].replace("", np.nan))
    return frame.reset_index(drop=True)


def _check_row(path: Path, row) -> None:
    where = f"{path}:{row.line}"
    for column in ("period_start", "period_end"):
        try:
            parse_month(getattr(row, column))
        except ValueError as exc:
            raise ResurgenceError(f"{where}: {column}: {exc}") from None
    if month_offset(row.period_start, row.period_end) < 0:
        raise ResurgenceError(
            f"{where}: period_end {row.period_end} is before period_start {row.period_start}"
        )
    if row.measure not in MEASURES:
        raise ResurgenceError(
            f"{where}: measure: unknown measure {row.measure!r}; one of "
            f"{', '.join(sorted(MEASURES))}"
        )
    values = []
    for column in ("value_low", "value_high"):
        text = getattr(row, column)
        try:
            value = float(text) if text else None
        except ValueError:
            raise ResurgenceError(f"{where}: {column}: expected a number, got {text!r}") from None
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise ResurgenceError(f"{where}: {column}: expected a number >= 0, got {text!r}")
        values.append(value)
    low, high = values
    if low is None and high is None:
        raise ResurgenceError(f"{where}: value_low and value_high are both empty")
    if low is not None and high is not None and low > high:
        raise ResurgenceError(f"{where}: value_low {low:g} is above value_high {high:g}")


@dataclass(frozen=True)
class Row:
    """A row the model is compared with."""

    index: int  # position in the evidence table
    line: int
    measure: str
    start: int  # month offsets into the model, inclusive
    end: int
    regions: np.ndarray  # bool mask over the model's regions
    unit: int  # population unit whose members an estimate observes
    low: float  # -inf / inf when a side is not given
    high: float
    label: str

    @property
    def exact(self) -> bool:
        return self.low == self.high


@dataclass
class Resolved:
    """Evidence resolved against a model: the rows it uses and the reasons for the rest."""

    rows: list[Row]
    skipped: pd.DataFrame  # line, measure, period, reason

    @property
    def last_month(self) -> int:
        """Offset of the last month any used row needs."""
        return max(r.end for r in self.rows)


def resolve(
    evidence: pd.DataFrame,
    scenario: Scenario,
    model: Model,
    *,
    until: str | None = None,
    after: str | None = None,
) -> Resolved:
    """Rows of `evidence` the model can be compared with: ending at or before `until`
    and, with `after`, starting after that month."""
    countries = {r.name: r.country for r in scenario.regions}
    rows, skipped = [], []
    for i, row in enumerate(evidence.itertuples()):
        period = f"{row.period_start}..{row.period_end}"
        reason = _unusable(row, model, until, after)
        mask = unit = None
        if reason is None:
            mask, reason = _area(row, model.regions, countries)
        if reason is None:
            unit, reason = _unit(row, model)
        if reason is not None:
            skipped.append((row.line, row.measure, period, reason))
            continue
        low = row.value_low if np.isfinite(row.value_low) else -np.inf
        high = row.value_high if np.isfinite(row.value_high) else np.inf
        rows.append(
            Row(
                i,
                row.line,
                row.measure,
                month_offset(model.start, row.period_start),
                month_offset(model.start, row.period_end),
                mask,
                unit,
                low,
                high,
                " ".join(
                    x for x in (row.measure, period, row.region or row.country, row.actor) if x
                ),
            )
        )
    frame = pd.DataFrame(skipped, columns=["line", "measure", "period", "reason"])
    return Resolved(rows, frame)


def _unusable(row, model: Model, until: str | None, after: str | None) -> str | None:
    measure = MODELLED.get(row.measure)
    if measure is None or measure.source not in RECORDED:
        return f"the model does not produce {row.measure}"
    if month_offset(model.start, row.period_start) < 0:
        return f"starts before the scenario ({model.start})"
    if month_offset(model.start, row.period_end) >= model.n_months:
        return f"ends after the simulated months (to {model.months[-1]})"
    if until is not None and month_offset(until, row.period_end) > 0:
        return f"ends after {until}"
    if after is not None and month_offset(after, row.period_start) <= 0:
        return f"starts at or before {after}"
    return None


def _area(row, regions: list[str], countries: dict[str, str]):
    """The row's regions: its `region` names, or the regions of its `country` names."""
    if row.region:
        names = row.region.split("+")
        unknown = [n for n in names if n not in regions]
        if unknown:
            return None, f"unknown region {unknown[0]!r}"
        return np.array([r in names for r in regions]), None
    if not row.country:
        return np.ones(len(regions), dtype=bool), None
    wanted = {c.strip().lower() for c in row.country.split("+")}
    mask = np.array([countries[r].lower() in wanted for r in regions])
    if not mask.any():
        return None, f"no region of the scenario lies in {row.country}"
    return mask, None


def _unit(row, model: Model):
    """Attacks and deaths are the focal group's; an estimate may be of another unit."""
    actor = row.actor or model.units[FOCAL]
    if actor not in model.units:
        return None, f"unknown actor {actor!r}"
    unit = model.units.index(actor)
    if unit != 0 and MODELLED[row.measure].source != "members":
        return None, f"the model has {row.measure} of the focal group only"
    return unit, None
