"""`resurgence sensitivity`: which condition of resurgence drives the probability most.

Thin: parses, calls `resurgence.workflows.sensitivity`, writes the run directory, prints.
"""

from __future__ import annotations

import math
from pathlib import Path

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
    Report,
    ScenarioName,
    Threshold,
    Workers,
    definition_overrides,
    out_option,
    replicas_option,
    seed_option,
)
from resurgence.commands.progress import staged


@handles_errors
def sensitivity_command(
    scenario: ScenarioName,
    method: str = typer.Option(
        "sobol",
        "--method",
        help="sobol (first- and total-order indices) or morris (elementary effects, a cheaper "
        "screening).",
    ),
    samples: int | None = typer.Option(
        None,
        "--samples",
        "-N",
        help="SALib's N: the most base samples an index gets for sobol (a power of 2; "
        "default 4096), trajectories for morris (default 256).",
        show_default=False,
    ),
    first_samples: int = typer.Option(
        1024,
        "--first-samples",
        help="Sobol: base samples every index starts with (a power of 2); an index still "
        "wider than --half-width gets twice as many, up to --samples.",
    ),
    half_width: float = typer.Option(
        0.05,
        "--half-width",
        help="Sobol: the 95% half-width wanted of every total-order index of the "
        "probability, of conditions and parameters; 0 evaluates all of SALib's design at "
        "--samples, N x (parameters + conditions + 2) sets.",
    ),
    replicas: int = replicas_option(
        16,
        maximum=1_000_000,
        help="Replicas per parameter set (independent; their noise is removed from the "
        "Sobol' indices).",
    ),
    seed: int = seed_option(help="Seed of the design, the bootstrap and the replicas."),
    workers: Workers = DEFAULT_WORKERS,
    dask: DaskAddress = None,
    dask_local: DaskLocal = None,
    posterior: Posterior = None,
    out: Path | None = out_option("sensitivity"),
    measure: Measure = None,
    threshold: Threshold = None,
    consecutive: Consecutive = None,
    start: From = None,
    horizon: Horizon = None,
    regions: Regions = None,
    report: Report = False,
) -> None:
    """Rank the scenario's conditions of resurgence (and their parameters) by how much of
    the variance of the resurgence probability, and of the attacks in the horizon's last
    month, each explains (SALib: Sobol' indices or Morris elementary effects, with 95%
    bootstrap intervals).

    Every parameter of the scenario's [conditions] varies uniformly over its plausible
    range (a regional one as one level in every region, or as a factor on each region's
    value); each replica draws its free parameters from the posterior, as `run` does
    (--posterior none: the scenario's values); each parameter set runs --replicas
    independent replicas. Sobol' indices are those of the probability as a function of the
    parameters, the replicas' noise removed (docs/sensitivity.md); their convergence over
    N/8 ... N base samples goes to the manifest and the report. Writes
    sensitivity.parquet (the indices), samples.parquet (the parameter sets and their
    outputs) and manifest.json to the output directory.

    The defaults (1,024 base samples, up to 4,096 where needed, 16 replicas) estimate the
    flagship's total-order indices that matter to +-0.05 (docs/sensitivity.md).

    Examples:

      resurgence sensitivity isk

      resurgence sensitivity isk --samples 1024 --half-width 0 --seed 7

      resurgence sensitivity isk --method morris --samples 20 --horizon 24 --out runs/isk-sa
    """
    from resurgence.analysis.sensitivity import Precision
    from resurgence.store import hold_run_dir
    from resurgence.workflows.sensitivity import sensitivity
    from resurgence.workflows.settings import Settings

    out = out or default_out(scenario, "sensitivity")
    with hold_run_dir(out):  # from before the work until its report is written
        with staged("parameter sets") as bar:
            settings = Settings(
                replicas=replicas,
                seed=seed,
                definition=definition_overrides(
                    measure, threshold, consecutive, start, horizon, regions
                ),
                workers=workers,
                dask_address=dask,
                dask_local=dask_local,
                posterior=posterior,
                progress=bar.advance,
            )
            result = sensitivity(
                scenario,
                settings,
                method=method,
                samples=samples,
                precision=Precision(first=first_samples, half_width=half_width),
                on_stage=bar.stage,
                command=typed_command("sensitivity"),
            )
        result.write(out)
        print_sensitivity(result)
        if report:
            from resurgence.commands.report import write_and_say

            write_and_say(result.out, scenario=scenario)


def _ci(value: float, half: float) -> str:
    """An index with the half-width of its 95% interval."""
    if not math.isfinite(value):
        return "-"
    digits = 1 if abs(value) >= 10 else 3
    return f"{value:.{digits}f} ± {half:.{digits}f}"


def print_sensitivity(result) -> None:
    """The design, then conditions and parameters ranked by their indices."""
    m = result.manifest
    n = f"N={m['samples']}"
    precision = m.get("precision")
    if precision and precision["first_samples"] < m["samples"]:
        n = (
            f"N={precision['first_samples']} (up to {m['samples']} for an index wider than "
            f"±{precision['half_width']})"
        )
    console.print(
        f"[bold]{m['title']}[/]  {result.method} sensitivity of {len(m['bounds'])} parameters "
        f"in {len(m['conditions'])} conditions: {n}, {m['parameter_sets']:,} "
        f"parameter sets x {m['replicas']:,} replicas x {m['months']} months, seed {m['seed']}"
    )
    console.print(f"Resurgence: {result.definition.describe()}")
    for output, share in m.get("noise_share", {}).items():
        console.print(
            f"Replica noise: {share:.0%} of the variance of {output} over the base samples, "
            "removed from its Sobol' indices"
        )
    _print_tables(result.indices, result.method, m["constant_outputs"])
    for output in m.get("noise_only_outputs", []):
        console.print(
            f"[yellow]note:[/] {output} varied over the parameter sets no more than the "
            "replicas' noise; its Sobol' indices are empty (more --replicas or --first-samples)"
        )
    for stage in m.get("stages") or []:
        if stage["refined"]:
            console.print(
                f"Refined to N={stage['samples']:,} ({stage['sets']:,} sets): "
                + ", ".join(stage["refined"])
            )
    console.print(
        f"Evaluated {m['parameter_sets']:,} sets in {m['timings']['evaluate_s']:.1f} s; "
        f"written to {result.out}/ ({', '.join(m['outputs'])})"
    )


def _print_tables(frame, method: str, constant_outputs: list[str]) -> None:
    prob = frame[frame["output"] == "probability"]
    attacks = frame[frame["output"] == "attacks"]
    for output in constant_outputs:
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
    for level in ("condition", "parameter"):
        rows = prob[prob["level"] == level].sort_values(key, ascending=False, na_position="last")
        other = attacks[attacks["level"] == level].set_index("name")
        title = (
            f"{level.capitalize()}s ranked by {what} of the resurgence probability "
            "(± half-width of the 95% interval)"
        )
        table = Table(title=title, title_justify="left")
        table.add_column("rank", justify="right")
        table.add_column(level, no_wrap=True)
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
                cells.append("-" if math.isnan(row.sigma) else f"{row.sigma:.3f}")
            a = other.loc[row.name]
            cells.append(_ci(a[cols[0][0]], a[cols[0][1]]))
            table.add_row(*cells)
        console.print(table)
