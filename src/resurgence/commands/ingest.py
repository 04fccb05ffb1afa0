"""`resurgence ingest`: UCDP GED or ACLED event files to a scenario's evidence file."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from resurgence.commands.common import console, handles_errors

SHOWN = 3  # names per rule in the printed table; the JSON report has more


@handles_errors
def ingest_command(
    scenario: str = typer.Argument(
        ..., help="A builtin scenario name (e.g. isk) or a scenario TOML file."
    ),
    files: list[Path] = typer.Argument(
        ..., help="UCDP GED or ACLED CSV files (several may be combined)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Evidence CSV file to write."),
    mapping: Path | None = typer.Option(
        None,
        "--mapping",
        help="Mapping TOML of source actor and admin-1 names (default: SCENARIO.mapping.toml "
        "beside the scenario file).",
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="ged or acled (default: detected from each file's header)."
    ),
    first: str | None = typer.Option(
        None, "--from", help="Count events from this month on, YYYY-MM."
    ),
    last: str | None = typer.Option(
        None, "--until", help="Count events up to this month, YYYY-MM."
    ),
) -> None:
    """Count event data per month, scenario actor and region into an evidence file.

    Writes attacks_recorded (events) and fatalities rows for every month from a file's
    first to its last event month, zeros included, and a report of every event not counted
    (and why) to OUT.report.json. See docs/ingest.md for the rules.

    Examples:

      resurgence ingest isk ged251.csv --out isk_ged.csv

      resurgence ingest isk ged251.csv acled.csv -o both.csv --from 2021-08

      resurgence ingest isk export.csv --format acled --until 2022-12 -o isk.csv

      resurgence ingest mine.toml ged251.csv --mapping names.toml -o mine.csv
    """
    from resurgence.evidence.ingest import ingest, write

    result = ingest(scenario, files, mapping=mapping, fmt=fmt, first=first, last=last)
    report = write(result, out)
    for file_report in result.reports:
        _print_report(file_report)
    console.print(
        f"Wrote {len(result.rows):,} rows to {escape(str(out))}, the report to "
        f"{escape(str(report))} (mapping {escape(str(result.mapping))}).",
        highlight=False,
    )
    if result.rows.empty:
        console.print(
            "[yellow]note:[/] no file has a month within --from/--until; the evidence file "
            "has no rows",
            highlight=False,
        )


def _print_report(report) -> None:
    """One table per file: what each rule did to how many events."""
    span = (
        f"months {report.first_month} to {report.last_month}"
        if report.first_month
        else "no month within --from/--until"
    )
    table = Table(
        title=f"{report.file} ({report.dataset}): {report.events_read:,} events read, "
        f"{report.events_counted:,} counted; {span}",
        title_justify="left",
    )
    for column in ("rule", "events", "counted", "most frequent names"):
        table.add_column(column, overflow="fold", justify="right" if column == "events" else "left")
    for rule in report.rules:
        names = ", ".join(f"{name} ({n:,})" for name, n in list(rule.top.items())[:SHOWN])
        table.add_row(rule.rule, f"{rule.events:,}", "yes" if rule.counted else "no", escape(names))
    console.print(table)
