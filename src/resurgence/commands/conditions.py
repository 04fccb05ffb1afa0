"""`resurgence conditions`: does each condition of resurgence move the probability the way
the analysis argues? Thin: parses, calls `resurgence.workflows.conditions`, writes the run
directory, prints."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from resurgence.commands.common import console, default_out, handles_errors, typed_command
from resurgence.commands.evidence_options import say_parameters
from resurgence.commands.options import (
    DEFAULT_WORKERS,
    Consecutive,
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
    replicas_option,
    seed_option,
)
from resurgence.commands.progress import staged


@handles_errors
def conditions_command(
    scenario: ScenarioName,
    replicas: int = replicas_option(1000, minimum=2, help="Replicas per arm."),
    seed: int = seed_option(
        help="Seed of the run; both arms of every condition use it (common random numbers)."
    ),
    workers: Workers = DEFAULT_WORKERS,
    out: Path | None = out_option("conditions"),
    measure: Measure = None,
    threshold: Threshold = None,
    consecutive: Consecutive = None,
    start: From = None,
    horizon: Horizon = None,
    regions: Regions = None,
    posterior: Posterior = None,
) -> None:
    """Check each condition of resurgence against the direction the analysis argues.

    For each [conditions.NAME] table of the scenario, runs the replicas twice, with all
    the condition's parameters at the end of their ranges in the armed group's favour
    (group_favours) and at the other end, on common random numbers: replica i has the
    same random streams and, as in `run`, the same draw of the free parameters from the
    posterior in both arms (--posterior none: the scenario's values). Prints both
    probabilities of resurgence, their paired difference (favour - against) with its 95%
    interval, the direction the analysis argues (higher in the group's favour) and
    whether the interval agrees. Writes conditions.csv, conditions.json and
    manifest.json to the output directory.

    Examples:

      resurgence conditions isk

      resurgence conditions isk --replicas 2000 --seed 7 --out runs/isk-conditions

      resurgence conditions isk --threshold 10 --regions Afghanistan,khyber_pakhtunkhwa
    """
    from resurgence.store import hold_run_dir
    from resurgence.workflows.conditions import conditions
    from resurgence.workflows.settings import Settings

    out = out or default_out(scenario, "conditions")
    with hold_run_dir(out):  # from before the work, so a directory in use stops at once
        with staged("replicas") as bar:
            settings = Settings(
                replicas=replicas,
                seed=seed,
                definition=definition_overrides(
                    measure, threshold, consecutive, start, horizon, regions
                ),
                posterior=posterior,
                workers=workers,
                progress=bar.advance,
            )
            result = conditions(
                scenario, settings, on_stage=bar.stage, command=typed_command("conditions")
            )
        result.write(out)
        print_conditions(result)


def print_conditions(result) -> None:
    """The design, each condition's two ends and verdict, and the parameters used."""
    m = result.manifest
    console.print(
        f"[bold]{result.title}[/]  {result.space['condition'].nunique()} conditions x 2 ends "
        f"x {m['replicas']:,} replicas x {m['months']} months, seed {m['seed']}, common random "
        "numbers"
    )
    console.print(f"Resurgence: {result.definition.describe()}")
    _print_table(result.table)
    say_parameters(result.parameters)
    console.print(f"Written to {result.out}/ ({', '.join(m['outputs'])})")


def _print_table(table) -> None:
    shown = Table(
        title="Each condition with its parameters at the end in the group's favour and at "
        "the end against it",
        title_justify="left",
    )
    for col in (
        "condition",
        "P(favour) [95% CI]",
        "P(against) [95% CI]",
        "favour - against [paired 95% CI]",
        "analysis argues",
        "interval agrees",
    ):
        shown.add_column(col, justify="right" if col.startswith(("P(", "favour")) else "left")
    verdicts = {"agrees": "yes", "opposite": "no: reversed", "unclear": "no: it holds 0"}
    for row in table.itertuples(index=False):
        shown.add_row(
            row.condition,
            f"{row.favour:.3f} [{row.favour_low:.3f}, {row.favour_high:.3f}]",
            f"{row.against:.3f} [{row.against_low:.3f}, {row.against_high:.3f}]",
            f"{row.diff:+.3f} [{row.diff_low:+.3f}, {row.diff_high:+.3f}]",
            "higher in favour",
            verdicts[row.verdict],
        )
    console.print(shown)
