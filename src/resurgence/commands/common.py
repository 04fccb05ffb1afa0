"""What every command shares: the consoles, the output width, error handling, and the
default output directory."""

from __future__ import annotations

import functools
import os
import shlex
import sys
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from resurgence.errors import ResurgenceError


def typed_command(name: str) -> str | None:
    """The command line as typed, for a manifest; None when the process is not that
    command (a test runner, or Python), and the workflow records the equivalent one."""
    if sys.argv[1:2] != [name]:
        return None
    return "resurgence " + shlex.join(sys.argv[1:])


def figure(x: float) -> str:
    """A number as the tables show it: whole from 10 up (or when whole), else one decimal."""
    if abs(x) >= 10 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.1f}"


def default_out(scenario: str, kind: str = "") -> Path:
    """runs/SCENARIO[-KIND]-TIMESTAMP"""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{Path(scenario).stem}{'-' + kind if kind else ''}-{stamp}"


# No emoji codes: "FILE:100: ..." must not print as "FILE💯 ...".
console = Console(emoji=False)
errors = Console(stderr=True, emoji=False)


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
