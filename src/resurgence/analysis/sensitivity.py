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
3. **Evaluate** the parameter sets with the function given (`Evaluator`: an array of
   sets, one row per set and one column per parameter, to one array per output, either
   one value per set or one per replica, (sets, replicas)). For the engine,
   `engine_evaluator` runs `replicas` independent replicas per set and returns, replica by
   replica, whether the focal group resurged and its reported attacks in the horizon's
   last month; the outputs analysed are their means over the replicas: the resurgence
   probability and the mean attacks. Sobol' is adaptive by default (`Precision`): every
   index starts with the first rows of the design, and the indices still too wide get
   more, so only the sets they need are evaluated.
4. **Analyse** each output at two levels: per condition (grouped) and per parameter
   (ungrouped). Sobol': SALib's estimators with the replicas' noise removed
   (`analysis.stochastic_sobol`, docs/sensitivity.md), so an index is a share of the
   variance of the probability as a function of the parameters (averaged over the
   posterior and the replicas' randomness), not of the noise of a finite number of
   replicas; with their convergence over the first N/8, N/4, N/2 and N base samples, N
   being each index's own (`convergence`). Morris: `SALib.analyze.morris.analyze` on the
   replicas' means.

Two designs, one set of runs. SALib's grouped Sobol' gives indices per group only, and
its ungrouped Sobol' per parameter only: the grouped design crosses whole groups of
columns between the base matrices A and B, the ungrouped one single columns, so neither
design holds the rows the other needs. Both are sampled here, with the same seed, and
SALib builds A and B from the same scrambled Sobol' sequence whatever the groups are,
so the two designs share their A and B rows bit for bit. Every distinct parameter set is
evaluated once and each design reads its outputs back. Cost, with D parameters in G
conditions and N base samples:

* Sobol': N(D + 2) rows per parameter plus N(G + 2) per condition, of which 2N (A and
  B) are shared, and N more for each condition of a single parameter (its rows are that
  parameter's): at most N(D + G + 2) evaluated sets. For `isk` (D = 24, G = 5, no
  condition of one parameter), 31N sets instead of 33N for two separate runs.
* Morris: N(D + 1) + N(G + 1) sets for N trajectories; the two designs share no rows in
  general.

Indices come with 95% bootstrap confidence intervals: `S1_conf`, `ST_conf` and
`mu_star_conf` are half-widths (Sobol': `BOOTSTRAP` resamples of the base samples; Morris:
SALib's). Morris's `sigma` (the spread of the elementary effects) is NaN for a condition
of more than one parameter, as SALib leaves it. An output that does not vary over the
sets (e.g. a probability that is 0 everywhere), or whose variance is all replica noise,
has nothing to apportion: its Sobol' indices are NaN. One `seed` fixes the design and the
bootstrap; the engine's replicas use the same seed, as `resurgence run` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from resurgence.analysis import stochastic_sobol as ss
from resurgence.analysis.batch import months_needed
from resurgence.analysis.conditions import condition_space, how_of, overrides
from resurgence.analysis.resurgence import Definition, first_hit, measure_series
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.engine.executors import executor
from resurgence.engine.run import DEFAULT_CHUNK, chunk_dataset, simulate_chunk
from resurgence.errors import ResurgenceError
from resurgence.months import month_offset
from resurgence.scenarios.schema import Scenario

METHODS = ("sobol", "morris")
LEVELS = ("condition", "parameter")
MORRIS_LEVELS = 4  # grid levels of the Morris design (SALib's default)
CONFIDENCE = 0.95
RESAMPLES = 100  # bootstrap resamples of Morris's intervals (SALib's default)
BOOTSTRAP = 1000  # resamples of the Sobol' intervals: enough for a half-width to 2-3%
CONVERGENCE_STEPS = 4  # Sobol' indices at N/8, N/4, N/2 and N base samples
ESTIMATORS = {
    "sobol": "SALib's Saltelli (S1) and Jansen (ST) estimators, each combined with its "
    "complementary estimator, the replicas' noise removed; bootstrap over the base samples "
    "(docs/sensitivity.md)",
    "morris": "SALib's Morris analysis of the replicas' means",
}
OUTPUTS = {
    "probability": "probability of resurgence (share of replicas), per parameter set",
    "attacks": "mean reported attacks of the focal group in the horizon's last month",
}
SOBOL_INDICES = ["S1", "S1_conf", "ST", "ST_conf"]
COLUMNS = {
    "sobol": ["output", "level", "name", "condition", *SOBOL_INDICES],
    "morris": ["output", "level", "name", "condition", "mu_star", "mu_star_conf", "sigma"],
}

Evaluator = Callable[[np.ndarray], Mapping[str, np.ndarray]]
"""Parameter sets (sets, parameters) -> {output name: values}: (sets,) for a deterministic
output, (sets, replicas) for a stochastic one, whose replicas are independent draws given
the set (the analysis is of their mean)."""


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


def check_samples(method: str, n: int, option: str = "--samples") -> None:
    """Raise a `ResurgenceError` naming the option when `method` or `n` cannot be used."""
    if method not in METHODS:
        raise ResurgenceError(
            f"--method: unknown method {method!r}; expected one of: " + ", ".join(METHODS)
        )
    if n < 2:
        what = "base samples" if method == "sobol" else "trajectories"
        raise ResurgenceError(f"{option}: {n} {what}; at least 2 are needed")
    if method == "sobol" and n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise ResurgenceError(
            f"{option}: {n} is not a power of 2, which Sobol' sampling needs to keep its "
            f"balance; use {below} or {below * 2}"
        )


@dataclass(frozen=True)
class Precision:
    """The adaptive Sobol' design: every index starts with `first` base samples; each
    condition or parameter whose total-order index of the resurgence probability still
    has a 95% half-width above `half_width` gets twice as many base samples, and so on up
    to the design's N. Only the rows of A, B and the refined groups' AB matrices are
    added, so precision goes where it is short: for `isk`, a dominant condition and
    parameter need more than N = 1,024 and the rest do not (docs/sensitivity.md)."""

    first: int = 1024
    half_width: float = 0.05

    def check(self) -> None:
        """Raise a `ResurgenceError` naming the option that cannot be used."""
        check_samples("sobol", self.first, option="--first-samples")
        if not self.half_width >= 0:
            raise ResurgenceError(f"--half-width: {self.half_width} is not a half-width >= 0")


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


def _blocks(problem: Problem, design: Design, values: np.ndarray, grouped: bool) -> ss.Blocks:
    """An output's values (per set, or per set and replica) split into A, B and the AB
    matrices of one design."""
    index = design.condition_index if grouped else design.parameter_index
    groups = len(problem.condition_names) if grouped else len(problem.names)
    return ss.split(values[index], groups)


def _sobol(blocks: ss.Blocks, seed: int) -> dict[str, np.ndarray]:
    got = ss.indices(blocks, resamples=BOOTSTRAP, confidence=CONFIDENCE, seed=seed)
    return {k: getattr(got, k) for k in SOBOL_INDICES}


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


def _checked(design: Design, outputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The outputs as float arrays, one row per set; a set not evaluated (by an adaptive
    Sobol' design, `Precision`) holds NaN in every replica. Any other non-finite value is
    an error."""
    checked = {}
    for output, values in outputs.items():
        values = np.asarray(values, dtype=float)
        if values.ndim not in (1, 2) or values.shape[0] != design.n_sets:
            raise ValueError(f"{output}: expected {design.n_sets} sets, got {values.shape}")
        missing = np.isnan(values) if values.ndim == 1 else np.isnan(values).all(axis=1)
        held = values[~missing]
        if not np.isfinite(held).all() or (design.method == "morris" and missing.any()):
            raise ResurgenceError(f"{output}: the evaluation gave non-finite values")
        checked[output] = values
    return checked


def _varies(means: np.ndarray) -> bool:
    """Whether an output took more than one value over the sets evaluated."""
    held = means[np.isfinite(means)]
    return held.size > 0 and np.ptp(held) > 0


def _labels(problem: Problem, level: str) -> dict[str, list[str]]:
    grouped = level == "condition"
    names = problem.condition_names if grouped else list(problem.names)
    return {"name": names, "condition": names if grouped else list(problem.conditions)}


def analyse(problem: Problem, design: Design, outputs: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The indices of each output (values per distinct set, or per set and replica) per
    condition and per parameter, as a tidy frame (see `COLUMNS`)."""
    _, analysis_seed = _seeds(design.seed)
    frames = []
    for output, values in _checked(design, outputs).items():
        means = values.mean(axis=1) if values.ndim == 2 else values
        for level in LEVELS:
            grouped = level == "condition"
            if design.method == "morris":
                index = design.condition_index if grouped else design.parameter_index
                salib = problem.salib(grouped)
                indices = _morris(salib, design.sets[index], means[index], analysis_seed)
            elif not _varies(means):  # nothing to apportion
                nan = np.full(len(_labels(problem, level)["name"]), np.nan)
                indices = dict.fromkeys(SOBOL_INDICES, nan)
            else:
                indices = _sobol(_blocks(problem, design, values, grouped), analysis_seed)
            frames.append(
                pd.DataFrame({"output": output, "level": level} | _labels(problem, level) | indices)
            )
    return pd.concat(frames, ignore_index=True)[COLUMNS[design.method]]


def convergence(
    problem: Problem, design: Design, outputs: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """Sobol' indices of each output over the first N/8, N/4, N/2 and N base samples, N
    being each index's own (its depth in an adaptive design), each with its own bootstrap
    interval: whether N was enough shows as indices that have settled and intervals that
    shrink like 1/sqrt(samples). Columns: those of `COLUMNS` and `samples`; each index's
    row at its N is `analyse`'s. Outputs without indices (constant, or all replica
    noise) are left out."""
    _, analysis_seed = _seeds(design.seed)
    frames = []
    for output, values in _checked(design, outputs).items():
        means = values.mean(axis=1) if values.ndim == 2 else values
        if not _varies(means) or not ss.noise_share(_blocks(problem, design, values, True)) < 1:
            continue
        for level in LEVELS:
            blocks = _blocks(problem, design, values, level == "condition")
            table = ss.convergence(
                blocks,
                CONVERGENCE_STEPS,
                resamples=BOOTSTRAP,
                confidence=CONFIDENCE,
                seed=analysis_seed,
            )
            labels = pd.DataFrame(_labels(problem, level)).iloc[table["group"]]
            table = table.drop(columns="group").reset_index(drop=True)
            frames.append(
                pd.concat([labels.reset_index(drop=True), table], axis=1).assign(
                    output=output, level=level
                )
            )
    if not frames:
        return pd.DataFrame(columns=[*COLUMNS["sobol"], "samples"])
    return pd.concat(frames, ignore_index=True)[[*COLUMNS["sobol"], "samples"]]


def noise_shares(design: Design, outputs: Mapping[str, np.ndarray]) -> dict[str, float]:
    """For each output given replica by replica, the share of the variance of its values
    over the A and B rows that is the replicas' noise, which the Sobol' estimators remove
    (`stochastic_sobol`); large shares (above about a third) call for more replicas."""
    shares = {}
    for output, values in _checked(design, outputs).items():
        if values.ndim == 2 and values.shape[1] > 1 and _varies(values.mean(axis=1)):
            index = design.parameter_index
            shares[output] = ss.noise_share(ss.split(values[index], len(index) // design.n - 2))
    return shares


@dataclass
class Analysis:
    problem: Problem
    design: Design
    outputs: dict[str, np.ndarray]  # per distinct set: the mean of its replicas
    indices: pd.DataFrame
    convergence: pd.DataFrame  # Sobol' indices at N/8 ... N, each its own N (empty: Morris)
    noise_shares: dict[str, float]  # share of each output's variance that is replica noise
    timings: dict[str, float] = field(default_factory=dict)
    stages: list[dict] = field(default_factory=list)  # each evaluation: samples, sets, groups

    @property
    def evaluated(self) -> np.ndarray:
        """Which distinct sets were evaluated (all but the rows an adaptive design left)."""
        return np.isfinite(next(iter(self.outputs.values())))

    def depths(self) -> dict[str, dict[str, int]]:
        """Per level, the base samples each index was estimated on (Sobol')."""
        got = {}
        for level in LEVELS:
            values = next(iter(self.outputs.values()))
            blocks = _blocks(self.problem, self.design, values, level == "condition")
            got[level] = dict(
                zip(_labels(self.problem, level)["name"], map(int, ss.depths(blocks)), strict=True)
            )
        return got

    def samples(self) -> pd.DataFrame:
        """Every row of both designs that was evaluated: `design` ('parameter' or
        'condition') and `row` (its row in SALib's design), `set` (rows with the same set
        are the same parameters and were evaluated once), the parameters and the outputs
        (means over the replicas; Morris's analysis can be redone from them, Sobol's
        needs the replicas)."""
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
            parts.append(part[self.evaluated[index]])
        return pd.concat(parts, ignore_index=True)

    def constant_outputs(self) -> list[str]:
        """Outputs that took one value over every set (their Sobol' indices are NaN)."""
        return [k for k, v in self.outputs.items() if not _varies(v)]

    def noise_only_outputs(self) -> list[str]:
        """Outputs that vary over the sets no more than the replicas' noise does: their
        Sobol' indices are NaN too (more replicas or base samples may resolve them)."""
        return [k for k, share in self.noise_shares.items() if not share < 1]


def run_sensitivity(
    problem: Problem,
    method: str,
    n: int,
    evaluate: Evaluator,
    *,
    seed: int,
    design: Design | None = None,
    precision: Precision | None = None,
    on_stage: Callable[[str, int], None] | None = None,
) -> Analysis:
    """Sample, evaluate each distinct set with `evaluate`, analyse: the whole analysis.
    `design`, when given, is `sample(problem, method, n, seed)` computed beforehand.

    Sobol' with `precision` is adaptive (`Precision`): the indices are analysed after each
    evaluation and the groups still too wide get the next rows of the design, so only part
    of SALib's design at N is evaluated (sets left out hold NaN in the outputs). Without
    it, every set is evaluated at once. `on_stage(label, sets)` is called before each
    evaluation."""
    t0 = time.perf_counter()
    if design is None or (design.method, design.n, design.seed) != (method, n, seed):
        design = sample(problem, method, n, seed)
    sobol = method == "sobol"
    if precision is not None:
        precision.check()
        if precision.half_width == 0:  # no index is ever precise enough: all of N at once
            precision = None
    first = min(precision.first, n) if (sobol and precision) else n
    depth = {"parameter": np.full(len(problem.names), first)}
    depth["condition"] = np.full(len(problem.condition_names), first)
    raw: dict[str, np.ndarray] = {}
    done = np.zeros(design.n_sets, dtype=bool)
    stages, timings = [], {"sample_s": time.perf_counter() - t0, "evaluate_s": 0.0}
    grown = {level: [] for level in LEVELS}
    while True:
        want = (_wanted(design, depth) if sobol else np.ones_like(done)) & ~done
        if want.any():
            deepest = int(max(d.max() for d in depth.values()))
            label = f"evaluating N={deepest}"
            if stages:
                label = (
                    f"refining to N={deepest}: {', '.join(grown['condition'] + grown['parameter'])}"
                )
            if on_stage is not None:
                on_stage(label, int(want.sum()))
            start = time.perf_counter()
            _evaluate_into(raw, evaluate, design, want)
            timings["evaluate_s"] += time.perf_counter() - start
            done |= want
            stages.append(
                {
                    "samples": deepest,
                    "sets": int(want.sum()),
                    "refined": grown["condition"] + grown["parameter"],
                }
            )
        start = time.perf_counter()
        indices = analyse(problem, design, raw)
        timings["analyse_s"] = timings.get("analyse_s", 0.0) + time.perf_counter() - start
        grow = _to_refine(indices, depth, precision, n) if (sobol and precision) else {}
        if not any(g.any() for g in grow.values()):
            break
        for level, g in grow.items():
            depth[level][g] *= 2
            grown[level] = [_labels(problem, level)["name"][i] for i in np.flatnonzero(g)]
    start = time.perf_counter()
    steps = convergence(problem, design, raw) if sobol else pd.DataFrame()
    shares = noise_shares(design, raw) if sobol else {}
    timings["analyse_s"] += time.perf_counter() - start
    means = {k: v.mean(axis=1) if v.ndim == 2 else v for k, v in raw.items()}
    return Analysis(problem, design, means, indices, steps, shares, timings, stages)


def _evaluate_into(
    raw: dict[str, np.ndarray], evaluate: Evaluator, design: Design, want: np.ndarray
) -> None:
    """Evaluate the sets `want` selects and write their outputs into `raw` (one row per
    distinct set of the design, NaN until evaluated)."""
    for output, values in evaluate(design.sets[want]).items():
        values = np.asarray(values, dtype=float)
        if not np.all(np.isfinite(values)):
            raise ResurgenceError(f"{output}: the evaluation gave non-finite values")
        if output not in raw:
            raw[output] = np.full((design.n_sets, *values.shape[1:]), np.nan)
        raw[output][want] = values


def _wanted(design: Design, depth: dict[str, np.ndarray]) -> np.ndarray:
    """The distinct sets both Sobol' designs need when each group has its depth: A_j and
    B_j below the deepest group of the level, AB_j^i below group i's depth."""
    want = np.zeros(design.n_sets, dtype=bool)
    for level, index in (
        ("parameter", design.parameter_index),
        ("condition", design.condition_index),
    ):
        d = depth[level]
        rows = index.reshape(design.n, len(d) + 2)  # A_j, AB_j^1 .. AB_j^G, B_j
        limit = np.concatenate([[d.max()], d, [d.max()]])
        want[rows[np.arange(design.n)[:, None] < limit[None, :]]] = True
    return want


def _to_refine(
    indices: pd.DataFrame,
    depth: dict[str, np.ndarray],
    precision: Precision,
    n: int,
) -> dict[str, np.ndarray]:
    """Per level, the groups whose total-order index of the resurgence probability (the
    first output when there is none) is still wider than the target and can grow."""
    outputs = list(dict.fromkeys(indices["output"]))
    output = "probability" if "probability" in outputs else outputs[0]
    grow = {}
    for level in LEVELS:
        rows = indices[(indices["output"] == output) & (indices["level"] == level)]
        wide = rows["ST_conf"].to_numpy() > precision.half_width  # NaN: nothing to apportion
        grow[level] = wide & (depth[level] < n)
    return grow


def _simulate_sets(task) -> tuple[np.ndarray, np.ndarray]:
    """Worker: `replicas` independent replicas of each of a few parameter sets, simulated as
    one chunk (chunk `index` of a run with `seed`), reduced to each replica's resurgence
    (0 or 1) and its focal group's reported attacks in the horizon's last month, each
    (sets, replicas)."""
    model, values, how, replicas, seed, index, definition = task
    sampled = {name: np.repeat(v, replicas) for name, v in values.items()}
    n = len(next(iter(sampled.values())))
    out = simulate_chunk(model, 0, n, seed, index, overrides(model, sampled, how))
    series = measure_series(chunk_dataset(model, out), definition)
    hits = first_hit(series, definition, model.months) >= 0
    last = month_offset(model.start, definition.start) + definition.horizon - 1
    attacks = out["reported_attacks"][:, last].sum(axis=(1, 2))
    return hits.reshape(-1, replicas).astype(float), attacks.reshape(-1, replicas).astype(float)


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
    """An evaluator running `replicas` independent replicas of `model` per set; outputs
    `probability` and `attacks` (see `OUTPUTS`), replica by replica (sets, replicas).

    The replicas of many sets share one chunk of about `DEFAULT_CHUNK` replicas, each with
    its own parameters, so the engine's cost per month and process, which does not depend
    on the number of replicas, is paid once per chunk rather than once per set (at 32
    replicas a set it was most of the time). Replicas are independent across sets, not
    common random numbers: the estimator removes their noise (`stochastic_sobol`), and
    common random numbers narrowed the flagship's differences between sets too little to
    pay for one chunk per set. Chunk i draws the random numbers of chunk i of a run with
    `seed`, its posterior draws included; the chunks of a later call (an adaptive
    design's next stage) go on from the previous call's, so every set's replicas are
    independent of every other's."""
    if model.n_months < months_needed(model, definition):
        raise ResurgenceError(
            f"the model runs {model.n_months} months; the resurgence horizon needs "
            f"{months_needed(model, definition)}"
        )
    per_chunk = max(1, DEFAULT_CHUNK // replicas)
    how = problem.how_of
    chunks_used = [0]  # chunks drawn by earlier calls

    def evaluate(sets: np.ndarray) -> dict[str, np.ndarray]:
        first = chunks_used[0]
        tasks = [
            (
                model,
                {name: sets[lo : lo + per_chunk, j] for j, name in enumerate(problem.names)},
                how,
                replicas,
                seed,
                first + i,
                definition,
            )
            for i, lo in enumerate(range(0, len(sets), per_chunk))
        ]
        chunks_used[0] += len(tasks)
        hits = np.empty((len(sets), replicas))
        attacks = np.empty((len(sets), replicas))
        with executor(workers, dask_address, dask_local) as pool:
            for i, (h, a) in pool.map(_simulate_sets, tasks):
                rows = slice(i * per_chunk, i * per_chunk + len(h))
                hits[rows], attacks[rows] = h, a
                if progress:
                    progress(len(h))
        return {"probability": hits, "attacks": attacks}

    return evaluate
