"""The progress bar every long command shows on stderr, built in one place.

It is transient (gone when the work ends) and on stderr, so what a command prints to
stdout stays the same with or without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from resurgence.commands.common import errors


def progress_bar(unit: str = "", *, columns: Sequence[ProgressColumn] | None = None) -> Progress:
    """A transient bar on stderr: the task's description, the bar, done/total, the unit
    (e.g. "replicas") and the elapsed time. `columns` replaces everything before the
    elapsed time, for a command whose tasks carry fields of their own."""
    if columns is None:
        columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()]
        if unit:
            columns.append(TextColumn(unit))
    return Progress(*columns, TimeElapsedColumn(), console=errors, transient=True)


@contextmanager
def advancing(description: str, total: int, unit: str = "") -> Iterator[Callable[[int], None]]:
    """A bar with one task; yields `advance(n)`, the callback a workflow's `progress`
    setting takes."""
    with progress_bar(unit) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


class Stages:
    """A bar a workflow drives through its stages. `stage(label, total)` starts a stage
    (the previous stage's bar goes), `stage(label, None)` relabels the current one, and
    `advance(n)` counts its work: pass `stage` as the workflow's `on_stage` and `advance`
    as its `progress` setting. Nothing shows until the first stage starts, so an error in
    the workflow's checks prints alone."""

    def __init__(self, unit: str) -> None:
        self._unit = unit
        self._bar: Progress | None = None
        self._task = None

    def stage(self, label: str, total: int | None) -> None:
        if self._bar is None:
            self._bar = progress_bar(self._unit)
            self._bar.start()
        if total is None and self._task is not None:
            self._bar.update(self._task, description=label)
            return
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(label, total=total)

    def advance(self, n: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, n)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


@contextmanager
def staged(unit: str = "") -> Iterator[Stages]:
    """A bar for a workflow whose stages and their sizes only it knows."""
    stages = Stages(unit)
    try:
        yield stages
    finally:
        stages.stop()
