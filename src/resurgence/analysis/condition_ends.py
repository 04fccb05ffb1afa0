"""Does each condition of resurgence move the probability the way the analysis argues?

The analysis argues each condition's direction: a resurgence is more likely when the
condition turns in the armed group's favour. For each condition of the scenario, two arms
run `replicas` replicas as `resurgence run` does (its chunks, seeds and posterior draws),
one with every parameter of the condition at the end of its range in the group's favour
(`group_favours`), one with every parameter at the other end; the other parameters keep
the scenario's values or the replica's posterior draw. Replica i has the same random
streams and the same draw in both arms (common random numbers), so the arms differ only
by the condition, and the difference (favour minus against) is paired, with Newcombe's
interval (`compare.paired_difference`). The interval agrees with the analysis when it
lies above 0 and contradicts it when it lies below; otherwise the replicas cannot tell.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from resurgence.analysis.batch import months_needed
from resurgence.analysis.compare import paired_difference
from resurgence.analysis.conditions import condition_space, end_values, how_of, overrides
from resurgence.analysis.resurgence import (
    Definition,
    first_hit,
    measure_series,
    wilson_interval,
)
from resurgence.core.model import Model
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.engine.executors import executor
from resurgence.engine.run import DEFAULT_CHUNK, chunk_bounds, chunk_dataset, simulate_chunk
from resurgence.errors import ResurgenceError
from resurgence.posterior import Posterior
from resurgence.scenarios.schema import Scenario

ARGUED = "higher in the group's favour"
COLUMNS = [
    "condition",
    "parameters",
    "favour",
    "favour_low",
    "favour_high",
    "against",
    "against_low",
    "against_high",
    "diff",
    "diff_low",
    "diff_high",
    "argued",
    "agrees",
    "verdict",
    "replicas",
]


def model_and_space(
    scenario: Scenario, definition: Definition, posterior: Posterior | None = None
) -> tuple[Model, pd.DataFrame]:
    """The scenario's model, run to the horizon's end and with `posterior` when given (as
    `resurgence run` uses it), and its conditions' space (`condition_space`)."""
    model = compile_model(scenario)
    model = compile_model(scenario, n_months=months_needed(model, definition))
    if posterior is not None:
        model = with_posterior(model, posterior)
    return model, condition_space(scenario, model)


def _chunk_hits(args) -> np.ndarray:
    """Whether each replica of one chunk of one arm resurges."""
    model, lo, hi, seed, index, values, how, definition = args
    sampled = {name: np.full(hi, value) for name, value in values.items()}  # indexed lo..hi-1
    out = simulate_chunk(model, lo, hi, seed, index, overrides(model, sampled, how))
    series = measure_series(chunk_dataset(model, out), definition)
    return first_hit(series, definition, model.months) >= 0


def _verdict(low: float, high: float) -> str:
    if low > 0:
        return "agrees"
    if high < 0:
        return "opposite"
    return "unclear"


def condition_ends(
    model: Model,
    space: pd.DataFrame,
    definition: Definition,
    *,
    replicas: int = 1000,
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """One row per condition of `space` (`condition_space`): the probability of resurgence
    with its parameters at the end in the group's favour and at the end against it (each
    with its Wilson 95% interval), the paired difference favour - against with its 95%
    interval, the direction the analysis argues, whether the interval agrees (`agrees`:
    it excludes 0 on the argued side) and a `verdict` ('agrees', 'opposite', 'unclear').
    `model` must run to the horizon's end; chunks run on `workers` processes."""
    if replicas < 2:
        raise ResurgenceError("--replicas must be at least 2")
    if model.n_months < months_needed(model, definition):
        raise ResurgenceError(
            f"the model runs {model.n_months} months; the resurgence horizon needs "
            f"{months_needed(model, definition)}"
        )
    how = how_of(space)
    conditions = list(dict.fromkeys(space["condition"]))
    arms = [
        end_values(space[space["condition"] == condition], favour)
        for condition in conditions
        for favour in (True, False)
    ]
    bounds = chunk_bounds(replicas, DEFAULT_CHUNK)
    tasks = [
        (model, lo, hi, seed, index, values, how, definition)
        for values in arms
        for index, (lo, hi) in enumerate(bounds)
    ]
    hits: list = [None] * len(tasks)
    with executor(workers) as pool:
        for i, result in pool.map(_chunk_hits, tasks):
            hits[i] = result
            if progress:
                progress(result.size)
    chunks = len(bounds)
    per_arm = [np.concatenate(hits[a * chunks : (a + 1) * chunks]) for a in range(len(arms))]
    rows = []
    for c, condition in enumerate(conditions):
        favour, against = per_arm[2 * c], per_arm[2 * c + 1]
        diff, low, high = paired_difference(against, favour)
        verdict = _verdict(low, high)
        rows.append(
            [
                condition,
                ", ".join(space.loc[space["condition"] == condition, "parameter"]),
                float(favour.mean()),
                *wilson_interval(int(favour.sum()), replicas),
                float(against.mean()),
                *wilson_interval(int(against.sum()), replicas),
                diff,
                low,
                high,
                ARGUED,
                verdict == "agrees",
                verdict,
                replicas,
            ]
        )
    return pd.DataFrame(rows, columns=COLUMNS)
