"""A whole run as the CLI does it: compile, simulate, summarise, write, register."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from resurgence import __version__, store
from resurgence.analysis.resurgence import Definition, Probability, from_first_hits
from resurgence.engine.compile import Model, compile_model, with_posterior
from resurgence.engine.executors import executor
from resurgence.errors import ResurgenceError
from resurgence.posterior import choose
from resurgence.scenario import builtin_scenarios, load_policy, load_scenario
from resurgence.workflows.streamed import done_dir, run_to_store


@dataclass
class RunResult:
    model: Model
    summary: pd.DataFrame
    probability: Probability
    curve: list[float]
    manifest: dict
    out: Path


def execute(
    scenario: str,
    *,
    replicas: int,
    seed: int,
    out: Path,
    months: int | None = None,
    policies: tuple[str, ...] | list[str] = (),
    workers: int = 1,
    chunk_size: int = 1000,
    catalog: Path | None = None,
    definition: dict | None = None,
    progress: Callable[[int], None] | None = None,
    command: str | None = None,
    resume: bool = False,
    dask_address: str | None = None,
    dask_local: int | None = None,
    posterior: str | None = None,
) -> RunResult:
    """Run a scenario and write its outputs to `out`; return what the CLI prints.

    Chunks of replicas go straight into `out/.ensemble.zarr.partial` as they finish; with
    `resume`, an interrupted run in `out` continues from its completed chunks. The store is
    renamed `ensemble.zarr` and the manifest written only when everything is complete.
    """
    started = time.perf_counter()
    if months is not None and months < 1:
        raise ResurgenceError("--months must be at least 1")
    spec = load_scenario(scenario)
    layered = [load_policy(p, spec) for p in policies]
    drawn, parameters = choose(scenario, posterior)
    model = compile_model(spec, layered, n_months=months)
    if drawn is not None:
        model = with_posterior(model, drawn)
    resurgence = Definition.from_scenario(spec, **(definition or {}))

    if resume and (out / store.MANIFEST).is_file():
        raise ResurgenceError(f"{out}: this run is complete; nothing to resume")
    store.prepare_run_dir(out)
    partial = out / store.PARTIAL
    t0 = time.perf_counter()
    with executor(workers, dask_address, dask_local) as pool:
        digest, resumed = run_to_store(
            model,
            replicas,
            seed,
            partial,
            resurgence,
            chunk_size=chunk_size,
            executor=pool,
            resume=resume,
            progress=progress,
        )
        where = pool.describe()
    simulate_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    probability, curve = from_first_hits(digest.first_hits, digest.replicas, resurgence)
    summary = digest.summary.frame(model.months)
    store.write_summary(out, summary)
    store.publish_ensemble(out, done_dir(partial))
    write_s = time.perf_counter() - t1

    created = datetime.now(UTC).isoformat(timespec="seconds")
    run_id = f"{model.name}-{model.scenario_hash[:8]}-{seed}-{replicas}-{created}"
    manifest = {
        "run_id": run_id,
        "complete": True,
        "created": created,
        "version": __version__,
        "scenario": model.name,
        "scenario_source": scenario
        if scenario in builtin_scenarios()
        else str(Path(scenario).resolve()),
        "title": model.title,
        "scenario_hash": model.scenario_hash,
        "policies": model.policies,
        "parameters": parameters,
        "posterior": model.posterior.source if model.posterior else None,
        "posterior_digest": model.posterior.digest if model.posterior else None,
        "reported": model.resurgence.reported,  # the channel of reported_attacks
        "seed": seed,
        "replicas": replicas,
        "months": model.n_months,
        "start": model.start,
        "end": model.months[-1],
        "chunk_size": chunk_size,
        "workers": workers,
        "executor": where,
        "resumed_chunks": resumed,
        "command": command or " ".join(sys.argv),
        "timings": {
            "simulate_s": round(simulate_s, 3),
            "summarise_s": round(write_s, 3),
            "total_s": round(time.perf_counter() - started, 3),
        },
        "resurgence": probability.as_dict(),
        "resurgence_by_horizon": [round(float(x), 6) for x in curve],
        "outputs": [store.ENSEMBLE, store.SUMMARY, store.MANIFEST],
    }
    store.write_json_atomic(out / store.MANIFEST, manifest)
    store.register_run(
        catalog or store.default_catalog(),
        {
            "run_id": run_id,
            "created": created,
            "scenario": model.name,
            "scenario_hash": model.scenario_hash,
            "policies": ",".join(model.policies),
            "seed": seed,
            "replicas": replicas,
            "months": model.n_months,
            "probability": probability.estimate,
            "ci_low": probability.low,
            "ci_high": probability.high,
            "definition": resurgence.describe(),
            "version": __version__,
            "out_dir": str(out.resolve()),
            "command": manifest["command"],
        },
    )
    return RunResult(model, summary, probability, list(curve), manifest, out)
