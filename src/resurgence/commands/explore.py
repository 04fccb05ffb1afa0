"""`resurgence explore`: a local web page to turn a scenario's levers and see what changes."""

from __future__ import annotations

from pathlib import Path

import typer

from resurgence.commands.common import console, handles_errors
from resurgence.commands.options import ScenarioName


@handles_errors
def explore_command(
    scenario: ScenarioName = "isk",
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Port to listen on (default: a free one)."
    ),
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Interface to listen on. The default serves this computer only; another "
        "interface lets other machines run simulations here.",
    ),
    save_dir: Path = typer.Option(
        Path("runs"), "--save-dir", help="Where 'Save this run' writes run directories."
    ),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Do not open a browser tab; just print the address."
    ),
) -> None:
    """Start a local web page to turn a scenario's levers and see what changes.

    The page has the scenario's policies (on or off, from a start month), its conditions
    of resurgence (each from against the group to in its favour), the resurgence
    definition, replicas and seed. Each change reruns the replicas on the same random
    numbers as the baseline and shows the probability of resurgence, its paired
    difference from the baseline, and fan charts of members, money and attacks with the
    dated events. "Save this run" writes the run directory `resurgence run` would, with
    its report. Everything runs on this computer; the page needs no network.

    Examples:

      resurgence explore

      resurgence explore isk --port 8050 --no-browser

      resurgence explore my_scenario.toml --save-dir runs/explore
    """
    from resurgence.explore.serve import serve

    serve(
        scenario,
        host=host,
        port=port,
        save_root=save_dir,
        open_browser=not no_browser,
        say=lambda text: console.print(text, highlight=False),
    )
