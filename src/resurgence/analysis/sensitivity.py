"""Global sensitivity analysis with SALib: which condition drives a resurgence?

SALib's three verbs, with the model evaluated in between by a function passed in:

1. **Define the problem.** The scenario's `[conditions]` name the analysis's conditions
   of resurgence (for `isk`: funding alignment, organisational decay, host unity, the
   host's weak spots, windfalls), each with the parameters that express it. Each
   parameter varies uniformly over its plausible range (`Parameter.low`/`.high`, or the
   condition's narrower `ranges`), a regional one as a whole: one level in every region,
   or a factor on each region's value (`analysis.conditions`); the conditions are
   SALib's `groups`.
2. **Sample.** Sobol' (`SALib.sample.sobol.sample`, Saltelli's scheme on a scrambled
   Sobol' sequence, first and total order only) or Morris
   (`SALib.sample.morris.sample`, 4 levels).
3. **Evaluate** every parameter set with the function given (`Evaluator`: an array of
   sets, one row per set and one column per parameter, to one array per output). For the
   engine, `engine_evaluator` runs `replicas` replicas per set on common random numbers
   (`resurgence.analysis.batch.evaluate`) and returns the resurgence probability and the
   mean reported attacks of the focal group in the horizon's last month. With common
   random numbers each output is a deterministic function of the parameters, which is
   what Sobol' and Morris assume; the Monte-Carlo error of a finite number of replicas
   shows up as a rough part of that function, shared by all parameters, so with few
   replicas the indices of weak parameters are inflated a little and their sum exceeds 1.
4. **Analyse** each output (`SALib.analyze.sobol.analyze` / `SALib.analyze.morris.analyze`)
   at two levels: per condition (grouped) and per parameter (ungrouped).

Two designs, one set of runs. SALib's grouped Sobol' gives indices per group only, and
its ungrouped Sobol' per parameter only: the grouped design crosses whole groups of
columns between the base matrices A and B, the ungrouped one single columns, so neither
design holds the rows the other needs. Both are sampled here, with the same seed, and
SALib builds A and B from the same scrambled Sobol' sequence whatever the groups are,
so the two designs share their A and B rows bit for bit. Every distinct parameter set is
evaluated once (the evaluator must be deterministic, as the engine's is) and each design
reads its outputs back. Cost, with D parameters in G conditions and N base samples:

* Sobol': N(D + 2) rows per parameter plus N(G + 2) per condition, of which 2N (A and
  B) are shared, and N more for each condition of a single parameter (its rows are that
  parameter's): at most N(D + G + 2) evaluated sets. For `isk` (D = 16, G = 5, no
  condition of one parameter), 23N sets instead of 25N for two separate runs; the
  per-condition indices alone would cost 7N, the per-parameter ones alone 18N.
* Morris: N(D + 1) + N(G + 1) sets for N trajectories (23N for `isk`); the two designs
  share no rows in general.

At N = 1024 and 256 replicas a set, a Sobol' analysis of `isk` runs 23,552 sets, about
6 million replicas of 65 months.

Indices come with SALib's bootstrap confidence intervals (95%): `S1_conf`, `ST_conf`
and `mu_star_conf` are half-widths. Morris's `sigma` (the spread of the elementary
effects) is NaN for a condition of more than one parameter, as SALib leaves it. An output
that does not vary over the sets (e.g. a probability that is 0 everywhere) has nothing to
apportion: its Sobol' indices are NaN, not SALib's warning and a division by zero. One
`seed` fixes the design and the bootstrap; the engine's common random numbers use the same
seed, as `resurgence run` does.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from resurgence.analysis.batch import evaluate as evaluate_batch
from resurgence.analysis.conditions import condition_space, how_of
from resurgence.analysis.resurgence import Definition
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.errors import ResurgenceError
from resurgence.scenarios.schema import Scenario

METHODS = ("sobol", "morris")
LEVELS = ("condition", "parameter")
MORRIS_LEVELS = 4  # grid levels of the Morris design (SALib's default)
CONFIDENCE = 0.95
RESAMPLES = 100  # bootstrap resamples for the confidence intervals (SALib's default)
OUTPUTS = {
    "probability": "probability of resurgence (share of replicas), per parameter set",
    "attacks": "mean reported attacks of the focal group in the horizon's last month",
}
COLUMNS = {
    "sobol": ["output", "level", "name", "condition", "S1", "S1_conf", "ST", "ST_conf"],
    "morris": ["output", "level", "name", "condition", "mu_star", "mu_star_conf", "sigma"],
}

Evaluator = Callable[[np.ndarray], Mapping[str, np.ndarray]]
"""Parameter sets (sets, parameters) -> {output name: values (sets,)}; deterministic."""


@dataclass(frozen=True)
class Problem:
    """Parameters, the condition each belongs to, the uniform range each varies on, and
    how each sampled number sets its parameter (`analysis.conditions`)."""

    names: tuple[str, ...]
    conditions: tuple[str, ...]  # the condition of each parameter
    bounds: tuple[tuple[float, float], ...]
    how: tuple[str, ...]  # 'value', 'level' or 'scale', for each parameter

    @property
    def how_of(self) -> dict[str, str]:
        """Each parameter's `how`."""
        return dict(zip(self.names, self.how, strict=True))

    @property
    def condition_names(self) -> list[str]:
        """The conditions in the order they first appear."""
        return list(dict.fromkeys(self.conditions))

    def salib(self, grouped: bool) -> dict:
        """SALib's problem dictionary, with the conditions as `groups` when grouped."""
        problem = {
            "num_vars": len(self.names),
            "names": list(self.names),
            "bounds": [list(b) for b in self.bounds],
        }
        if grouped:
            problem["groups"] = list(self.conditions)
        return problem


def define_problem(
    conditions: Mapping[str, Sequence[str]],
    bounds: Mapping[str, tuple[float, float]],
    how: Mapping[str, str] | None = None,
) -> Problem:
    """A problem from conditions (name -> parameters), each parameter's (low, high) and
    how it is set (default: its value)."""
    names: list[str] = []
    groups: list[str] = []
    for condition, parameters in conditions.items():
        for name in parameters:
            if name in names:
                raise ResurgenceError(
                    f"{name} is in conditions {groups[names.index(name)]!r} and {condition!r}"
                )
            names.append(name)
            groups.append(condition)
    if not names:
        raise ResurgenceError("no parameters to analyse: the conditions list none")
    ranges = []
    for name in names:
        low, high = (float(x) for x in bounds[name])
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ResurgenceError(
                f"{name}: its range [{low:g}, {high:g}] must be finite with low < high "
                "to be sampled"
            )
        ranges.append((low, high))
    kinds = tuple((how or {}).get(name, "value") for name in names)
    return Problem(tuple(names), tuple(groups), tuple(ranges), kinds)


def problem_from_scenario(scenario: Scenario, model: Model) -> Problem:
    """The scenario's conditions, with each parameter's range explored (`condition_space`)."""
    space = condition_space(scenario, model)
    conditions = {c: list(rows["parameter"]) for c, rows in space.groupby("condition", sort=False)}
    bounds = {row.parameter: (row.low, row.high) for row in space.itertuples(index=False)}
    return define_problem(conditions, bounds, how_of(space))


def check_samples(method: str, n: int) -> None:
    """Raise a `ResurgenceError` naming the option when `method` or `n` cannot be used."""
    if method not in METHODS:
        raise ResurgenceError(
            f"--method: unknown method {method!r}; expected one of: " + ", ".join(METHODS)
        )
    if n < 2:
        what = "base samples" if method == "sobol" else "trajectories"
        raise ResurgenceError(f"--samples: {n} {what}; at least 2 are needed")
    if method == "sobol" and n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise ResurgenceError(
            f"--samples: {n} is not a power of 2, which Sobol' sampling needs to keep its "
            f"balance; use {below} or {below * 2}"
        )


def _seeds(seed: int) -> tuple[int, int]:
    """Seeds of the design and of the bootstrap, derived from one seed. (SALib's Sobol'
    analysis treats a seed of 0 as no seed, so neither is 0.)"""
    state = streams.seed_sequence(seed, "design", "sensitivity").generate_state(2)
    return int(state[0]) or 1, int(state[1]) or 1


@dataclass(frozen=True)
class Design:
    """The two designs (per parameter and per condition) and the distinct sets they need.

    `sets[parameter_index]` is SALib's per-parameter design, `sets[condition_index]` its
    per-condition design."""

    method: str
    n: int
    seed: int
    sets: np.ndarray  # (distinct sets, parameters), in order of first appearance
    parameter_index: np.ndarray  # row of the per-parameter design -> set
    condition_index: np.ndarray  # row of the per-condition design -> set

    @property
    def n_sets(self) -> int:
        return self.sets.shape[0]

    @property
    def n_rows(self) -> int:
        return len(self.parameter_index) + len(self.condition_index)


def sample(problem: Problem, method: str, n: int, seed: int) -> Design:
    """Sample both designs with SALib and keep each distinct parameter set once."""
    check_samples(method, n)
    design_seed, _ = _seeds(seed)
    rows = []
    for grouped in (False, True):
        salib = problem.salib(grouped)
        if method == "sobol":
            x = sobol_sample.sample(salib, n, calc_second_order=False, seed=design_seed)
        else:
            x = morris_sample.sample(salib, n, num_levels=MORRIS_LEVELS, seed=design_seed)
        rows.append(x)
    both = np.vstack(rows)
    _, first, inverse = np.unique(both, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)  # distinct sets in the order they first appear
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    index = rank[inverse.reshape(-1)]
    split = len(rows[0])
    return Design(method, n, seed, both[np.sort(first)], index[:split], index[split:])


def _sobol(problem: dict, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    labels = list(dict.fromkeys(problem.get("groups") or problem["names"]))
    if np.ptp(y) == 0:  # nothing to apportion; SALib would warn and divide by zero
        nan = np.full(len(labels), np.nan)
        return {"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        si = sobol_analyze.analyze(
            problem,
            y,
            calc_second_order=False,
            num_resamples=RESAMPLES,
            conf_level=CONFIDENCE,
            seed=seed,
        )
    return {k: np.asarray(si[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")}


def _morris(problem: dict, x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    si = morris_analyze.analyze(
        problem,
        x,
        y,
        num_resamples=RESAMPLES,
        conf_level=CONFIDENCE,
        num_levels=MORRIS_LEVELS,
        seed=seed,
    )
    return {
        k: np.ma.filled(np.ma.asarray(si[k], dtype=float), np.nan)
        for k in ("mu_star", "mu_star_conf", "sigma")
    }


def analyse(problem: Problem, design: Design, outputs: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """SALib's indices of each output (values per distinct set) per condition and per
    parameter, as a tidy frame (see `COLUMNS`)."""
    _, analysis_seed = _seeds(design.seed)
    frames = []
    for output, values in outputs.items():
        values = np.asarray(values, dtype=float)
        if values.shape != (design.n_sets,):
            raise ValueError(f"{output}: expected {design.n_sets} values, got {values.shape}")
        if not np.all(np.isfinite(values)):
            raise ResurgenceError(f"{output}: the evaluation gave non-finite values")
        for level in LEVELS:
            grouped = level == "condition"
            salib = problem.salib(grouped)
            index = design.condition_index if grouped else design.parameter_index
            y = values[index]
            if design.method == "sobol":
                indices = _sobol(salib, y, analysis_seed)
            else:
                indices = _morris(salib, design.sets[index], y, analysis_seed)
            names = problem.condition_names if grouped else list(problem.names)
            condition = names if grouped else list(problem.conditions)
            frames.append(
                pd.DataFrame(
                    {"output": output, "level": level, "name": names, "condition": condition}
                    | indices
                )
            )
    return pd.concat(frames, ignore_index=True)[COLUMNS[design.method]]


@dataclass
class Analysis:
    problem: Problem
    design: Design
    outputs: dict[str, np.ndarray]  # per distinct set
    indices: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)

    def samples(self) -> pd.DataFrame:
        """Every row of both designs: `design` ('parameter' or 'condition') and `row` (its
        row in SALib's design, so the analysis can be redone from the file), `set` (rows
        with the same set are the same parameters and were evaluated once), the
        parameters and the outputs."""
        parts = []
        for level, index in (
            ("parameter", self.design.parameter_index),
            ("condition", self.design.condition_index),
        ):
            part = pd.DataFrame({"design": level, "row": np.arange(len(index)), "set": index})
            for j, name in enumerate(self.problem.names):
                part[name] = self.design.sets[index, j]
            for output, values in self.outputs.items():
                part[output] = np.asarray(values)[index]
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def constant_outputs(self) -> list[str]:
        """Outputs that took one value over every set (their Sobol' indices are NaN)."""
        return [k for k, v in self.outputs.items() if np.ptp(v) == 0]


def run_sensitivity(
    problem: Problem,
    method: str,
    n: int,
    evaluate: Evaluator,
    *,
    seed: int,
    design: Design | None = None,
) -> Analysis:
    """Sample, evaluate each distinct set with `evaluate`, analyse: the whole analysis.
    `design`, when given, is `sample(problem, method, n, seed)` computed beforehand (to
    size a progress bar)."""
    t0 = time.perf_counter()
    if design is None or (design.method, design.n, design.seed) != (method, n, seed):
        design = sample(problem, method, n, seed)
    t1 = time.perf_counter()
    raw = evaluate(design.sets)
    outputs = {k: np.asarray(v, dtype=float) for k, v in raw.items()}
    t2 = time.perf_counter()
    indices = analyse(problem, design, outputs)
    t3 = time.perf_counter()
    timings = {"sample_s": t1 - t0, "evaluate_s": t2 - t1, "analyse_s": t3 - t2}
    return Analysis(problem, design, outputs, indices, timings)


def engine_evaluator(
    model: Model,
    problem: Problem,
    *,
    replicas: int,
    seed: int,
    definition: Definition,
    workers: int = 1,
    dask_address: str | None = None,
    dask_local: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Evaluator:
    """An evaluator running `replicas` replicas of `model` per set on common random
    numbers; outputs `probability` and `attacks` (see `OUTPUTS`)."""

    def evaluate(sets: np.ndarray) -> dict[str, np.ndarray]:
        samples = {name: sets[:, j] for j, name in enumerate(problem.names)}
        result = evaluate_batch(
            model,
            samples,
            replicas,
            seed,
            definition,
            how=problem.how_of,
            workers=workers,
            dask_address=dask_address,
            dask_local=dask_local,
            progress=progress,
        )
        return {"probability": result.probability, "attacks": result.attacks}

    return evaluate
