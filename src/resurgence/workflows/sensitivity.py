"""`rs.sensitivity`: which condition of resurgence, and which of its parameters, drives the
probability of resurgence most."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from resurgence import store
from resurgence.analysis import sensitivity as sa
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

# Sobol': at most N = 4,096 base samples, every index starting at 1,024 and refined while
# its half-width exceeds 0.05 (`sa.Precision`): for the flagship, every total-order index
# that matters to +-0.05 (docs/sensitivity.md, benchmarks/RESULTS_sensitivity.md).
# Morris: a screening.
SAMPLES = {"sobol": 4096, "morris": 256}  # base samples N, or trajectories
REPLICAS = 16  # replicas per parameter set unless the settings say otherwise


@dataclass
class SensitivityResult(Result):
    """The indices of a sensitivity analysis and the parameter sets behind them.

    `indices`: one row per output (`probability`, `attacks`), level (`condition`,
    `parameter`) and name, with Sobol' first- and total-order indices (`S1`, `ST`) or
    Morris' `mu_star` and `sigma`, each with the half-width of its 95% bootstrap interval.
    `samples`: every row of both designs with its parameters and outputs.
    `convergence`: Sobol' indices at N/8, N/4, N/2 and N base samples (column `samples`),
    written to the manifest's `convergence`; empty for Morris.
    """

    indices: pd.DataFrame
    samples: pd.DataFrame
    convergence: pd.DataFrame
    method: str
    definition: Definition
    seconds: float = field(default=0.0, kw_only=True, repr=False)

    def _write_tables(self, out: Path) -> None:
        with timing_write(self.manifest, self.seconds):
            store.write_parquet(out / store.SENSITIVITY, self.indices)
            store.write_parquet(out / store.SAMPLES, self.samples)


def sensitivity(
    scenario: str | Path | Scenario,
    settings: Settings | None = None,
    *,
    method: str = "sobol",
    samples: int | None = None,
    precision: sa.Precision | None = sa.Precision(),
    on_stage: Callable[[str, int | None], None] | None = None,
    command: str | None = None,
    **changes,
) -> SensitivityResult:
    """Which conditions of resurgence (and which of their parameters) explain most of the
    variance of the resurgence probability, and of the attacks in the horizon's last month?

    Every parameter of the scenario's [conditions] varies uniformly over its plausible
    range (a regional one as one level in every region, or as a factor on each region's
    value). Each replica draws its free parameters from the posterior, as `rs.run` does
    (`posterior="none"`: the scenario's values), so an index measures what the conditions
    move on the calibrated model. Each distinct parameter set runs `settings.replicas`
    independent replicas; the Sobol' indices are those of the resurgence probability as a
    function of the parameters, with the replicas' noise removed (docs/sensitivity.md),
    with 95% bootstrap intervals and their convergence over N/8 ... N base samples.

    Arguments: `scenario` is a builtin name, a scenario TOML file or a loaded scenario;
    `settings` (or keyword `changes`) give the replicas per set (default
    `REPLICAS`), the seed of the design, the bootstrap and the simulations, the
    resurgence definition and the workers or Dask cluster. `method` is "sobol" (first- and
    total-order indices; `samples` is SALib's N, a power of 2, default
    `SAMPLES["sobol"]`) or "morris" (elementary effects, a cheaper screening; `samples`
    trajectories, default `SAMPLES["morris"]`). Sobol' is adaptive (`precision`, see
    `sa.Precision`): every index starts at `precision.first` base samples, and those still
    wider than `precision.half_width` get more, up to N; `precision=None` evaluates all of
    SALib's design at N, N x (parameters + conditions + 2) sets.
    `on_stage(label, sets)` is called when each evaluation starts; `settings.progress`
    counts the parameter sets. `command` is what the manifest records.

    Returns a `SensitivityResult`: `.indices`, `.samples`, `.convergence`, `.manifest`,
    `.write(dir)`
    (sensitivity.parquet, samples.parquet, manifest.json), `.report()`.

    Example::

        result = rs.sensitivity("isk", method="morris", samples=10, replicas=32)
        result.indices.query("output == 'probability' and level == 'condition'")
    """
    started = time.perf_counter()
    settings = settings_of(settings or Settings(replicas=REPLICAS), **changes)
    refuse_unused(settings, "sensitivity", "months", "policies", "conditions", "chunk_size")
    if samples is None and method in SAMPLES:
        samples = SAMPLES[method]
    sa.check_samples(method, samples)
    if method == "sobol" and precision is not None:
        precision.check()
    argument = resolve(scenario)
    spec = argument.spec
    definition = definition_of(spec, settings.definition)
    drawn, parameters = argument.posterior(settings.posterior)
    model = compile_model(spec, n_months=months_to_horizon(spec, definition))
    if drawn is not None:
        model = with_posterior(model, drawn)
    problem = sa.problem_from_scenario(spec, model)
    design = sa.sample(problem, method, samples, settings.seed)
    evaluate = sa.engine_evaluator(
        model,
        problem,
        replicas=settings.replicas,
        seed=settings.seed,
        definition=definition,
        workers=settings.workers,
        dask_address=settings.dask_address,
        dask_local=settings.dask_local,
        progress=settings.progress,
    )
    adaptive = precision if method == "sobol" else None
    analysis = sa.run_sensitivity(
        problem,
        method,
        samples,
        evaluate,
        seed=settings.seed,
        design=design,
        precision=adaptive,
        on_stage=on_stage,
    )
    command = command or command_line(
        "sensitivity",
        argument.source or spec.scenario.name,
        method=method,
        samples=samples,
        first_samples=adaptive.first if adaptive else None,
        half_width=adaptive.half_width if adaptive else None,
        replicas=settings.replicas,
        seed=settings.seed,
        posterior=settings.posterior,
        **settings.definition,
    )
    manifest = manifest_header("sensitivity", command, model) | {
        "parameters": parameters,
        "posterior": drawn.source if drawn else None,
        "method": method,
        "samples": samples,
        "replicas": settings.replicas,
        "seed": settings.seed,
        "workers": settings.workers,
        "months": model.n_months,
        "start": model.start,
        "end": model.months[-1],
        "precision": None
        if adaptive is None
        else {
            "first_samples": adaptive.first,
            "half_width": adaptive.half_width,
        },
        "stages": analysis.stages,
        "base_samples": analysis.depths() if method == "sobol" else None,
        "parameter_sets": int(analysis.evaluated.sum()),
        "design_rows": len(samples_frame := analysis.samples()),
        "replica_months": int(analysis.evaluated.sum()) * settings.replicas * model.n_months,
        "resurgence": definition.as_dict() | {"text": definition.describe()},
        "conditions": {
            name: [p for p, c in zip(problem.names, problem.conditions, strict=True) if c == name]
            for name in problem.condition_names
        },
        "bounds": {name: list(b) for name, b in zip(problem.names, problem.bounds, strict=True)},
        "how": problem.how_of,
        "outputs_analysed": sa.OUTPUTS,
        "constant_outputs": analysis.constant_outputs(),
        "noise_only_outputs": analysis.noise_only_outputs(),
        "confidence": sa.CONFIDENCE,
        "estimator": sa.ESTIMATORS[method],
        "bootstrap_resamples": sa.BOOTSTRAP if method == "sobol" else sa.RESAMPLES,
        "noise_share": {k: round(v, 4) for k, v in analysis.noise_shares.items()},
        "convergence": [  # JSON has no NaN: an index a prefix cannot estimate is null
            {k: None if isinstance(v, float) and np.isnan(v) else v for k, v in row.items()}
            for row in analysis.convergence.to_dict(orient="records")
        ],
        "timings": {k: round(v, 3) for k, v in analysis.timings.items()}
        | {"total_s": round(time.perf_counter() - started, 3)},
        "outputs": [store.SENSITIVITY, store.SAMPLES, store.MANIFEST],
    }
    return SensitivityResult(
        manifest,
        analysis.indices,
        samples_frame,
        analysis.convergence,
        method,
        definition,
        seconds=time.perf_counter() - started,
    )
