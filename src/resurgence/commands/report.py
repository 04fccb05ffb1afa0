"""`resurgence report`: one self-contained HTML page for a run directory."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from resurgence.commands.common import console, handles_errors


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} MB"


def write_and_say(run_dir: Path, out: Path | None = None, scenario: str | None = None) -> Path:
    """Write the report of `run_dir` and print where it went (used by `report` and by the
    `--report` option of `run`, `compare` and `sensitivity`)."""
    from resurgence.report import write_report

    path, report = write_report(run_dir, out, scenario_source=scenario)
    console.print(
        f"Report: {escape(str(path))} ({_size(path)}, {len(report.charts)} charts; opens "
        "offline in a browser)",
        highlight=False,
    )
    for note in report.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    return path


@handles_errors
def report_command(
    run_dir: Path = typer.Argument(
        ...,
        help="The output directory of `resurgence run`, `compare`, `sensitivity` or `discover`.",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="HTML file to write (default: RUN_DIR/report.html)."
    ),
    scenario: str | None = typer.Option(
        None,
        "--scenario",
        help="Scenario (builtin name or TOML file) whose dated events mark the time axes, "
        "when the run's manifest does not say where its scenario file is.",
    ),
) -> None:
    """Write one self-contained HTML report of a run: fan charts of members, cash and
    attacks with the scenario's events, the probability of resurgence against the horizon,
    and, where the directory holds them, the policy comparison, the sensitivity indices or
    the PRIM boxes.

    The page embeds its charts (Plotly) and opens offline in any browser.

    Examples:

      resurgence report runs/isk

      resurgence report runs/isk-compare -o compare.html

      resurgence report runs/mine --scenario my_scenario.toml
    """
    write_and_say(run_dir, out, scenario)
