"""`resurgence run`: a scenario's replicas, its resurgence probability and a summary.

Thin: parses, calls `resurgence.workflows.run`, prints.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from resurgence.commands.common import (
    console,
    default_out,
    figure,
    handles_errors,
    typed_command,
)
from resurgence.commands.evidence_options import say_parameters
from resurgence.commands.options import (
    DEFAULT_WORKERS,
    ChunkSize,
    Consecutive,
    DaskAddress,
    DaskLocal,
    From,
    Horizon,
    Measure,
    Months,
    Posterior,
    Regions,
    Report,
    ScenarioName,
    Threshold,
    Workers,
    definition_overrides,
    out_option,
    policy_option,
    replicas_option,
    seed_option,
)
from resurgence.commands.progress import advancing
from resurgence.errors import ResurgenceError


@handles_errors
def run_command(
    scenario: ScenarioName,
    replicas: int = replicas_option(1000),
    months: Months = None,
    seed: int = seed_option(),
    workers: Workers = DEFAULT_WORKERS,
    out: Path | None = out_option(),
    policy: list[str] = policy_option(),
    chunk_size: ChunkSize = 1000,
    measure: Measure = None,
    threshold: Threshold = None,
    consecutive: Consecutive = None,
    start: From = None,
    horizon: Horizon = None,
    regions: Regions = None,
    catalog: Path | None = typer.Option(
        None, help="DuckDB run catalog (default: RESURGENCE_CATALOG or the user data directory)."
    ),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Continue an interrupted run in --out from its completed chunks (same settings).",
    ),
    report: Report = False,
    dask: DaskAddress = None,
    dask_local: DaskLocal = None,
    posterior: Posterior = None,
    condition: list[str] = typer.Option(
        [],
        "--condition",
        "-c",
        help="A condition of resurgence turned to a level: NAME=LEVEL, LEVEL from -1 (against "
        "the group) through 0 (the scenario's values) to 1 (in its favour). Repeatable.",
    ),
) -> None:
    """Run a scenario's replicas and print the resurgence probability and a summary.

    A builtin scenario that ships a calibrated posterior (isk does) runs with it: each
    replica draws its free parameters from the posterior (say --posterior none to use the
    scenario's values); the output says which.

    Writes ensemble.zarr, summary.parquet and manifest.json to the output directory and
    registers the run in the catalog.

    Examples:

      resurgence run isk

      resurgence run isk --replicas 10000 --months 60 --seed 7 --out runs/isk

      resurgence run isk --policy reconciliation_deals --threshold 20 --horizon 24

      resurgence run isk --policy reconciliation_deals@2025-01 --condition host_unity=-0.5

      resurgence run isk --replicas 100000 --out runs/big --resume

      resurgence run isk --replicas 1000000 --dask tcp://scheduler:8786 --out /shared/runs/big
    """
    from resurgence.commands.report import write_and_say
    from resurgence.store import hold_run_dir
    from resurgence.workflows.run import run

    if out is None:
        if resume:
            raise ResurgenceError("--resume needs --out: the directory of the interrupted run")
        out = default_out(scenario)
    with hold_run_dir(out):  # from before the work until its report is written
        with advancing("simulating", replicas, "replicas") as advance:
            result = run(
                scenario,
                replicas=replicas,
                seed=seed,
                out=out,
                months=months,
                policies=list(policy),
                workers=workers,
                chunk_size=chunk_size,
                catalog=catalog,
                definition=definition_overrides(
                    measure, threshold, consecutive, start, horizon, regions
                ),
                progress=advance,
                command=typed_command("run"),
                resume=resume,
                dask_address=dask,
                dask_local=dask_local,
                posterior=posterior,
                conditions=condition_levels(condition),
            )
        print_run(result)
        if report:
            write_and_say(out, scenario=scenario)


def condition_levels(given: list[str]) -> dict[str, float]:
    """--condition NAME=LEVEL options as {NAME: LEVEL}; the workflow checks names and range."""
    levels = {}
    for text in given:
        name, sep, level = text.partition("=")
        try:
            value = float(level)
        except ValueError:
            value = None
        if not sep or value is None:
            raise ResurgenceError(
                f"--condition {text!r}: expected NAME=LEVEL with LEVEL a number from -1 to 1 "
                "(e.g. --condition host_unity=-0.5)"
            )
        levels[name.strip()] = value
    return levels


def print_run(result) -> None:
    """The probability of resurgence, then members, cash and attacks at selected months."""
    from resurgence import observe

    m, p = result.manifest, result.probability
    console.print(
        f"[bold]{m['title']}[/]  scenario {m['scenario']} ({m['scenario_hash']}), "
        f"{m['replicas']:,} replicas x {m['months']} months, seed {m['seed']}"
        + (f", policies: {', '.join(m['policies'])}" if m["policies"] else "")
        + (
            ", conditions: " + ", ".join(f"{k} {v:+g}" for k, v in m["conditions"].items())
            if m.get("conditions")
            else ""
        )
    )
    say_parameters(m["parameters"])
    console.print(f"Resurgence: {p.definition.describe()}")
    console.print(
        f"  probability [bold]{p.estimate:.3f}[/]  95% CI [{p.low:.3f}, {p.high:.3f}]  "
        f"({p.hits:,} of {p.replicas:,} replicas)"
    )
    if p.months_covered < p.definition.horizon:
        console.print(
            f"  [yellow]note:[/] the run ends {p.months_covered} months into the "
            f"{p.definition.horizon}-month horizon; the probability covers those months only"
        )
    months = list(result.model.months)
    picks = [0]
    if p.definition.start in months:
        origin = months.index(p.definition.start)
        picks += list(range(origin, len(months), 12))
    picks.append(len(months) - 1)
    picks = sorted(set(picks))
    summary = result.summary
    focal = result.model.units[0]
    channel = observe.CHANNELS[result.probability.definition.reported].adjective
    columns = [
        ("members", "members"),
        ("treasury (USD k)", "treasury"),
        ("attacks (latent)", "attacks"),
        (f"attacks ({channel})", "reported_attacks"),
    ]
    table = Table(title="Median and 80% band (10%-90%) at selected months", title_justify="left")
    table.add_column("month")
    for label, _ in columns:
        table.add_column(label, justify="right")
    totals = summary[(summary["region"] == "all") & (summary["actor"] == focal)]
    by_variable = {v: totals[totals["variable"] == v].set_index("month") for _, v in columns}
    for i in picks:
        cells = []
        for _, variable in columns:
            row = by_variable[variable].loc[months[i]]
            cells.append(f"{figure(row['q50'])}\n{figure(row['q10'])}-{figure(row['q90'])}")
        table.add_row(months[i], *cells)
    console.print(table)
    if m["resumed_chunks"]:
        console.print(f"Resumed: {m['resumed_chunks']} chunks were already complete.")
    t = m["timings"]
    console.print(
        f"Simulated and stored in {t['simulate_s']:.1f} s, summarised in {t['summarise_s']:.1f} s,"
        f" to {result.out}/ "
        f"({', '.join(m['outputs'])})"
    )
