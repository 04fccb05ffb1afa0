"""Run replicas of a model in fixed-size chunks, serially or on worker processes.

Seeding: chunk i of a run draws from the named streams of `core/streams.py` (purpose
"run", key i): one for scheduled events, one for the observation model, one for its
parameter sets from a posterior, and one per process, named after it. Chunks have a fixed
size, so results do not depend
on the number of workers or on the order in which chunks finish. Giving each process its
own stream keeps the random numbers of one process aligned across policies that change
another (common random numbers).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np
import xarray as xr

from resurgence import observe
from resurgence.catalogue import PROCESSES
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.core.parameters import Params
from resurgence.core.process import Process
from resurgence.core.state import FOCAL, RECORDED, VARIABLES, State, filled
from resurgence.engine.shared import inherited_arrays
from resurgence.engine.step import step
from resurgence.engine.workers import exit_with_parent

DEFAULT_CHUNK = 1000


def initial_state(model: Model, n: int) -> State:
    """`n` copies of the scenario's initial state, each variable as `VARIABLES` declares it."""
    sizes = model.sizes
    arrays = {}
    for name, spec in VARIABLES.items():
        shape = (n, *(sizes[d] for d in spec.dims))
        if isinstance(spec.initial, str):
            start = np.asarray(model.initial[spec.initial], dtype=spec.dtype)
            arrays[name] = np.repeat(start[None, ...], n, axis=0).reshape(shape)
        else:
            arrays[name] = filled(spec, shape)
    return State(**arrays)


def chunk_params(
    model: Model,
    lo: int,
    hi: int,
    overrides: dict[str, np.ndarray] | None = None,
    draws: dict[str, np.ndarray] | None = None,
) -> Params:
    """Parameter arrays for replicas lo..hi-1: (n,) for scalars, (n, K) for regional ones.

    `overrides` gives per-replica values for some parameters (shape (replicas,) or
    (replicas, K)), as sensitivity analysis needs; `draws` gives the chunk's own values
    (shape (n,)), as a posterior does. Overrides win over draws.
    """
    n = hi - lo
    params: Params = {}
    for name, value in model.values.items():
        if overrides and name in overrides:
            arr = np.asarray(overrides[name], dtype=np.float64)[lo:hi]
        elif draws and name in draws:
            arr = np.asarray(draws[name], dtype=np.float64)
        else:
            params[name] = np.repeat(value[None, ...], n, axis=0)
            continue
        if value.ndim == 1 and arr.ndim == 1:
            arr = np.repeat(arr[:, None], value.shape[0], axis=1)
        params[name] = arr.copy()
    return params


def chunk_streams(
    seed: int, purpose: str = "run", *key: int
) -> tuple[np.random.Generator, np.random.Generator, list[np.random.Generator]]:
    """The streams of a chunk of replicas (`key`: the chunk's index in a run): scheduled
    events, the observation model, and one per process, each named (`core/streams.py`)."""
    return (
        streams.stream(seed, purpose, *key, "events"),
        streams.stream(seed, purpose, *key, "observe"),
        [streams.stream(seed, purpose, *key, process.name) for process in PROCESSES],
    )


def posterior_draws(
    model: Model, n: int, seed: int, purpose: str = "run", *key: int
) -> dict[str, np.ndarray] | None:
    """A chunk's parameter sets from the model's posterior (None without one), from a
    stream of their own so that they do not move any other random number."""
    if model.posterior is None:
        return None
    return model.posterior.draw(n, streams.stream(seed, purpose, *key, "posterior"))


def output_specs(model: Model, n: int) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of each output array for `n` replicas: each recorded variable,
    (n, months, ...), and `reported_attacks`."""
    sizes = model.sizes
    specs = {
        name: ((n, model.n_months, *(sizes[d] for d in rec.dims)), np.dtype(rec.recorded))
        for name, rec in RECORDED.items()
    }
    specs["reported_attacks"] = specs["attacks"]
    return specs


def allocate(model: Model, n: int) -> dict[str, np.ndarray]:
    """Empty output arrays for `n` replicas (`output_specs`)."""
    return {name: np.empty(shape, dtype) for name, (shape, dtype) in output_specs(model, n).items()}


def simulate_chunk(
    model: Model,
    lo: int,
    hi: int,
    seed: int,
    index: int,
    overrides: dict[str, np.ndarray] | None = None,
    out: dict[str, np.ndarray] | None = None,
    timings: dict[str, float] | None = None,
    processes: Sequence[Process] = PROCESSES,
) -> dict[str, np.ndarray]:
    """Simulate replicas lo..hi-1 (chunk `index`) and return the recorded arrays, each
    (n, months, ...), plus `reported_attacks`; fills `out` (views of the run's arrays)
    when given, so a serial run copies nothing. With `timings`, seconds per process (and
    for events, recording and observation) are added to it. `processes`: as `step` takes
    them."""
    n, T = hi - lo, model.n_months
    event_rng, observe_rng, process_rngs = chunk_streams(seed, "run", index)
    params = chunk_params(model, lo, hi, overrides, posterior_draws(model, n, seed, "run", index))
    state = initial_state(model, n)
    if out is None:
        out = allocate(model, n)
    saved: dict[int, np.ndarray] = {}
    for t in range(T):
        step(state, params, t, model, event_rng, process_rngs, saved, timings, None, processes)
        start = time.perf_counter()
        for name in RECORDED:
            out[name][:, t] = getattr(state, name)
        _add(timings, "(recording)", start)
    start = time.perf_counter()
    reported = model.reported
    out["reported_attacks"][:] = observe.report(out["attacks"], params, observe_rng, reported)
    _add(timings, "(observation)", start)
    return out


def _add(timings: dict[str, float] | None, name: str, start: float) -> None:
    if timings is not None:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


def chunk_bounds(replicas: int, chunk_size: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + chunk_size, replicas)) for lo in range(0, replicas, chunk_size)]


_OUTPUTS: dict[int, dict[str, np.ndarray]] = {}  # runs on workers now, by token
_TOKENS = itertools.count()


def _simulate_into(args) -> int:
    """Worker: simulate one chunk straight into the run's output arrays, which this
    worker inherited from the main process (`_run_on_workers`)."""
    model, lo, hi, seed, index, overrides, token = args
    views = {name: arr[lo:hi] for name, arr in _OUTPUTS[token].items()}
    simulate_chunk(model, lo, hi, seed, index, overrides, views)
    return hi - lo


def run(
    model: Model,
    replicas: int,
    seed: int,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    workers: int = 1,
    overrides: dict[str, np.ndarray] | None = None,
    progress: Callable[[int], None] | None = None,
) -> xr.Dataset:
    """Simulate `replicas` replicas of `model` and return the ensemble as a Dataset."""
    bounds = chunk_bounds(replicas, chunk_size)
    if workers <= 1 or len(bounds) == 1:
        out = allocate(model, replicas)
        for i, (lo, hi) in enumerate(bounds):
            views = {name: arr[lo:hi] for name, arr in out.items()}
            simulate_chunk(model, lo, hi, seed, i, overrides, views)
            if progress:
                progress(hi - lo)
    else:
        out = _run_on_workers(model, replicas, bounds, seed, overrides, workers, progress)
    return to_dataset(model, out, seed)


def _run_on_workers(model, replicas, bounds, seed, overrides, workers, progress):
    """Run chunks on worker processes forked after the run's output arrays were made in
    anonymous shared memory (`engine/shared.inherited_arrays`): the workers write the
    results straight into the arrays the main process returns, so nothing is sent back or
    copied, and nothing outlives the processes however they end."""
    token = next(_TOKENS)
    _OUTPUTS[token] = out = inherited_arrays(output_specs(model, replicas))
    try:
        tasks = [(model, lo, hi, seed, i, overrides, token) for i, (lo, hi) in enumerate(bounds)]
        pool = min(workers, len(tasks), os.cpu_count() or 1)
        fork = multiprocessing.get_context("fork")  # the workers must inherit `out`
        with ProcessPoolExecutor(pool, fork, initializer=exit_with_parent) as ex:
            for done in as_completed([ex.submit(_simulate_into, task) for task in tasks]):
                n = done.result()
                if progress:
                    progress(n)
        return out
    finally:
        del _OUTPUTS[token]


def variable_dims(name: str) -> tuple[str, ...]:
    """Dimension names of an output variable."""
    return ("replica", "month", *(RECORDED.get(name) or RECORDED["attacks"]).dims)


def coordinates(model: Model, replicas: int) -> dict[str, np.ndarray | list]:
    return {
        "replica": np.arange(replicas),
        "month": model.months,
        "actor": model.units,
        "region": model.regions,
        "attack_type": model.attack_types,
    }


def descriptions(model: Model) -> dict[str, str]:
    """What each output variable is; `reported_attacks` names the channel it came
    through (the scenario's `[resurgence] reported`)."""
    channel = observe.CHANNELS[model.reported]
    reported = f"{channel.description} (observation model: {channel.rate})"
    return {name: spec.doc for name, spec in RECORDED.items()} | {"reported_attacks": reported}


def run_attributes(model: Model, seed: int) -> dict:
    return {
        "scenario": model.name,
        "focal": model.units[FOCAL],
        "seed": seed,
        "policies": ",".join(model.policies),
        "scenario_hash": model.scenario_hash,
        "reported": model.reported,
    }


def chunk_dataset(model: Model, out: dict[str, np.ndarray]) -> xr.Dataset:
    """A chunk's (or a run's) arrays as a Dataset with named dims and described variables,
    without copying them, so analyses read a chunk as they read a run."""
    described = descriptions(model)
    data_vars = {
        name: (variable_dims(name), data, {"description": described[name]})
        for name, data in out.items()
    }
    replicas = out["treasury"].shape[0]
    return xr.Dataset(data_vars, coords=coordinates(model, replicas))


def to_dataset(model: Model, out: dict[str, np.ndarray], seed: int) -> xr.Dataset:
    """The run's arrays as its ensemble: `chunk_dataset` with the run's attributes."""
    return chunk_dataset(model, out).assign_attrs(run_attributes(model, seed))
