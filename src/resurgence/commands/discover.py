"""`resurgence discover`: scenario discovery with PRIM over the conditions of resurgence.

Thin: parses, calls `resurgence.workflows.discover`, writes the run directory, prints.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from resurgence.commands.common import console, default_out, handles_errors, typed_command
from resurgence.commands.options import (
    DEFAULT_WORKERS,
    Consecutive,
    DaskAddress,
    DaskLocal,
    From,
    Horizon,
    Measure,
    Posterior,
    Regions,
    ScenarioName,
    Threshold,
    Workers,
    definition_overrides,
    out_option,
    policy_option,
    replicas_option,
    seed_option,
)
from resurgence.commands.progress import staged

if TYPE_CHECKING:
    import pandas as pd

TRADEOFF_STEPS = 6  # steps of the trade-off curve shown per box


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _p(q: float) -> str:
    return "-" if math.isnan(q) else f"{q:.2g}"


@handles_errors
def discover_command(
    scenario: ScenarioName,
    samples: int = typer.Option(
        1000,
        "--samples",
        min=10,
        max=1_000_000,
        help="Parameter sets, a Latin hypercube over the conditions' parameters.",
    ),
    replicas: int = replicas_option(8, maximum=100_000, help="Replicas per parameter set."),
    likely: float = typer.Option(
        0.5,
        "--likely",
        min=0.0,
        max=1.0,
        help="A set counts as a likely resurgence when its resurgence probability is at "
        "least this.",
    ),
    density: float = typer.Option(
        0.8,
        "--density",
        min=0.0,
        max=1.0,
        help="PRIM's density threshold: the share of likely resurgences a box must reach.",
    ),
    boxes: int = typer.Option(
        1,
        "--boxes",
        min=1,
        max=20,
        help="Most boxes to look for (each further box among the sets outside the previous).",
    ),
    seed: int = seed_option(
        help="Seed of the design and the simulations; the same seed gives the same results."
    ),
    workers: Workers = DEFAULT_WORKERS,
    dask: DaskAddress = None,
    dask_local: DaskLocal = None,
    posterior: Posterior = None,
    out: Path | None = out_option("discover"),
    policy: list[str] = policy_option(),
    measure: Measure = None,
    threshold: Threshold = None,
    consecutive: Consecutive = None,
    start: From = None,
    horizon: Horizon = None,
    regions: Regions = None,
) -> None:
    """Scenario discovery: the combinations of conditions in which a resurgence is likely.

    Samples the parameters of the scenario's conditions of resurgence (a Latin hypercube
    over their plausible ranges; replica i of every set draws the same free parameters from
    the posterior, as `run` does, or with --posterior none keeps the scenario's values),
    runs a few replicas of each set on common random
    numbers, marks the sets whose resurgence probability is at least --likely, and runs
    PRIM (the EMA Workbench's) to find boxes of parameter limits where such sets are
    dense. Prints each box (its limits, the condition of each parameter, coverage and
    density) and the trade-off between coverage and density along PRIM's peeling.

    Writes samples.parquet (sets and outcomes), boxes.parquet, trajectory.parquet and
    manifest.json (last) to the output directory.

    Examples:

      resurgence discover isk

      resurgence discover isk --samples 2000 --replicas 16 --likely 0.3

      resurgence discover isk --density 0.7 --boxes 1 --out runs/discovery

      resurgence discover isk --threshold 25 --horizon 24 --policy reconciliation_deals
    """
    from resurgence.store import hold_run_dir
    from resurgence.workflows.discover import discover
    from resurgence.workflows.settings import Settings

    out = out or default_out(scenario, "discover")
    with hold_run_dir(out):  # from before the work, so a directory in use stops at once
        with staged("parameter sets") as bar:
            settings = Settings(
                replicas=replicas,
                seed=seed,
                policies=tuple(policy),
                definition=definition_overrides(
                    measure, threshold, consecutive, start, horizon, regions
                ),
                workers=workers,
                dask_address=dask,
                dask_local=dask_local,
                posterior=posterior,
                progress=bar.advance,
            )
            result = discover(
                scenario,
                settings,
                samples=samples,
                likely=likely,
                density=density,
                boxes=boxes,
                on_stage=bar.stage,
                command=typed_command("discover"),
            )
        result.write(out)
        print_discover(result)


def _tradeoff_steps(traj: pd.DataFrame) -> list[int]:
    import numpy as np

    picks = np.linspace(0, len(traj) - 1, min(TRADEOFF_STEPS, len(traj))).round().astype(int)
    chosen = traj.index[traj["chosen"]].tolist()
    return sorted({*picks.tolist(), *chosen})


def print_discover(discovery) -> None:
    """The budget, the share of likely resurgences, each box and PRIM's trade-off."""
    m, result = discovery.manifest, discovery.analysis
    samples, replicas = m["budget"]["samples"], m["budget"]["replicas"]
    console.print(
        f"[bold]{m['title']}[/]  scenario {m['scenario']} ({m['scenario_hash']}), "
        f"{samples:,} parameter sets x {replicas} replicas ({samples * replicas:,} simulations, "
        f"{m['budget']['months']} months), seed {m['seed']}"
        + (f", policies: {', '.join(m['policies'])}" if m["policies"] else "")
    )
    console.print(f"Resurgence: {discovery.definition.describe()}")
    console.print(
        f"Likely resurgence: probability at least {result.likely:g} in "
        f"[bold]{result.cases:,} of {samples:,}[/] sets ({result.cases / samples:.1%}); "
        f"{len(result.space)} parameters in {result.space['condition'].nunique()} conditions"
    )
    found = result.discovery
    if found is None:
        what = "No" if result.cases == 0 else "Every"
        console.print(
            f"[yellow]{what} parameter set is a likely resurgence[/]: PRIM has nothing to "
            "separate, so there is no box. "
            + (
                "Lower --likely or the resurgence --threshold, or widen the --horizon."
                if result.cases == 0
                else "Raise --likely or the resurgence --threshold."
            )
        )
    else:
        _print_boxes(found, len(result.space))
    console.print(
        f"Simulated in {result.simulate_s:.1f} s, PRIM in {result.prim_s:.1f} s; "
        f"written to {discovery.out}/ ({', '.join(m['outputs'])})"
    )


def _print_boxes(found, n_parameters: int) -> None:
    if found.stats.empty:
        best = found.trajectory.loc[found.trajectory["density"].idxmax()]
        console.print(
            f"[yellow]No box reaches density {found.density:g}[/]: the densest step of PRIM's "
            f"trajectory has density {best['density']:.2f} (coverage {best['coverage']:.2f}, "
            f"mass {best['mass']:.2f}). Lower --density, or raise --samples or --replicas."
        )
        _print_tradeoff(found.trajectory[found.trajectory["box"] == 1], 1)
        return
    tables = 0
    for stat in found.stats.itertuples(index=False):
        rows = found.boxes[found.boxes["box"] == stat.box]
        console.print(
            f"[bold]Box {stat.box}[/]: coverage [bold]{stat.coverage:.2f}[/], density "
            f"[bold]{stat.density:.2f}[/], mass {stat.mass:.2f} ({stat.cases} of the {stat.n} "
            f"sets in it are likely resurgences, of {found.cases} in all)"
        )
        if rows["parameter"].isna().all():
            console.print("  no restriction: resurgence is likely across the whole space left")
            continue
        conditions = list(dict.fromkeys(c for c in rows["condition"] if isinstance(c, str)))
        console.print(
            f"  restricts {len(rows)} of the {n_parameters} parameters, in "
            f"{len(conditions)} condition{'s' if len(conditions) != 1 else ''}: "
            + ", ".join(conditions)
        )
        table = Table()
        for col in ("parameter", "condition", "low", "high", "of range", "quasi-p low / high"):
            table.add_column(col, justify="left" if col in ("parameter", "condition") else "right")
        for r in rows.itertuples(index=False):
            table.add_row(
                r.parameter,
                r.condition if isinstance(r.condition, str) else "-",
                _num(r.low) if r.low_restricted else "-",
                _num(r.high) if r.high_restricted else "-",
                f"[{_num(r.range_low)}, {_num(r.range_high)}]",
                f"{_p(r.qp_low)} / {_p(r.qp_high)}",
            )
        console.print(table, highlight=False)
        tables += 1
    if tables:
        console.print(
            "  (- : not restricted on that side. A quasi-p-value above 0.05 marks a restriction "
            "that may be chance.)"
        )
    for number in found.stats["box"]:
        _print_tradeoff(found.trajectory[found.trajectory["box"] == number], number)


def _print_tradeoff(traj: pd.DataFrame, number: int) -> None:
    traj = traj.reset_index(drop=True)
    table = Table(
        title=f"Trade-off along PRIM's trajectory, box {number} ({len(traj)} steps)",
        title_justify="left",
    )
    for col in ("step", "phase", "coverage", "density", "mass", "restricted", "box"):
        table.add_column(col, justify="left" if col in ("phase", "box") else "right")
    for i in _tradeoff_steps(traj):
        r = traj.loc[i]
        table.add_row(
            str(int(r["step"])),
            str(r["phase"]),
            f"{r['coverage']:.2f}",
            f"{r['density']:.2f}",
            f"{r['mass']:.2f}",
            str(int(r["restricted"])),
            "chosen" if r["chosen"] else "",
        )
    console.print(table)
