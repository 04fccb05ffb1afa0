"""Run replicas chunk by chunk straight into a Zarr store, so that a run can be resumed.

The store is laid out as xarray writes a Dataset (Zarr format 2, `_ARRAY_DIMENSIONS`),
chunked along `replica` by the run's chunk size, so each chunk of replicas is exactly one
Zarr chunk of every variable and workers never write the same file. A chunk is marked done
(an empty file in the directory beside the store, `done_dir`) only after all its variables
are written; `resume` runs the chunks that are not marked, and because chunk i is always
seeded by (seed, i), a resumed run is bit-identical to an uninterrupted one. The store
records what it is a run of (`run_spec`); resuming with other settings is refused.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import zarr

from resurgence.engine.compile import Model
from resurgence.engine.run import (
    DESCRIPTIONS,
    allocate,
    chunk_bounds,
    coordinates,
    run_attributes,
    simulate_chunk,
    variable_dims,
)
from resurgence.errors import ResurgenceError


def done_dir(path: Path) -> Path:
    """Where the chunk markers of the store at `path` live: beside it, not inside, so the
    store holds nothing but the Zarr hierarchy."""
    return path.with_name(path.name + ".chunks")


def _create(path: Path, model: Model, replicas: int, chunk_size: int, spec: dict) -> None:
    group = zarr.open_group(str(path), mode="w", zarr_format=2)
    for name, template in allocate(model, 0).items():
        shape = (replicas, *template.shape[1:])
        fill = np.nan if template.dtype.kind == "f" else None
        array = group.create_array(
            name,
            shape=shape,
            chunks=(min(chunk_size, replicas), *template.shape[1:]),
            dtype=template.dtype,
            fill_value=fill,
        )
        array.attrs.update(
            {"_ARRAY_DIMENSIONS": list(variable_dims(name)), "description": DESCRIPTIONS[name]}
        )
    for name, values in coordinates(model, replicas).items():
        values = np.asarray(values)
        array = group.create_array(name, shape=values.shape, dtype=values.dtype, fill_value=None)
        array[:] = values
        array.attrs["_ARRAY_DIMENSIONS"] = [name]
    group.attrs.update({**run_attributes(model, spec["seed"]), "run_spec": spec})
    shutil.rmtree(done_dir(path), ignore_errors=True)
    done_dir(path).mkdir()


def _completed(path: Path, spec: dict) -> set[int]:
    try:
        recorded = zarr.open_group(str(path), mode="r").attrs.get("run_spec")
    except (FileNotFoundError, ValueError, KeyError):
        recorded = None
    if recorded is None or not done_dir(path).is_dir():
        raise ResurgenceError(
            f"{path}: not a run that can be resumed; run it again without --resume"
        )
    if recorded != spec:
        different = sorted(k for k in spec if recorded.get(k) != spec[k])
        raise ResurgenceError(
            f"{path}: the interrupted run was made with other settings ({', '.join(different)}); "
            "resume it with the same scenario, policies, seed, replicas, months and chunk size"
        )
    return {int(p.name.split("-")[1]) for p in done_dir(path).iterdir()}


def _write_chunk(args) -> int:
    model, lo, hi, seed, index, path = args
    out = simulate_chunk(model, lo, hi, seed, index)
    group = zarr.open_group(str(path), mode="r+")
    for name, values in out.items():
        group[name][lo:hi] = values
    (done_dir(Path(path)) / f"chunk-{index:06d}").touch()
    return hi - lo


def run_to_store(
    model: Model,
    replicas: int,
    seed: int,
    path: Path,
    *,
    chunk_size: int,
    workers: int = 1,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Simulate into the Zarr store at `path`; return how many chunks were already done."""
    bounds = chunk_bounds(replicas, chunk_size)
    spec = {
        "scenario_hash": model.scenario_hash,
        "policies": list(model.policies),
        "seed": seed,
        "replicas": replicas,
        "months": model.n_months,
        "chunk_size": chunk_size,
    }
    if resume and path.exists():
        done = _completed(path, spec)
    else:
        if path.exists():
            shutil.rmtree(path)
        _create(path, model, replicas, chunk_size, spec)
        done = set()
    if progress:
        progress(sum(hi - lo for i, (lo, hi) in enumerate(bounds) if i in done))
    tasks = [(model, lo, hi, seed, i, path) for i, (lo, hi) in enumerate(bounds) if i not in done]
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            n = _write_chunk(task)
            if progress:
                progress(n)
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks), os.cpu_count() or 1)) as ex:
            for future in as_completed([ex.submit(_write_chunk, task) for task in tasks]):
                n = future.result()
                if progress:
                    progress(n)
    zarr.consolidate_metadata(str(path))
    return len(done)
