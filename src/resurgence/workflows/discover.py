"""`rs.discover`: scenario discovery, the combinations of conditions in which a resurgence
is likely (PRIM over the conditions' parameters)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from resurgence import store
from resurgence.analysis.conditions import condition_space
from resurgence.analysis.discover import DiscoveryRun, empty_boxes, empty_trajectory
from resurgence.analysis.discover import discover as run_discovery
from resurgence.analysis.resurgence import Definition
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.errors import ResurgenceError
from resurgence.scenarios import Scenario, load_policy
from resurgence.workflows.api import resolve
from resurgence.workflows.prepare import (
    command_line,
    definition_of,
    months_to_horizon,
    refuse_unused,
)
from resurgence.workflows.result import Result, manifest_header, timing_write
from resurgence.workflows.settings import Settings, settings_of

REPLICAS = 8  # replicas per parameter set unless the settings say otherwise
PRIM_STAGE = "PRIM (peeling and pasting)"


@dataclass
class DiscoveryResult(Result):
    """The parameter sets of a discovery, their outcomes, and the boxes PRIM found.

    `samples`: one row per set (`set`, a column per parameter, `probability`, `likely`,
    `attacks`, `members`). `boxes`: one row per restricted parameter of each box, with its
    limits, the condition it belongs to and quasi-p-values. `trajectory`: PRIM's peeling
    and pasting steps (coverage, density, mass), the chosen step marked. Both are empty
    when every set, or none, is a likely resurgence (`analysis.discovery` is then None).
    `analysis` is the whole `DiscoveryRun`: the space, the timings, what PRIM found.
    """

    samples: pd.DataFrame
    boxes: pd.DataFrame
    trajectory: pd.DataFrame
    analysis: DiscoveryRun
    definition: Definition
    title: str
    seconds: float = field(default=0.0, kw_only=True, repr=False)

    def _write_tables(self, out: Path) -> None:
        with timing_write(self.manifest, self.seconds):
            store.write_parquet(out / store.SAMPLES, self.samples)
            store.write_parquet(out / store.BOXES, self.boxes)
            store.write_parquet(out / store.TRAJECTORY, self.trajectory)


def discover(
    scenario: str | Path | Scenario,
    settings: Settings | None = None,
    *,
    samples: int = 1000,
    likely: float = 0.5,
    density: float = 0.8,
    boxes: int = 1,
    on_stage: Callable[[str, int | None], None] | None = None,
    command: str | None = None,
    **changes,
) -> DiscoveryResult:
    """In which combinations of the conditions of resurgence is a resurgence likely?

    Samples the parameters of the scenario's conditions (a Latin hypercube over their
    plausible ranges; replica i of every set draws the same free parameters from the
    posterior, as `rs.run` does, or with `posterior="none"` keeps the scenario's values),
    runs a few replicas of each set on common random numbers, marks the sets whose resurgence
    probability is at least `likely`, and runs PRIM (the EMA Workbench's) to find boxes of
    parameter limits where such sets are dense.

    Arguments: `scenario` is a builtin name, a scenario TOML file or a loaded scenario;
    `settings` (or keyword `changes`) give the replicas per set (default 8), the seed, the
    policies layered on the timeline, the resurgence definition and the workers or Dask
    cluster. `samples` parameter sets; `likely` in (0, 1]; `density`, PRIM's threshold in
    (0, 1]; at most `boxes` boxes (each further one among the sets outside the previous).
    `on_stage(label, total)` is called as the simulations (`samples` sets, counted by
    `settings.progress`) and then PRIM start. `command` is what the manifest records.

    Returns a `DiscoveryResult`: `.boxes`, `.trajectory`, `.samples`, `.manifest`,
    `.write(dir)` (samples.parquet, boxes.parquet, trajectory.parquet, manifest.json),
    `.report()`.

    Example::

        result = rs.discover("isk", samples=500, replicas=16, likely=0.3)
        result.boxes[["parameter", "condition", "low", "high"]]
    """
    started = time.perf_counter()
    settings = settings_of(settings or Settings(replicas=REPLICAS), **changes)
    refuse_unused(settings, "discover", "months", "conditions", "chunk_size")
    if not 0 < likely <= 1:
        raise ResurgenceError(f"--likely must be above 0 (and at most 1), not {likely:g}")
    if not 0 < density <= 1:
        raise ResurgenceError(f"--density must be above 0 (and at most 1), not {density:g}")
    argument = resolve(scenario)
    spec = argument.spec
    layered = [load_policy(p, spec) for p in settings.policies]
    definition = definition_of(spec, settings.definition)
    drawn, parameters = argument.posterior(settings.posterior)
    model = compile_model(spec, layered, n_months=months_to_horizon(spec, definition))
    if drawn is not None:
        model = with_posterior(model, drawn)
    space = condition_space(spec, model)
    if on_stage is not None:
        on_stage("simulating", samples)
    analysis = run_discovery(
        model,
        space,
        definition,
        samples=samples,
        replicas=settings.replicas,
        seed=settings.seed,
        likely=likely,
        density=density,
        max_boxes=boxes,
        workers=settings.workers,
        dask_address=settings.dask_address,
        dask_local=settings.dask_local,
        progress=settings.progress,
        on_prim=None if on_stage is None else lambda: on_stage(PRIM_STAGE, None),
    )
    found = analysis.discovery
    command = command or command_line(
        "discover",
        argument.source or spec.scenario.name,
        samples=samples,
        replicas=settings.replicas,
        likely=likely,
        density=density,
        boxes=boxes,
        seed=settings.seed,
        policy=list(settings.policies),
        posterior=settings.posterior,
        **settings.definition,
    )
    manifest = manifest_header("discover", command, model) | {
        "policies": model.policies,
        "seed": settings.seed,
        "budget": {
            "samples": samples,
            "replicas": settings.replicas,
            "simulations": samples * settings.replicas,
            "months": model.n_months,
        },
        "workers": settings.workers,
        "design": "Latin hypercube, uniform over each parameter's range",
        "parameters": parameters,
        "posterior": drawn.source if drawn else None,
        "space": space.to_dict(orient="records"),
        "resurgence": {**definition.as_dict(), "definition_text": definition.describe()},
        "likely": likely,
        "outcome": {
            "likely_sets": analysis.cases,
            "sets": samples,
            "share": analysis.cases / samples,
        },
        "prim": {
            "implementation": f"ema_workbench {_ema_version()}",
            "density_threshold": density,
            "max_boxes": boxes,
            "peel_alpha": 0.05,
            "paste_alpha": 0.05,
            "mass_min": 0.05,
            "choice": "highest coverage among the steps with density >= the threshold",
            "ran": found is not None,
        },
        "boxes": _box_records(found),
        "timings": {
            "simulate_s": round(analysis.simulate_s, 3),
            "prim_s": round(analysis.prim_s, 3),
            "total_s": round(time.perf_counter() - started, 3),
        },
        "outputs": [store.SAMPLES, store.BOXES, store.TRAJECTORY, store.MANIFEST],
    }
    return DiscoveryResult(
        manifest,
        analysis.samples,
        found.boxes if found else empty_boxes(),
        found.trajectory if found else empty_trajectory(),
        analysis,
        definition,
        model.title,
        seconds=time.perf_counter() - started,
    )


def _ema_version() -> str:
    try:
        return metadata.version("ema_workbench")
    except metadata.PackageNotFoundError:
        return "unknown"


def _clean(value):
    """A table cell as plain JSON: NaN and pandas' NA as null, numpy scalars as Python's."""
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA:
        return None
    return value


def _box_records(found) -> list[dict]:
    """Each box's statistics and its restrictions, for the manifest."""
    if found is None:
        return []
    records = []
    for stat in found.stats.to_dict(orient="records"):
        rows = found.boxes[found.boxes["box"] == stat["box"]]
        restrictions = [
            {k: _clean(v) for k, v in r.items() if k not in ("box", "coverage", "density", "mass")}
            for r in rows.to_dict(orient="records")
            if not pd.isna(r["parameter"])
        ]
        records.append({**{k: _clean(v) for k, v in stat.items()}, "restrictions": restrictions})
    return records
