"""The page's charts: the levers' fans against the baseline's, with the dated events.

Four panels share the time axis: the focal group's members, its money, its attacks as the
model has them (latent) and as the definition's channel reports them. In each, the
baseline's 80% band and median are grey and the levers' are in colour, so a lever that
changes nothing shows one fan. The scenario's events, and those of the policies switched
on, are marked on every panel; hovering a marker gives their text.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from resurgence.explore.runner import Answer
from resurgence.report.events import EventMark, add_events, event_marks, month_axis
from resurgence.report.style import add_band, layout, style
from resurgence.scenarios import Scenario, load_policy

PANELS = (
    ("members", "members"),
    ("treasury", "money (USD thousands)"),
    ("attacks", "attacks a month (latent)"),
    ("reported_attacks", "attacks a month (reported)"),
)
GREY = {"colour": "#8c8c8c"}


def marks_of(spec: Scenario, policies: Iterable[str]) -> list[EventMark]:
    """The scenario's dated events and those of `policies` (`NAME@YYYY-MM`), by month."""
    timeline = [(e, "") for e in spec.events]
    for name in policies:
        timeline += [(e, name) for e in load_policy(name, spec).events]
    return event_marks(timeline)


def fans(answer: Answer, spec: Scenario) -> go.Figure:
    """The four panels of fans, baseline in grey and the levers in colour."""
    fig = make_subplots(
        rows=2,
        cols=2,
        shared_xaxes=True,
        subplot_titles=[title for _, title in PANELS],
        vertical_spacing=0.12,
        horizontal_spacing=0.08,
    )
    focal = answer.result.model.units[0]
    marks = marks_of(spec, answer.levers.policies)
    shapes = []
    for k, (variable, _) in enumerate(PANELS):
        row, col = k // 2 + 1, k % 2 + 1
        top = 0.0
        for name, result, colour in (
            ("baseline", answer.baseline, GREY),
            ("your levers", answer.result, style(0)),
        ):
            q = _quantiles(result.summary, variable, focal)
            add_band(
                fig,
                list(q.index),
                q["q10"],
                q["q90"],
                q["q50"],
                colour,
                alpha=0.25,
                name=f"{name}: 80% band" if k == 0 else None,
                edges=(f"{name} 10th percentile", f"{name} 90th percentile"),
                group=name,
                legend=k == 0,
                mean_trace={"name": f"{name}: median"},
                row=row,
                col=col,
            )
            top = max(top, float(q["q90"].max()))
        axis = "" if k == 0 else str(k + 1)
        shapes += add_events(
            fig,
            marks,
            list(answer.result.model.months),
            (top or 1.0) * 1.08,
            row=row,
            col=col,
            xref=f"x{axis}",
            yref=f"y{axis}",
            legend=k == 0,
        )
    fig.update_layout(**layout("The group's course: baseline and your levers", None, 640))
    fig.update_layout(shapes=shapes, hovermode="x unified")
    month_axis(fig)
    fig.update_yaxes(rangemode="tozero")
    return fig


def _quantiles(summary: pd.DataFrame, variable: str, focal: str) -> pd.DataFrame:
    rows = summary[
        (summary["variable"] == variable)
        & (summary["actor"] == focal)
        & (summary["region"] == "all")
    ]
    return rows.set_index("month")[["q10", "q50", "q90"]]
