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

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr

from resurgence.analysis.resurgence import (
    Definition,
    first_hit,
    hit_counts,
    measure_series,
)
from resurgence.analysis.summary import OnlineSummary
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.engine.executors import Executor
from resurgence.engine.run import (
    allocate,
    chunk_bounds,
    chunk_dataset,
    coordinates,
    descriptions,
    run_attributes,
    simulate_chunk,
    variable_dims,
)
from resurgence.errors import ResurgenceError

RAW = ("members", "treasury", "attacks", "reported_attacks")  # the arrays a digest reads


def done_dir(path: Path) -> Path:
    """Where the chunk markers of the store at `path` live: beside it, not inside, so the
    store holds nothing but the Zarr hierarchy."""
    return path.with_name(path.name + ".chunks")


def _create(path: Path, model: Model, replicas: int, chunk_size: int, spec: dict) -> None:
    group = zarr.open_group(str(path), mode="w", zarr_format=2)
    described = descriptions(model)
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
            {"_ARRAY_DIMENSIONS": list(variable_dims(name)), "description": described[name]}
        )
    for name, values in coordinates(model, replicas).items():
        values = np.asarray(values)
        array = group.create_array(name, shape=values.shape, dtype=values.dtype, fill_value=None)
        array[:] = values
        array.attrs["_ARRAY_DIMENSIONS"] = [name]
    group.attrs.update({**run_attributes(model, spec["seed"]), "run_spec": spec})
    shutil.rmtree(done_dir(path), ignore_errors=True)
    done_dir(path).mkdir()


def _completed(path: Path, spec: dict) -> set[int] | None:
    try:
        recorded = zarr.open_group(str(path), mode="r").attrs.get("run_spec")
    except (FileNotFoundError, ValueError, KeyError):
        recorded = None
    if recorded is None or not done_dir(path).is_dir():
        return None  # killed while the store was being created: no chunk is done
    if recorded != spec:
        different = sorted(k for k in spec if recorded.get(k) != spec[k])
        raise ResurgenceError(
            f"{path}: the interrupted run was made with other settings ({', '.join(different)}); "
            "resume it with the same scenario, posterior, policies, seed, replicas, months and "
            "chunk size (a run written by a version with other random streams cannot be resumed)"
        )
    return {int(p.name.split("-")[1]) for p in done_dir(path).iterdir()}


@dataclass
class Digest:
    """What a run keeps of its chunks: the online summary and the number of replicas that
    first resurge in each month of the horizon; digests of chunks add up."""

    summary: OnlineSummary
    first_hits: np.ndarray
    replicas: int = 0

    @classmethod
    def empty(cls, model: Model) -> Digest:
        """The digest of no replica, which chunks' digests are added to."""
        return cls(OnlineSummary(model.units, model.regions, model.n_months), 0, 0)

    def add(self, other: Digest) -> None:
        self.summary.merge(other.summary)
        self.first_hits = self.first_hits + other.first_hits
        self.replicas += other.replicas


def digest(model: Model, out: dict[str, np.ndarray], definition: Definition) -> Digest:
    """The digest of one chunk's raw arrays."""
    summary = OnlineSummary(model.units, model.regions, model.n_months)
    summary.update(out)
    series = measure_series(chunk_dataset(model, out), definition)
    hit = first_hit(series, definition, model.months)
    n = out["treasury"].shape[0]
    return Digest(summary, hit_counts(hit, definition, model.months), n)


def digest_in_chunks(
    model: Model, out: dict[str, np.ndarray], definition: Definition, chunk_size: int
) -> Digest:
    """The digest of a whole run's arrays held in memory, made chunk by chunk and merged
    in chunk order as `run_to_store` makes it, so that a run kept in memory and the same
    run streamed to a store have the same summary and probability to the last bit."""
    total = Digest.empty(model)
    for lo, hi in chunk_bounds(out["treasury"].shape[0], chunk_size):
        total.add(digest(model, {name: out[name][lo:hi] for name in RAW}, definition))
    return total


def run_spec(model: Model, replicas: int, seed: int, chunk_size: int) -> dict:
    """What a store is a run of (its `run_spec` attribute): a resumed run must match it."""
    return {
        "scenario_hash": model.scenario_hash,
        "values": values_digest(model),
        "posterior": model.posterior.digest if model.posterior else None,
        "policies": list(model.policies),
        "seed": seed,
        "replicas": replicas,
        "months": model.n_months,
        "chunk_size": chunk_size,
        "streams": streams.SCHEME,
    }


def values_digest(model: Model) -> str:
    """A digest of every parameter's value, so that a run resumed with the scenario's
    conditions turned differently (`Settings.conditions`) is refused."""
    h = hashlib.sha256()
    for name in sorted(model.values):
        h.update(name.encode())
        h.update(np.ascontiguousarray(model.values[name], dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


def _write_chunk(args) -> Digest:
    model, lo, hi, seed, index, path, definition = args
    out = simulate_chunk(model, lo, hi, seed, index)
    group = zarr.open_group(str(path), mode="r+")
    for name, values in out.items():
        group[name][lo:hi] = values
    (done_dir(Path(path)) / f"chunk-{index:06d}").touch()
    return digest(model, out, definition)


def _read_chunk(path: Path, lo: int, hi: int) -> dict[str, np.ndarray]:
    """A completed chunk's arrays, read back from the store (for a resumed run's digest)."""
    group = zarr.open_group(str(path), mode="r")
    return {name: group[name][lo:hi] for name in RAW}


def run_to_store(
    model: Model,
    replicas: int,
    seed: int,
    path: Path,
    definition: Definition,
    *,
    chunk_size: int,
    executor: Executor | None = None,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[Digest, int]:
    """Simulate into the Zarr store at `path`, chunk by chunk, on `executor` (default:
    this process); return the run's digest and how many chunks were already done."""
    executor = executor or Executor("serial", 1)
    bounds = chunk_bounds(replicas, chunk_size)
    spec = run_spec(model, replicas, seed, chunk_size)
    done = _completed(path, spec) if resume and path.exists() else None
    if done is None:
        if path.exists():
            shutil.rmtree(path)
        _create(path, model, replicas, chunk_size, spec)
        done = set()
    total = Digest.empty(model)
    # Digests are merged in chunk order, whatever order chunks finish in, so that sums of
    # real numbers (the treasury's mean) come out the same to the last bit.
    finished: dict[int, Digest] = {}
    merged = 0

    def merge_ready() -> None:
        nonlocal merged
        while merged < len(bounds):
            if merged in done:
                lo, hi = bounds[merged]
                total.add(digest(model, _read_chunk(path, lo, hi), definition))
                if progress:
                    progress(hi - lo)
            elif merged in finished:
                total.add(finished.pop(merged))
            else:
                return
            merged += 1

    merge_ready()
    tasks = [
        (model, lo, hi, seed, i, str(path), definition)
        for i, (lo, hi) in enumerate(bounds)
        if i not in done
    ]
    for position, result in executor.map(_write_chunk, tasks):
        _, lo, hi, _, index, _, _ = tasks[position]
        finished[index] = result
        if progress:
            progress(hi - lo)
        merge_ready()
    zarr.consolidate_metadata(str(path))
    return total, len(done)
