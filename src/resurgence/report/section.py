"""What a page is made of: charts in sections, and the kind of run that makes them.

A kind of run (`resurgence run`, `compare`, ...) is a module that builds its sections from
a `Context` and declares a `Kind`; `page.KINDS` maps the manifest's `kind` to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup

from resurgence.report.context import Context


@dataclass
class Chart:
    id: str
    figure: object  # plotly.graph_objects.Figure
    caption: str = ""
    html: Markup | None = None


@dataclass
class Section:
    """A titled part of the page: blocks the template lays out in order, each a dict with
    a `kind` (text, callout, chart, grid of charts, table) and what that kind shows."""

    id: str
    title: str
    blocks: list[dict] = field(default_factory=list)

    @property
    def charts(self) -> list[Chart]:
        found = []
        for block in self.blocks:
            if block["kind"] == "chart":
                found.append(block["chart"])
            elif block["kind"] == "grid":
                found += block["charts"]
        return found


def _no_details(manifest: dict) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class Kind:
    """A kind of run as its page shows it."""

    label: str  # in the page's title, e.g. "simulation run"
    files: tuple[str, ...]  # the files its sections read; a run without one is incomplete
    sections: Callable[[Context], list[Section]]
    replicas: Callable[[dict], str]  # the header's entry on replicas, from the manifest
    details: Callable[[dict], list[tuple[str, str]]] = _no_details  # at the header's end
    timed: bool = False  # its charts have time axes: the page lists the scenario's events
