"""The scenario's dated events on the charts' time axes, and the month axis itself."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from resurgence.report.style import escape, wrap
from resurgence.scenarios.schema import Event

EVENT_COLOUR = "#555555"


@dataclass(frozen=True)
class EventMark:
    """Events of one month: their labels, each with its source sentence."""

    month: str
    events: tuple[tuple[str, str], ...]  # (label, source)

    def hover(self) -> str:
        lines = [f"<b>Scenario events, {escape(self.month)}</b>"]
        for label, source in self.events:
            lines.append("• " + wrap(label, 70).replace("<br>", "<br>   "))
            if source:
                short = source if len(source) <= 150 else source[:147].rstrip() + "..."
                lines.append("   <i>" + wrap(short, 70).replace("<br>", "<br>   ") + "</i>")
        return "<br>".join(lines)


def event_label(label: str, policy: str) -> str:
    """An event's label as the charts show it: a policy's events say whose they are."""
    return f"policy {policy}: {label}" if policy else label


def event_marks(timeline: Iterable[tuple[Event, str]]) -> list[EventMark]:
    """The marks of a timeline of (event, policy name or "") pairs: one per month, in
    month order, each with its events' labels and sources."""
    by_month: dict[str, list[tuple[str, str]]] = {}
    for e, policy in sorted(timeline, key=lambda item: item[0].month):
        by_month.setdefault(e.month, []).append((event_label(e.label, policy), e.source))
    return [EventMark(month, tuple(items)) for month, items in by_month.items()]


def add_events(
    fig: go.Figure,
    events: Sequence[EventMark],
    months: list[str],
    level: float,
    *,
    row: int | None = None,
    col: int | None = None,
    xref: str = "x",
    yref: str = "y",
    legend: bool = True,
) -> list[dict]:
    """A marker for each month with events at the top of the panel, carrying the events'
    text on hover; returns the dotted vertical lines at those months, for the caller to
    add to the layout in one go (Plotly re-validates every shape on each `add_shape`)."""
    shown = [e for e in events if e.month in set(months)]
    if not shown:
        return []
    where = {"row": row, "col": col} if row else {}
    fig.add_trace(
        go.Scatter(
            x=[e.month for e in shown],
            y=[level] * len(shown),
            mode="markers",
            marker={"symbol": "triangle-down", "size": 10, "color": EVENT_COLOUR},
            name="scenario event (hover for its text)",
            legendgroup="events",
            showlegend=legend,
            hovertext=[e.hover() for e in shown],
            hovertemplate="%{hovertext}<extra></extra>",
        ),
        **where,
    )
    return [
        {
            "type": "line",
            "x0": e.month,
            "x1": e.month,
            "y0": 0,
            "y1": 1,
            "xref": xref,
            "yref": f"{yref} domain",
            "line": {"color": EVENT_COLOUR, "width": 1, "dash": "dot"},
            "opacity": 0.55,
            "layer": "below",
        }
        for e in shown
    ]


def month_axis(fig: go.Figure) -> None:
    """Every x axis of `fig` in months (YYYY-MM), with a grid."""
    fig.update_xaxes(
        type="date", tickformat="%Y-%m", hoverformat="%Y-%m", showgrid=True, ticks="outside"
    )
