"""`resurgence calibrate`: fit a scenario's free parameters to evidence (ABC-SMC).

Thin: parses, calls `resurgence.workflows.calibrate`, writes the posterior file, prints.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.progress import BarColumn, TextColumn
from rich.table import Table

from resurgence.commands.common import console, handles_errors, typed_command
from resurgence.commands.evidence_options import EvidenceFile, print_skipped
from resurgence.commands.options import DaskAddress, ScenarioName, Workers, out_option, seed_option
from resurgence.commands.progress import progress_bar


@handles_errors
def calibrate_command(
    scenario: ScenarioName,
    evidence: EvidenceFile = None,
    until: str = typer.Option(
        ..., "--until", help="Use evidence rows ending at or before this month (YYYY-MM)."
    ),
    out: Path | None = out_option(
        None, help="Posterior file to write (default: posterior-SCENARIO.parquet)."
    ),
    samples: int = typer.Option(
        1000, "--samples", min=50, max=100_000, help="Particles in each population."
    ),
    populations: int = typer.Option(  # calibration.smc.POPULATIONS (not imported: ELFI is slow)
        5, "--populations", min=1, max=30, help="Populations of ABC-SMC (rounds)."
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
    seed: int = seed_option(help="Seed of the calibration."),
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
    from resurgence.workflows.calibrate import calibrate
    from resurgence.workflows.measurement import UnusableEvidence
    from resurgence.workflows.settings import Settings

    columns = [
        TextColumn("population {task.fields[population]}"),
        BarColumn(),
        TextColumn("accepted {task.completed:,.0f}/{task.total:,.0f}"),
        TextColumn("tolerance {task.fields[tolerance]:.3f}"),
        TextColumn("acceptance {task.fields[acceptance]:.1%}"),
        TextColumn("simulations {task.fields[simulations]:,}"),
    ]
    try:
        with progress_bar(columns=columns) as bar:
            task = bar.add_task(
                "calibrate",
                total=samples,
                population=f"1/{populations}",
                tolerance=math.nan,
                acceptance=0.0,
                simulations=0,
            )

            def show(r) -> None:
                bar.update(
                    task,
                    completed=min(r.accepted, samples),
                    population=f"{r.population}/{r.populations}",
                    tolerance=r.tolerance,
                    acceptance=r.acceptance,
                    simulations=r.total_simulations,
                )

            result = calibrate(
                scenario,
                Settings(seed=seed, workers=workers, dask_address=dask),
                until=until,
                evidence=evidence,
                samples=samples,
                populations=populations,
                quantile=quantile,
                batch_size=batch_size,
                on_round=show,
                command=typed_command("calibrate"),
            )
    except UnusableEvidence as exc:
        print_skipped(exc.skipped)
        raise
    result.write(out or Path(f"posterior-{result.manifest['scenario']}.parquet"))
    print_calibration(result)


def print_calibration(result) -> None:
    """What was fitted on what, each population, the posterior against the prior, and
    the evidence against the calibrated model."""
    m = result.manifest
    console.print(
        f"Calibrating {len(m['priors'])} free parameters of {m['scenario']} on "
        f"{len(m['rows'])} rows of {m['evidence']} (to {m['until']}): {m['samples']:,} "
        f"particles x {len(m['populations'])} populations, seed {m['seed']}"
    )
    print_skipped(result.skipped)
    _print_populations(result.populations)
    _print_posterior(result.summary)
    _print_check(result.check)
    console.print(
        f"Calibrated in {result.seconds:.0f} s ({result.populations['simulations'].sum():,} "
        f"simulations); posterior written to {result.out}"
    )


def _print_populations(populations) -> None:
    table = Table(title="ABC-SMC populations", title_justify="left")
    for column in ("population", "tolerance", "simulations", "acceptance"):
        table.add_column(column, justify="right")
    for r in populations.itertuples():
        table.add_row(
            f"{r.population}/{r.populations}",
            f"{r.tolerance:.3f}",
            f"{r.simulations:,}",
            f"{r.acceptance:.1%}",
        )
    console.print(table)


def _print_posterior(summary) -> None:
    table = Table(title="Posterior (weighted) against the prior", title_justify="left")
    for column in ("parameter", "prior", "prior 90%", "posterior median", "posterior 90%"):
        table.add_column(column, justify="right" if column != "parameter" else "left")
    for p in summary.itertuples():
        table.add_row(
            p.parameter,
            f"{p.prior} [{p.prior_low:.4g}, {p.prior_high:.4g}]",
            f"{p.prior_q05:.4g}-{p.prior_q95:.4g}",
            f"{p.q50:.4g}",
            f"{p.q05:.4g}-{p.q95:.4g}",
        )
    console.print(table)


def _print_check(check) -> None:
    """Posterior predictive check: a row the model cannot reproduce shows as NO."""
    table = Table(title="Evidence against the calibrated model (posterior predictive)")
    for column in ("row", "printed", "model median", "model 80%", "printed in 80%"):
        table.add_column(column, justify="right" if column != "row" else "left")
    for r in check.itertuples():
        table.add_row(
            r.row,
            _printed(r.low, r.high),
            f"{r.q50:,.0f}",
            f"{r.q10:,.0f}-{r.q90:,.0f}",
            "yes" if r.inside else "NO",
        )
    console.print(table)


def _printed(low: float, high: float) -> str:
    if low == high:
        return f"{low:,.0f}"
    if not math.isfinite(high):
        return f">= {low:,.0f}"
    if not math.isfinite(low):
        return f"<= {high:,.0f}"
    return f"{low:,.0f}-{high:,.0f}"
