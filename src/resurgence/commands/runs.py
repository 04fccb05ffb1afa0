"""`resurgence runs`: the runs registered in the catalog, newest first."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from resurgence.commands.common import console, handles_errors


@handles_errors
def runs_command(
    catalog: Path | None = typer.Option(
        None, help="DuckDB run catalog (default: RESURGENCE_CATALOG or the user data directory)."
    ),
    limit: int = typer.Option(20, min=1, help="How many runs to list, newest first."),
) -> None:
    """List the runs registered in the catalog.

    Example:

      resurgence runs --limit 5
    """
    import pandas as pd

    from resurgence import store

    path = catalog or store.default_catalog()
    frame = store.list_runs(path, limit)
    if frame.empty:
        console.print(f"no runs in {path}")
        return
    table = Table(title=f"Runs in {path}", title_justify="left")
    for col in (
        "created",
        "scenario",
        "policies",
        "seed",
        "replicas",
        "months",
        "probability",
        "out_dir",
    ):
        table.add_column(col, overflow="fold")

    def text(value, fmt: str = "") -> str:
        """A catalog cell as text; a missing value (NULL) shows as '-'."""
        return "-" if value is None or pd.isna(value) else format(value, fmt)

    for row in frame.itertuples():
        low, high = text(row.ci_low, ".3f"), text(row.ci_high, ".3f")
        prob = f"{text(row.probability, '.3f')} [{low}, {high}]"
        table.add_row(
            text(row.created),
            text(row.scenario),
            text(row.policies or None),
            text(row.seed),
            text(row.replicas, ","),
            text(row.months),
            prob,
            text(row.out_dir),
        )
    console.print(table)
