"""Options and helpers shared by the commands that read evidence or a posterior."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from resurgence import posterior as posteriors
from resurgence.commands.common import console
from resurgence.engine.compile import Model, with_posterior
from resurgence.errors import ResurgenceError
from resurgence.evidence.load import builtin_evidence
from resurgence.months import parse_month

EvidenceFile = Annotated[
    Path | None,
    typer.Option(
        "--evidence",
        "-e",
        help="Evidence CSV (format: docs/calibration.md; default: the builtin scenario's own).",
    ),
]
PosteriorFile = Annotated[
    str | None,
    typer.Option(
        "--posterior",
        help="Posterior of `resurgence calibrate` (default: the builtin scenario's own, if "
        "it ships one; 'none' uses the scenario's values).",
    ),
]


def evidence_path(scenario: str, given: Path | None) -> Path:
    if given is not None:
        return given
    shipped = builtin_evidence(scenario)
    if shipped is None:
        raise ResurgenceError(f"scenario {scenario!r} ships no evidence; give --evidence FILE")
    return shipped


def check_month(option: str, value: str | None) -> None:
    if value is None:
        return
    try:
        parse_month(value)
    except ValueError as exc:
        raise ResurgenceError(f"{option}: {exc}") from None


def say_parameters(sentence: str) -> None:
    """Print which parameters a command used, as a sentence."""
    console.print(sentence[0].upper() + sentence[1:])


def attach_posterior(model: Model, scenario: str, given: str | None) -> tuple[Model, str]:
    """The model with the chosen posterior, and a sentence saying which one it is."""
    posterior, sentence = posteriors.choose(scenario, given)
    return (model if posterior is None else with_posterior(model, posterior)), sentence


def skipped_table(skipped: pd.DataFrame) -> Table | None:
    """Evidence rows left out, grouped by reason: nothing is dropped silently."""
    if skipped.empty:
        return None
    table = Table(title="Evidence rows not used", title_justify="left")
    table.add_column("reason")
    table.add_column("rows", justify="right")
    table.add_column("lines")
    for reason, group in skipped.groupby("reason", sort=False):
        table.add_row(reason, str(len(group)), ", ".join(str(x) for x in group["line"]))
    return table


def print_skipped(skipped: pd.DataFrame) -> None:
    table = skipped_table(skipped)
    if table is not None:
        console.print(table)
