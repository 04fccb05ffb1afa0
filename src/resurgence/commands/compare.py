"""`resurgence compare`: policies against the baseline on common random numbers."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from resurgence import __version__, store
from resurgence import posterior as posteriors
from resurgence.analysis.compare import Arm, run_arm, summarise_arms
from resurgence.analysis.resurgence import Definition
from resurgence.commands.common import (
    Consecutive,
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
from resurgence.commands.evidence_options import PosteriorFile, say_parameters
from resurgence.errors import ResurgenceError
from resurgence.months import month_range
from resurgence.scenario import load_policy, load_scenario, policy_names


def _arms(scenario, specs: list[str]) -> list[Arm]:
    """The baseline, then one arm per --policy; 'A+B' layers several policies."""
    names = specs or policy_names(scenario)
    if not names:
        raise ResurgenceError(
            f"scenario {scenario.scenario.name!r} has no policies; name one with --policy"
        )
    arms = [Arm("baseline", [])]
    for spec in names:
        parts = [p for p in spec.split("+") if p]
        if not parts:
            raise ResurgenceError(f"--policy: empty policy name in {spec!r}")
        arms.append(Arm(spec, [load_policy(p, scenario) for p in parts]))
    return arms


@handles_errors
def compare_command(
    scenario: str = typer.Argument(..., help="A builtin scenario name or a scenario file."),
    policy: list[str] = typer.Option(
        [],
        "--policy",
        "-p",
        help="A policy (name or TOML file) to compare with the baseline; repeatable; "
        "'A+B' layers both in one arm. Default: every builtin policy of the scenario.",
    ),
    replicas: int = typer.Option(1000, "--replicas", "-n", min=2, max=10_000_000),
    months: int | None = typer.Option(None, "--months", "-m", min=1, max=1200),
    seed: int = typer.Option(20240101, "--seed", "-s", min=0),
    workers: Workers = os.cpu_count() or 1,
    chunk_size: int = typer.Option(1000, "--chunk-size", min=1, max=1_000_000),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output directory."),
    measure: Measure = None,
    threshold: Threshold = None,
    consecutive: Consecutive = None,
    start: From = None,
    horizon: Horizon = None,
    regions: Regions = None,
    report: bool = typer.Option(
        False, "--report", help="Also write report.html (a self-contained HTML report) to --out."
    ),
    posterior: PosteriorFile = None,
) -> None:
    """Compare policies with the baseline on the same random numbers.

    Like `run`, a builtin scenario that ships a calibrated posterior uses it: replica i
    draws the same parameter set in every arm (--posterior none: the scenario's values).

    Prints each arm's resurgence probability, its difference from the baseline with a
    paired 95% interval, and the differences in members and reported attacks at the
    horizon; writes arms.parquet, trajectories.parquet and manifest.json.

    Examples:

      resurgence compare isk

      resurgence compare isk --policy ttp_mediation --policy ttp_ban_enforcement

      resurgence compare isk -p reconciliation_deals+salafi_integration --replicas 5000
    """
    started = time.perf_counter()
    spec = load_scenario(scenario)
    definition = definition_from_options(
        spec, measure, threshold, consecutive, start, horizon, regions
    )
    arms = _arms(spec, list(policy))
    drawn, parameters = posteriors.choose(scenario, posterior)
    out = out or default_out(scenario, "compare")
    store.prepare_run_dir(out)

    outcomes = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        for arm in arms:
            task = bar.add_task(arm.name, total=replicas)
            outcomes.append(
                run_arm(
                    spec,
                    arm,
                    replicas,
                    seed,
                    definition,
                    months=months,
                    workers=workers,
                    chunk_size=chunk_size,
                    progress=lambda n, task=task: bar.advance(task, n),
                    posterior=drawn,
                )
            )
            bar.remove_task(task)
    first = outcomes[0].series["members"]
    month_labels = _months(spec, first.shape[1])
    comparison = summarise_arms(outcomes, month_labels)
    comparison.arms.to_parquet(out / "arms.parquet", index=False)
    comparison.trajectories.to_parquet(out / "trajectories.parquet", index=False)
    _print(comparison, definition, spec.scenario.title, replicas, seed)
    say_parameters(parameters)
    store.write_json_atomic(
        out / store.MANIFEST,
        {
            "complete": True,
            "kind": "compare",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "version": __version__,
            "scenario": spec.scenario.name,
            "arms": [{"name": a.name, "policies": [p.name for p in a.policies]} for a in arms],
            "seed": seed,
            "parameters": parameters,
            "posterior": drawn.source if drawn else None,
            "replicas": replicas,
            "months": len(month_labels),
            "chunk_size": chunk_size,
            "command": "resurgence " + " ".join(sys.argv[1:]),
            "resurgence": {"definition": definition.as_dict(), "text": definition.describe()},
            "results": comparison.arms.to_dict(orient="records"),
            "timings": {"total_s": round(time.perf_counter() - started, 3)},
            "outputs": ["arms.parquet", "trajectories.parquet", store.MANIFEST],
        },
    )
    console.print(f"Written to {out}/ (arms.parquet, trajectories.parquet, manifest.json)")
    if report:
        from resurgence.commands.report import write_and_say

        write_and_say(out, scenario=scenario)


def _months(scenario, n: int) -> list[str]:
    return month_range(scenario.scenario.start, n)


def _print(comparison, definition: Definition, title: str, replicas: int, seed: int) -> None:
    console.print(
        f"[bold]{title}[/]: {replicas:,} replicas per arm, seed {seed}, common random numbers"
    )
    console.print(f"Resurgence: {definition.describe()}")
    last = comparison.months[-1]
    traj = comparison.trajectories
    at_end = traj[traj["month"] == last].set_index(["arm", "variable"])
    table = Table(title_justify="left", title=f"Arms against the baseline (differences at {last})")
    for col in (
        "arm",
        "P(resurgence) [95% CI]",
        "difference [paired 95% CI]",
        "members diff",
        "attacks/month diff",
    ):
        table.add_column(col, justify="left" if col == "arm" else "right")
    for row in comparison.arms.itertuples():
        members = at_end.loc[(row.arm, "members")]
        attacks = at_end.loc[(row.arm, "reported_attacks")]
        table.add_row(
            row.arm,
            f"{row.probability:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]",
            f"{row.diff:+.3f} [{row.diff_low:+.3f}, {row.diff_high:+.3f}]",
            f"{members.diff_mean:+,.0f} [{members.diff_low:+,.0f}, {members.diff_high:+,.0f}]",
            f"{attacks.diff_mean:+.1f} [{attacks.diff_low:+.1f}, {attacks.diff_high:+.1f}]",
        )
    console.print(table)
