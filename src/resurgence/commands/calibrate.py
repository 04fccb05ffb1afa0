"""`resurgence calibrate`: fit a scenario's free parameters to evidence (ABC-SMC)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from resurgence import posterior as posteriors
from resurgence.calibration.free import free_parameters
from resurgence.calibration.simulator import simulate_rows
from resurgence.calibration.smc import Round, calibrate
from resurgence.commands.common import DaskAddress, Workers, console, errors, handles_errors
from resurgence.commands.evidence_options import (
    EvidenceFile,
    check_month,
    evidence_path,
    print_skipped,
)
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.engine.run import posterior_draws
from resurgence.errors import ResurgenceError
from resurgence.evidence.load import read_evidence, resolve
from resurgence.scenario import load_scenario


@handles_errors
def calibrate_command(
    scenario: str = typer.Argument(..., help="A builtin scenario name or a scenario file."),
    evidence: EvidenceFile = None,
    until: str = typer.Option(
        ..., "--until", help="Use evidence rows ending at or before this month (YYYY-MM)."
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Posterior file to write (default: posterior-SCENARIO.parquet)."
    ),
    samples: int = typer.Option(
        1000, "--samples", min=50, max=100_000, help="Particles in each population."
    ),
    populations: int = typer.Option(
        6, "--populations", min=1, max=30, help="Populations of ABC-SMC (rounds)."
    ),
    quantile: float = typer.Option(
        0.5,
        "--quantile",
        min=0.05,
        max=0.95,
        help="Each population's tolerance: this quantile of the previous one's distances.",
    ),
    batch_size: int = typer.Option(
        1000, "--batch-size", min=10, max=100_000, help="Parameter sets per simulator call."
    ),
    seed: int = typer.Option(20240101, "--seed", "-s", min=0, help="Seed of the calibration."),
    workers: Workers = 1,
    dask: DaskAddress = None,
) -> None:
    """Fit the scenario's free parameters (those with a prior) to evidence by ABC-SMC.

    The distance compares each evidence row with the model's figure for the same measure,
    period and area (see docs/calibration.md). Writes the posterior (weighted draws) to
    --out; `run`, `forecast`, `backtest` and `nowcast` take it with --posterior.

    Examples:

      resurgence calibrate isk --until 2022-12

      resurgence calibrate isk --evidence my_evidence.csv --until 2022-06 --samples 2000 -w 2

      resurgence calibrate isk --until 2022-12 --dask tcp://scheduler:8786

      resurgence calibrate my.toml --evidence ged_monthly.csv --until 2023-12 -o post.parquet
    """
    check_month("--until", until)
    spec = load_scenario(scenario)
    free = free_parameters(spec)
    path = evidence_path(scenario, evidence)
    table = read_evidence(path)
    resolved = resolve(table, spec, compile_model(spec), until=until)
    if not resolved.rows:
        print_skipped(resolved.skipped)
        raise ResurgenceError(f"{path}: no evidence row the model can use up to {until}")
    model = compile_model(spec, n_months=resolved.last_month + 1)
    out = out or Path(f"posterior-{model.name}.parquet")

    console.print(
        f"Calibrating {len(free)} free parameters of {model.name} on {len(resolved.rows)} rows "
        f"of {path} (to {until}): {samples:,} particles x {populations} populations, seed {seed}"
    )
    print_skipped(resolved.skipped)
    started = time.perf_counter()
    with Progress(
        TextColumn("population {task.fields[population]}"),
        BarColumn(),
        TextColumn("accepted {task.completed:,.0f}/{task.total:,.0f}"),
        TextColumn("tolerance {task.fields[tolerance]:.3f}"),
        TextColumn("acceptance {task.fields[acceptance]:.1%}"),
        TextColumn("simulations {task.fields[simulations]:,}"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task(
            "calibrate",
            total=samples,
            population=f"1/{populations}",
            tolerance=float("nan"),
            acceptance=0.0,
            simulations=0,
        )

        def show(r: Round) -> None:
            bar.update(
                task,
                completed=min(r.accepted, samples),
                population=f"{r.population}/{r.populations}",
                tolerance=r.tolerance,
                acceptance=r.acceptance,
                simulations=r.total_simulations,
            )

        posterior, records = calibrate(
            model,
            resolved.rows,
            free,
            samples=samples,
            populations=populations,
            quantile=quantile,
            batch_size=batch_size,
            seed=seed,
            workers=workers,
            dask_address=dask,
            progress=show,
        )
    seconds = time.perf_counter() - started
    posterior.meta.update(
        scenario=model.name,
        scenario_hash=compile_model(spec).scenario_hash,
        evidence=str(path),
        until=until,
        seconds=round(seconds, 1),
        command="resurgence " + " ".join(sys.argv[1:]),
    )
    posterior = posteriors.Posterior(
        posterior.names, posterior.values, posterior.weights, posterior.meta, str(out)
    )
    posteriors.save(posterior, out)
    _print_populations(records)
    _print_posterior(posterior, free)
    _print_check(model, resolved.rows, posterior, seed)
    console.print(
        f"Calibrated in {seconds:.0f} s ({sum(r.simulations for r in records):,} simulations); "
        f"posterior written to {out}"
    )


def _print_populations(records: list[Round]) -> None:
    table = Table(title="ABC-SMC populations", title_justify="left")
    for column in ("population", "tolerance", "simulations", "acceptance"):
        table.add_column(column, justify="right")
    for r in records:
        table.add_row(
            f"{r.population}/{r.populations}",
            f"{r.tolerance:.3f}",
            f"{r.simulations:,}",
            f"{r.acceptance:.1%}",
        )
    console.print(table)


def _print_posterior(posterior, free) -> None:
    table = Table(title="Posterior (weighted) against the prior", title_justify="left")
    for column in ("parameter", "prior", "prior 90%", "posterior median", "posterior 90%"):
        table.add_column(column, justify="right" if column != "parameter" else "left")
    described = posterior.describe().set_index("parameter")
    for p in free:
        lo, hi = p.interval(0.9)
        d = described.loc[p.name]
        table.add_row(
            p.name,
            f"{p.dist} [{p.low:.4g}, {p.high:.4g}]",
            f"{lo:.4g}-{hi:.4g}",
            f"{d['q50']:.4g}",
            f"{d['q05']:.4g}-{d['q95']:.4g}",
        )
    console.print(table)


def _print_check(model, rows, posterior, seed: int, n: int = 1000) -> None:
    """Posterior predictive check: each row's printed figure against the model's figures
    under the posterior, so a row the model cannot reproduce is visible."""
    draws = posterior_draws(with_posterior(model, posterior), n, seed, 0)  # as `run` draws
    values = simulate_rows(model, rows, draws, seed)
    table = Table(title="Evidence against the calibrated model (posterior predictive)")
    for column in ("row", "printed", "model median", "model 80%", "printed in 80%"):
        table.add_column(column, justify="right" if column != "row" else "left")
    for r, row in enumerate(rows):
        q10, q50, q90 = np.quantile(values[:, r], [0.1, 0.5, 0.9])
        printed = _printed(row.low, row.high)
        inside = q10 <= row.high and q90 >= row.low
        table.add_row(
            row.label, printed, f"{q50:,.0f}", f"{q10:,.0f}-{q90:,.0f}", "yes" if inside else "NO"
        )
    console.print(table)


def _printed(low: float, high: float) -> str:
    if low == high:
        return f"{low:,.0f}"
    if not np.isfinite(high):
        return f">= {low:,.0f}"
    if not np.isfinite(low):
        return f"<= {high:,.0f}"
    return f"{low:,.0f}-{high:,.0f}"
