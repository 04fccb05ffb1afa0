"""`resurgence validate`, `scenarios` and `show`: scenario and policy files, checked,
listed and shown."""

from __future__ import annotations

import tomllib
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from resurgence.commands.common import console, errors, figure, handles_errors
from resurgence.commands.options import ScenarioName
from resurgence.errors import ResurgenceError


@handles_errors
def validate_command(
    files: list[Path] = typer.Argument(..., help="Scenario or policy TOML files."),
    scenario: str = typer.Option("isk", help="Scenario a policy file is checked against."),
) -> None:
    """Check scenario and policy files; print one clear message per bad file (exit 2).

    Examples:

      resurgence validate my_scenario.toml

      resurgence validate my_policy.toml --scenario isk
    """
    from resurgence.scenarios import load_policy, load_scenario

    failed = False
    for path in files:
        try:
            if _is_policy_file(path):
                policy = load_policy(str(path), load_scenario(scenario))
                console.print(
                    f"ok: {path} (policy {policy.name}, {len(policy.events)} events, "
                    f"checked against scenario {scenario})"
                )
            else:
                spec = load_scenario(str(path))
                console.print(
                    f"ok: {path} (scenario {spec.scenario.name}: {len(spec.regions)} regions, "
                    f"{len(spec.actors)} actors, {len(spec.events)} events, "
                    f"{len(spec.policies)} policies)"
                )
        except ResurgenceError as exc:
            errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            failed = True
    if failed:
        raise typer.Exit(2)


def _is_policy_file(path: Path) -> bool:
    try:
        return "policy" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, RecursionError):
        return False  # the scenario loader reports the problem with its location


@handles_errors
def scenarios_command() -> None:
    """List the builtin scenarios.

    Example:

      resurgence scenarios
    """
    from resurgence.scenarios import builtin_scenarios, load_scenario, policy_names

    table = Table()
    for col in ("name", "title", "months", "events", "policies"):
        table.add_column(col)
    for name in sorted(builtin_scenarios()):
        s = load_scenario(name)
        table.add_row(
            name,
            s.scenario.title,
            f"{s.scenario.start} to {s.scenario.end}",
            str(len(s.events)),
            ", ".join(policy_names(s)),
        )
    console.print(table)


@handles_errors
def show_command(
    scenario: ScenarioName,
    parameters: bool = typer.Option(
        False, "--parameters", help="List the parameters instead of the timeline."
    ),
) -> None:
    """Show a scenario's dated timeline (or its parameters), with sources and assumptions.

    Examples:

      resurgence show isk

      resurgence show isk --parameters
    """
    from resurgence.scenarios import load_scenario

    spec = load_scenario(scenario)
    if parameters:
        _print_parameters(spec)
        return
    table = Table(title=f"{spec.scenario.title}: timeline", title_justify="left", show_lines=True)
    for col in ("month", "event", "change", "source and assumption"):
        table.add_column(col, overflow="fold")
    for e in spec.events:
        target = e.parameter or e.state
        where = ", ".join(
            x
            for x in (e.actor, e.to and f"to {e.to}", e.region, e.to_region and f"to {e.to_region}")
            if x
        )
        change = f"{target} {e.op} {e.value:g}" + (f" ({where})" if where else "")
        if e.until:
            change += f" until {e.until}"
        note = e.source + (f"\n[italic]Assumption:[/] {e.assumption}" if e.assumption else "")
        table.add_row(e.month, e.label, change, note)
    console.print(table)


def _print_parameters(spec) -> None:
    """Each parameter's value (per region for a regional one), range, unit and reason."""
    from resurgence.engine.compile import compile_model

    model = compile_model(spec)
    table = Table(title=f"{spec.scenario.title}: parameters", title_justify="left")
    for col in ("parameter", "value", "range", "unit", "reason"):
        table.add_column(col, overflow="fold")
    for name, p in sorted(model.parameters.items()):
        value = model.values[name]
        shown = (
            figure(float(value))
            if value.ndim == 0
            else ", ".join(
                f"{r}={figure(v)}" for r, v in zip(model.regions, value, strict=True) if v
            )
            or "0"
        )
        table.add_row(name, shown, f"[{p.low:g}, {p.high:g}]", p.unit, p.reason)
    console.print(table)
