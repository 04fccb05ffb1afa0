"""`resurgence check`: the model against published stylized facts of armed groups."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from resurgence.commands.common import Workers, console, errors, handles_errors

STAGES = 7


@handles_errors
def check_command(
    replicas: int = typer.Option(
        1000,
        "--replicas",
        "-n",
        min=20,
        max=1_000_000,
        help="Groups in the generic family (and in its religious variant), and flagship replicas.",
    ),
    seed: int = typer.Option(1, "--seed", "-s", min=0),
    sample: int = typer.Option(
        200,
        "--sample",
        min=5,
        max=100_000,
        help="Groups whose event times are simulated for the self-excitation and "
        "progress-curve rows.",
    ),
    workers: Workers = os.cpu_count() or 1,
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
    from resurgence.analysis.stylized_check import HEADER, markdown, run_check

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task("simulating", total=STAGES)

        def advance(label: str, steps: int) -> None:
            bar.update(task, advance=steps, description=label)

        result = run_check(replicas, seed, workers=workers, sample=sample, progress=advance)

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
    passed = sum(r.verdict == "pass" for r in result.rows)
    failed = sum(r.verdict == "FAIL" for r in result.rows)
    console.print(
        f"{passed} pass, {failed} FAIL, {len(result.rows) - passed - failed} reported only "
        f"(seed {seed}, {replicas} groups and replicas)."
    )
    if out is not None:
        command = "resurgence check " + shlex.join(sys.argv[2:]) if len(sys.argv) > 1 else ""
        if not command.startswith("resurgence check"):
            command = f"resurgence check --replicas {replicas} --seed {seed} --sample {sample}"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown(result, command.strip()))
        console.print(f"wrote {out}")
