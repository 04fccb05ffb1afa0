"""Hypothesis strategies of values a file must not hold: numbers out of range, NaN and
infinities, numbers beyond any float, wrong types, malformed months and names, unknown
keys and names."""

from __future__ import annotations

import datetime
import math
import re
import typing

from hypothesis import strategies as st

from helpers.flagship_files import KNOWN_NAMES
from helpers.schema_walk import Slot, category


def outside(low, low_in, high, high_in):
    """Strategy: numbers outside [low, high] (bounds included or not), finite or huge."""

    def bad(x) -> bool:
        if isinstance(x, float) and math.isnan(x):
            return True
        return x < low or x > high or (x == low and not low_in) or (x == high and not high_in)

    options = []
    if low > -math.inf:
        options += [
            st.floats(max_value=low, allow_nan=False, allow_infinity=False),
            st.integers(max_value=math.ceil(low)),
            st.sampled_from([-(10**30), -1e300, -1e308]),
        ]
    if high < math.inf:
        options += [
            st.floats(min_value=high, allow_nan=False, allow_infinity=False),
            st.integers(min_value=math.floor(high)),
            st.sampled_from([10**30, 1e300, 1e308]),
        ]
    return st.one_of(options).filter(bad)


def is_integer_slot(slot: Slot) -> bool:
    return category(slot.tp) == "int"


NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
HUGE = st.sampled_from([10**400, -(10**400)])  # beyond any float: never a number here
DATES = st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31))
SCALARS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=12),
)
KEYS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
UNKNOWN_KEYS = st.one_of(
    st.from_regex(r"[a-z_][a-z0-9_]{0,14}", fullmatch=True),
    st.sampled_from(["colour", "Name", "actor s", "clé", "value2", "from_", "régions"]),
    KEYS,
)
FRESH_NAMES = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True),
    st.sampled_from(
        [
            *("daesh", "mars", "ISK", "isk ", " isk", "", "taliban.nobody", "ttp.jua.x", "iśk"),
            *("funding.nonsense", "isk\u200b", "kabul.isk", "nangarhar2"),
        ]
    ),
).filter(lambda n: n not in KNOWN_NAMES)
BAD_MONTHS = st.one_of(
    st.sampled_from(
        [
            *("2022-13", "2022-00", "22-01", "2022/01", "2022-1", "2022-01-01", "", "Jan 2022"),
            *(" 2022-01", "2022-01 ", "\uff12\uff10\uff12\uff12-01", "2022_01", "202201"),
            *("2022-01\n", "\u0662\u0660\u0662\u0662-01"),
        ]
    ),
    st.text(max_size=10).filter(lambda s: not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", s)),
)
BAD_NAMES = st.one_of(
    st.sampled_from(["Bad Name", "1abc", "a" * 65, "", "isk-k", "ISK", "_x", "a.b"]),
    st.text(max_size=8).filter(lambda s: not re.fullmatch(r"[a-z][a-z0-9_]*", s)),
)


def wrong_type(cat: str, tp):
    """Strategy: values of a type the schema does not accept there (numbers are exact)."""
    lists = st.lists(SCALARS, max_size=3)
    dicts = st.dictionaries(KEYS, SCALARS, max_size=2)
    numbers = st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=False))
    if cat in ("str", "literal"):
        options = [numbers, st.booleans(), DATES, lists, dicts]
        if cat == "literal":
            allowed = typing.get_args(tp)
            options.append(st.text(max_size=12).filter(lambda s: s not in allowed))
        return st.one_of(options)
    if cat == "float":
        return st.one_of(st.text(max_size=12), st.booleans(), DATES, lists, dicts, st.times())
    if cat == "int":
        return st.one_of(st.text(max_size=12), st.booleans(), st.floats(), DATES, lists, dicts)
    if cat in ("list", "tuple"):
        return st.one_of(st.text(max_size=12), numbers, st.booleans(), DATES, dicts)
    if cat in ("dict", "model"):
        return st.one_of(st.text(max_size=12), numbers, st.booleans(), DATES, lists)
    raise AssertionError(cat)
