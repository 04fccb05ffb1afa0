"""Find the line of a TOML document where a key path is written.

`tomllib` gives values but not positions, and pydantic reports errors as key paths such as
('events', 3, 'actor'). This scanner reads the document's table headers and `key = value`
lines and maps each key path to its line, so error messages can name the line. Keys inside
single-line inline tables are mapped to the line of their table; anything it cannot place
falls back to its nearest enclosing key that it can.
"""

from __future__ import annotations

import re
import tomllib

Path = tuple[str | int, ...]

_KEY = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_KEY_PATH = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_ASSIGN = re.compile(rf"^\s*({_KEY_PATH})\s*=")
_INLINE_KEY = re.compile(rf"[{{,]\s*({_KEY_PATH})\s*=")


def _split(key_path: str) -> list[str]:
    return [_unquote(p) for p in re.findall(_KEY, key_path)]


def _unquote(part: str) -> str:
    """A key as tomllib reads it: quotes removed, escapes of a basic string decoded."""
    if part[:1] == '"' and "\\" in part:
        try:
            return tomllib.loads(f"k = {part}")["k"]
        except tomllib.TOMLDecodeError:
            pass
    return part[1:-1] if part[:1] in "\"'" else part


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _quoted(name: str) -> str:
    """A key as a TOML basic string, so control characters never reach a message raw."""
    out = []
    for ch in name:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def key_lines(text: str) -> dict[Path, int]:
    """Map every key path the document writes to its 1-based line number."""
    lines: dict[Path, int] = {}
    arrays: dict[Path, int] = {}
    current: Path = ()
    in_multiline = None

    def resolve(parts: list[str]) -> Path:
        path: list[str | int] = []
        for i, part in enumerate(parts):
            path.append(part)
            if i < len(parts) - 1 and tuple(path) in arrays:
                path.append(arrays[tuple(path)] - 1)
        return tuple(path)

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("[["):
            end = line.find("]]")
            base = resolve(_split(line[2:end]))
            index = arrays.get(base, 0)
            arrays[base] = index + 1
            current = (*base, index)
            lines.setdefault(base, number)
            lines[current] = number
            continue
        if line.startswith("["):
            current = resolve(_split(line[1 : line.find("]")]))
            lines[current] = number
            continue
        match = _ASSIGN.match(line)
        if not match:
            continue
        path = (*current, *_split(match.group(1)))
        lines[path] = number
        rest = line[match.end() :]
        value = rest.lstrip()
        for quote in ('"""', "'''"):
            if value.startswith(quote) and value.count(quote) == 1:
                in_multiline = quote
        if rest.lstrip().startswith("{"):
            for inner in _INLINE_KEY.finditer(rest):
                lines.setdefault((*path, *_split(inner.group(1))), number)
    return lines


def line_of(lines: dict[Path, int], loc: Path) -> int | None:
    """The line of `loc`, or of its nearest enclosing key the document writes."""
    for size in range(len(loc), 0, -1):
        if loc[:size] in lines:
            return lines[loc[:size]]
    return None


def format_loc(loc: Path) -> str:
    """('events', 3, 'actor') -> 'events[3].actor'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if re.fullmatch(r"[A-Za-z0-9_]+", part) else _quoted(part)
            text += f".{name}" if text else name
    return text or "(top level)"
