"""How the report's figures look, and how their text is made safe.

Escaping: every text argument of the chart functions (titles, names, labels, hover text) is
plain text, taken as it comes from a scenario or a data file, and goes through `escape`
(`html.escape`) before it reaches Plotly, because plotly.js renders a subset of HTML in
its strings (`<b>`, `<br>`, `<a href=...>`). Plotly.js turns the entities back into the
characters, so `<script>` shows literally and is never markup. The only markup in a figure
is the `<br>`, `<sup>`, `<b>` and `<i>` the chart functions add themselves.

Readability: every chart has a title, axis titles with units, and a legend; lines differ by
dash and marker symbol as well as by colour, bands by lightness, and the colours are the
Okabe-Ito palette (distinguishable with the common colour-vision deficiencies), so a
greyscale print stays readable.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

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


def escape(text: object) -> str:
    """Plain text made safe for a Plotly string (which renders a subset of HTML)."""
    return html.escape(str(text), quote=False)


def wrap(text: str, width: int = 70) -> str:
    """Escaped text, wrapped with <br> (Plotly's hover boxes do not wrap by themselves)."""
    return "<br>".join(escape(line) for line in textwrap.wrap(str(text), width) or [""])


def panel_title(name: str, width: int = 44) -> str:
    """A small multiple's title in bold, wrapped so that neighbours never overlap."""
    return "<br>".join(f"<b>{escape(line)}</b>" for line in textwrap.wrap(name, width) or [""])


def rgba(colour: str, alpha: float) -> str:
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


def rounded(values, digits: int = 4) -> list:
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


def _title(title: str, subtitle: str | None) -> dict:
    text = f"<b>{escape(title)}</b>"
    if subtitle:
        text += f"<br><sup>{escape(subtitle)}</sup>"
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


def layout(title: str, subtitle: str | None, height: int, *, bottom: int = 95) -> dict:
    """Every figure's layout: its title and subtitle, font, margins and a legend below."""
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


def side_legend(title: str) -> dict:
    """A legend to the right of the plot, for series too many to list below it."""
    return {
        "orientation": "v",
        "x": 1.01,
        "xanchor": "left",
        "y": 1,
        "yanchor": "top",
        "font": {"size": 11},
        "title": {"text": title},
    }


def add_band(
    fig: go.Figure,
    x: Sequence,
    low: Sequence[float],
    high: Sequence[float],
    mean: Sequence[float] | None,
    style: dict,
    *,
    alpha: float,
    name: str | None = None,
    edges: tuple[str, str] | None = None,
    value: str = "%{y:,.4~g}",
    group: str | None = None,
    legend: bool = True,
    customdata: list | None = None,
    mean_trace: dict | None = None,
    row: int | None = None,
    col: int | None = None,
) -> None:
    """A band from `low` to `high` filled in the style's colour (`alpha`: its opacity) and,
    when `mean` is given, the line of the mean (or the median) over it.

    `name` is the band's legend entry (none: the band stays out of the legend); `edges`
    names its low and high edges, shown on hover with their `value` (none: the band has no
    hover). `mean_trace` holds the mean line's own Plotly properties (name, hovertemplate,
    marker, a `line` of another width or dash...) over a line of width 2.4 in the style's
    colour; the line joins the band's legend `group` unless it names its own."""
    where = {"row": row, "col": col} if row else {}
    colour = style["colour"]
    low_name, high_name = edges or (None, None)
    edge = {
        "x": x,
        "mode": "lines",
        "line": {"width": 0, "color": colour},
        "legendgroup": group,
        "customdata": customdata,
    }

    def hover(label: str | None) -> dict:
        if label is None:
            return {"hoverinfo": "skip"}
        return {"hovertemplate": f"{label}: {value}<extra></extra>"}

    fig.add_trace(
        go.Scatter(y=rounded(low), name=low_name, showlegend=False, **hover(low_name), **edge),
        **where,
    )
    fig.add_trace(
        go.Scatter(
            y=rounded(high),
            fill="tonexty",
            fillcolor=rgba(colour, alpha),
            name=name,
            showlegend=legend and name is not None,
            **hover(high_name),
            **edge,
        ),
        **where,
    )
    if mean is None:
        return
    own = dict(mean_trace or {})
    fig.add_trace(
        go.Scatter(
            x=x,
            y=rounded(mean),
            mode="lines+markers" if "marker" in own else "lines",
            line={"width": 2.4, "color": colour} | own.pop("line", {}),
            legendgroup=own.pop("legendgroup", group),
            showlegend=legend,
            customdata=customdata,
            **own,
        ),
        **where,
    )
