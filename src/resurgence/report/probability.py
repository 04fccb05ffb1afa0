"""The probability of resurgence of a run against the horizon, with a Wilson 95% band."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from resurgence.analysis.resurgence import wilson_interval
from resurgence.months import month_range
from resurgence.report.context import Context
from resurgence.report.section import Chart, Section
from resurgence.report.style import add_band, layout, style


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
    x = list(horizon_months)
    add_band(
        fig,
        x,
        low,
        high,
        probability,
        style(1),
        alpha=0.22,
        name="95% Wilson interval (Monte-Carlo error)",
        edges=("95% interval low", "95% interval high"),
        value="%{y:.3f}",
        customdata=[[m] for m in calendar],
        mean_trace={
            "marker": {"symbol": "circle", "size": 5},
            "name": "P(resurgence within the horizon)",
            "hovertemplate": "<b>P(resurgence by %{customdata[0]}): %{y:.3f}</b><extra></extra>",
        },
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
        **layout(
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


def probability_section(ctx: Context) -> Section | None:
    """The run's probability of resurgence (from its manifest), or None for a run that
    records none."""
    manifest = ctx.manifest
    r = manifest.get("resurgence") or {}
    curve = manifest.get("resurgence_by_horizon")
    if "probability" not in r or not curve:
        return None
    n = int(r.get("replicas") or manifest.get("replicas") or 0)
    definition = r.get("definition") or {}
    start = definition.get("start") or manifest.get("start")
    bounds = [wilson_interval(round(p * n), n) for p in curve]
    calendar = month_range(start, len(curve)) if start else [""] * len(curve)
    p, lo, hi = float(r["probability"]), float(r["ci_low"]), float(r["ci_high"])
    chart = Chart(
        "chart-probability",
        probability_chart(
            list(range(1, len(curve) + 1)),
            curve,
            [b[0] for b in bounds],
            [b[1] for b in bounds],
            calendar=calendar,
            final=(p, lo, hi),
            definition=ctx.definition,
            replicas=n,
        ),
        "Cumulative: the share of replicas in which a resurgence has completed by each month "
        "of the horizon. The band is the Wilson 95% interval of that share (Monte-Carlo "
        "error of a finite number of replicas), month by month.",
    )
    blocks = [
        {
            "kind": "callout",
            "big": f"P(resurgence) = {p:.3f}  (95% interval {lo:.3f} to {hi:.3f})",
            "text": f"{r.get('hits', round(p * n)):,} of {n:,} replicas. Resurgence: "
            f"{ctx.definition}.",
        },
        {"kind": "chart", "chart": chart},
    ]
    covered = r.get("months_covered")
    if covered is not None and covered < definition.get("horizon", covered):
        blocks.append(
            {
                "kind": "text",
                "text": f"The run ends {covered} months into the {definition['horizon']}-month "
                "horizon; the probability covers those months only.",
            }
        )
    return Section("resurgence", "Probability of resurgence", blocks)
