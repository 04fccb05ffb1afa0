"""Run replicas of a model in fixed-size chunks, serially or on worker processes.

Seeding: one `SeedSequence(seed)` per run; chunk i uses `SeedSequence(seed,
spawn_key=(i,))`, which it spawns into one stream for scheduled events, one for the
observation model and one per process. Chunks have a fixed size, so results do not depend
on the number of workers or on the order in which chunks finish. Giving each process its
own stream keeps the random numbers of one process aligned across policies that change
another (common random numbers).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import xarray as xr

from resurgence import observe, posterior
from resurgence.engine.compile import Model
from resurgence.engine.state import State
from resurgence.engine.step import step
from resurgence.processes import PROCESSES
from resurgence.processes.base import Params

DEFAULT_CHUNK = 1000


@dataclass(frozen=True)
class Recorded:
    """A state variable kept for every month: its dims after (replica, month) and dtype."""

    dims: tuple[str, ...]
    dtype: type


RECORDED: dict[str, Recorded] = {
    "members": Recorded(("actor", "region"), np.int32),
    "treasury": Recorded((), np.float32),
    "income": Recorded((), np.float32),
    "revenue": Recorded((), np.float32),
    "paid_fraction": Recorded((), np.float32),
    "cohesion": Recorded((), np.float32),
    "posture": Recorded((), np.float32),
    "visibility": Recorded((), np.float32),
    "propaganda": Recorded((), np.float32),
    "host_unity": Recorded((), np.float32),
    "intel_share": Recorded((), np.float32),
    "monitoring": Recorded((), np.float32),
    "equipment": Recorded((), np.float32),
    "neighbour_pressure": Recorded((), np.float32),
    "ally_distrust": Recorded((), np.float32),
    "alliance": Recorded((), np.int8),
    "capacity": Recorded(("region",), np.float32),
    "attacks": Recorded(("region", "attack_type"), np.int32),
    "losses": Recorded(("region",), np.int32),
    "attrition": Recorded(("region",), np.int32),
    "recruits": Recorded(("region",), np.int32),
    "defections": Recorded(("actor",), np.int32),
    "deaths": Recorded(("region",), np.int32),
    "ended": Recorded((), np.int16),
    "end_cause": Recorded((), np.int8),
}

DESCRIPTIONS = {
    "members": "members of each group and faction, by region (persons)",
    "treasury": "focal group's cash at the end of the month (USD thousand)",
    "income": "money arrived through funding channels (USD thousand per month)",
    "revenue": "local revenue (USD thousand per month)",
    "paid_fraction": "share of the month's payroll paid",
    "cohesion": "organisational cohesion (0-1)",
    "posture": "posture (0 overt, 1 underground)",
    "visibility": "how active the group looks (0-1)",
    "propaganda": "propaganda output (relative to a normal month)",
    "host_unity": "host's unity (0-1)",
    "intel_share": "share of intelligence-led raids (0-1)",
    "monitoring": "host's financial monitoring level (0-1)",
    "equipment": "host's equipment for mountain operations (0-1)",
    "neighbour_pressure": "neighbour's strikes and killings (relative)",
    "ally_distrust": "the sheltered ally's distrust of the host, (1 - its relation to the "
    "host) / 2, in [0, 1]",
    "alliance": "1 while the sheltered ally and the focal group are allied, else 0",
    "capacity": "host's counter-terrorism capacity by region (relative)",
    "attacks": "latent attacks of the focal group by region and type",
    "losses": "focal members lost to the host's raids",
    "attrition": "focal members who left (pay, cohesion, reconciliation, other groups)",
    "recruits": "focal recruits from local pools",
    "defections": "members who joined the focal group, by origin",
    "deaths": "deaths caused by the focal group's attacks, by region (persons per month)",
    "ended": "month in which the focal group ended (the start of its last spell below the "
    "floor), counted from 1 = the first month, from the month the end is decided; 0 while not",
    "end_cause": "cause of the focal group's end: 0 not ended, 1 policing, 2 military force, "
    "3 politics, 4 splintering, 5 collapse (attrition), 6 victory",
}


def initial_state(model: Model, n: int) -> State:
    """`n` copies of the scenario's initial state."""
    init = model.initial
    U, K = init["members"].shape
    C = len(model.channel_names)
    J = len(model.attack_types)

    def rep(x, dtype=np.float64):
        x = np.asarray(x, dtype=dtype)
        return np.repeat(x[None, ...], n, axis=0)

    relation = rep(init["relation"])
    return State(
        members=rep(init["members"], np.int64),
        treasury=rep(init["treasury"]),
        arrears=np.zeros(n),
        paid_fraction=np.ones(n),
        cohesion=rep(init["cohesion"]),
        posture=rep(init["posture"]),
        visibility=rep(init["visibility"]),
        propaganda=rep(init["propaganda"]),
        sponsor_resources=rep(init["sponsor_resources"]),
        recruit_boost=np.zeros(n),
        channel_hub=np.zeros((n, C), dtype=np.int64),
        relocating=np.zeros((n, C), dtype=bool),
        fragmentation=rep(init["fragmentation"]),
        hub_crackdown=rep(init["hub_crackdown"]),
        monitoring=rep(init["monitoring"]),
        intel_share=rep(init["intel_share"]),
        capacity=rep(init["capacity"]),
        equipment=rep(init["equipment"]),
        recognition=rep(init["recognition"]),
        host_unity=rep(init["host_unity"]),
        relation=relation,
        relation_anchor=relation.copy(),
        neighbour_pressure=rep(init["neighbour_pressure"]),
        ally_distrust=np.zeros(n),
        expulsions=rep(init["expulsions"]),
        pool=np.full((n, K), np.nan),
        alliance=np.zeros(n),
        bloc_done=np.zeros((n, len(model.routes)), dtype=bool),
        excitation=np.full((n, K), np.nan),
        experience=np.full(n, np.nan),
        clock=np.zeros(n, dtype=np.int64),
        below_floor=np.zeros(n, dtype=np.int64),
        barren=np.zeros(n, dtype=np.int64),
        host_collapsed=np.zeros(n, dtype=np.int64),
        end_flows=np.zeros((n, 5)),
        ended=np.zeros(n, dtype=np.int64),
        end_cause=np.zeros(n, dtype=np.int8),
        income=np.zeros(n),
        revenue=np.zeros(n),
        attacks=np.zeros((n, K, J), dtype=np.int64),
        losses=np.zeros((n, K), dtype=np.int64),
        attrition=np.zeros((n, K), dtype=np.int64),
        recruits=np.zeros((n, K), dtype=np.int64),
        defections=np.zeros((n, U), dtype=np.int64),
        deaths=np.zeros((n, K), dtype=np.int64),
        raid_intel=np.zeros(n),
        reconciled=np.zeros(n, dtype=np.int64),
        splintered=np.zeros(n, dtype=np.int64),
    )


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


def chunk_seed(seed: int, index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(index,))


def chunk_streams(
    seed: int, index: int
) -> tuple[np.random.Generator, np.random.Generator, list[np.random.Generator]]:
    """Chunk `index`'s streams: scheduled events, the observation model, and one per
    process (see the module docstring)."""
    streams = chunk_seed(seed, index).spawn(2 + len(PROCESSES))
    event_rng, observe_rng = (np.random.default_rng(s) for s in streams[:2])
    return event_rng, observe_rng, [np.random.default_rng(s) for s in streams[2:]]


def posterior_draws(model: Model, n: int, seed: int, index: int) -> dict[str, np.ndarray] | None:
    """Chunk `index`'s parameter sets from the model's posterior (None without one), from
    a stream of their own so that they do not move any other random number."""
    if model.posterior is None:
        return None
    key = (index, posterior.DRAW_STREAM)
    return model.posterior.draw(
        n, np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
    )


def allocate(model: Model, n: int) -> dict[str, np.ndarray]:
    """Empty output arrays for `n` replicas: each recorded variable, (n, months, ...)."""
    sizes = {
        "actor": len(model.units),
        "region": len(model.regions),
        "attack_type": len(model.attack_types),
    }
    out = {
        name: np.empty((n, model.n_months, *(sizes[d] for d in rec.dims)), dtype=rec.dtype)
        for name, rec in RECORDED.items()
    }
    out["reported_attacks"] = np.empty_like(out["attacks"])
    return out


def simulate_chunk(
    model: Model,
    lo: int,
    hi: int,
    seed: int,
    index: int,
    overrides: dict[str, np.ndarray] | None = None,
    out: dict[str, np.ndarray] | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """Simulate replicas lo..hi-1 (chunk `index`) and return the recorded arrays, each
    (n, months, ...), plus `reported_attacks`; fills `out` (views of the run's arrays)
    when given, so a serial run copies nothing. With `timings`, seconds per process (and
    for events, recording and observation) are added to it."""
    n, T = hi - lo, model.n_months
    event_rng, observe_rng, process_rngs = chunk_streams(seed, index)
    params = chunk_params(model, lo, hi, overrides, posterior_draws(model, n, seed, index))
    state = initial_state(model, n)
    if out is None:
        out = allocate(model, n)
    saved: dict[int, np.ndarray] = {}
    for t in range(T):
        step(state, params, t, model, event_rng, process_rngs, saved, timings)
        start = time.perf_counter()
        for name in RECORDED:
            out[name][:, t] = getattr(state, name)
        _add(timings, "(recording)", start)
    start = time.perf_counter()
    reported = model.resurgence.reported
    out["reported_attacks"][:] = observe.report(out["attacks"], params, observe_rng, reported)
    _add(timings, "(observation)", start)
    return out


def _add(timings: dict[str, float] | None, name: str, start: float) -> None:
    if timings is not None:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


def chunk_bounds(replicas: int, chunk_size: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + chunk_size, replicas)) for lo in range(0, replicas, chunk_size)]


def _simulate_into(args) -> int:
    """Worker: simulate one chunk straight into the run's memory-mapped output files."""
    model, lo, hi, seed, index, overrides, files = args
    views = {name: np.load(path, mmap_mode="r+")[lo:hi] for name, path in files.items()}
    simulate_chunk(model, lo, hi, seed, index, overrides, views)
    for view in views.values():
        view.flush()
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
    out = allocate(model, replicas)
    if workers <= 1 or len(bounds) == 1:
        for i, (lo, hi) in enumerate(bounds):
            views = {name: arr[lo:hi] for name, arr in out.items()}
            simulate_chunk(model, lo, hi, seed, i, overrides, views)
            if progress:
                progress(hi - lo)
    else:
        out = _run_on_workers(model, bounds, seed, overrides, out, workers, progress)
    return to_dataset(model, out, seed)


def _run_on_workers(model, bounds, seed, overrides, out, workers, progress):
    """Run chunks on worker processes that write into memory-mapped files, so results are
    not pickled back through pipes; the files are read into memory and removed."""
    with tempfile.TemporaryDirectory(prefix="resurgence-run-") as tmp:
        files = {}
        for name, arr in out.items():
            files[name] = os.path.join(tmp, f"{name}.npy")
            np.lib.format.open_memmap(files[name], "w+", arr.dtype, arr.shape).flush()
        tasks = [(model, lo, hi, seed, i, overrides, files) for i, (lo, hi) in enumerate(bounds)]
        pool = min(workers, len(tasks), os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=pool) as ex:
            for done in as_completed([ex.submit(_simulate_into, task) for task in tasks]):
                n = done.result()
                if progress:
                    progress(n)
        return {name: np.load(path) for name, path in files.items()}


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
    channel = observe.CHANNELS[model.resurgence.reported]
    reported = f"{channel.description} (observation model: {channel.rate})"
    return DESCRIPTIONS | {"reported_attacks": reported}


def run_attributes(model: Model, seed: int) -> dict:
    return {
        "scenario": model.name,
        "focal": model.units[0],
        "seed": seed,
        "policies": ",".join(model.policies),
        "scenario_hash": model.scenario_hash,
        "reported": model.resurgence.reported,
    }


def to_dataset(model: Model, out: dict[str, np.ndarray], seed: int) -> xr.Dataset:
    """Wrap the run's arrays in an xarray Dataset with named dimensions (no copy)."""
    described = descriptions(model)
    data_vars = {
        name: (variable_dims(name), data, {"description": described[name]})
        for name, data in out.items()
    }
    replicas = out["treasury"].shape[0]
    return xr.Dataset(
        data_vars, coords=coordinates(model, replicas), attrs=run_attributes(model, seed)
    )
