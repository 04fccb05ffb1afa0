"""The page of a policy comparison (`resurgence compare`): each arm's probability of
resurgence and its paired difference from the baseline (`store.ARMS`), and the paired
differences over time (`store.TRAJECTORIES`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from resurgence import store
from resurgence.report.context import Context
from resurgence.report.events import EventMark, add_events, month_axis
from resurgence.report.section import Chart, Kind, Section
from resurgence.report.style import PALETTE, add_band, escape, layout, rounded, side_legend, style

TITLES = {  # the variables of store.TRAJECTORIES: panel title, unit
    "members": ("Members of the focal group", "members (persons)"),
    "treasury": ("Cash of the focal group", "cash (USD thousand)"),
    "reported_attacks": ("Reported attacks a month", "reported attacks a month"),
}


def _dots_with_intervals(names, values, intervals, colour, symbol, label, fmt) -> go.Scatter:
    """One dot per arm with its interval as an asymmetric horizontal error bar."""
    x = np.asarray(values, float)
    lo = np.array([c[0] for c in intervals])
    hi = np.array([c[1] for c in intervals])
    return go.Scatter(
        x=rounded(x),
        y=names,
        mode="markers",
        marker={"symbol": symbol, "size": 10, "color": PALETTE[colour]},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": rounded(hi - x),
            "arrayminus": rounded(x - lo),
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
    names = [escape(a) for a in arms]
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
        **layout(
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
        subplot_titles=[f"<b>{escape(name)}</b>" for name, _, _ in panels],
    )
    arm_names = list(dict.fromkeys(a for _, _, by_arm in panels for a in by_arm))
    shapes: list[dict] = []
    for r, (_, y_title, by_arm) in enumerate(panels, start=1):
        for i, arm in enumerate(arm_names):
            if arm not in by_arm:
                continue
            mean, low, high = by_arm[arm]
            s = style(i)
            add_band(
                fig,
                months,
                low,
                high,
                mean,
                s,
                alpha=0.10,
                group=escape(arm),
                legend=r == 1,
                mean_trace={
                    "line": {"width": 2, "dash": s["dash"]},
                    "marker": {"symbol": s["symbol"], "size": 7, "maxdisplayed": 10},
                    "name": escape(arm),
                    "hovertemplate": f"{escape(arm)}: %{{y:+,.4~g}}<extra></extra>",
                },
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
        fig.update_yaxes(title_text=escape(y_title), row=r, col=1)
        top = max(
            (abs(v) for by in by_arm.values() for series in by for v in series if v == v),
            default=1.0,
        )
        shapes += add_events(
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
    fig_layout = layout(
        "Policies against the baseline over time: mean paired difference (arm - baseline)",
        f"Bands: 95% interval of the mean paired difference over {replicas:,} replicas. "
        "Click a policy in the legend to hide or show it.",
        130 + 260 * len(panels),
        bottom=60,
    )
    fig_layout["legend"] = side_legend("policy (arm)")
    fig_layout["margin"]["r"] = 230
    fig.update_layout(**fig_layout, shapes=shapes, hovermode="x unified")
    month_axis(fig)
    fig.update_xaxes(title_text="month", row=len(panels), col=1)
    fig.update_annotations(font_size=12, selector={"xref": "paper"})
    return fig


def _arms_table(arms) -> dict:
    return {
        "kind": "table",
        "open": True,
        "summary": "The arms in numbers",
        "columns": ["arm", "P(resurgence)", "95% interval", "difference", "paired 95% interval"],
        "numeric": ["P(resurgence)", "95% interval", "difference", "paired 95% interval"],
        "rows": [
            (
                str(row.arm),
                f"{row.probability:.3f}",
                f"{row.ci_low:.3f} to {row.ci_high:.3f}",
                f"{row.diff:+.3f}",
                f"{row.diff_low:+.3f} to {row.diff_high:+.3f}",
            )
            for row in arms.itertuples()
        ],
    }


def sections(ctx: Context) -> list[Section]:
    arms = ctx.table(store.ARMS)
    traj = ctx.table(store.TRAJECTORIES)
    replicas = int(ctx.manifest.get("replicas") or (arms["replicas"].iloc[0] if len(arms) else 0))
    chart = Chart(
        "chart-compare",
        comparison_chart(
            [str(a) for a in arms["arm"]],
            arms["probability"].tolist(),
            list(zip(arms["ci_low"], arms["ci_high"], strict=True)),
            arms["diff"].tolist(),
            list(zip(arms["diff_low"], arms["diff_high"], strict=True)),
            definition=ctx.definition,
            replicas=replicas,
        ),
        "Left: each arm's probability of resurgence with its Wilson 95% interval. Right: its "
        "difference from the baseline, replica by replica on the same random numbers, with "
        "Newcombe's paired 95% interval; an interval that crosses the dashed line at zero "
        "does not tell the policy from the baseline.",
    )
    months = list(dict.fromkeys(str(m) for m in traj["month"]))
    panels = []
    for variable in dict.fromkeys(traj["variable"]):
        frame = traj[(traj["variable"] == variable) & (traj["arm"] != arms["arm"].iloc[0])]
        by_arm = {}
        for arm, rows in frame.groupby("arm", sort=False):
            rows = rows.set_index("month").reindex(months)
            by_arm[str(arm)] = (
                rows["diff_mean"].tolist(),
                rows["diff_low"].tolist(),
                rows["diff_high"].tolist(),
            )
        name, y_title = TITLES.get(variable, (str(variable), str(variable)))
        panels.append((name, f"difference, {y_title}", by_arm))
    blocks = [
        {
            "kind": "text",
            "text": f"Every arm runs the same {replicas:,} replicas with the same seed; until a "
            f"policy acts, the arms are identical. Resurgence: {ctx.definition}.",
        },
        {"kind": "chart", "chart": chart},
    ]
    if panels and any(by for _, _, by in panels):
        diff_chart = Chart(
            "chart-compare-trajectories",
            difference_panels(panels, months, events=ctx.events, replicas=replicas),
            "Mean over replicas of (arm - baseline), month by month, with the 95% interval of "
            "that mean. Above zero: the policy leaves the group stronger than the baseline.",
        )
        blocks.append({"kind": "chart", "chart": diff_chart})
    blocks.append(_arms_table(arms))
    return [Section("comparison", "Policy comparison", blocks)]


KIND = Kind(
    "policy comparison",
    files=(store.ARMS, store.TRAJECTORIES),
    sections=sections,
    replicas=lambda manifest: f"{manifest.get('replicas', 0):,} per arm",
    timed=True,
)
