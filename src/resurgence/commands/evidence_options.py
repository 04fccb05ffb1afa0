"""Options and printing shared by the commands that read evidence or a posterior.

Nothing here imports the simulation or pandas, so the command line starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from resurgence.commands.common import console

EvidenceFile = Annotated[
    Path | None,
    typer.Option(
        "--evidence",
        "-e",
        help="Evidence CSV (format: docs/calibration.md; default: the builtin scenario's own).",
    ),
]


def say_parameters(sentence: str) -> None:
    """Print which parameters a command used, as a sentence."""
    console.print(sentence[0].upper() + sentence[1:])


def print_skipped(skipped) -> None:
    """Evidence rows left out, grouped by reason: nothing is dropped silently."""
    if skipped.empty:
        return
    table = Table(title="Evidence rows not used", title_justify="left")
    table.add_column("reason")
    table.add_column("rows", justify="right")
    table.add_column("lines")
    for reason, group in skipped.groupby("reason", sort=False):
        table.add_row(reason, str(len(group)), ", ".join(str(x) for x in group["line"]))
    console.print(table)
