"""`rs.conditions`: does each condition of resurgence move the probability the way the
analysis argues?"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from resurgence import store
from resurgence.analysis.condition_ends import condition_ends
from resurgence.analysis.conditions import condition_space
from resurgence.analysis.resurgence import Definition
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.scenarios import Scenario
from resurgence.workflows.api import resolve
from resurgence.workflows.prepare import (
    command_line,
    definition_of,
    months_to_horizon,
    refuse_unused,
)
from resurgence.workflows.result import Result, manifest_header, timing_write
from resurgence.workflows.settings import Settings, settings_of


@dataclass
class ConditionsResult(Result):
    """Each condition's two ends and the verdict on its direction.

    `table`: one row per condition, with the probability of resurgence at the end in the
    group's favour and at the end against it (Wilson 95% intervals), the paired difference
    favour - against with its 95% interval, and `verdict` ('agrees', 'opposite' or
    'unclear'). `space`: each condition's parameters and the ends of their ranges.
    `parameters` says which parameters the replicas drew.
    """

    table: pd.DataFrame
    space: pd.DataFrame
    definition: Definition
    title: str
    parameters: str
    seconds: float = field(default=0.0, kw_only=True, repr=False)

    def _write_tables(self, out: Path) -> None:
        with timing_write(self.manifest, self.seconds):
            store.write_text(out / store.CONDITIONS_CSV, self.table.to_csv(index=False))
            records = self.table.to_dict(orient="records")
            store.write_text(out / store.CONDITIONS_JSON, json.dumps(records, indent=2))


def conditions(
    scenario: str | Path | Scenario,
    settings: Settings | None = None,
    *,
    on_stage: Callable[[str, int | None], None] | None = None,
    command: str | None = None,
    **changes,
) -> ConditionsResult:
    """Does a resurgence become more likely when each condition turns in the armed group's
    favour, as the analysis argues?

    For each [conditions.NAME] table of the scenario, runs the replicas twice: with all
    the condition's parameters at the end of their ranges in the group's favour
    (group_favours) and at the other end, on common random numbers (replica i has the same
    random streams and, as in `rs.run`, the same posterior draw in both arms). The paired
    difference favour - against agrees with the analysis when its interval lies above 0.

    Arguments: `scenario` is a builtin name, a scenario TOML file or a loaded scenario;
    `settings` (or keyword `changes`) give the replicas per arm (at least 2), the seed, the
    resurgence definition, the posterior and the workers. `on_stage(label, replicas)` is
    called when the simulations start; `settings.progress` counts their replicas (2 x
    conditions x replicas). `command` is what the manifest records.

    Returns a `ConditionsResult`: `.table`, `.space`, `.manifest`, `.write(dir)`
    (conditions.csv, conditions.json, manifest.json).

    Example::

        result = rs.conditions("isk", replicas=2000, seed=7)
        result.table[["condition", "diff", "diff_low", "diff_high", "verdict"]]
    """
    started = time.perf_counter()
    settings = settings_of(settings, **changes)
    refuse_unused(
        settings,
        "conditions",
        "months",
        "policies",
        "conditions",
        "chunk_size",
        "dask_address",
        "dask_local",
    )
    argument = resolve(scenario)
    spec = argument.spec
    definition = definition_of(spec, settings.definition)
    drawn, parameters = argument.posterior(settings.posterior)
    model = compile_model(spec, n_months=months_to_horizon(spec, definition))
    if drawn is not None:
        model = with_posterior(model, drawn)
    space = condition_space(spec, model)
    if on_stage is not None:
        on_stage("simulating", 2 * space["condition"].nunique() * settings.replicas)
    table = condition_ends(
        model,
        space,
        definition,
        replicas=settings.replicas,
        seed=settings.seed,
        workers=settings.workers,
        progress=settings.progress,
    )
    command = command or command_line(
        "conditions",
        argument.source or spec.scenario.name,
        replicas=settings.replicas,
        seed=settings.seed,
        posterior=settings.posterior,
        **settings.definition,
    )
    manifest = manifest_header("conditions", command, model) | {
        "seed": settings.seed,
        "replicas": settings.replicas,
        "months": model.n_months,
        "parameters": parameters,
        "posterior": drawn.source if drawn else None,
        "resurgence": definition.as_dict() | {"text": definition.describe()},
        "space": space.to_dict(orient="records"),
        "results": table.to_dict(orient="records"),
        "timings": {"total_s": round(time.perf_counter() - started, 3)},
        "outputs": [store.CONDITIONS_CSV, store.CONDITIONS_JSON, store.MANIFEST],
    }
    return ConditionsResult(
        manifest,
        table,
        space,
        definition,
        model.title,
        parameters,
        seconds=time.perf_counter() - started,
    )
