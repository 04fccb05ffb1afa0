"""What the analysis workflows do around their simulations: fix the resurgence definition,
refuse settings they cannot honour, say how far the model must run, and name the command
that reproduces them. Shared so that compare, sensitivity, discover, conditions and check
agree on all of it."""

from __future__ import annotations

import shlex

from resurgence.analysis.resurgence import Definition
from resurgence.errors import ResurgenceError
from resurgence.months import month_offset
from resurgence.scenarios import Scenario
from resurgence.workflows.settings import Settings

DEFINITION_FIELDS = ("measure", "threshold", "consecutive", "start", "horizon", "regions")


def definition_of(spec: Scenario, overrides: dict) -> Definition:
    """The scenario's resurgence definition with `Settings.definition` applied, checked:
    unknown fields are an error, and the horizon may not start before the scenario."""
    unknown = sorted(set(overrides) - set(DEFINITION_FIELDS))
    if unknown:
        raise TypeError(
            f"unknown resurgence field(s): {', '.join(unknown)}; "
            f"known: {', '.join(DEFINITION_FIELDS)}"
        )
    changes = dict(overrides)
    if isinstance(changes.get("regions"), str):
        changes["regions"] = [changes["regions"]]
    definition = Definition.from_scenario(spec, **changes)
    if month_offset(spec.scenario.start, definition.start) < 0:
        raise ResurgenceError(
            f"--from: {definition.start} is before the scenario's start ({spec.scenario.start})"
        )
    return definition


def months_to_horizon(spec: Scenario, definition: Definition) -> int:
    """Months from the scenario's start to the end of the resurgence horizon: how far a
    model whose outcome is resurgence must run (known before compiling it)."""
    return month_offset(spec.scenario.start, definition.start) + definition.horizon


def refuse_unused(settings: Settings, workflow: str, *names: str) -> None:
    """A setting the workflow has no use for is an error when it differs from the
    default, so it never looks honoured when it is not."""
    defaults = Settings()
    given = [n for n in names if getattr(settings, n) != getattr(defaults, n)]
    if given:
        raise ResurgenceError(f"{workflow} does not use the setting(s): {', '.join(given)}")


def command_line(command: str, source: str, **options) -> str:
    """The `resurgence` command that does what a workflow called from Python did, for its
    manifest (the report reads the scenario from it). Options that are None or empty are
    left out; a list repeats its option."""
    words = ["resurgence", command, source] if source else ["resurgence", command]
    for name, value in options.items():
        flag = "--from" if name == "start" else "--" + name.replace("_", "-")
        values = value if isinstance(value, list | tuple) else [value]
        if name == "regions" and isinstance(value, list | tuple):
            values = [",".join(value) or "all"]
        for v in values:
            if v is not None:
                words += [flag, str(v)]
    return shlex.join(words)
