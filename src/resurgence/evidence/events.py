"""Reading an event file: a GED or ACLED CSV to typed events, or one error naming the problem.

Event files come from downloads and exports and are often not what they seem: archives,
UTF-16 or Windows-1252 text, rows with a stray comma, dates in another format. The whole
file is checked before pandas reads it, so every such file ends in one `ResurgenceError`
naming the file, line and column instead of a parser's guess or a silently dropped field.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from resurgence.errors import ResurgenceError
from resurgence.evidence.datasets import DATASETS, Dataset


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
            "month": _month_index(start),
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
        events["end_month"] = _month_index(end)
    if dataset.event_type:
        events["event_type"] = raw[dataset.event_type].str.strip()
    return events


def _month_index(dates: pd.Series) -> pd.Series:
    """`months.month_index` of every date at once: a file has hundreds of thousands."""
    return dates.dt.year * 12 + dates.dt.month - 1


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
