"""Calendar months as 'YYYY-MM' strings and the integer offsets the engine uses."""

import re

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> tuple[int, int]:
    """Return (year, month) of a 'YYYY-MM' string; raise ValueError otherwise."""
    match = _MONTH.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a month as YYYY-MM (e.g. 2023-01), got {text!r}")
    return int(match.group(1)), int(match.group(2))


def month_offset(start: str, month: str) -> int:
    """Number of months from `start` to `month` (negative when `month` is earlier)."""
    y0, m0 = parse_month(start)
    y1, m1 = parse_month(month)
    return (y1 - y0) * 12 + (m1 - m0)


def add_months(start: str, n: int) -> str:
    """The month `n` months after `start`."""
    y, m = parse_month(start)
    total = y * 12 + (m - 1) + n
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def month_range(start: str, n: int) -> list[str]:
    """The `n` consecutive months from `start`."""
    return [add_months(start, i) for i in range(n)]
