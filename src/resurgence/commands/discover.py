"""`resurgence discover`: scenario discovery with PRIM over the conditions of resurgence."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from resurgence import __version__, store
from resurgence.commands.common import (
    Consecutive,
    DaskAddress,
    DaskLocal,
    From,
    Horizon,
    Measure,
    Regions,
    Threshold,
    Workers,
    console,
    default_out,
    definition_from_options,
    errors,
    handles_errors,
)
from resurgence.errors import ResurgenceError

SAMPLES = "samples.parquet"
BOXES = "boxes.parquet"
TRAJECTORY = "trajectory.parquet"
TRADEOFF_STEPS = 6  # steps of the trade-off curve shown per box


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "-"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _p(q: float) -> str:
    return "-" if np.isnan(q) else f"{q:.2g}"


def _write_parquet(out: Path, name: str, frame: pd.DataFrame) -> None:
    tmp = out / f".{name}.partial"
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, out / name)


@handles_errors
def discover_command(
    scenario: str = typer.Argument(
        ..., help="A builtin scenario name (see `resurgence scenarios`) or a scenario TOML file."
    ),
    samples: int = typer.Option(
        1000,
        "--samples",
        min=10,
        max=1_000_000,
        help="Parameter sets, a Latin hypercube over the conditions' parameters.",
    ),
    replicas: int = typer.Option(
        8, "--replicas", "-n", min=1, max=100_000, help="Replicas per parameter set."
    ),
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
    seed: int = typer.Option(
        20240101,
        "--seed",
        "-s",
        min=0,
        help="Seed of the design and the simulations; the same seed gives the same results.",
    ),
    workers: Workers = os.cpu_count() or 1,
    dask: DaskAddress = None,
    dask_local: DaskLocal = None,
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Output directory (default: runs/SCENARIO-discover-TIMESTAMP).",
    ),
    policy: list[str] = typer.Option(
        [],
        "--policy",
        "-p",
        help="A policy of the scenario, or a policy TOML file, layered on the timeline. "
        "Repeatable.",
    ),
    measure: Measure = None,
    threshold: Threshold = None,
    consecutive: Consecutive = None,
    start: From = None,
    horizon: Horizon = None,
    regions: Regions = None,
) -> None:
    """Scenario discovery: the combinations of conditions in which a resurgence is likely.

    Samples the parameters of the scenario's conditions of resurgence (a Latin hypercube
    over their plausible ranges; the others keep the scenario's values, no posterior),
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
    from resurgence.analysis.batch import months_needed
    from resurgence.analysis.conditions import condition_space
    from resurgence.analysis.discover import discover, empty_boxes, empty_trajectory
    from resurgence.engine.compile import compile_model
    from resurgence.scenario import load_policy, load_scenario

    started = time.perf_counter()
    if not 0 < likely <= 1:
        raise ResurgenceError(f"--likely must be above 0 (and at most 1), not {likely:g}")
    if not 0 < density <= 1:
        raise ResurgenceError(f"--density must be above 0 (and at most 1), not {density:g}")
    spec = load_scenario(scenario)
    layered = [load_policy(p, spec) for p in policy]
    definition = definition_from_options(
        spec, measure, threshold, consecutive, start, horizon, regions
    )
    model = compile_model(spec, layered)
    model = compile_model(spec, layered, n_months=months_needed(model, definition))
    space = condition_space(spec, model)
    out = out or default_out(scenario, "discover")
    store.prepare_run_dir(out)

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("parameter sets"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task("simulating", total=samples)
        result = discover(
            model,
            space,
            definition,
            samples=samples,
            replicas=replicas,
            seed=seed,
            likely=likely,
            density=density,
            max_boxes=boxes,
            workers=workers,
            dask_address=dask,
            dask_local=dask_local,
            progress=lambda n: bar.advance(task, n),
            on_prim=lambda: bar.update(task, description="PRIM (peeling and pasting)"),
        )

    found = result.discovery
    t0 = time.perf_counter()
    _write_parquet(out, SAMPLES, result.samples)
    _write_parquet(out, BOXES, found.boxes if found else empty_boxes())
    _write_parquet(out, TRAJECTORY, found.trajectory if found else empty_trajectory())
    write_s = time.perf_counter() - t0
    outputs = [SAMPLES, BOXES, TRAJECTORY, store.MANIFEST]
    manifest = {
        "kind": "discover",
        "complete": True,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "scenario": model.name,
        "title": model.title,
        "scenario_hash": model.scenario_hash,
        "policies": model.policies,
        "command": "resurgence " + " ".join(sys.argv[1:]),
        "seed": seed,
        "budget": {
            "samples": samples,
            "replicas": replicas,
            "simulations": samples * replicas,
            "months": model.n_months,
        },
        "workers": workers,
        "design": "Latin hypercube, uniform over each parameter's range",
        "parameters": space.to_dict(orient="records"),
        "resurgence": {**definition.as_dict(), "definition_text": definition.describe()},
        "likely": likely,
        "outcome": {
            "likely_sets": result.cases,
            "sets": samples,
            "share": result.cases / samples,
        },
        "prim": {
            "implementation": f"ema_workbench {_ema_version()}",
            "density_threshold": density,
            "max_boxes": boxes,
            "peel_alpha": 0.05,
            "paste_alpha": 0.05,
            "mass_min": 0.05,
            "choice": "highest coverage among the steps with density >= the threshold",
            "ran": found is not None,
        },
        "boxes": _box_records(found),
        "timings": {
            "simulate_s": round(result.simulate_s, 3),
            "prim_s": round(result.prim_s, 3),
            "write_s": round(write_s, 3),
            "total_s": round(time.perf_counter() - started, 3),
        },
        "outputs": outputs,
    }
    store.write_json_atomic(out / store.MANIFEST, manifest)
    _print(result, model, definition, samples, replicas, seed, density, out, outputs)


def _ema_version() -> str:
    try:
        return metadata.version("ema_workbench")
    except metadata.PackageNotFoundError:
        return "unknown"


def _clean(value):
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA:
        return None
    return value


def _box_records(found) -> list[dict]:
    if found is None:
        return []
    records = []
    for stat in found.stats.to_dict(orient="records"):
        rows = found.boxes[found.boxes["box"] == stat["box"]]
        restrictions = [
            {k: _clean(v) for k, v in r.items() if k not in ("box", "coverage", "density", "mass")}
            for r in rows.to_dict(orient="records")
            if not pd.isna(r["parameter"])
        ]
        records.append({**{k: _clean(v) for k, v in stat.items()}, "restrictions": restrictions})
    return records


def _tradeoff_steps(traj: pd.DataFrame) -> list[int]:
    picks = np.linspace(0, len(traj) - 1, min(TRADEOFF_STEPS, len(traj))).round().astype(int)
    chosen = traj.index[traj["chosen"]].tolist()
    return sorted({*picks.tolist(), *chosen})


def _print(result, model, definition, samples, replicas, seed, density, out, outputs) -> None:
    console.print(
        f"[bold]{model.title}[/]  scenario {model.name} ({model.scenario_hash}), "
        f"{samples:,} parameter sets x {replicas} replicas ({samples * replicas:,} simulations, "
        f"{model.n_months} months), seed {seed}"
        + (f", policies: {', '.join(model.policies)}" if model.policies else "")
    )
    console.print(f"Resurgence: {definition.describe()}")
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
        f"written to {out}/ ({', '.join(outputs)})"
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
