"""What every command shares: the consoles, the output width, and error handling."""

from __future__ import annotations

import functools
import os
import sys
from datetime import datetime
from pathlib import Path
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

Workers = Annotated[
    int,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        max=512,
        help="Worker processes (results do not depend on it).",
    ),
]
Measure = Annotated[
    str | None,
    typer.Option(
        help="Resurgence measure: reported_attacks, attacks or members (default: the scenario's)."
    ),
]
Threshold = Annotated[
    float | None, typer.Option(help="Resurgence threshold (per month for attacks).")
]
Consecutive = Annotated[
    int | None, typer.Option(help="Consecutive months at or above the threshold.")
]
From = Annotated[str | None, typer.Option("--from", help="First month of the horizon, YYYY-MM.")]
Horizon = Annotated[int | None, typer.Option(help="Horizon in months from --from.")]
Regions = Annotated[
    str | None,
    typer.Option(
        help="Regions the resurgence measure sums, comma-separated: region names, region tags "
        "or countries (e.g. Afghanistan); 'all' for every region (default: the scenario's)."
    ),
]


def parse_regions(text: str | None) -> list[str] | None:
    """--regions as a list of entries; None keeps the scenario's, 'all' or '' is every
    region."""
    if text is None:
        return None
    entries = [part.strip() for part in text.split(",") if part.strip()]
    return [] if entries == ["all"] else entries


def definition_from_options(
    scenario,
    measure=None,
    threshold=None,
    consecutive=None,
    start=None,
    horizon=None,
    regions=None,
):
    """The scenario's resurgence definition with the command line's overrides, checked."""
    from resurgence.analysis.resurgence import Definition
    from resurgence.months import month_offset

    definition = Definition.from_scenario(
        scenario,
        measure=measure,
        threshold=threshold,
        consecutive=consecutive,
        start=start,
        horizon=horizon,
        regions=parse_regions(regions),
    )
    if month_offset(scenario.scenario.start, definition.start) < 0:
        raise ResurgenceError(
            f"--from: {definition.start} is before the scenario's start ({scenario.scenario.start})"
        )
    return definition


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
