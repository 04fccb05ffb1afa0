"""The `resurgence` command line: the app and its commands, nothing else.

Each command lives in `resurgence.commands` and imports the simulation only when it runs,
so `resurgence --help` (and a mistyped option) answers at once.
"""

from __future__ import annotations

import typer

from resurgence.commands.calibrate import calibrate_command
from resurgence.commands.check import check_command
from resurgence.commands.common import set_output_width
from resurgence.commands.compare import compare_command
from resurgence.commands.conditions import conditions_command
from resurgence.commands.discover import discover_command
from resurgence.commands.explore import explore_command
from resurgence.commands.ingest import ingest_command
from resurgence.commands.measurement import backtest_command, forecast_command, nowcast_command
from resurgence.commands.report import report_command
from resurgence.commands.run import run_command
from resurgence.commands.runs import runs_command
from resurgence.commands.scenarios import scenarios_command, show_command, validate_command
from resurgence.commands.sensitivity import sensitivity_command

app = typer.Typer(
    help="Simulate, measure and forecast how an armed group survives a host state's "
    "counter-terrorism campaign.\n\nExample: resurgence run isk --replicas 10000",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _output_width() -> None:
    """Piped or captured output gets 120 columns rather than rich's 80, so tables stay
    readable; a terminal or COLUMNS decides otherwise."""
    set_output_width()


app.command("run")(run_command)
app.command("validate")(validate_command)
app.command("scenarios")(scenarios_command)
app.command("show")(show_command)
app.command("runs")(runs_command)
app.command("compare")(compare_command)
app.command("check")(check_command)
app.command("sensitivity")(sensitivity_command)
app.command("discover")(discover_command)
app.command("conditions")(conditions_command)
app.command("report")(report_command)
app.command("calibrate")(calibrate_command)
app.command("forecast")(forecast_command)
app.command("backtest")(backtest_command)
app.command("nowcast")(nowcast_command)
app.command("ingest")(ingest_command)
app.command("explore")(explore_command)


if __name__ == "__main__":
    app()
