"""The report's Plotly figures.

Escaping: every text argument of these functions (titles, names, labels, hover text) is
plain text, taken as it comes from a scenario or a data file, and goes through `_t`
(`html.escape`) before it reaches Plotly, because plotly.js renders a subset of HTML in
its strings (`<b>`, `<br>`, `<a href=...>`). Plotly.js turns the entities back into the
characters, so `<script>` shows literally and is never markup. The only markup in a figure
is the `<br>`, `<sup>` and `<b>` these functions add themselves.

Readability: every chart has a title, axis titles with units, and a legend; lines differ by
dash and marker symbol as well as by colour, bands by lightness, and the colours are the
Okabe-Ito palette (distinguishable with the common colour-vision deficiencies), so a
greyscale print stays readable.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# Okabe & Ito (2008), without the yellow that vanishes on white.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
SYMBOLS = [
    "circle",
    "square",
    "diamond",
    "triangle-up",
    "x",
    "cross",
    "star",
    "triangle-down",
    "hexagon",
    "pentagon",
]
PATTERNS = ["", "/", "x", ".", "\\", "-", "|", "+"]
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
EVENT_COLOUR = "#555555"
QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)


def _t(text: object) -> str:
    """Plain text made safe for a Plotly string (which renders a subset of HTML)."""
    return html.escape(str(text), quote=False)


def _wrap(text: str, width: int = 70) -> str:
    """Escaped text, wrapped with <br> (Plotly's hover boxes do not wrap by themselves)."""
    return "<br>".join(_t(line) for line in textwrap.wrap(str(text), width) or [""])


def _panel_title(name: str, width: int = 44) -> str:
    """A small multiple's title in bold, wrapped so that neighbours never overlap."""
    return "<br>".join(f"<b>{_t(line)}</b>" for line in textwrap.wrap(name, width) or [""])


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def style(i: int) -> dict:
    """Colour, dash and marker symbol of the i-th series: three cues, not one."""
    return {
        "colour": PALETTE[i % len(PALETTE)],
        "dash": DASHES[i % len(DASHES)],
        "symbol": SYMBOLS[i % len(SYMBOLS)],
        "pattern": PATTERNS[i % len(PATTERNS)],
    }


def _round(values, digits: int = 4) -> list:
    """Plain lists (readable JSON, no typed-array encoding) with a few significant digits."""
    out = []
    for v in np.asarray(values, dtype=float).ravel():
        if not np.isfinite(v):
            out.append(None)
        elif v == 0:
            out.append(0.0)
        else:
            out.append(float(f"{v:.{digits}g}"))
    return out


def _title(title: str, subtitle: str | None = None) -> dict:
    text = f"<b>{_t(title)}</b>"
    if subtitle:
        text += f"<br><sup>{_t(subtitle)}</sup>"
    return {
        "text": text,
        "x": 0.01,
        "xanchor": "left",
        "xref": "container",
        "y": 1,
        "yanchor": "top",
        "yref": "container",
        "pad": {"t": 42},  # below the mode bar, shown always where a device cannot hover
        "font": {"size": 15},
    }


def _layout(title: str, subtitle: str | None, height: int, *, bottom: int = 95) -> dict:
    return {
        "template": "plotly_white",
        "title": _title(title, subtitle),
        "font": {"family": FONT, "size": 12, "color": "#222222"},
        "height": height,
        "margin": {"l": 75, "r": 25, "t": 108, "b": bottom},
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 0.01,
            "yanchor": "bottom",
            "yref": "container",
            "font": {"size": 11},
        },
        "hoverlabel": {"font": {"family": FONT, "size": 11}, "align": "left"},
    }


# ------------------------------------------------------------------------- fan charts


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


@dataclass(frozen=True)
class EventMark:
    """Events of one month: their labels, each with its source sentence."""

    month: str
    events: tuple[tuple[str, str], ...]  # (label, source)

    def hover(self) -> str:
        lines = [f"<b>Scenario events, {_t(self.month)}</b>"]
        for label, source in self.events:
            lines.append("• " + _wrap(label, 70).replace("<br>", "<br>   "))
            if source:
                short = source if len(source) <= 150 else source[:147].rstrip() + "..."
                lines.append("   <i>" + _wrap(short, 70).replace("<br>", "<br>   ") + "</i>")
        return "<br>".join(lines)


def _add_fan(
    fig: go.Figure,
    fan: Fan,
    colour: str,
    *,
    row: int | None = None,
    col: int | None = None,
    legend: bool = True,
    unit: str = "",
) -> None:
    where = {"row": row, "col": col} if row else {}
    x = fan.months
    fmt = f"%{{y:,.4~g}}{(' ' + _t(unit)) if unit else ''}"
    bands = (
        ("q10", "q90", "80% band (10th-90th percentile)", 0.2, "10th", "90th"),
        ("q25", "q75", "50% band (25th-75th percentile)", 0.45, "25th", "75th"),
    )
    for low, high, name, alpha, low_name, high_name in bands:
        group = name.split(" ")[0]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_round(getattr(fan, low)),
                mode="lines",
                line={"width": 0, "color": colour},
                name=f"{low_name} percentile",
                legendgroup=group,
                showlegend=False,
                hovertemplate=f"{low_name} percentile: {fmt}<extra></extra>",
            ),
            **where,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_round(getattr(fan, high)),
                mode="lines",
                line={"width": 0, "color": colour},
                fill="tonexty",
                fillcolor=_rgba(colour, alpha),
                name=name,
                legendgroup=group,
                showlegend=legend,
                hovertemplate=f"{high_name} percentile: {fmt}<extra></extra>",
            ),
            **where,
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_round(fan.q50),
            mode="lines",
            line={"width": 2.4, "color": colour},
            name="median",
            legendgroup="median",
            showlegend=legend,
            hovertemplate=f"<b>median: {fmt}</b><extra></extra>",
        ),
        **where,
    )


def _add_observed(fig, observed: Observed, *, row=None, col=None, legend=True) -> None:
    where = {"row": row, "col": col} if row else {}
    fig.add_trace(
        go.Scatter(
            x=list(observed.months),
            y=_round(observed.values),
            mode="lines+markers",
            line={"color": "#000000", "width": 1.2, "dash": "dot"},
            marker={"symbol": "x-thin-open", "size": 7, "color": "#000000", "line": {"width": 2}},
            name=f"observed ({_t(observed.source)})",
            legendgroup="observed",
            showlegend=legend,
            hovertemplate="observed: %{y:,.4~g}<extra></extra>",
        ),
        **where,
    )


def _add_events(
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


def _month_axis(fig: go.Figure, **where) -> None:
    fig.update_xaxes(
        type="date",
        tickformat="%Y-%m",
        hoverformat="%Y-%m",
        showgrid=True,
        ticks="outside",
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
    is overlaid as black crosses; runs carry no observed data yet, so the report passes
    none and nothing is drawn (no series is ever made up)."""
    fig = go.Figure()
    c = PALETTE[colour % len(PALETTE)]
    _add_fan(fig, fan, c, unit=unit)
    if observed is not None:
        _add_observed(fig, observed)
    top = max(fan.top, max(observed.values, default=0) if observed else 0) or 1.0
    fig.update_layout(shapes=_add_events(fig, events, fan.months, top * 1.08))
    fig.update_layout(**_layout(title, subtitle, height), hovermode="x unified")
    _month_axis(fig)
    fig.update_xaxes(title_text="month")
    fig.update_yaxes(title_text=_t(y_title), rangemode="tozero", range=[0, top * 1.14])
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
        subplot_titles=[_panel_title(name) for name, _ in panels],
        horizontal_spacing=0.07,
        vertical_spacing=min(0.16, 0.5 / rows),
    )
    c = PALETTE[colour % len(PALETTE)]
    shapes: list[dict] = []
    for i, (name, fan) in enumerate(panels):
        row, col = i // columns + 1, i % columns + 1
        first = i == 0
        _add_fan(fig, fan, c, row=row, col=col, legend=first, unit=unit)
        series = (observed or {}).get(name)
        if series is not None:
            _add_observed(fig, series, row=row, col=col, legend=first)
        top = max(fan.top, max(series.values, default=0) if series else 0) or 1.0
        axis = "" if i == 0 else str(i + 1)
        shapes += _add_events(
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
    fig.update_layout(
        **_layout(title, subtitle, 150 + 250 * rows, bottom=70), hovermode="x unified"
    )
    _month_axis(fig)
    fig.update_xaxes(nticks=6)
    for col in range(1, columns + 1):
        fig.update_xaxes(title_text="month", row=rows, col=col)
    for row in range(1, rows + 1):
        fig.update_yaxes(title_text=_t(y_title), row=row, col=1)
    for i, (ann, (name, _)) in enumerate(zip(fig.layout.annotations, panels, strict=False)):
        axis = fig.layout["xaxis" if i == 0 else f"xaxis{i + 1}"]
        ann.update(
            x=axis.domain[0], xanchor="left", align="left", text=_panel_title(name), font_size=12
        )
    return fig


# ------------------------------------------------------------------ resurgence curve


def probability_chart(
    horizon_months: Sequence[int],
    probability: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    *,
    calendar: Sequence[str],
    final: tuple[float, float, float],
    definition: str,
    replicas: int,
) -> go.Figure:
    """The cumulative probability of resurgence against the horizon (months from the
    definition's start), with a Wilson 95% band month by month and the final estimate
    with its interval."""
    fig = go.Figure()
    colour = PALETTE[1]
    x = list(horizon_months)
    custom = [[m] for m in calendar]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_round(low),
            mode="lines",
            line={"width": 0, "color": colour},
            showlegend=False,
            name="lower bound",
            customdata=custom,
            hovertemplate="95% interval low: %{y:.3f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_round(high),
            mode="lines",
            line={"width": 0, "color": colour},
            fill="tonexty",
            fillcolor=_rgba(colour, 0.22),
            name="95% Wilson interval (Monte-Carlo error)",
            customdata=custom,
            hovertemplate="95% interval high: %{y:.3f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_round(probability),
            mode="lines+markers",
            line={"width": 2.4, "color": colour},
            marker={"symbol": "circle", "size": 5},
            name="P(resurgence within the horizon)",
            customdata=custom,
            hovertemplate=("<b>P(resurgence by %{customdata[0]}): %{y:.3f}</b><extra></extra>"),
        )
    )
    p, lo, hi = final
    fig.add_trace(
        go.Scatter(
            x=[x[-1]] if x else [],
            y=[p],
            mode="markers",
            marker={"symbol": "diamond", "size": 12, "color": "#000000"},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [hi - p],
                "arrayminus": [p - lo],
                "color": "#000000",
                "thickness": 1.6,
                "width": 8,
            },
            name=f"whole horizon: {p:.3f} [{lo:.3f}, {hi:.3f}]",
            hovertemplate=(
                f"whole horizon: {p:.3f}, 95% interval [{lo:.3f}, {hi:.3f}]<extra></extra>"
            ),
        )
    )
    top = max([hi, *[v for v in high if v is not None]], default=0.0)
    fig.update_layout(
        **_layout(
            "Probability of resurgence against the horizon",
            f"Resurgence: {definition}. Share of {replicas:,} replicas.",
            440,
        ),
        hovermode="x unified",
    )
    fig.update_xaxes(
        title_text="horizon (months from the start of the definition)",
        ticks="outside",
        range=[0.5, (x[-1] if x else 1) + 0.8],
        dtick=6 if len(x) > 12 else 1,
    )
    fig.update_yaxes(
        title_text="probability (share of replicas)",
        range=[0, min(1.0, max(top * 1.25, 0.02))],
        tickformat=".3~f",
    )
    return fig


# ------------------------------------------------------------------- policy comparison


def _dots_with_intervals(names, values, intervals, colour, symbol, label, fmt) -> go.Scatter:
    """One dot per arm with its interval as an asymmetric horizontal error bar."""
    x = np.asarray(values, float)
    lo = np.array([c[0] for c in intervals])
    hi = np.array([c[1] for c in intervals])
    return go.Scatter(
        x=_round(x),
        y=names,
        mode="markers",
        marker={"symbol": symbol, "size": 10, "color": PALETTE[colour]},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": _round(hi - x),
            "arrayminus": _round(x - lo),
            "color": PALETTE[colour],
            "thickness": 1.8,
        },
        name=label,
        customdata=np.column_stack([lo, hi]).round(4).tolist(),
        hovertemplate=(
            f"%{{y}}: %{{x:{fmt}}} [%{{customdata[0]:{fmt}}}, %{{customdata[1]:{fmt}}}]"
            "<extra></extra>"
        ),
    )


def comparison_chart(
    arms: Sequence[str],
    probability: Sequence[float],
    ci: Sequence[tuple[float, float]],
    diff: Sequence[float],
    diff_ci: Sequence[tuple[float, float]],
    *,
    definition: str,
    replicas: int,
) -> go.Figure:
    """Each arm's probability of resurgence (Wilson 95%) beside its difference from the
    baseline (paired 95% interval, Newcombe's hybrid score), on common random numbers."""
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=[
            "<b>P(resurgence), 95% interval</b>",
            "<b>difference from the baseline, paired 95% interval</b>",
        ],
    )
    names = [_t(a) for a in arms]
    fig.add_trace(
        _dots_with_intervals(
            names, probability, ci, 0, "circle", "probability (Wilson 95% interval)", ".3f"
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        _dots_with_intervals(
            names,
            diff,
            diff_ci,
            1,
            "diamond",
            "difference from the baseline (paired 95% interval)",
            "+.3f",
        ),
        row=1,
        col=2,
    )
    fig.add_vline(x=0, line={"color": "#444444", "width": 1, "dash": "dash"}, row=1, col=2)
    fig.update_layout(
        **_layout(
            "Policies against the baseline: probability of resurgence",
            f"Resurgence: {definition}. {replicas:,} replicas per arm, common random numbers.",
            170 + 34 * len(arms),
            bottom=80,
        ),
        hovermode="closest",
    )
    fig.update_yaxes(autorange="reversed", type="category", ticks="outside")
    fig.update_xaxes(title_text="probability (share of replicas)", tickformat=".2~f", row=1, col=1)
    fig.update_xaxes(title_text="difference (arm - baseline)", tickformat="+.2~f", row=1, col=2)
    fig.update_annotations(font_size=12)
    return fig


def difference_panels(
    panels: Sequence[tuple[str, str, dict[str, tuple[list, list, list]]]],
    months: list[str],
    *,
    events: Sequence[EventMark] = (),
    replicas: int,
) -> go.Figure:
    """Mean paired difference from the baseline over time, one panel per variable
    (name, y-axis title, {arm: (mean, low, high)}), one line per arm with its 95% band."""
    fig = make_subplots(
        rows=len(panels),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        subplot_titles=[f"<b>{_t(name)}</b>" for name, _, _ in panels],
    )
    arm_names = list(dict.fromkeys(a for _, _, by_arm in panels for a in by_arm))
    shapes: list[dict] = []
    for r, (_, y_title, by_arm) in enumerate(panels, start=1):
        for i, arm in enumerate(arm_names):
            if arm not in by_arm:
                continue
            mean, low, high = by_arm[arm]
            s = style(i)
            fig.add_trace(
                go.Scatter(
                    x=months,
                    y=_round(low),
                    mode="lines",
                    line={"width": 0, "color": s["colour"]},
                    legendgroup=_t(arm),
                    showlegend=False,
                    hoverinfo="skip",
                ),
                row=r,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=months,
                    y=_round(high),
                    mode="lines",
                    line={"width": 0, "color": s["colour"]},
                    fill="tonexty",
                    fillcolor=_rgba(s["colour"], 0.10),
                    legendgroup=_t(arm),
                    showlegend=False,
                    hoverinfo="skip",
                ),
                row=r,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=months,
                    y=_round(mean),
                    mode="lines+markers",
                    line={"width": 2, "color": s["colour"], "dash": s["dash"]},
                    marker={"symbol": s["symbol"], "size": 7, "maxdisplayed": 10},
                    name=_t(arm),
                    legendgroup=_t(arm),
                    showlegend=r == 1,
                    hovertemplate=f"{_t(arm)}: %{{y:+,.4~g}}<extra></extra>",
                ),
                row=r,
                col=1,
            )
        axis = "" if r == 1 else str(r)
        shapes.append(
            {
                "type": "line",
                "x0": 0,
                "x1": 1,
                "y0": 0,
                "y1": 0,
                "xref": f"x{axis} domain",
                "yref": f"y{axis}",
                "line": {"color": "#444444", "width": 1},
            }
        )
        fig.update_yaxes(title_text=_t(y_title), row=r, col=1)
        top = max(
            (abs(v) for by in by_arm.values() for series in by for v in series if v == v),
            default=1.0,
        )
        shapes += _add_events(
            fig,
            events,
            months,
            top * 1.05,
            row=r,
            col=1,
            xref=f"x{axis}",
            yref=f"y{axis}",
            legend=r == 1,
        )
    layout = _layout(
        "Policies against the baseline over time: mean paired difference (arm - baseline)",
        f"Bands: 95% interval of the mean paired difference over {replicas:,} replicas. "
        "Click a policy in the legend to hide or show it.",
        130 + 260 * len(panels),
        bottom=60,
    )
    layout["legend"] = {
        "orientation": "v",
        "x": 1.01,
        "xanchor": "left",
        "y": 1,
        "yanchor": "top",
        "font": {"size": 11},
        "title": {"text": "policy (arm)"},
    }
    layout["margin"]["r"] = 230
    fig.update_layout(**layout, shapes=shapes, hovermode="x unified")
    _month_axis(fig)
    fig.update_xaxes(title_text="month", row=len(panels), col=1)
    fig.update_annotations(font_size=12, selector={"xref": "paper"})
    return fig


# ------------------------------------------------------------------------ sensitivity


def _bars(labels, values, halves, s, *, name, show, vertical, hover) -> go.Bar:
    """Patterned bars with 95% half-width error bars (vertical or horizontal)."""
    value_axis, label_axis, error = ("y", "x", "error_y") if vertical else ("x", "y", "error_x")
    return go.Bar(
        **{label_axis: labels, value_axis: _round(values)},
        orientation="v" if vertical else "h",
        **{error: {"type": "data", "array": _round(halves), "color": "#333333", "thickness": 1.2}},
        name=name,
        legendgroup=name,
        showlegend=show,
        marker={
            "color": s["colour"],
            "pattern": {"shape": s["pattern"], "fgcolor": "#ffffff", "size": 7},
            "line": {"color": "#222222", "width": 0.8},
        },
        hovertemplate=hover + "<extra></extra>",
    )


def condition_indices_chart(
    outputs: Sequence[tuple[str, dict[str, dict[str, tuple[float, float]]]]],
    conditions: list[str],
    *,
    method: str,
    samples: int,
    replicas: int,
) -> go.Figure:
    """Sensitivity indices of each condition (SALib groups), one panel per output.

    `outputs`: (output title, {index name: {condition: (value, half-width of 95% CI)}}),
    index names in legend order (ST, S1 for Sobol'; mu* for Morris)."""
    fig = make_subplots(
        rows=1,
        cols=len(outputs),
        horizontal_spacing=0.08,
        subplot_titles=[f"<b>{_t(name)}</b>" for name, _ in outputs],
    )
    x = [_t(c) for c in conditions]
    for col, (_, indices) in enumerate(outputs, start=1):
        for i, (index, by_condition) in enumerate(indices.items()):
            s = style(i)
            values = [by_condition.get(c, (np.nan, np.nan)) for c in conditions]
            fig.add_trace(
                _bars(
                    x,
                    [v for v, _ in values],
                    [h for _, h in values],
                    s,
                    name=_t(index),
                    show=col == 1,
                    vertical=True,
                    hover=f"%{{x}}: {_t(index)} = %{{y:.3f}} ± %{{error_y.array:.3f}}",
                ),
                row=1,
                col=col,
            )
        fig.update_yaxes(
            title_text="index (share of variance)" if method == "sobol" else "mu* (output units)",
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text="condition of resurgence", tickangle=-20, row=1, col=col)
    what = (
        "Sobol' total-order (ST) and first-order (S1) indices"
        if method == "sobol"
        else "Morris mean absolute elementary effect (mu*)"
    )
    fig.update_layout(
        **_layout(
            f"Sensitivity by condition: {what}",
            f"Error bars: 95% bootstrap interval. N={samples}, {replicas:,} replicas per "
            "parameter set, common random numbers.",
            500,
            bottom=70,
        ),
        barmode="group",
        hovermode="closest",
    )
    fig.update_annotations(font_size=12)
    return fig


def parameter_indices_chart(
    outputs: Sequence[tuple[str, list[tuple[str, str, float, float]]]],
    conditions: list[str],
    *,
    index: str,
) -> go.Figure:
    """One index per parameter, grouped (and coloured, and patterned) by condition; one
    panel per output. `outputs`: (title, [(parameter, condition, value, half-width)])."""
    fig = make_subplots(
        rows=1,
        cols=len(outputs),
        shared_yaxes=True,
        horizontal_spacing=0.03,
        subplot_titles=[f"<b>{_t(name)}</b>" for name, _ in outputs],
    )
    order: list[str] = []
    for col, (_, rows) in enumerate(outputs, start=1):
        for i, condition in enumerate(conditions):
            s = style(i)
            mine = [r for r in rows if r[1] == condition]
            if not mine:
                continue
            if col == 1:
                order += [_t(r[0]) for r in mine]
            fig.add_trace(
                _bars(
                    [_t(r[0]) for r in mine],
                    [r[2] for r in mine],
                    [r[3] for r in mine],
                    s,
                    name=_t(condition),
                    show=col == 1,
                    vertical=False,
                    hover=f"%{{y}} ({_t(condition)}): {_t(index)} = %{{x:.3f}} ± "
                    "%{error_x.array:.3f}",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text=_t(index), row=1, col=col)
    n = max((len(rows) for _, rows in outputs), default=1)
    layout = _layout(
        f"Sensitivity by parameter ({index}), grouped by condition",
        "Error bars: 95% bootstrap interval. Bars of one colour and hatching belong to one "
        "condition.",
        170 + 24 * n,
        bottom=60,
    )
    layout["legend"] = {
        "orientation": "v",
        "x": 1.01,
        "xanchor": "left",
        "y": 1,
        "yanchor": "top",
        "title": {"text": "condition"},
        "font": {"size": 11},
    }
    layout["margin"].update(r=190, l=230)
    fig.update_layout(**layout, hovermode="closest", bargap=0.25)
    fig.update_yaxes(
        autorange="reversed",
        type="category",
        categoryorder="array",
        categoryarray=order,
        ticks="outside",
    )
    fig.update_annotations(font_size=12)
    return fig


# ------------------------------------------------------------------------------- PRIM


def tradeoff_chart(
    boxes: Sequence[tuple[int, dict[str, list]]],
    *,
    density_threshold: float,
) -> go.Figure:
    """PRIM's peeling trajectory: coverage against density at each step, one line per box,
    the chosen step starred. Each box: (number, columns step/phase/coverage/density/mass/
    restricted/chosen)."""
    fig = go.Figure()
    for i, (number, t) in enumerate(boxes):
        s = style(i)
        custom = [
            [int(step), round(float(mass), 4), int(res), _t(phase)]
            for step, mass, res, phase in zip(
                t["step"], t["mass"], t["restricted"], t["phase"], strict=True
            )
        ]
        fig.add_trace(
            go.Scatter(
                x=_round(t["coverage"]),
                y=_round(t["density"]),
                mode="lines+markers",
                line={"color": s["colour"], "dash": s["dash"], "width": 1.8},
                marker={"symbol": s["symbol"], "size": 7, "color": s["colour"]},
                name=f"box {number}: peeling trajectory",
                customdata=custom,
                hovertemplate=(
                    f"box {number}, step %{{customdata[0]}} (%{{customdata[3]}})<br>"
                    "coverage %{x:.2f}, density %{y:.2f}<br>mass %{customdata[1]:.2f}, "
                    "%{customdata[2]} parameters restricted<extra></extra>"
                ),
            )
        )
        chosen = [k for k, c in enumerate(t["chosen"]) if c]
        if chosen:
            k = chosen[0]
            fig.add_trace(
                go.Scatter(
                    x=[t["coverage"][k]],
                    y=[t["density"][k]],
                    mode="markers+text",
                    marker={
                        "symbol": "star",
                        "size": 18,
                        "color": s["colour"],
                        "line": {"color": "#000000", "width": 1.2},
                    },
                    text=[f"box {number} (step {t['step'][k]})"],
                    textposition="top right",
                    name=f"box {number}: chosen step",
                    hovertemplate=(
                        f"box {number} chosen: coverage %{{x:.2f}}, density %{{y:.2f}}"
                        "<extra></extra>"
                    ),
                )
            )
    fig.add_hline(
        y=density_threshold,
        line={"color": "#444444", "width": 1, "dash": "dash"},
        annotation_text=f"density threshold {density_threshold:g}",
        annotation_position="bottom left",
    )
    fig.update_layout(
        **_layout(
            "PRIM trade-off: coverage against density along the peeling trajectory",
            "Coverage: share of all likely-resurgence sets inside the box. Density: share of "
            "the box's sets that are likely resurgences.",
            460,
        ),
        hovermode="closest",
    )
    fig.update_xaxes(title_text="coverage (share)", range=[0, 1.05], ticks="outside")
    fig.update_yaxes(title_text="density (share)", range=[0, 1.05], ticks="outside")
    return fig


def box_limits_chart(
    rows: Sequence[tuple[int, str, str, float, float, float, float]],
) -> go.Figure:
    """Each box's restricted parameters as a bar over the share of the parameter's
    plausible range it keeps. rows: (box, parameter, condition, low, high, range_low,
    range_high)."""
    fig = go.Figure()
    labels = [f"{_t(p)} ({_t(c)})" if c else _t(p) for _, p, c, *_ in rows]
    fig.add_trace(
        go.Bar(
            x=[1.0] * len(rows),
            y=labels,
            orientation="h",
            marker={"color": "#e6e6e6", "line": {"color": "#999999", "width": 0.6}},
            name="plausible range (whole)",
            hoverinfo="skip",
        )
    )
    for i, number in enumerate(dict.fromkeys(r[0] for r in rows)):
        s = style(i)
        mine = [(label, r) for label, r in zip(labels, rows, strict=True) if r[0] == number]
        base, width, text = [], [], []
        for _, (_, _, _, low, high, r_lo, r_hi) in mine:
            span = (r_hi - r_lo) or 1.0
            base.append((low - r_lo) / span)
            width.append((high - low) / span)
            text.append(f"{low:.3g} to {high:.3g} of [{r_lo:.3g}, {r_hi:.3g}]")
        fig.add_trace(
            go.Bar(
                x=_round(width),
                base=_round(base),
                y=[label for label, _ in mine],
                orientation="h",
                marker={
                    "color": s["colour"],
                    "pattern": {"shape": s["pattern"], "fgcolor": "#ffffff", "size": 7},
                    "line": {"color": "#222222", "width": 0.8},
                },
                name=f"box {number}: limits kept",
                text=text,
                textposition="inside",
                insidetextanchor="middle",
                hovertemplate="%{y}: %{text}<extra></extra>",
            )
        )
    layout = _layout(
        "PRIM boxes: the limits of each restricted parameter",
        "Each bar spans the part of the parameter's plausible range (0 = its low end, 1 = "
        "its high end) that the box keeps.",
        170 + 42 * max(len(rows), 1),
        bottom=70,
    )
    layout["margin"]["l"] = 330
    fig.update_layout(**layout, barmode="overlay", hovermode="closest")
    fig.update_xaxes(
        title_text="share of the plausible range", range=[0, 1], tickformat=".1f", ticks="outside"
    )
    fig.update_yaxes(autorange="reversed", type="category")
    return fig
