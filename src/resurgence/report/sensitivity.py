"""The page of a sensitivity analysis (`resurgence sensitivity`): the indices of
`store.SENSITIVITY` by condition of resurgence and by parameter, grouped by condition, and
for Sobol' their convergence over the base samples (the manifest's `convergence`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from resurgence import store
from resurgence.report.context import Context
from resurgence.report.section import Chart, Kind, Section
from resurgence.report.style import escape, layout, rounded, side_legend, style

METHOD_NAMES = {"sobol": "Sobol'", "morris": "Morris"}
OUTPUT_TITLES = {
    "probability": "probability of resurgence",
    "attacks": "reported attacks in the horizon's last month",
}
INDEX_NAMES = {"ST": "total order ST", "S1": "first order S1", "mu_star": "mu*"}


def _bars(labels, values, halves, s, *, name, show, vertical, hover) -> go.Bar:
    """Patterned bars with 95% half-width error bars (vertical or horizontal)."""
    value_axis, label_axis, error = ("y", "x", "error_y") if vertical else ("x", "y", "error_x")
    return go.Bar(
        **{label_axis: labels, value_axis: rounded(values)},
        orientation="v" if vertical else "h",
        **{error: {"type": "data", "array": rounded(halves), "color": "#333333", "thickness": 1.2}},
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
    size: str,
    replicas: int,
) -> go.Figure:
    """Sensitivity indices of each condition (SALib groups), one panel per output.

    `outputs`: (output title, {index name: {condition: (value, half-width of 95% CI)}}),
    index names in legend order (ST, S1 for Sobol'; mu* for Morris)."""
    fig = make_subplots(
        rows=1,
        cols=len(outputs),
        horizontal_spacing=0.08,
        subplot_titles=[f"<b>{escape(name)}</b>" for name, _ in outputs],
    )
    x = [escape(c) for c in conditions]
    for col, (_, indices) in enumerate(outputs, start=1):
        for i, (index, by_condition) in enumerate(indices.items()):
            values = [by_condition.get(c, (np.nan, np.nan)) for c in conditions]
            fig.add_trace(
                _bars(
                    x,
                    [v for v, _ in values],
                    [h for _, h in values],
                    style(i),
                    name=escape(index),
                    show=col == 1,
                    vertical=True,
                    hover=f"%{{x}}: {escape(index)} = %{{y:.3f}} ± %{{error_y.array:.3f}}",
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
        **layout(
            f"Sensitivity by condition: {what}",
            f"Error bars: 95% bootstrap interval. {size}, {replicas:,} replicas per "
            "parameter set, their noise removed.",
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
        subplot_titles=[f"<b>{escape(name)}</b>" for name, _ in outputs],
    )
    order: list[str] = []
    for col, (_, rows) in enumerate(outputs, start=1):
        for i, condition in enumerate(conditions):
            mine = [r for r in rows if r[1] == condition]
            if not mine:
                continue
            if col == 1:
                order += [escape(r[0]) for r in mine]
            fig.add_trace(
                _bars(
                    [escape(r[0]) for r in mine],
                    [r[2] for r in mine],
                    [r[3] for r in mine],
                    style(i),
                    name=escape(condition),
                    show=col == 1,
                    vertical=False,
                    hover=f"%{{y}} ({escape(condition)}): {escape(index)} = %{{x:.3f}} ± "
                    "%{error_x.array:.3f}",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text=escape(index), row=1, col=col)
    n = max((len(rows) for _, rows in outputs), default=1)
    fig_layout = layout(
        f"Sensitivity by parameter ({index}), grouped by condition",
        "Error bars: 95% bootstrap interval. Bars of one colour and hatching belong to one "
        "condition.",
        170 + 24 * n,
        bottom=60,
    )
    fig_layout["legend"] = side_legend("condition")
    fig_layout["margin"].update(r=190, l=230)
    fig.update_layout(**fig_layout, hovermode="closest", bargap=0.25)
    fig.update_yaxes(
        autorange="reversed",
        type="category",
        categoryorder="array",
        categoryarray=order,
        ticks="outside",
    )
    fig.update_annotations(font_size=12)
    return fig


def convergence_chart(
    output: str,
    panels: Sequence[tuple[str, dict[str, list[tuple[int, float, float]]]]],
    conditions: list[str],
    condition_of: dict[str, str],
) -> go.Figure:
    """Total-order indices of an output (its title) against the number of base samples
    they were estimated from, with their 95% intervals; one panel per level. A
    parameter's line has its condition's colour, as in the parameter chart.

    `panels`: (title, {name: [(samples, ST, half-width)]}). Settled indices and intervals
    shrinking like 1/sqrt(N) say N was enough; indices still drifting, that it was not."""
    fig = make_subplots(
        rows=1,
        cols=len(panels),
        horizontal_spacing=0.08,
        subplot_titles=[f"<b>{escape(title)}</b>" for title, _ in panels],
    )
    for col, (_, series) in enumerate(panels, start=1):
        for i, (name, points) in enumerate(series.items()):
            look = style(i)
            group = condition_of.get(name, name)
            colour = style(conditions.index(group) if group in conditions else i)["colour"]
            fig.add_trace(
                go.Scatter(
                    x=[p[0] for p in points],
                    y=rounded([p[1] for p in points]),
                    error_y={
                        "type": "data",
                        "array": rounded([p[2] for p in points]),
                        "color": colour,
                        "thickness": 1.2,
                    },
                    mode="lines+markers",
                    name=escape(name),
                    line={"color": colour, "dash": look["dash"], "width": 1.6},
                    marker={"symbol": look["symbol"], "size": 7},
                    hovertemplate=f"{escape(name)}: N = %{{x}}, ST = %{{y:.3f}} ± "
                    "%{error_y.array:.3f}<extra></extra>",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text="base samples N", type="log", dtick=np.log10(2), row=1, col=col)
        fig.update_yaxes(title_text="total order ST", row=1, col=col)
    fig_layout = layout(
        f"Convergence of the total-order indices: {escape(output)}",
        "Each point: the analysis redone on the first N base samples of the design. Error "
        "bars: 95% bootstrap interval.",
        480,
        bottom=60,
    )
    fig_layout["legend"] = side_legend("condition or parameter")
    fig_layout["margin"].update(r=230)
    fig.update_layout(**fig_layout, hovermode="closest")
    fig.update_annotations(font_size=12)
    return fig


def _convergence(records: list[dict], matters: float = 0.05) -> tuple[str, list]:
    """The chart's output and panels from the manifest's records: every condition, and the
    parameters whose total-order index at their own largest N exceeds `matters`. The output is the
    resurgence probability, or the first output with indices when it has none."""
    outputs = list(dict.fromkeys(r.get("output") for r in records))
    if not outputs:
        return "", []
    output = "probability" if "probability" in outputs else outputs[0]
    rows = [r for r in records if r.get("output") == output]
    panels = []
    for level, title in (("condition", "conditions"), ("parameter", f"parameters, ST > {matters}")):
        mine = [r for r in rows if r["level"] == level]
        last = {}  # each index at its own largest N (an adaptive design's differ)
        for r in sorted(mine, key=lambda r: int(r["samples"])):
            last[r["name"]] = r
        names = dict.fromkeys(r["name"] for r in mine)  # the problem's order
        keep = [n for n in names if level == "condition" or _finite(last[n]["ST"]) > matters]
        series = {
            name: sorted(
                (int(r["samples"]), _finite(r["ST"]), _finite(r["ST_conf"]))
                for r in mine
                if r["name"] == name
            )
            for name in keep
        }
        if series:
            panels.append((title, series))
    return OUTPUT_TITLES.get(output, str(output)), panels


def _finite(x) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return math.nan
    return x


def _indices(frame, conditions: list[str], indices: list[tuple[str, str]], outputs: dict):
    """The chart's data, output by output: the indices of each condition, and those of each
    parameter ranked within its condition by the first index."""
    by_output = []
    param_rows = []
    for output in dict.fromkeys(frame["output"]):
        title = OUTPUT_TITLES.get(output, str(outputs.get(output, output)))
        rows = frame[frame["output"] == output]
        cond = rows[rows["level"] == "condition"].set_index("name")
        by_output.append(
            (
                title,
                {
                    INDEX_NAMES[v]: {
                        str(c): (_finite(cond.at[c, v]), _finite(cond.at[c, conf]))
                        for c in cond.index
                    }
                    for v, conf in indices
                },
            )
        )
        params = rows[rows["level"] == "parameter"]
        key, conf = indices[0]
        ranked = []
        for c in conditions:
            mine = params[params["condition"] == c].sort_values(key, ascending=False)
            ranked += [
                (str(r["name"]), c, _finite(r[key]), _finite(r[conf])) for _, r in mine.iterrows()
            ]
        param_rows.append((title, ranked))
    return by_output, param_rows


def design_size(manifest: dict) -> str:
    """The design's size: N, or for an adaptive design where it started and how far the
    indices short of precision went."""
    samples = int(manifest.get("samples") or 0)
    precision = manifest.get("precision") or {}
    first = int(precision.get("first_samples") or samples)
    if first >= samples:
        return f"N={samples}"
    depths = [n for level in (manifest.get("base_samples") or {}).values() for n in level.values()]
    most = max(depths, default=first)
    if most <= first:
        return (
            f"N={first} base samples (every index within ±{precision.get('half_width')}; "
            f"up to {samples} were allowed)"
        )
    return (
        f"N={first} base samples, up to {most} for the indices wider than "
        f"±{precision.get('half_width')}"
    )


def sections(ctx: Context) -> list[Section]:
    manifest = ctx.manifest
    frame = ctx.table(store.SENSITIVITY)
    method = str(manifest.get("method") or ("sobol" if "ST" in frame.columns else "morris"))
    conditions = [str(c) for c in (manifest.get("conditions") or {})] or list(
        dict.fromkeys(str(c) for c in frame.loc[frame["level"] == "condition", "name"])
    )
    indices = (
        [("ST", "ST_conf"), ("S1", "S1_conf")]
        if method == "sobol"
        else [("mu_star", "mu_star_conf")]
    )
    outputs = manifest.get("outputs_analysed") or {}
    by_output, param_rows = _indices(frame, conditions, indices, outputs)
    size = design_size(manifest)
    replicas = int(manifest.get("replicas") or 0)
    c1 = Chart(
        "chart-sensitivity-conditions",
        condition_indices_chart(by_output, conditions, method=method, size=size, replicas=replicas),
        "Sobol' indices: the share of the variance of the output, as a function of the "
        "parameters averaged over the replicas' randomness, due to a condition alone (S1) and "
        "with its interactions (ST). The replicas' noise is removed, so an index whose "
        "interval reaches below 0 is one the analysis cannot tell from 0."
        if method == "sobol"
        else "Morris screening: the mean absolute elementary effect of each condition (mu*), "
        "in the output's units; larger means more influential.",
    )
    c2 = Chart(
        "chart-sensitivity-parameters",
        parameter_indices_chart(param_rows, conditions, index=INDEX_NAMES[indices[0][0]]),
        "The same analysis parameter by parameter, grouped by the condition each expresses.",
    )
    blocks = [
        {
            "kind": "text",
            "text": f"{METHOD_NAMES.get(method, method)} analysis (SALib) of "
            f"{len(conditions)} conditions of resurgence, {size}, "
            f"{manifest.get('parameter_sets', 0):,} parameter sets x {replicas:,} replicas. "
            f"Resurgence: {ctx.definition}.",
        },
        {"kind": "chart", "chart": c1},
        {"kind": "chart", "chart": c2},
    ]
    output, panels = _convergence(manifest.get("convergence") or [])
    condition_of = {p: c for c, ps in (manifest.get("conditions") or {}).items() for p in ps}
    if panels:
        blocks.append(
            {
                "kind": "chart",
                "chart": Chart(
                    "chart-sensitivity-convergence",
                    convergence_chart(output, panels, conditions, condition_of),
                    "Whether N was enough: the indices at N/8, N/4, N/2 and N base samples. "
                    "They should settle and their intervals narrow by about 1.4 each time N "
                    "doubles.",
                ),
            }
        )
    constant = manifest.get("constant_outputs") or []
    if constant:
        blocks.append(
            {
                "kind": "text",
                "text": f"No variance to apportion for: {', '.join(map(str, constant))} (it "
                "took the same value in every parameter set); its indices are empty.",
            }
        )
    for output in manifest.get("noise_only_outputs") or []:
        blocks.append(
            {
                "kind": "text",
                "text": f"{output} varied over the parameter sets no more than the replicas' "
                "noise does; its Sobol' indices are empty (more replicas or base samples).",
            }
        )
    groups = manifest.get("conditions") or {}
    if groups:
        blocks.append(
            {
                "kind": "table",
                "open": False,
                "summary": "The conditions and their parameters",
                "columns": ["condition", "parameters"],
                "numeric": [],
                "rows": [(str(c), ", ".join(map(str, ps))) for c, ps in groups.items()],
            }
        )
    return [Section("sensitivity", "Sensitivity by condition", blocks)]


KIND = Kind(
    "sensitivity analysis",
    files=(store.SENSITIVITY,),
    sections=sections,
    replicas=lambda manifest: (
        f"{manifest.get('replicas', 0):,} per set x {manifest.get('parameter_sets', 0):,} sets"
    ),
    details=lambda manifest: [("method", str(manifest.get("method", "?")))],
)
