"""Scenarios and finished runs in the Python API.

`scenario` loads a scenario once, for any number of workflows; `read_run` opens the
directory of a finished run. `resolve` is how every workflow takes its scenario argument,
whether a builtin name, a scenario file or a loaded scenario, so that all three run alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from resurgence.posterior import Posterior, choose
from resurgence.scenarios import Scenario, builtin_scenarios, load_scenario

if TYPE_CHECKING:
    from resurgence.workflows.run import RunResult


def scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario: a builtin name (see `resurgence scenarios`) or a
    scenario TOML file.

    Every workflow takes the result in place of a name, so a scenario is read once for
    many runs and can be changed in Python before it runs. A builtin scenario runs with its
    shipped posterior as when named; once changed it is no longer the builtin one and runs
    with its own values (the posterior was calibrated on the scenario as shipped).

    Returns:
        The validated scenario (`resurgence.scenarios.Scenario`).

    Example::

        isk = rs.scenario("isk")
        base = rs.run(isk, replicas=2000, seed=1)
        cut = rs.run(isk, replicas=2000, seed=1, policies=["no_funding"])
    """
    return load_scenario(name_or_path)


@dataclass(frozen=True)
class ScenarioArgument:
    """A workflow's scenario argument, resolved: the scenario, the builtin scenario it is
    (None for any other), and where it can be read again for the manifest and the report
    (a builtin name or a file's absolute path; None for a scenario changed in Python)."""

    spec: Scenario
    builtin: str | None
    source: str | None

    def posterior(self, given: str | None) -> tuple[Posterior | None, str]:
        """The posterior to run with and the sentence that says which (as
        `resurgence.posterior.choose`): `given` (a file, or "none"), else the builtin
        scenario's shipped one; a scenario that is not a builtin ships none."""
        if given is None and self.builtin is None:
            given = "none"
        return choose(self.builtin or self.spec.scenario.name, given)


def resolve(scenario: str | Path | Scenario) -> ScenarioArgument:
    """Load a builtin name or a scenario file, or take a loaded scenario as it is.

    A loaded scenario is the builtin one of its name only while it equals it: the name
    alone does not make a changed or a different scenario the one a posterior was
    calibrated on."""
    if isinstance(scenario, Scenario):
        name = scenario.scenario.name
        builtin = name if name in builtin_scenarios() and scenario == load_scenario(name) else None
        return ScenarioArgument(scenario, builtin, builtin)
    text = str(scenario)
    spec = load_scenario(text)
    if text in builtin_scenarios():
        return ScenarioArgument(spec, text, text)
    return ScenarioArgument(spec, None, str(Path(text).resolve()))


def read_run(run_dir: str | Path) -> RunResult:
    """Open the directory of a complete run (`resurgence run`, `rs.run(..., out=DIR)` or
    `RunResult.write`).

    Arguments:
        run_dir: the run directory, with its `manifest.json`.

    Returns:
        A `RunResult` whose ensemble is read lazily from `ensemble.zarr`; its curve is the
        manifest's, rounded to 6 decimals. `.model` is compiled again from the scenario,
        policies and posterior the manifest names, on first use. Raises `ResurgenceError`
        for a directory that is not a complete run.

    Example::

        result = rs.read_run("runs/isk")
        result.probability.estimate, result.summary.head()
    """
    from resurgence.workflows.run import RunResult  # run.py imports this module

    return RunResult.read(run_dir)
