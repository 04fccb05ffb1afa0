"""Calendar months as 'YYYY-MM' strings and the integer offsets the engine uses."""

import re

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> tuple[int, int]:
    """Return (year, month) of a 'YYYY-MM' string; raise ValueError otherwise."""
    match = _MONTH.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a month as YYYY-MM (e.g. 2023-01), got {text!r}")
    return int(match.group(1)), int(match.group(2))


def month_index(text: str) -> int:
    """Months since January of year 0, so that month arithmetic is integer arithmetic."""
    year, month = parse_month(text)
    return year * 12 + month - 1


def month_text(index: int) -> str:
    """The 'YYYY-MM' of a month index (the inverse of `month_index`)."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_offset(start: str, month: str) -> int:
    """Number of months from `start` to `month` (negative when `month` is earlier)."""
    return month_index(month) - month_index(start)


def add_months(start: str, n: int) -> str:
    """The month `n` months after `start`."""
    return month_text(month_index(start) + n)


def month_range(start: str, n: int) -> list[str]:
    """The `n` consecutive months from `start`."""
    return [add_months(start, i) for i in range(n)]
