"""What every command shares: the consoles, the output width, and error handling."""

from __future__ import annotations

import functools
import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from resurgence.errors import ResurgenceError

DaskAddress = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="SCHEDULER_ADDRESS",
        help="Run on a Dask cluster (e.g. tcp://10.0.0.5:8786); output directories must be on "
        "a disk every worker reaches.",
    ),
]
DaskLocal = Annotated[
    int | None,
    typer.Option(
        "--dask-local", min=1, max=512, help="Run on a local Dask cluster of N processes."
    ),
]

console = Console()
errors = Console(stderr=True)


def set_output_width() -> None:
    """Piped or captured output gets 120 columns rather than rich's 80, so tables stay
    readable; a terminal or COLUMNS decides otherwise."""
    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    console.width = errors.width = 120 if wide else None


def handles_errors(func):
    """Turn a user error (bad input, an unwritable path) into one message on stderr and
    exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ResurgenceError as exc:
            errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except OSError as exc:  # an output directory or catalog the user cannot write
            where = exc.filename or "output"
            message = escape(f"{where}: {exc.strerror or exc}")
            errors.print(f"[bold red]error:[/] {message}", highlight=False)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            errors.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper
