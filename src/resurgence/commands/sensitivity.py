"""`resurgence sensitivity`: which condition of resurgence drives the probability most.

Thin: parses, calls `resurgence.analysis.sensitivity`, writes the files, prints.
"""

from __future__ import annotations

import math
import os
import sys
import time
from datetime import UTC, datetime
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

SENSITIVITY = "sensitivity.parquet"
SAMPLES = "samples.parquet"


@handles_errors
def sensitivity_command(
    scenario: str = typer.Argument(
        ..., help="A builtin scenario name (see `resurgence scenarios`) or a scenario TOML file."
    ),
    method: str = typer.Option(
        "sobol",
        "--method",
        help="sobol (first- and total-order indices) or morris (elementary effects, a cheaper "
        "screening).",
    ),
    samples: int = typer.Option(
        256,
        "--samples",
        "-N",
        help="SALib's N: base samples for sobol (a power of 2), trajectories for morris. "
        "Sobol evaluates N x (parameters + conditions + 2) parameter sets.",
    ),
    replicas: int = typer.Option(
        256, "--replicas", "-n", min=1, max=1_000_000, help="Replicas per parameter set."
    ),
    seed: int = typer.Option(
        20240101,
        "--seed",
        "-s",
        min=0,
        help="Seed of the design, the bootstrap and the common random numbers.",
    ),
    workers: Workers = os.cpu_count() or 1,
    dask: DaskAddress = None,
    dask_local: DaskLocal = None,
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Output directory (default: runs/SCENARIO-sensitivity-TIMESTAMP).",
    ),
    measure: Measure = None,
    threshold: Threshold = None,
    consecutive: Consecutive = None,
    start: From = None,
    horizon: Horizon = None,
    regions: Regions = None,
    report: bool = typer.Option(
        False, "--report", help="Also write report.html (a self-contained HTML report) to --out."
    ),
) -> None:
    """Rank the scenario's conditions of resurgence (and their parameters) by how much of
    the variance of the resurgence probability, and of the attacks in the horizon's last
    month, each explains (SALib: Sobol' indices or Morris elementary effects, with 95%
    bootstrap intervals).

    Every parameter of the scenario's [conditions] varies uniformly over its plausible
    range (a regional one as one level in every region, or as a factor on each region's
    value), the others keep the scenario's values (no posterior: the design explores the
    ranges); each parameter set runs --replicas replicas on common random numbers. Writes
    sensitivity.parquet (the indices), samples.parquet (the parameter sets and their
    outputs) and manifest.json to the output directory.

    Examples:

      resurgence sensitivity isk

      resurgence sensitivity isk --method sobol --samples 1024 --replicas 256 --seed 7

      resurgence sensitivity isk --method morris --samples 20 --horizon 24 --out runs/isk-sa
    """
    from resurgence.analysis import sensitivity as sa
    from resurgence.analysis.batch import months_needed
    from resurgence.engine.compile import compile_model
    from resurgence.scenario import load_scenario

    started = time.perf_counter()
    sa.check_samples(method, samples)
    spec = load_scenario(scenario)
    definition = definition_from_options(
        spec, measure, threshold, consecutive, start, horizon, regions
    )
    model = compile_model(spec)
    model = compile_model(spec, n_months=months_needed(model, definition))
    problem = sa.problem_from_scenario(spec, model)
    out = out or default_out(scenario, "sensitivity")
    store.prepare_run_dir(out)

    design = sa.sample(problem, method, samples, seed)
    n_sets = design.n_sets
    console.print(
        f"[bold]{model.title}[/]  {method} sensitivity of {len(problem.names)} parameters in "
        f"{len(problem.condition_names)} conditions: N={samples}, {n_sets:,} parameter sets "
        f"x {replicas:,} replicas x {model.n_months} months, seed {seed}"
    )
    console.print(f"Resurgence: {definition.describe()}")
    with Progress(
        TextColumn("[bold]evaluating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("parameter sets"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task("sets", total=n_sets)
        evaluate = sa.engine_evaluator(
            model,
            problem,
            replicas=replicas,
            seed=seed,
            definition=definition,
            workers=workers,
            dask_address=dask,
            dask_local=dask_local,
            progress=lambda n: bar.advance(task, n),
        )
        analysis = sa.run_sensitivity(problem, method, samples, evaluate, seed=seed, design=design)

    t0 = time.perf_counter()
    _write_parquet(out / SENSITIVITY, analysis.indices)
    _write_parquet(out / SAMPLES, analysis.samples())
    write_s = time.perf_counter() - t0
    created = datetime.now(UTC).isoformat(timespec="seconds")
    timings = {k: round(v, 3) for k, v in analysis.timings.items()}
    timings["write_s"] = round(write_s, 3)
    timings["total_s"] = round(time.perf_counter() - started, 3)
    manifest = {
        "kind": "sensitivity",
        "complete": True,
        "created": created,
        "version": __version__,
        "command": "resurgence " + " ".join(sys.argv[1:]),
        "scenario": model.name,
        "title": model.title,
        "scenario_hash": model.scenario_hash,
        "method": method,
        "samples": samples,
        "replicas": replicas,
        "seed": seed,
        "workers": workers,
        "months": model.n_months,
        "start": model.start,
        "end": model.months[-1],
        "parameter_sets": analysis.design.n_sets,
        "design_rows": analysis.design.n_rows,
        "replica_months": analysis.design.n_sets * replicas * model.n_months,
        "resurgence": definition.as_dict() | {"text": definition.describe()},
        "conditions": {
            name: [p for p, c in zip(problem.names, problem.conditions, strict=True) if c == name]
            for name in problem.condition_names
        },
        "bounds": {name: list(b) for name, b in zip(problem.names, problem.bounds, strict=True)},
        "how": problem.how_of,
        "outputs_analysed": sa.OUTPUTS,
        "constant_outputs": analysis.constant_outputs(),
        "confidence": sa.CONFIDENCE,
        "timings": timings,
        "outputs": [SENSITIVITY, SAMPLES, store.MANIFEST],
    }
    store.write_json_atomic(out / store.MANIFEST, manifest)
    _print_tables(analysis, method)
    console.print(
        f"Evaluated {analysis.design.n_sets:,} sets in {timings['evaluate_s']:.1f} s; "
        f"written to {out}/ ({SENSITIVITY}, {SAMPLES}, {store.MANIFEST})"
    )
    if report:
        from resurgence.commands.report import write_and_say

        write_and_say(out, scenario=scenario)


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _ci(value: float, half: float) -> str:
    """An index with the half-width of its 95% interval."""
    if not math.isfinite(value):
        return "-"
    digits = 1 if abs(value) >= 10 else 3
    return f"{value:.{digits}f} ± {half:.{digits}f}"


def _print_tables(analysis, method: str) -> None:
    frame = analysis.indices
    prob = frame[frame["output"] == "probability"]
    attacks = frame[frame["output"] == "attacks"]
    for output in analysis.constant_outputs():
        console.print(
            f"[yellow]note:[/] {output} took the same value in every parameter set; it has "
            "no variance to apportion (more replicas, or another resurgence definition)"
        )
    if method == "sobol":
        key, cols = "ST", [("ST", "ST_conf"), ("S1", "S1_conf")]
        heads = ["total order ST", "first order S1"]
        what = "total-order index (ST)"
    else:
        key, cols = "mu_star", [("mu_star", "mu_star_conf")]
        heads = ["mu*"]
        what = "mean absolute elementary effect (mu*)"
    for level, label in (("condition", "condition"), ("parameter", "parameter")):
        rows = prob[prob["level"] == level].sort_values(key, ascending=False, na_position="last")
        other = attacks[attacks["level"] == level].set_index("name")
        title = (
            f"{label.capitalize()}s ranked by {what} of the resurgence probability "
            "(± half-width of the 95% interval)"
        )
        table = Table(title=title, title_justify="left")
        table.add_column("rank", justify="right")
        table.add_column(label, no_wrap=True)
        if level == "parameter":
            table.add_column("condition", no_wrap=True)
        for head in heads:
            table.add_column(f"probability: {head}", justify="right")
        if method == "morris":
            table.add_column("probability: sigma", justify="right")
        table.add_column(f"attacks: {heads[0]}", justify="right")
        for rank, row in enumerate(rows.itertuples(), start=1):
            cells = [str(rank), row.name]
            if level == "parameter":
                cells.append(row.condition)
            cells += [_ci(getattr(row, v), getattr(row, c)) for v, c in cols]
            if method == "morris":
                cells.append("-" if np.isnan(row.sigma) else f"{row.sigma:.3f}")
            a = other.loc[row.name]
            cells.append(_ci(a[cols[0][0]], a[cols[0][1]]))
            table.add_row(*cells)
        console.print(table)
