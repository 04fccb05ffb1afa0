"""The page of a scenario discovery (`resurgence discover`): the PRIM boxes of
`store.BOXES` and the coverage-density trade-off of PRIM's peeling trajectory
(`store.TRAJECTORY`)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from resurgence import store
from resurgence.report.context import Context
from resurgence.report.section import Chart, Kind, Section
from resurgence.report.style import escape, layout, rounded, style


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
            [int(step), round(float(mass), 4), int(res), escape(phase)]
            for step, mass, res, phase in zip(
                t["step"], t["mass"], t["restricted"], t["phase"], strict=True
            )
        ]
        fig.add_trace(
            go.Scatter(
                x=rounded(t["coverage"]),
                y=rounded(t["density"]),
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
        **layout(
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
    labels = [f"{escape(p)} ({escape(c)})" if c else escape(p) for _, p, c, *_ in rows]
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
                x=rounded(width),
                base=rounded(base),
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
    fig_layout = layout(
        "PRIM boxes: the limits of each restricted parameter",
        "Each bar spans the part of the parameter's plausible range (0 = its low end, 1 = "
        "its high end) that the box keeps.",
        170 + 42 * max(len(rows), 1),
        bottom=70,
    )
    fig_layout["margin"]["l"] = 330
    fig.update_layout(**fig_layout, barmode="overlay", hovermode="closest")
    fig.update_xaxes(
        title_text="share of the plausible range", range=[0, 1], tickformat=".1f", ticks="outside"
    )
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def _condition(r) -> str:
    return "" if pd.isna(r["condition"]) else str(r["condition"])


def _quasi_p(x) -> str:
    return "-" if pd.isna(x) else f"{x:.2g}"


def _boxes(restricted: pd.DataFrame) -> list[dict]:
    """The boxes' limits as a chart and in numbers."""
    rows = [
        (
            int(r["box"]),
            str(r["parameter"]),
            _condition(r),
            float(r["low"]),
            float(r["high"]),
            float(r["range_low"]),
            float(r["range_high"]),
        )
        for _, r in restricted.iterrows()
    ]
    chart = Chart(
        "chart-prim-boxes",
        box_limits_chart(rows),
        "A box is the set of parameter values inside all its limits; parameters not listed "
        "are free over their whole range.",
    )
    table = {
        "kind": "table",
        "open": True,
        "summary": "The boxes in numbers",
        "columns": [
            "box",
            "parameter",
            "condition",
            "low",
            "high",
            "plausible range",
            "quasi-p low / high",
            "coverage",
            "density",
        ],
        "numeric": ["box", "low", "high", "coverage", "density"],
        "rows": [
            (
                int(r["box"]),
                str(r["parameter"]),
                _condition(r),
                f"{r['low']:.3g}" if r["low_restricted"] else "-",
                f"{r['high']:.3g}" if r["high_restricted"] else "-",
                f"[{r['range_low']:.3g}, {r['range_high']:.3g}]",
                f"{_quasi_p(r['qp_low'])} / {_quasi_p(r['qp_high'])}",
                f"{r['coverage']:.2f}",
                f"{r['density']:.2f}",
            )
            for _, r in restricted.iterrows()
        ],
    }
    return [{"kind": "chart", "chart": chart}, table]


def _tradeoff(traj: pd.DataFrame, density: float) -> Chart:
    columns = ("step", "phase", "coverage", "density", "mass", "restricted")
    per_box = [
        (
            int(number),
            {c: rows[c].tolist() for c in columns} | {"chosen": [bool(x) for x in rows["chosen"]]},
        )
        for number, rows in traj.groupby("box", sort=True)
    ]
    return Chart(
        "chart-prim-tradeoff",
        tradeoff_chart(per_box, density_threshold=density),
        "Each peeling step removes a thin slice of the space: coverage falls and density "
        "rises. The star is the step chosen: the highest coverage whose density reaches "
        "the threshold.",
    )


def sections(ctx: Context) -> list[Section]:
    manifest = ctx.manifest
    boxes = ctx.table(store.BOXES)
    traj = ctx.table(store.TRAJECTORY)
    prim = manifest.get("prim") or {}
    outcome = manifest.get("outcome") or {}
    density = float(prim.get("density_threshold", 0.8))
    blocks: list[dict] = [
        {
            "kind": "text",
            "text": f"{outcome.get('likely_sets', '?')} of {outcome.get('sets', '?')} parameter "
            f"sets are likely resurgences (probability at least {manifest.get('likely', '?')}); "
            f"PRIM ({prim.get('implementation', 'EMA Workbench')}) looks for boxes of parameter "
            f"limits where they are dense (density threshold {density:g}). Resurgence: "
            f"{ctx.definition}.",
        }
    ]
    restricted = boxes[boxes["parameter"].notna()] if len(boxes) else boxes
    if len(restricted):
        blocks += _boxes(restricted)
    else:
        blocks.append(
            {
                "kind": "text",
                "text": "No box: "
                + (
                    "PRIM did not run (every set, or none, is a likely resurgence)."
                    if not prim.get("ran", True)
                    else f"no step of PRIM's trajectory reaches density {density:g}."
                ),
            }
        )
    if len(traj):
        blocks.append({"kind": "chart", "chart": _tradeoff(traj, density)})
    return [Section("discovery", "Scenario discovery (PRIM)", blocks)]


def _replicas(manifest: dict) -> str:
    budget = manifest.get("budget") or {}
    return f"{budget.get('replicas', 0):,} per set x {budget.get('samples', 0):,} sets"


KIND = Kind(
    "scenario discovery",
    files=(store.BOXES, store.TRAJECTORY),
    sections=sections,
    replicas=_replicas,
)
