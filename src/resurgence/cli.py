"""The `resurgence` command line. Thin: parses, calls the library, prints."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from resurgence import observe, store
from resurgence.commands.calibrate import calibrate_command
from resurgence.commands.check import check_command
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
    errors,
    handles_errors,
    parse_regions,
    set_output_width,
)
from resurgence.commands.compare import compare_command
from resurgence.commands.conditions import conditions_command
from resurgence.commands.discover import discover_command
from resurgence.commands.evidence_options import PosteriorFile, say_parameters
from resurgence.commands.ingest import ingest_command
from resurgence.commands.measurement import backtest_command, forecast_command, nowcast_command
from resurgence.commands.report import report_command, write_and_say
from resurgence.commands.sensitivity import sensitivity_command
from resurgence.errors import ResurgenceError

app = typer.Typer(
    help="Simulate, measure and forecast how an armed group survives a host state's "
    "counter-terrorism campaign.\n\nExample: resurgence run isk --replicas 10000",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _output_width() -> None:
    """Piped or captured output gets 120 columns rather than rich's 80, so tables stay
    readable; a terminal or COLUMNS decides otherwise."""
    set_output_width()


def _fmt(x: float) -> str:
    if abs(x) >= 10 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.1f}"


@app.command("run")
@handles_errors
def run_command(
    scenario: str = typer.Argument(
        ..., help="A builtin scenario name (see `resurgence scenarios`) or a scenario TOML file."
    ),
    replicas: int = typer.Option(
        1000, "--replicas", "-n", min=1, max=10_000_000, help="Number of replicas."
    ),
    months: int | None = typer.Option(
        None,
        "--months",
        "-m",
        min=1,
        max=1200,
        help="Months to simulate (default: to the scenario's end).",
    ),
    seed: int = typer.Option(
        20240101,
        "--seed",
        "-s",
        min=0,
        help="Seed of the run; the same seed gives the same results.",
    ),
    workers: Workers = os.cpu_count() or 1,
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output directory (default: runs/SCENARIO-TIMESTAMP)."
    ),
    policy: list[str] = typer.Option(
        [],
        "--policy",
        "-p",
        help="A policy of the scenario, or a policy TOML file, layered on the timeline. "
        "Repeatable.",
    ),
    chunk_size: int = typer.Option(
        1000,
        "--chunk-size",
        min=1,
        max=1_000_000,
        help="Replicas per chunk (part of what a seed reproduces).",
    ),
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
    report: bool = typer.Option(
        False, "--report", help="Also write report.html (a self-contained HTML report) to --out."
    ),
    dask: DaskAddress = None,
    dask_local: DaskLocal = None,
    posterior: PosteriorFile = None,
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

      resurgence run isk --replicas 100000 --out runs/big --resume

      resurgence run isk --replicas 1000000 --dask tcp://scheduler:8786 --out /shared/runs/big
    """
    from resurgence.workflows.run import execute

    if out is None:
        if resume:
            raise ResurgenceError("--resume needs --out: the directory of the interrupted run")
        out = default_out(scenario)
    definition = {
        "measure": measure,
        "threshold": threshold,
        "consecutive": consecutive,
        "start": start,
        "horizon": horizon,
        "regions": parse_regions(regions),
    }
    with Progress(
        TextColumn("[bold]simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("replicas"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task("run", total=replicas)
        result = execute(
            scenario,
            replicas=replicas,
            seed=seed,
            out=out,
            months=months,
            policies=list(policy),
            workers=workers,
            chunk_size=chunk_size,
            catalog=catalog,
            definition=definition,
            progress=lambda n: bar.advance(task, n),
            command="resurgence " + " ".join(sys.argv[1:]),
            resume=resume,
            dask_address=dask,
            dask_local=dask_local,
            posterior=posterior,
        )
    _print_result(result)
    if report:
        write_and_say(out, scenario=scenario)


def _print_result(result) -> None:
    m, p = result.manifest, result.probability
    console.print(
        f"[bold]{m['title']}[/]  scenario {m['scenario']} ({m['scenario_hash']}), "
        f"{m['replicas']:,} replicas x {m['months']} months, seed {m['seed']}"
        + (f", policies: {', '.join(m['policies'])}" if m["policies"] else "")
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
            cells.append(f"{_fmt(row['q50'])}\n{_fmt(row['q10'])}-{_fmt(row['q90'])}")
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


@app.command("validate")
@handles_errors
def validate_command(
    files: list[Path] = typer.Argument(..., help="Scenario or policy TOML files."),
    scenario: str = typer.Option("isk", help="Scenario a policy file is checked against."),
) -> None:
    """Check scenario and policy files; print one clear message per bad file (exit 2).

    Examples:

      resurgence validate my_scenario.toml

      resurgence validate my_policy.toml --scenario isk
    """
    from resurgence.scenario import load_policy, load_scenario

    failed = False
    for path in files:
        try:
            if _is_policy_file(path):
                policy = load_policy(str(path), load_scenario(scenario))
                console.print(
                    f"ok: {path} (policy {policy.name}, {len(policy.events)} events, "
                    f"checked against scenario {scenario})"
                )
            else:
                spec = load_scenario(str(path))
                console.print(
                    f"ok: {path} (scenario {spec.scenario.name}: {len(spec.regions)} regions, "
                    f"{len(spec.actors)} actors, {len(spec.events)} events, "
                    f"{len(spec.policies)} policies)"
                )
        except ResurgenceError as exc:
            errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            failed = True
    if failed:
        raise typer.Exit(2)


def _is_policy_file(path: Path) -> bool:
    try:
        return "policy" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, RecursionError):
        return False  # the scenario loader reports the problem with its location


@app.command("scenarios")
@handles_errors
def scenarios_command() -> None:
    """List the builtin scenarios.

    Example:

      resurgence scenarios
    """
    from resurgence.scenario import builtin_scenarios, load_scenario, policy_names

    table = Table()
    for col in ("name", "title", "months", "events", "policies"):
        table.add_column(col)
    for name in sorted(builtin_scenarios()):
        s = load_scenario(name)
        table.add_row(
            name,
            s.scenario.title,
            f"{s.scenario.start} to {s.scenario.end}",
            str(len(s.events)),
            ", ".join(policy_names(s)),
        )
    console.print(table)


@app.command("show")
@handles_errors
def show_command(
    scenario: str = typer.Argument(..., help="A builtin scenario name or a scenario file."),
    parameters: bool = typer.Option(
        False, "--parameters", help="List the parameters instead of the timeline."
    ),
) -> None:
    """Show a scenario's dated timeline (or its parameters), with sources and assumptions.

    Examples:

      resurgence show isk

      resurgence show isk --parameters
    """
    from resurgence.engine.compile import compile_model
    from resurgence.scenario import load_scenario

    spec = load_scenario(scenario)
    if parameters:
        model = compile_model(spec)
        table = Table(title=f"{spec.scenario.title}: parameters", title_justify="left")
        for col in ("parameter", "value", "range", "unit", "reason"):
            table.add_column(col, overflow="fold")
        for name, p in sorted(model.parameters.items()):
            value = model.values[name]
            shown = (
                _fmt(float(value))
                if value.ndim == 0
                else ", ".join(
                    f"{r}={_fmt(v)}" for r, v in zip(model.regions, value, strict=True) if v
                )
                or "0"
            )
            table.add_row(name, shown, f"[{p.low:g}, {p.high:g}]", p.unit, p.reason)
        console.print(table)
        return
    table = Table(title=f"{spec.scenario.title}: timeline", title_justify="left", show_lines=True)
    for col in ("month", "event", "change", "source and assumption"):
        table.add_column(col, overflow="fold")
    for e in spec.events:
        target = e.parameter or e.state
        where = ", ".join(
            x
            for x in (e.actor, e.to and f"to {e.to}", e.region, e.to_region and f"to {e.to_region}")
            if x
        )
        change = f"{target} {e.op} {e.value:g}" + (f" ({where})" if where else "")
        if e.until:
            change += f" until {e.until}"
        note = e.source + (f"\n[italic]Assumption:[/] {e.assumption}" if e.assumption else "")
        table.add_row(e.month, e.label, change, note)
    console.print(table)


@app.command("runs")
@handles_errors
def runs_command(
    catalog: Path | None = typer.Option(
        None, help="DuckDB run catalog (default: RESURGENCE_CATALOG or the user data directory)."
    ),
    limit: int = typer.Option(20, min=1, help="How many runs to list, newest first."),
) -> None:
    """List the runs registered in the catalog.

    Example:

      resurgence runs --limit 5
    """
    path = catalog or store.default_catalog()
    frame = store.list_runs(path, limit)
    if frame.empty:
        console.print(f"no runs in {path}")
        return
    table = Table(title=f"Runs in {path}", title_justify="left")
    for col in (
        "created",
        "scenario",
        "policies",
        "seed",
        "replicas",
        "months",
        "probability",
        "out_dir",
    ):
        table.add_column(col, overflow="fold")

    def text(value, fmt: str = "") -> str:
        """A catalog cell as text; a missing value (NULL) shows as '-'."""
        return "-" if value is None or pd.isna(value) else format(value, fmt)

    for row in frame.itertuples():
        low, high = text(row.ci_low, ".3f"), text(row.ci_high, ".3f")
        prob = f"{text(row.probability, '.3f')} [{low}, {high}]"
        table.add_row(
            text(row.created),
            text(row.scenario),
            text(row.policies or None),
            text(row.seed),
            text(row.replicas, ","),
            text(row.months),
            prob,
            text(row.out_dir),
        )
    console.print(table)


app.command("compare")(compare_command)
app.command("check")(check_command)
app.command("sensitivity")(sensitivity_command)
app.command("discover")(discover_command)
app.command("conditions")(conditions_command)
app.command("report")(report_command)
app.command("calibrate")(calibrate_command)
app.command("forecast")(forecast_command)
app.command("backtest")(backtest_command)
app.command("nowcast")(nowcast_command)
app.command("ingest")(ingest_command)


if __name__ == "__main__":
    app()
