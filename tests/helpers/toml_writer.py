"""A small TOML writer, so that tests can parse a file, change it and write it back.

tomli_w would do; this keeps the test dependencies small. It writes tables and arrays of
tables with headers, small tables of plain values inline (as isk.toml does), NaN and
infinities as TOML's nan and inf, and integers of any size.
"""

from __future__ import annotations

import datetime
import math
import re

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
