"""One month: apply the month's scheduled events, then each process in order."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from resurgence.catalogue import PROCESSES
from resurgence.core.model import CompiledEvent, Model
from resurgence.core.parameters import Params
from resurgence.core.process import Process
from resurgence.core.state import VARIABLES, State

RESET = tuple(name for name, spec in VARIABLES.items() if spec.reset)
"""The month's flows that processes add to, set to zero before each month."""


def _change(current: np.ndarray, op: str, value: float) -> np.ndarray:
    if op == "set":
        return np.full_like(current, value)
    if op == "multiply":
        return current * value
    return current + value


def apply_event(
    state: State,
    params: Params,
    event: CompiledEvent,
    model: Model,
    rng: np.random.Generator,
    saved: dict[int, np.ndarray],
) -> None:
    """Apply one scheduled change to every replica of the chunk."""
    if event.kind == "parameter":
        arr = params[event.name]
        sel = (slice(None), *event.index) if event.index else (slice(None),)
        if event.op == "restore":
            arr[sel] = saved.pop(event.key)
            return
        if event.key is not None:
            saved[event.key] = arr[sel].copy()
        spec = model.parameters[event.name]
        arr[sel] = np.clip(_change(arr[sel], event.op, event.value), spec.low, spec.high)
        return

    if event.kind == "members":
        members = state.members
        u, k = event.index[0], event.index[1]
        cell = members[:, u, k]
        if event.op == "add":
            members[:, u, k] = np.maximum(cell + int(event.value), 0)
        elif event.op == "multiply":
            members[:, u, k] = rng.binomial(cell, min(event.value, 1.0))
        else:  # move a share to another region
            moved = rng.binomial(cell, event.value)
            members[:, u, k] -= moved
            members[:, u, event.index[2]] += moved
        return

    if event.kind == "relation":
        i, j = event.index
        for arr in (state.relation, state.relation_anchor):
            arr[:, i, j] = np.clip(_change(arr[:, i, j], event.op, event.value), -1.0, 1.0)
        return

    arr = getattr(state, event.kind)
    sel = (slice(None), *event.index) if event.index else (slice(None),)
    arr[sel] = np.clip(_change(arr[sel], event.op, event.value), *VARIABLES[event.kind].bounds)


def step(
    state: State,
    params: Params,
    month: int,
    model: Model,
    event_rng: np.random.Generator,
    process_rngs: list[np.random.Generator],
    saved: dict[int, np.ndarray],
    timings: dict[str, float] | None = None,
    before: Callable[[str], None] | None = None,
    processes: Sequence[Process] = PROCESSES,
) -> None:
    """Advance every replica of the chunk by one month (offset `month` from the start).

    With `timings`, the seconds spent in each process (and in the events) are added to it.
    `before(name)` is called before each process runs, to look at the state as that
    process sees it (the nowcast reads the drivers of attacks before `operations`).
    `processes` replaces the catalogue's processes by others of the same names in the same
    order (the tests run the previous engine's steps as a reference this way).
    """
    lap = _Laps(timings)
    for name in RESET:
        getattr(state, name)[:] = 0
    for event in model.events.get(month, ()):
        apply_event(state, params, event, model, event_rng, saved)
    lap("(events)")
    for process, rng in zip(processes, process_rngs, strict=True):
        if before is not None:
            before(process.name)
        process.step(state, params, rng, model)
        lap(process.name)


class _Laps:
    """Adds the seconds since the previous lap to `timings[name]`; does nothing without
    a `timings` dict."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings = timings
        self.mark = time.perf_counter()

    def __call__(self, name: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[name] = self.timings.get(name, 0.0) + now - self.mark
            self.mark = now
