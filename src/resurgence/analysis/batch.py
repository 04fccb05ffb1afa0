"""Evaluate many parameter sets of one model on common random numbers.

Scenario discovery asks the same question of thousands of parameter sets: with these
values, how likely is a resurgence, and how active is the group at the horizon? (The
sensitivity analysis asks it too, but of each replica, to remove the replicas' noise from
its indices: `analysis.sensitivity` evaluates its own chunks.) Each set runs `replicas`
replicas as one chunk, seeded like chunk 0 of a run, so every set sees the same random
numbers (common random numbers: differences between sets come from the parameters, not
from the draws). Workers reduce each chunk to the few numbers asked for, so memory does
not grow with the number of sets. A regional parameter is sampled as one number too, a
level or a factor (`analysis.conditions`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from resurgence.analysis.conditions import check_how, overrides
from resurgence.analysis.resurgence import Definition, first_hit, measure_series
from resurgence.core.model import Model
from resurgence.engine.executors import executor
from resurgence.engine.run import chunk_dataset, simulate_chunk
from resurgence.errors import ResurgenceError
from resurgence.months import month_offset


@dataclass(frozen=True)
class Evaluation:
    """Per parameter set: resurgence probability, and mean reported attacks and members
    of the focal group in the horizon's last month."""

    probability: np.ndarray
    attacks: np.ndarray
    members: np.ndarray
    hits: np.ndarray  # (sets, replicas) bool: resurgence in each replica
    replicas: int


def months_needed(model: Model, definition: Definition) -> int:
    """Months from the scenario's start to the end of the resurgence horizon."""
    return month_offset(model.start, definition.start) + definition.horizon


def _evaluate_set(args) -> tuple[np.ndarray, float, float]:
    model, values, how, replicas, seed, definition = args
    sampled = {name: np.full(replicas, value) for name, value in values.items()}
    out = simulate_chunk(model, 0, replicas, seed, 0, overrides(model, sampled, how))
    series = measure_series(chunk_dataset(model, out), definition)
    hits = first_hit(series, definition, model.months) >= 0
    last = month_offset(model.start, definition.start) + definition.horizon - 1
    attacks = float(out["reported_attacks"][:, last].sum(axis=(1, 2)).mean())
    members = float(out["members"][:, last, 0, :].sum(axis=1).mean())
    return hits, attacks, members


def evaluate(
    model: Model,
    samples: dict[str, np.ndarray],
    replicas: int,
    seed: int,
    definition: Definition,
    *,
    how: Mapping[str, str] | None = None,
    workers: int = 1,
    dask_address: str | None = None,
    dask_local: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Run every parameter set (row i of the arrays in `samples`, one array per parameter)
    on the same random numbers; `model` must run to the horizon's end. `how` says how each
    sampled number sets its parameter (`analysis.conditions.overrides`; default: a scalar's
    value). Sets run on `workers` local processes, or on a Dask cluster (see
    `resurgence.engine.executors`)."""
    if model.n_months < months_needed(model, definition):
        raise ResurgenceError(
            f"the model runs {model.n_months} months; the resurgence horizon needs "
            f"{months_needed(model, definition)}"
        )
    if not samples:
        raise ResurgenceError("no parameters to sample")
    how = dict(how or {})
    for name, values in samples.items():
        check_how(model, name, how.get(name, "value"))
        if not np.all(np.isfinite(values)):
            raise ResurgenceError(f"samples of {name} must be finite")
    sizes = {len(v) for v in samples.values()}
    if len(sizes) != 1:
        raise ResurgenceError("every sampled parameter needs the same number of sets")
    n_sets = sizes.pop()
    if n_sets == 0:
        raise ResurgenceError("no parameter sets to evaluate")
    tasks = [
        (model, {name: float(v[i]) for name, v in samples.items()}, how, replicas, seed, definition)
        for i in range(n_sets)
    ]
    results: list = [None] * n_sets
    with executor(workers, dask_address, dask_local) as pool:
        for i, result in pool.map(_evaluate_set, tasks):
            results[i] = result
            if progress:
                progress(1)
    hits = np.array([r[0] for r in results])
    return Evaluation(
        probability=hits.mean(axis=1),
        attacks=np.array([r[1] for r in results]),
        members=np.array([r[2] for r in results]),
        hits=hits,
        replicas=replicas,
    )
