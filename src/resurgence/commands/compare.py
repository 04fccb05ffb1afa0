"""`resurgence compare`: policies against the baseline on common random numbers.

Thin: parses, calls `resurgence.workflows.compare`, writes the run directory, prints.
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from resurgence.commands.common import console, default_out, handles_errors, typed_command
from resurgence.commands.evidence_options import say_parameters
from resurgence.commands.options import (
    DEFAULT_WORKERS,
    ChunkSize,
    Consecutive,
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
from resurgence.commands.progress import staged


@handles_errors
def compare_command(
    scenario: ScenarioName,
    policy: list[str] = policy_option(
        "A policy (name or TOML file) to compare with the baseline; repeatable; "
        "'A+B' layers both in one arm. Default: every builtin policy of the scenario."
    ),
    replicas: int = replicas_option(1000, minimum=2, help="Replicas per arm."),
    months: Months = None,
    seed: int = seed_option(),
    workers: Workers = DEFAULT_WORKERS,
    chunk_size: ChunkSize = 1000,
    out: Path | None = out_option("compare"),
    measure: Measure = None,
    threshold: Threshold = None,
    consecutive: Consecutive = None,
    start: From = None,
    horizon: Horizon = None,
    regions: Regions = None,
    report: Report = False,
    posterior: Posterior = None,
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
    from resurgence.store import hold_run_dir
    from resurgence.workflows.compare import compare
    from resurgence.workflows.settings import Settings

    out = out or default_out(scenario, "compare")
    with hold_run_dir(out):  # from before the work until its report is written
        with staged() as bar:
            settings = Settings(
                replicas=replicas,
                seed=seed,
                months=months,
                policies=tuple(policy),
                definition=definition_overrides(
                    measure, threshold, consecutive, start, horizon, regions
                ),
                posterior=posterior,
                workers=workers,
                chunk_size=chunk_size,
                progress=bar.advance,
            )
            result = compare(
                scenario, settings, on_stage=bar.stage, command=typed_command("compare")
            )
        result.write(out)
        print_compare(result)
        if report:
            from resurgence.commands.report import write_and_say

            write_and_say(result.out, scenario=scenario)


def print_compare(result) -> None:
    """Each arm's probability and its paired differences from the baseline."""
    m = result.manifest
    console.print(
        f"[bold]{result.title}[/]: {m['replicas']:,} replicas per arm, seed {m['seed']}, "
        "common random numbers"
    )
    console.print(f"Resurgence: {result.definition.describe()}")
    last = result.months[-1]
    differences = result.differences.set_index(["arm", "outcome"])
    table = Table(title_justify="left", title=f"Arms against the baseline (differences at {last})")
    for col in (
        "arm",
        "P(resurgence) [95% CI]",
        "difference [paired 95% CI]",
        "members diff",
        "attacks/month diff",
    ):
        table.add_column(col, justify="left" if col == "arm" else "right")
    for row in result.arms.itertuples():
        members = differences.loc[(row.arm, "members")]
        attacks = differences.loc[(row.arm, "reported_attacks")]
        table.add_row(
            row.arm,
            f"{row.probability:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]",
            f"{row.diff:+.3f} [{row.diff_low:+.3f}, {row.diff_high:+.3f}]",
            f"{members['diff']:+,.0f} [{members.diff_low:+,.0f}, {members.diff_high:+,.0f}]",
            f"{attacks['diff']:+.1f} [{attacks.diff_low:+.1f}, {attacks.diff_high:+.1f}]",
        )
    console.print(table)
    say_parameters(m["parameters"])
    console.print(f"Written to {result.out}/ (arms.parquet, trajectories.parquet, manifest.json)")
