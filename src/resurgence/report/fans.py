"""Fan charts: a quantity's median and its 50% and 80% bands over replicas, month by month.

Observed data: runs carry none yet; `fan_chart` and `fan_panels` take optional observed
series and the report overlays nothing until a run records one (nothing is made up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from resurgence.report.events import EventMark, add_events, month_axis
from resurgence.report.style import add_band, escape, layout, panel_title, rounded, style

QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)
BANDS = (  # (low, high, legend entry, opacity, low and high percentiles)
    ("q10", "q90", "80% band (10th-90th percentile)", 0.2, "10th", "90th"),
    ("q25", "q75", "50% band (25th-75th percentile)", 0.45, "25th", "75th"),
)


@dataclass(frozen=True)
class Fan:
    """Quantiles over replicas, month by month: the 10th, 25th, 50th, 75th and 90th
    percentiles (each a sequence as long as `months`)."""

    months: list[str]
    q10: Sequence[float]
    q25: Sequence[float]
    q50: Sequence[float]
    q75: Sequence[float]
    q90: Sequence[float]

    @classmethod
    def from_quantiles(cls, months: list[str], q: np.ndarray) -> Fan:
        """From an array (5 quantiles of QUANTILES, months)."""
        return cls(list(months), *(q[i] for i in range(len(QUANTILES))))

    @property
    def top(self) -> float:
        return float(np.nanmax(np.asarray(self.q90, dtype=float))) if self.months else 0.0


@dataclass(frozen=True)
class Observed:
    """An observed series to overlay on a fan chart (e.g. attacks a dataset recorded):
    months, values, and the name of the source for the legend."""

    months: list[str]
    values: Sequence[float]
    source: str


def _add_fan(
    fig: go.Figure,
    fan: Fan,
    colour: int,
    *,
    row: int | None = None,
    col: int | None = None,
    legend: bool = True,
    unit: str = "",
) -> None:
    value = f"%{{y:,.4~g}}{(' ' + escape(unit)) if unit else ''}"
    for k, (low, high, name, alpha, low_name, high_name) in enumerate(BANDS):
        inner = k == len(BANDS) - 1  # the median is drawn over the inner band
        add_band(
            fig,
            fan.months,
            getattr(fan, low),
            getattr(fan, high),
            fan.q50 if inner else None,
            style(colour),
            alpha=alpha,
            name=name,
            edges=(f"{low_name} percentile", f"{high_name} percentile"),
            value=value,
            group=name.split(" ")[0],
            legend=legend,
            mean_trace={
                "name": "median",
                "legendgroup": "median",
                "hovertemplate": f"<b>median: {value}</b><extra></extra>",
            },
            row=row,
            col=col,
        )


def _add_observed(fig, observed: Observed, *, row=None, col=None, legend=True) -> None:
    where = {"row": row, "col": col} if row else {}
    fig.add_trace(
        go.Scatter(
            x=list(observed.months),
            y=rounded(observed.values),
            mode="lines+markers",
            line={"color": "#000000", "width": 1.2, "dash": "dot"},
            marker={"symbol": "x-thin-open", "size": 7, "color": "#000000", "line": {"width": 2}},
            name=f"observed ({escape(observed.source)})",
            legendgroup="observed",
            showlegend=legend,
            hovertemplate="observed: %{y:,.4~g}<extra></extra>",
        ),
        **where,
    )


def fan_chart(
    fan: Fan,
    *,
    title: str,
    y_title: str,
    subtitle: str | None = None,
    colour: int = 0,
    unit: str = "",
    events: Sequence[EventMark] = (),
    observed: Observed | None = None,
    height: int = 420,
) -> go.Figure:
    """One quantity's fan: the median, the 50% and the 80% bands over replicas, month by
    month, with the scenario's events marked on the time axis. `observed`, when given,
    is overlaid as black crosses."""
    fig = go.Figure()
    _add_fan(fig, fan, colour, unit=unit)
    if observed is not None:
        _add_observed(fig, observed)
    top = max(fan.top, max(observed.values, default=0) if observed else 0) or 1.0
    fig.update_layout(shapes=add_events(fig, events, fan.months, top * 1.08))
    fig.update_layout(**layout(title, subtitle, height), hovermode="x unified")
    month_axis(fig)
    fig.update_xaxes(title_text="month")
    fig.update_yaxes(title_text=escape(y_title), rangemode="tozero", range=[0, top * 1.14])
    return fig


def fan_panels(
    panels: Sequence[tuple[str, Fan]],
    *,
    title: str,
    y_title: str,
    subtitle: str | None = None,
    colour: int = 0,
    unit: str = "",
    events: Sequence[EventMark] = (),
    observed: dict[str, Observed] | None = None,
    columns: int = 3,
) -> go.Figure:
    """Small multiples: one fan per panel (an actor or a region), each with its own y
    scale, the events marked in each. `observed` maps a panel's name to its series."""
    columns = min(columns, len(panels))
    rows = -(-len(panels) // columns)
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[panel_title(name) for name, _ in panels],
        horizontal_spacing=0.07,
        vertical_spacing=min(0.16, 0.5 / rows),
    )
    shapes: list[dict] = []
    for i, (name, fan) in enumerate(panels):
        row, col = i // columns + 1, i % columns + 1
        first = i == 0
        _add_fan(fig, fan, colour, row=row, col=col, legend=first, unit=unit)
        series = (observed or {}).get(name)
        if series is not None:
            _add_observed(fig, series, row=row, col=col, legend=first)
        top = max(fan.top, max(series.values, default=0) if series else 0) or 1.0
        axis = "" if i == 0 else str(i + 1)
        shapes += add_events(
            fig,
            events,
            fan.months,
            top * 1.08,
            row=row,
            col=col,
            xref=f"x{axis}",
            yref=f"y{axis}",
            legend=first,
        )
        fig.update_yaxes(range=[0, top * 1.16], row=row, col=col)
    fig.update_layout(shapes=shapes)
    fig.update_layout(**layout(title, subtitle, 150 + 250 * rows, bottom=70), hovermode="x unified")
    month_axis(fig)
    fig.update_xaxes(nticks=6)
    for col in range(1, columns + 1):
        fig.update_xaxes(title_text="month", row=rows, col=col)
    for row in range(1, rows + 1):
        fig.update_yaxes(title_text=escape(y_title), row=row, col=1)
    for i, (ann, (name, _)) in enumerate(zip(fig.layout.annotations, panels, strict=False)):
        axis = fig.layout["xaxis" if i == 0 else f"xaxis{i + 1}"]
        ann.update(
            x=axis.domain[0], xanchor="left", align="left", text=panel_title(name), font_size=12
        )
    return fig
