"""The options the commands share, declared once so every command spells, documents and
limits them the same way.

Fixed options are `Annotated` types (`scenario: ScenarioName`, `workers: Workers =
DEFAULT_WORKERS`); options whose default, limits or help differ between commands come from
small factories (`replicas: int = replicas_option(1000, minimum=2)`). Nothing here imports
the simulation, so the command line starts fast.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from resurgence.workflows.settings import DEFAULT_SEED

DEFAULT_WORKERS = os.cpu_count() or 1

ScenarioName = Annotated[
    str,
    typer.Argument(
        help="A builtin scenario name (see `resurgence scenarios`) or a scenario TOML file."
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
ChunkSize = Annotated[
    int,
    typer.Option(
        "--chunk-size",
        min=1,
        max=1_000_000,
        help="Replicas per chunk (part of what a seed reproduces).",
    ),
]
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
Months = Annotated[
    int | None,
    typer.Option(
        "--months",
        "-m",
        min=1,
        max=1200,
        help="Months to simulate (default: to the scenario's end).",
    ),
]
Posterior = Annotated[
    str | None,
    typer.Option(
        "--posterior",
        help="Posterior of `resurgence calibrate` (default: the builtin scenario's own, if "
        "it ships one; 'none' uses the scenario's values).",
    ),
]
Report = Annotated[
    bool,
    typer.Option(
        "--report", help="Also write report.html (a self-contained HTML report) to --out."
    ),
]

# The resurgence definition: each option overrides one field of the scenario's [resurgence].
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

SEED_HELP = "Seed of the run; the same seed gives the same results."
POLICY_HELP = (
    "A policy of the scenario, or a policy TOML file, layered on the timeline; NAME@YYYY-MM "
    "starts it in another month. Repeatable."
)


def seed_option(default: int = DEFAULT_SEED, *, help: str = SEED_HELP):
    """--seed/-s: every command has one; its default and what it seeds differ."""
    return typer.Option(default, "--seed", "-s", min=0, help=help)


def replicas_option(
    default: int,
    *,
    minimum: int = 1,
    maximum: int = 10_000_000,
    help: str = "Number of replicas.",
):
    """--replicas/-n, with the bounds the command's statistics need (a paired interval
    needs two replicas; a budget per parameter set is capped lower)."""
    return typer.Option(default, "--replicas", "-n", min=minimum, max=maximum, help=help)


def out_option(kind: str = "", *, help: str | None = None):
    """--out/-o: the output directory, by default runs/SCENARIO[-KIND]-TIMESTAMP (a command
    that writes something else says so in `help`)."""
    if help is None:
        suffix = f"-{kind}" if kind else ""
        help = f"Output directory (default: runs/SCENARIO{suffix}-TIMESTAMP)."
    return typer.Option(None, "--out", "-o", help=help)


def policy_option(help: str = POLICY_HELP):
    """--policy/-p, repeatable."""
    return typer.Option([], "--policy", "-p", help=help)


def parse_regions(text: str | None) -> list[str] | None:
    """--regions as a list of entries; None keeps the scenario's, 'all' or '' is every
    region."""
    if text is None:
        return None
    entries = [part.strip() for part in text.split(",") if part.strip()]
    return [] if entries == ["all"] else entries


def definition_overrides(
    measure: str | None = None,
    threshold: float | None = None,
    consecutive: int | None = None,
    start: str | None = None,
    horizon: int | None = None,
    regions: str | None = None,
) -> dict:
    """The resurgence-definition options as `Settings.definition` (only those given)."""
    given = {
        "measure": measure,
        "threshold": threshold,
        "consecutive": consecutive,
        "start": start,
        "horizon": horizon,
        "regions": parse_regions(regions),
    }
    return {k: v for k, v in given.items() if v is not None}
