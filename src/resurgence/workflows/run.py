"""A run of a scenario's replicas: held in memory, or streamed into a run directory as the
command line does it (compile, simulate, summarise, write, register).

Both ways simulate the same chunks from the same seeds and digest them chunk by chunk in
chunk order (`streamed.digest_in_chunks`), so a run kept in memory and the same run
written to a directory have identical ensembles, summaries and probabilities.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from resurgence import __version__, store
from resurgence import posterior as posteriors
from resurgence.analysis.conditions import at_levels, condition_space
from resurgence.analysis.resurgence import Definition, Probability, from_first_hits
from resurgence.core.model import Model
from resurgence.engine import run as engine
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.engine.executors import describe_local, executor
from resurgence.errors import ResurgenceError
from resurgence.scenarios import Scenario, load_policy
from resurgence.workflows.api import ScenarioArgument, resolve
from resurgence.workflows.prepare import command_line, definition_of
from resurgence.workflows.result import Result, manifest_header
from resurgence.workflows.settings import Settings, settings_of
from resurgence.workflows.streamed import (
    Digest,
    digest,
    digest_in_chunks,
    done_dir,
    run_spec,
    run_to_store,
)

MEMORY_LIMIT = 2 * 2**30  # bytes: a larger run without a directory is refused


@dataclass(eq=False)
class RunResult(Result):
    """A run: its ensemble, summary and probability of resurgence, and its manifest.

    `ensemble` is an xarray Dataset (replica, month, ...) held in memory for a run without
    a directory, read lazily from `ensemble.zarr` for a run in one; `summary` the long
    table of means and quantiles over replicas (`summary.parquet`); `probability` the
    probability of resurgence with its Wilson 95% interval (`.estimate`, `.low`, `.high`)
    and `curve` its cumulative value by month of the horizon; `model` the compiled model.
    """

    summary: pd.DataFrame
    probability: Probability
    curve: list[float]
    ensemble: xr.Dataset
    _model: Model | None = field(default=None, kw_only=True, repr=False)

    @property
    def model(self) -> Model:
        """The compiled model; for a run read from its directory, compiled again from the
        scenario, policies and posterior its manifest names (on first use)."""
        if self._model is None:
            self._model = _model_of(self.manifest)
        return self._model

    def _write_tables(self, out: Path) -> None:
        """The tables `resurgence run` writes: `ensemble.zarr` and `summary.parquet`."""
        # Chunked along replica by the run's chunk size, as a streamed run stores it.
        partial = out / store.PARTIAL
        shutil.rmtree(partial, ignore_errors=True)
        ensemble = self.ensemble.drop_encoding()
        rows = min(self.manifest["chunk_size"], ensemble.sizes["replica"])
        encoding = {
            name: {"chunks": (rows, *variable.shape[1:])}
            for name, variable in ensemble.data_vars.items()
        }
        ensemble.to_zarr(partial, mode="w", zarr_format=2, consolidated=True, encoding=encoding)
        store.write_summary(out, self.summary)
        store.publish_ensemble(out, done_dir(partial))

    @classmethod
    def read(cls, run_dir: str | Path) -> RunResult:
        """The complete run in `run_dir` (see `api.read_run`)."""
        run_dir = Path(run_dir)
        path = run_dir / store.MANIFEST
        if not path.is_file():
            raise ResurgenceError(f"{run_dir}: not a complete run (no {store.MANIFEST})")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ResurgenceError(f"{path}: cannot read the manifest ({exc})") from None
        if manifest.get("kind", "run") != "run" or not (run_dir / store.ENSEMBLE).is_dir():
            raise ResurgenceError(
                f"{run_dir}: not the directory of a run (`resurgence run`): it has no "
                f"{store.ENSEMBLE}"
            )
        return cls(
            manifest,
            summary=pd.read_parquet(run_dir / store.SUMMARY),
            probability=_probability_of(manifest["resurgence"]),
            curve=list(manifest["resurgence_by_horizon"]),
            ensemble=store.read_ensemble(run_dir),
            out=run_dir,
        )


def run(
    scenario: str | Path | Scenario,
    settings: Settings | None = None,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    catalog: Path | None = None,
    command: str | None = None,
    **changes,
) -> RunResult:
    """Run a scenario's replicas and compute the probability of resurgence.

    Without `out`, the run is held in memory (runs up to `MEMORY_LIMIT` bytes of
    ensemble; larger ones need a directory) and `.write(dir)` writes its directory later.
    With `out`, chunks of replicas go straight into `out/.ensemble.zarr.partial` as they
    finish, which is renamed `ensemble.zarr` and followed by `summary.parquet` and
    `manifest.json` only when everything is complete; the run is registered in the
    catalog, and the directory is held (locked) by this process while it runs. With
    `resume`, an interrupted run in `out` continues from its completed chunks.

    Arguments:
        scenario: a builtin scenario name, a scenario TOML file, or a scenario loaded
            with `rs.scenario`.
        settings: a `Settings` (default: its defaults), changed by `**changes`
            (`replicas=`, `seed=`, `months=`, `policies=`, `definition=`, `conditions=`,
            `posterior=`, `workers=`, `chunk_size=`, `dask_address=`, `dask_local=`, `progress=`).
        out: the run directory to stream to; None to keep the run in memory.
        resume: continue the interrupted run in `out`.
        catalog: the DuckDB run catalog (default: RESURGENCE_CATALOG or the user data
            directory); runs in memory are not registered.
        command: the command line the manifest records (default: the `resurgence run`
            command that makes the same run).

    Returns:
        A `RunResult`. The same settings give the same results whether held in memory
        or written, on any number of workers.

    Example::

        result = rs.run("isk", replicas=2000, seed=7, months=60)
        result.probability.estimate, result.probability.low, result.probability.high
        result.write("runs/isk")
    """
    started = time.perf_counter()
    s = settings_of(settings, **changes)
    if s.months is not None and s.months < 1:
        raise ResurgenceError("months must be at least 1")
    argument = resolve(scenario)
    drawn, parameters = argument.posterior(s.posterior)
    layered = [load_policy(p, argument.spec) for p in s.policies]
    model = compile_model(argument.spec, layered, n_months=s.months)
    if drawn is not None:
        model = with_posterior(model, drawn)
    if s.conditions:
        model = at_levels(model, condition_space(argument.spec, model), s.conditions)
    definition = definition_of(argument.spec, s.definition)
    # A definition the run cannot measure (a start outside its months, a region it does
    # not have) fails now, in the digest of no replica, rather than after simulating.
    digest(model, engine.allocate(model, 0), definition)
    command = command or command_line(
        "run",
        argument.source or argument.spec.scenario.name,
        replicas=s.replicas,
        months=s.months,
        seed=s.seed,
        policy=list(s.policies),
        condition=[f"{name}={level:g}" for name, level in s.conditions.items()],
        chunk_size=s.chunk_size,
        posterior=s.posterior,
        **s.definition,
    )
    request = _Request(argument, s, parameters, command, started)
    if out is None:
        if resume:
            raise ResurgenceError("resume needs out: the directory of the interrupted run")
        return _in_memory(model, definition, request)
    out = Path(out)
    with store.hold_run_dir(out):
        return _streamed(model, definition, request, out, resume, catalog)


@dataclass(frozen=True)
class _Request:
    """The run asked for, as its manifest records it beside its results."""

    argument: ScenarioArgument
    settings: Settings
    parameters: str
    command: str
    started: float


def _in_memory(model: Model, definition: Definition, request: _Request) -> RunResult:
    s = request.settings
    if s.dask_address or s.dask_local:
        raise ResurgenceError(
            "a run on Dask writes its chunks to a directory its workers share: give out=DIR"
        )
    need = s.replicas * sum(a.nbytes for a in engine.allocate(model, 1).values())
    if need > MEMORY_LIMIT:
        raise ResurgenceError(
            f"{s.replicas:,} replicas of {model.n_months} months need {need / 2**30:.1f} GiB "
            f"in memory (more than {MEMORY_LIMIT / 2**30:g} GiB): give out=DIR to stream the "
            "run to a directory"
        )
    t0 = time.perf_counter()
    ensemble = engine.run(
        model,
        s.replicas,
        s.seed,
        chunk_size=s.chunk_size,
        workers=s.workers,
        progress=s.progress,
    )
    ensemble.attrs["run_spec"] = run_spec(model, s.replicas, s.seed, s.chunk_size)
    simulate_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    arrays = {name: variable.values for name, variable in ensemble.data_vars.items()}
    summary, probability, curve = _results(
        model, digest_in_chunks(model, arrays, definition, s.chunk_size), definition
    )
    manifest = _manifest(
        model,
        request,
        probability,
        curve,
        where=describe_local(s.workers),
        resumed=0,
        timings=(simulate_s, time.perf_counter() - t1),
    )
    return RunResult(
        manifest,
        summary=summary,
        probability=probability,
        curve=curve,
        ensemble=ensemble,
        _model=model,
    )


def _streamed(
    model: Model,
    definition: Definition,
    request: _Request,
    out: Path,
    resume: bool,
    catalog: Path | None,
) -> RunResult:
    s = request.settings
    if resume and (out / store.MANIFEST).is_file():
        raise ResurgenceError(f"{out}: this run is complete; nothing to resume")
    store.prepare_run_dir(out)
    partial = out / store.PARTIAL
    t0 = time.perf_counter()
    with executor(s.workers, s.dask_address, s.dask_local) as pool:
        total, resumed = run_to_store(
            model,
            s.replicas,
            s.seed,
            partial,
            definition,
            chunk_size=s.chunk_size,
            executor=pool,
            resume=resume,
            progress=s.progress,
        )
        where = pool.describe()
    simulate_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    summary, probability, curve = _results(model, total, definition)
    store.write_summary(out, summary)
    store.publish_ensemble(out, done_dir(partial))
    manifest = _manifest(
        model,
        request,
        probability,
        curve,
        where=where,
        resumed=resumed,
        timings=(simulate_s, time.perf_counter() - t1),
    )
    store.write_json_atomic(out / store.MANIFEST, manifest)
    store.register_run(
        catalog or store.default_catalog(),
        {
            "run_id": manifest["run_id"],
            "created": manifest["created"],
            "scenario": model.name,
            "scenario_hash": model.scenario_hash,
            "policies": ",".join(model.policies),
            "seed": s.seed,
            "replicas": s.replicas,
            "months": model.n_months,
            "probability": probability.estimate,
            "ci_low": probability.low,
            "ci_high": probability.high,
            "definition": definition.describe(),
            "version": __version__,
            "out_dir": str(out.resolve()),
            "command": manifest["command"],
        },
    )
    return RunResult(
        manifest,
        summary=summary,
        probability=probability,
        curve=curve,
        ensemble=store.read_ensemble(out),
        out=out,
        _model=model,
    )


def _results(
    model: Model, total: Digest, definition: Definition
) -> tuple[pd.DataFrame, Probability, list[float]]:
    """The summary, the probability and its curve of a run's digest."""
    probability, curve = from_first_hits(total.first_hits, total.replicas, definition)
    return total.summary.frame(model.months), probability, list(curve)


def _manifest(
    model: Model,
    request: _Request,
    probability: Probability,
    curve: list[float],
    *,
    where: str,
    resumed: int,
    timings: tuple[float, float],
) -> dict:
    """The run's manifest, as `manifest.json` holds it (lists, not tuples), so that a run
    read from its directory has the same manifest as the run that wrote it."""
    s = request.settings
    header = manifest_header(None, request.command, model)
    simulate_s, summarise_s = timings
    manifest = {
        "run_id": f"{model.name}-{model.scenario_hash[:8]}-{s.seed}-{s.replicas}-"
        f"{header['created']}",
        **header,
        "scenario_source": request.argument.source,
        "policies": model.policies,
        "conditions": dict(s.conditions),
        "parameters": request.parameters,
        "posterior": model.posterior.source if model.posterior else None,
        "posterior_digest": model.posterior.digest if model.posterior else None,
        "reported": model.reported,  # the channel of reported_attacks
        "seed": s.seed,
        "replicas": s.replicas,
        "months": model.n_months,
        "start": model.start,
        "end": model.months[-1],
        "chunk_size": s.chunk_size,
        "workers": s.workers,
        "executor": where,
        "resumed_chunks": resumed,
        "timings": {
            "simulate_s": round(simulate_s, 3),
            "summarise_s": round(summarise_s, 3),
            "total_s": round(time.perf_counter() - request.started, 3),
        },
        "resurgence": probability.as_dict(),
        "resurgence_by_horizon": [round(float(x), 6) for x in curve],
        "outputs": [store.ENSEMBLE, store.SUMMARY, store.MANIFEST],
    }
    return json.loads(json.dumps(manifest))


def _probability_of(recorded: dict) -> Probability:
    """The probability a manifest records (`Probability.as_dict`)."""
    definition = Definition(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in recorded["definition"].items()}
    )
    return Probability(
        recorded["probability"],
        recorded["ci_low"],
        recorded["ci_high"],
        recorded["replicas"],
        recorded["hits"],
        definition,
        recorded["months_covered"],
    )


def _model_of(manifest: dict) -> Model:
    """The model of a recorded run, compiled again; refused when the scenario, a policy
    or the posterior found is not the one the run was made with."""
    source = manifest.get("scenario_source") or manifest["scenario"]
    spec = resolve(source).spec
    layered = [load_policy(p, spec) for p in manifest["policies"]]
    model = compile_model(spec, layered, n_months=manifest["months"])
    if manifest.get("posterior"):
        model = with_posterior(model, posteriors.load(manifest["posterior"]))
    if manifest.get("conditions"):
        model = at_levels(model, condition_space(spec, model), manifest["conditions"])
    found = (model.scenario_hash, model.posterior.digest if model.posterior else None)
    if found != (manifest["scenario_hash"], manifest.get("posterior_digest")):
        raise ResurgenceError(
            f"{source}: the scenario, its policies or the posterior have changed since the "
            "run was made; its model cannot be compiled again"
        )
    return model
