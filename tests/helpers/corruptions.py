"""Corrupted bytes: the flagship's files (as shipped and as the TOML writer writes them)
truncated, with binary bytes inserted, in other encodings, with a duplicated key or table,
a broken line, a number of thousands of digits or values nested thousands deep; and whole
binary files."""

from __future__ import annotations

import re

from hypothesis import strategies as st

from helpers.bad_file import BadFile
from helpers.flagship_files import ISK_TEXT, POLICY_BASE_LIST, POLICY_TEXTS, SCENARIO_BASE
from resurgence.scenarios.load import MAX_NESTING

# Bytes that are never valid anywhere in a UTF-8 TOML file: control characters other than
# tab, line feed and carriage return, and bytes UTF-8 never uses.
NEVER_VALID = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xC0, 0xC1]
NEVER_VALID += list(range(0xF5, 0x100))
HEADERS = [b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"%PDF-1.7\n\xe2\xe3\xcf\xd3", b"\x1f\x8b\x08\x00"]


def raw_texts(policy: bool) -> list[tuple[str, int]]:
    """(text, last position) pairs: any truncation at or before the position is invalid,
    because the text's last required string is not yet closed there."""
    if policy:
        texts = [(t, '[policy]\nname = "') for t in POLICY_TEXTS.values()]
        texts += [(b.text, None) for b in POLICY_BASE_LIST]
    else:
        texts = [(ISK_TEXT, "[resurgence]"), (SCENARIO_BASE.text, None)]
    out = []
    for text, anchor in texts:
        if anchor is None:
            out.append((text, len(text.rstrip("\n")) - 1))  # the file's last closing quote
        else:
            start = text.index(anchor)
            key = 'start = "' if anchor == "[resurgence]" else 'name = "'
            opening = text.index(key, start) + len(key) - 1
            out.append((text, text.index('"', opening + 1)))
    return out


RAW_SCENARIO = raw_texts(policy=False)
RAW_POLICY = raw_texts(policy=True)
KEY_LINE = re.compile(r'^([A-Za-z0-9_"-][^=]*?) = (.+)$')


def _lines(text: str) -> list[str]:
    return text.split("\n")


@st.composite
def corrupted(draw, policy: bool) -> BadFile:
    raws = RAW_POLICY if policy else RAW_SCENARIO
    text, last = draw(st.sampled_from(raws))
    written = [b.text for b in POLICY_BASE_LIST] if policy else [SCENARIO_BASE.text]
    kind = draw(
        st.sampled_from(
            [
                "truncated",
                "binary bytes inserted",
                "binary file",
                "UTF-16",
                "UTF-32",
                "Latin-1 or cp1252",
                "UTF-8 with BOM",
                "duplicated key",
                "duplicated table",
                "broken line",
                "5,000-digit number",
                "deeply nested",
            ]
        )
    )
    data = text.encode("utf-8")
    tomllib_raises = False
    if kind == "truncated":
        data = text[: draw(st.integers(0, last))].encode("utf-8")
    elif kind == "binary bytes inserted":
        blob = bytearray(draw(st.binary(max_size=64)))
        blob.insert(draw(st.integers(0, len(blob))), draw(st.sampled_from(NEVER_VALID)))
        at = draw(st.integers(0, len(data)))
        data = data[:at] + bytes(blob) + data[at:]
    elif kind == "binary file":
        blob = bytearray(draw(st.binary(max_size=2048)))
        blob.insert(draw(st.integers(0, len(blob))), draw(st.sampled_from(NEVER_VALID)))
        data = draw(st.sampled_from([b"", *HEADERS])) + bytes(blob)
    elif kind == "UTF-16":
        data = text.encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be"])))
    elif kind == "UTF-32":
        data = text.encode(draw(st.sampled_from(["utf-32", "utf-32-le", "utf-32-be"])))
    elif kind == "Latin-1 or cp1252":
        # Before an ASCII character (or at the end): an accented letter's single byte then
        # cannot start a valid UTF-8 sequence with the byte of a non-ASCII character that
        # follows it (e.g. ß then § would read as one valid character).
        ascii_next = [i for i, ch in enumerate(text) if ch.isascii()] + [len(text)]
        at = draw(st.sampled_from(ascii_next))
        accent = draw(st.sampled_from("éüñçøßàÖ€œ"))
        encoding = "cp1252" if accent in "€œ" else draw(st.sampled_from(["latin-1", "cp1252"]))
        data = (text[:at] + accent + text[at:]).encode(encoding, errors="replace")
    elif kind == "UTF-8 with BOM":
        data = b"\xef\xbb\xbf" + data
    else:
        text = draw(st.sampled_from(written))
        lines = _lines(text)
        keyed = [i for i, line in enumerate(lines) if KEY_LINE.match(line)]
        if kind == "duplicated key":
            i = draw(st.sampled_from(keyed))
            lines.insert(i + 1, lines[i])
        elif kind == "duplicated table":
            headers = [ln for ln in lines if ln.startswith("[") and not ln.startswith("[[")]
            lines += ["", draw(st.sampled_from(headers)), ""]
        elif kind == "broken line":
            i = draw(st.sampled_from([i for i, ln in enumerate(lines) if ln]))
            line = lines[i]
            if line.startswith("["):
                lines[i] = line[:-1]  # a header without its closing bracket
            elif line.endswith('"') and draw(st.booleans()):
                lines[i] = line[:-1]  # a string without its closing quote
            else:
                lines[i] = line.replace(" = ", " ", 1)  # a key without '='
        elif kind == "5,000-digit number":
            numeric = [i for i in keyed if re.fullmatch(r"-?[0-9.e+-]+", lines[i].split(" = ")[-1])]
            i = draw(st.sampled_from(numeric))
            digits = "9" * draw(st.integers(4301, 20_000))
            lines[i] = lines[i].split(" = ")[0] + " = " + digits
            tomllib_raises = True  # over 4,300 digits: ValueError
        else:  # deeply nested
            i = draw(st.sampled_from(keyed))
            depth = draw(st.one_of(st.integers(2, 50), st.integers(2, 20_000)))
            opening, closing = draw(st.sampled_from([("[", "]"), ("{ a = ", " }")]))
            lines[i] = lines[i].split(" = ")[0] + " = " + opening * depth + "1" + closing * depth
            # Past the loader's limit the file is refused before validation, and the
            # helpers' own tomllib may run out of recursion on it.
            tomllib_raises = depth > MAX_NESTING
        data = "\n".join(lines).encode("utf-8")
    return BadFile(kind, data, policy, None, tomllib_raises, base=text)
