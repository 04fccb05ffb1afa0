"""Walking a pydantic schema alongside a document: every value with the type and the
constraints the schema expects there, and paths into the document to read and change it."""

from __future__ import annotations

import dataclasses
import math
import types
import typing

import annotated_types
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo


@dataclasses.dataclass(frozen=True)
class Slot:
    """A value of the document with the type the schema expects there."""

    path: tuple
    tp: typing.Any  # the type, unwrapped of Annotated and Optional
    meta: tuple  # constraints (annotated_types Ge/Le/..., validators, pydantic metadata)
    required: bool  # a model's field without a default
    field: bool  # a model's field (not an item of a list or a dict)


def unwrap(tp) -> tuple[typing.Any, list]:
    meta: list = []
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp, *extra = typing.get_args(tp)
            meta.extend(extra)
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            assert len(args) == 1, f"the schema has a real union: {tp}"
            tp = args[0]
        else:
            return tp, meta


def constraints(meta) -> list:
    out = []
    for item in meta:
        if isinstance(item, FieldInfo):
            out.extend(item.metadata)
        else:
            out.append(item)
    return out


def is_model(tp) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def walk(model: type[BaseModel], data: dict, path: tuple = ()):
    """(slots, tables): every value of `data` the schema types, and every model table."""
    slots: list[Slot] = []
    tables: list[tuple[tuple, type[BaseModel]]] = [(path, model)]
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in data:
            continue
        tp, meta = unwrap(info.annotation)
        meta = constraints([*info.metadata, *meta])
        slot = Slot((*path, key), tp, tuple(meta), info.is_required(), True)
        slots.append(slot)
        _walk_value(tp, data[key], slot.path, slots, tables)
    return slots, tables


def _walk_value(tp, value, path, slots, tables) -> None:
    origin = typing.get_origin(tp)
    if is_model(tp) and isinstance(value, dict):
        more_slots, more_tables = walk(tp, value, path)
        slots += more_slots
        tables += more_tables
    elif origin in (list, tuple) and isinstance(value, list):
        args = typing.get_args(tp)
        for i, item in enumerate(value):
            if origin is tuple and i >= len(args):
                break
            item_tp, meta = unwrap(args[i] if origin is tuple else args[0])
            slot = Slot((*path, i), item_tp, tuple(constraints(meta)), False, False)
            slots.append(slot)
            _walk_value(item_tp, item, slot.path, slots, tables)
    elif origin is dict and isinstance(value, dict):
        item_tp, meta = unwrap(typing.get_args(tp)[1])
        for key, item in value.items():
            slot = Slot((*path, key), item_tp, tuple(constraints(meta)), False, False)
            slots.append(slot)
            _walk_value(item_tp, item, slot.path, slots, tables)


def category(tp) -> str:
    if typing.get_origin(tp) is typing.Literal:
        return "literal"
    if is_model(tp):
        return "model"
    origin = typing.get_origin(tp)
    if origin in (list, tuple, dict):
        return origin.__name__
    return {str: "str", float: "float", int: "int", bool: "bool"}[tp]


def schema_bounds(slot: Slot) -> tuple[float, bool, float, bool]:
    """(low, low included, high, high included) the schema's own constraints allow."""
    low, low_in, high, high_in = -math.inf, True, math.inf, True
    for c in slot.meta:
        if isinstance(c, annotated_types.Ge):
            low, low_in = c.ge, True
        elif isinstance(c, annotated_types.Gt):
            low, low_in = c.gt, False
        elif isinstance(c, annotated_types.Le):
            high, high_in = c.le, True
        elif isinstance(c, annotated_types.Lt):
            high, high_in = c.lt, False
    return low, low_in, high, high_in


def is_month(slot: Slot) -> bool:
    return any(
        isinstance(c, AfterValidator) and c.func.__name__ == "_check_month" for c in slot.meta
    )


def is_name(slot: Slot) -> bool:
    return any(getattr(c, "pattern", None) for c in slot.meta)


def get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def set_at(doc, path, value) -> None:
    get(doc, path[:-1])[path[-1]] = value


def rename_key(doc, path, new: str) -> None:
    """Rename the dict key at `path`, keeping its place in the table."""
    parent = get(doc, path[:-1])
    items = [(new if k == path[-1] else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)
