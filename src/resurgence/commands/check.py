"""`resurgence check`: the model against published stylized facts of armed groups.

Thin: parses, calls `resurgence.workflows.check`, prints the table, writes the Markdown.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from resurgence.commands.common import console, handles_errors, typed_command
from resurgence.commands.options import DEFAULT_WORKERS, Workers, replicas_option, seed_option
from resurgence.commands.progress import staged


@handles_errors
def check_command(
    replicas: int = replicas_option(
        1000,
        minimum=20,
        maximum=1_000_000,
        help="Groups in the generic family (and in its religious variant), and flagship replicas.",
    ),
    seed: int = seed_option(1),
    sample: int = typer.Option(
        200,
        "--sample",
        min=5,
        max=100_000,
        help="Groups whose event times are simulated for the self-excitation and "
        "progress-curve rows.",
    ),
    workers: Workers = DEFAULT_WORKERS,
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write the table as Markdown here (docs/validation.md is the documented one).",
    ),
) -> None:
    """Check the model against published stylized facts of armed groups.

    Runs a generic family of small groups at their founding (the builtin `generic`
    scenario, key parameters drawn by a Latin hypercube over their declared ranges, one
    replica per group), its religious variant, and the flagship scenario, and prints one
    row per fact: its source, the published value or band, the simulated value with its
    95% interval, and pass or FAIL under the rule stated in the row. Rows that test a
    model input (the severity exponent, the self-excitation) say so. Nothing is tuned to
    pass.

    Examples:

        resurgence check                                  # 1,000 groups, seed 1
        resurgence check --replicas 200 --sample 50       # a quick look
        resurgence check --out docs/validation.md         # regenerate the documented table
    """
    from resurgence.workflows.check import check
    from resurgence.workflows.settings import Settings

    with staged() as bar:
        settings = Settings(replicas=replicas, seed=seed, workers=workers, progress=bar.advance)
        result = check(settings, sample=sample, on_stage=bar.stage, command=typed_command("check"))
    print_check(result)
    if out is not None:
        result.write(out)
        console.print(f"wrote {out}")


def print_check(result) -> None:
    """One table per scope of simulations, then the counts of each verdict."""
    from resurgence.analysis.stylized_check import HEADER

    for scope in dict.fromkeys(r.scope for r in result.rows):
        table = Table(*HEADER, title=scope, show_lines=True)
        for r in result.rows:
            if r.scope == scope:
                style = {"pass": "green", "FAIL": "bold red"}.get(r.verdict, "dim")
                fact = r.fact + (f"\n[dim]{r.note}[/dim]" if r.note else "")
                table.add_row(
                    fact, r.source, r.published, r.simulated, f"[{style}]{r.verdict}[/]", r.rule
                )
        console.print(table)
    counts, s = result.manifest["results"], result.manifest["settings"]
    console.print(
        f"{counts['pass']} pass, {counts['FAIL']} FAIL, {counts['reported']} reported only "
        f"(seed {s['seed']}, {s['replicas']} groups and replicas)."
    )
