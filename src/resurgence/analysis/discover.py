"""Scenario discovery: in which combinations of conditions is a resurgence likely?

Three verbs, as in SALib: define the space (`condition_space`: the parameters of the
scenario's conditions of resurgence, each over its plausible range, a regional one as a
level or a factor), sample it
(`latin_hypercube`), evaluate each set (`resurgence.analysis.batch.evaluate`, a few
replicas per set on common random numbers), and analyse (`find_boxes`: PRIM, the Patient
Rule Induction Method of Friedman and Fisher, as used for scenario discovery by Bryant and
Lempert, 2010).

PRIM is the EMA Workbench's implementation (`ema_workbench.analysis.prim`), not a
hand-written one. It peels a box (a hyper-rectangle of parameter limits) a few per cent of
the sets at a time, always the slice whose removal raises the share of sets of interest
most per set removed (its "lenient" objective), down to a minimum mass; then it pastes
slices back while that raises the share. Each step of this peeling trajectory has a
coverage (the share of all sets of interest that fall in the box), a density (the share of
the box's sets that are of interest), a mass (the share of all sets in the box) and a number
of restricted parameters; coverage falls and density rises as the box shrinks: the
trade-off curve. The box chosen is the step with the highest coverage whose density reaches
the density threshold (on equal coverage, the denser one). With `max_boxes` > 1 the search
goes on ("covering"): the sets of the chosen box are removed and PRIM looks for another box
among the rest, until a box misses the threshold.

The outcome of interest is one 0/1 value per parameter set: the set's resurgence
probability (the share of its replicas with a resurgence) is at or above `likely`. The
alternatives fit PRIM worse. EMA's binary mode, whose coverage, density and quasi-p-values
are binomial counts of independent points of the sampled space, wants exactly one 0/1
value per set. Feeding it the per-replica hits would mean repeating each set once per
replica: density would become the mean probability in the box rather than the share of
sets in which resurgence is likely, and the quasi-p-values would count replicas of the same
point as independent evidence about the space, so they would look far more significant
than they are. EMA's regression mode (on the probability itself) gives no coverage.
Replicas share random numbers across sets, so the difference between two sets' probabilities
comes from their parameters, not from luckier draws; with few replicas a set's probability is
still coarse (a multiple of 1/replicas), so a set near the threshold may be misclassified,
which PRIM's density tolerates.

The quasi-p-value of a restriction (Bryant and Lempert, 2010) is a one-sided binomial
test: the chance of seeing at least as many sets of interest in the box if the restriction
were dropped. A large value (say above 0.05) marks a restriction that might be chance.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from resurgence.analysis.batch import Evaluation, evaluate
from resurgence.analysis.conditions import how_of
from resurgence.analysis.resurgence import Definition
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.errors import ResurgenceError

TRAJECTORY_COLUMNS = [
    "box",
    "step",
    "phase",
    "coverage",
    "density",
    "mass",
    "restricted",
    "n",
    "cases",
    "chosen",
]
BOX_COLUMNS = [
    "box",
    "parameter",
    "condition",
    "low",
    "high",
    "low_restricted",
    "high_restricted",
    "range_low",
    "range_high",
    "qp_low",
    "qp_high",
    "coverage",
    "density",
    "mass",
    "step",
]
STATS_COLUMNS = ["box", "step", "coverage", "density", "mass", "restricted", "n", "cases"]
OUTCOME_COLUMNS = ["probability", "likely", "attacks", "members"]
_TRAJECTORY_TYPES = {
    "box": "int64",
    "step": "int64",
    "phase": "string",
    "coverage": "float64",
    "density": "float64",
    "mass": "float64",
    "restricted": "int64",
    "n": "int64",
    "cases": "int64",
    "chosen": "bool",
}
_BOX_TYPES = {
    "box": "int64",
    "parameter": "string",
    "condition": "string",
    "low": "float64",
    "high": "float64",
    "low_restricted": "boolean",
    "high_restricted": "boolean",
    "range_low": "float64",
    "range_high": "float64",
    "qp_low": "float64",
    "qp_high": "float64",
    "coverage": "float64",
    "density": "float64",
    "mass": "float64",
    "step": "int64",
}


def latin_hypercube(space: pd.DataFrame, samples: int, seed: int) -> pd.DataFrame:
    """`samples` parameter sets, a Latin hypercube over the ranges of `space` (one column
    per parameter, uniform within its range). The same seed gives the same design."""
    if samples < 2:
        raise ResurgenceError("--samples must be at least 2")
    if space.empty:
        raise ResurgenceError("no parameters to sample")
    low = space["low"].to_numpy(float)
    high = space["high"].to_numpy(float)
    if np.any(high < low):
        bad = space.loc[high < low, "parameter"].tolist()
        raise ResurgenceError(f"empty range for {', '.join(bad)}")
    rng = streams.stream(seed, "design", "discover")
    unit = qmc.LatinHypercube(d=len(space), rng=rng).random(samples)
    return pd.DataFrame(low + unit * (high - low), columns=space["parameter"].tolist())


@dataclass(frozen=True)
class Discovery:
    """What PRIM found.

    `trajectory`: every step of each box's peeling and pasting trajectory (box, step,
    phase — start, peel or paste —, coverage, density, mass, restricted parameters, sets
    in the box `n`, sets of interest in it `cases`, and whether it is the chosen step).
    `boxes`: one row per restricted parameter of each chosen box (a box with no
    restriction at all has one row whose parameter is missing): its limits (a side PRIM
    did not restrict shows the range's bound), the range, the quasi-p-value of each
    restricted side, and the box's coverage, density and mass. `stats`: one row per
    chosen box. `cases` and `total`: sets of interest and sets in all.
    """

    trajectory: pd.DataFrame
    boxes: pd.DataFrame
    stats: pd.DataFrame
    cases: int
    total: int
    density: float


@contextmanager
def _quiet():
    """Silence the EMA Workbench's import-time notices about optional extras it does not
    need here (ipyparallel, altair) and a pandas deprecation inside its PRIM."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ipyparallel.*")
        warnings.filterwarnings("ignore", message=".*altair.*")
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        warnings.filterwarnings("ignore", category=ImportWarning)
        yield


def _prim_module():
    try:
        with _quiet():
            from ema_workbench.analysis import prim
    except ImportError as exc:  # a broken or missing install
        raise ResurgenceError(
            f"scenario discovery needs the EMA Workbench ({exc}); pip install 'ema_workbench>=2.5'"
        ) from None
    return prim


def _phases(mass: np.ndarray) -> list[str]:
    phases = ["start"]
    for before, after in itertools.pairwise(mass):
        phases.append("peel" if after < before else "paste")
    return phases


def find_boxes(
    x: pd.DataFrame,
    y,
    density: float = 0.8,
    *,
    max_boxes: int = 1,
    conditions: dict[str, str] | None = None,
    ranges: dict[str, tuple[float, float]] | None = None,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> Discovery:
    """Run PRIM on inputs `x` (one numeric column per parameter) and a 0/1 outcome `y`
    (one per row: 1 for a set of interest), and choose boxes with density >= `density`.

    `conditions` maps a parameter to its condition (for the box table); `ranges` maps it to
    its full range (a side PRIM leaves free shows the range's bound; by default, the data's).
    """
    if not 0 < density <= 1:
        raise ResurgenceError(f"--density must be in (0, 1], not {density:g}")
    if max_boxes < 1:
        raise ResurgenceError("--boxes must be at least 1")
    if not (0 < peel_alpha < 1 and 0 < paste_alpha < 1 and 0 <= mass_min < 1):
        raise ResurgenceError("peel_alpha and paste_alpha must be in (0, 1), mass_min in [0, 1)")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x):
        raise ResurgenceError(f"the outcome needs one value per set ({len(x)}), got {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ResurgenceError("the outcome must be 0/1 (or boolean) for each set")
    y = y.astype(np.int64)
    cases = int(y.sum())
    if cases == 0 or cases == len(y):
        raise ResurgenceError(
            f"PRIM needs sets of both kinds; {cases} of {len(y)} sets are of interest"
        )
    try:
        x = x.astype(np.float64).reset_index(drop=True)
    except (TypeError, ValueError):
        raise ResurgenceError("every input column must be numeric") from None
    if not np.isfinite(x.to_numpy()).all():
        raise ResurgenceError("the inputs must be finite")
    varying = [c for c in x.columns if x[c].nunique() > 1]  # a constant cannot be peeled
    if not varying:
        raise ResurgenceError("every input is constant: nothing to restrict")
    x = x[varying]
    conditions = conditions or {}
    ranges = ranges or {}

    prim = _prim_module()
    with _quiet():
        # In binary mode EMA's `threshold` does two things: it marks the sets of interest
        # (y >= threshold, which for a 0/1 outcome is y == 1 for any threshold in (0, 1]),
        # and it decides whether the last box of a trajectory is kept or replaced by an
        # empty "dump box". We choose the box on the trajectory ourselves (the density
        # threshold below), so we pass the smallest positive threshold: the trajectory
        # is always kept, and the trade-off curve can be shown even when no step reaches
        # the density asked for.
        finder = prim.Prim(
            x,
            y,
            threshold=np.finfo(float).tiny,
            peel_alpha=peel_alpha,
            paste_alpha=paste_alpha,
            mass_min=mass_min,
        )
    box_init = finder.box_init
    trajectories, limits, stats = [], [], []
    for number in range(1, max_boxes + 1):
        with _quiet():
            box = finder.find_box()
        if box is None:  # no set left
            break
        t = box.peeling_trajectory.reset_index(drop=True)
        qualifying = t[t["density"] >= density - 1e-12]
        step = None
        if not qualifying.empty:
            step = int(qualifying.sort_values(["coverage", "density"], ascending=False).index[0])
        frame = pd.DataFrame(
            {
                "box": number,
                "step": np.arange(len(t)),
                "phase": _phases(t["mass"].to_numpy(float)),
                "coverage": t["coverage"].astype(float),
                "density": t["density"].astype(float),
                "mass": t["mass"].astype(float),
                "restricted": t["res_dim"].astype(int),
                "n": t["n"].astype(int),
                "cases": t["k"].astype(int),
                "chosen": np.arange(len(t)) == step,
            }
        )
        trajectories.append(frame)
        if step is None:
            break
        with _quiet():
            box.select(step)  # the next box is sought among the sets outside this one
        row = frame.iloc[step]
        stats.append({c: row[c] for c in STATS_COLUMNS})
        lims, qp = box.box_lims[step], box.qp[step]
        restricted = [u for u in x.columns if (lims[u] != box_init[u]).any()]
        if not restricted:
            limits.append({"box": number, "parameter": None, "condition": None})
        for u in restricted:
            lo_r = bool(lims.at[0, u] != box_init.at[0, u])
            hi_r = bool(lims.at[1, u] != box_init.at[1, u])
            r_lo, r_hi = ranges.get(u, (float(box_init.at[0, u]), float(box_init.at[1, u])))
            q_lo, q_hi = (qp.get(u) or [-1, -1])[:2]
            limits.append(
                {
                    "box": number,
                    "parameter": u,
                    "condition": conditions.get(u),
                    "low": float(lims.at[0, u]) if lo_r else float(r_lo),
                    "high": float(lims.at[1, u]) if hi_r else float(r_hi),
                    "low_restricted": lo_r,
                    "high_restricted": hi_r,
                    "range_low": float(r_lo),
                    "range_high": float(r_hi),
                    "qp_low": float(q_lo) if lo_r and q_lo >= 0 else np.nan,
                    "qp_high": float(q_hi) if hi_r and q_hi >= 0 else np.nan,
                }
            )
        for entry in limits:
            if entry["box"] == number:
                entry.update(
                    coverage=float(row["coverage"]),
                    density=float(row["density"]),
                    mass=float(row["mass"]),
                    step=int(step),
                )
        if not restricted or int(row["cases"]) == 0:
            break  # the whole remaining space is the box: nothing left to cover
    trajectory = pd.concat(trajectories, ignore_index=True)[TRAJECTORY_COLUMNS]
    return Discovery(
        trajectory=trajectory.astype(_TRAJECTORY_TYPES),
        boxes=pd.DataFrame(limits, columns=BOX_COLUMNS).astype(_BOX_TYPES),
        stats=pd.DataFrame(stats, columns=STATS_COLUMNS),
        cases=cases,
        total=len(y),
        density=density,
    )


def empty_boxes() -> pd.DataFrame:
    """A `boxes` table with no box (typed as a full one)."""
    return pd.DataFrame(columns=BOX_COLUMNS).astype(_BOX_TYPES)


def empty_trajectory() -> pd.DataFrame:
    """A `trajectory` table with no step (typed as a full one)."""
    return pd.DataFrame(columns=TRAJECTORY_COLUMNS).astype(_TRAJECTORY_TYPES)


@dataclass(frozen=True)
class DiscoveryRun:
    """A whole discovery: the space, the sets and their outcomes (`samples`: `set`, one
    column per parameter, then `probability`, `likely`, `attacks`, `members`), and what PRIM
    found (None when every set, or none, is a likely resurgence: PRIM has nothing to
    separate)."""

    space: pd.DataFrame
    samples: pd.DataFrame
    discovery: Discovery | None
    evaluation: Evaluation
    likely: float
    simulate_s: float
    prim_s: float

    @property
    def cases(self) -> int:
        return int(self.samples["likely"].sum())


def discover(
    model: Model,
    space: pd.DataFrame,
    definition: Definition,
    *,
    samples: int = 1000,
    replicas: int = 8,
    seed: int = 0,
    likely: float = 0.5,
    density: float = 0.8,
    max_boxes: int = 1,
    workers: int = 1,
    dask_address: str | None = None,
    dask_local: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_prim: Callable[[], None] | None = None,
) -> DiscoveryRun:
    """Sample `space`, evaluate each set with `replicas` replicas (`model` must run to the
    horizon's end), mark the sets whose resurgence probability is at least `likely`, and
    run PRIM on them (`find_boxes`). `on_prim` is called when the simulations are done."""
    if not 0 < likely <= 1:
        raise ResurgenceError(f"--likely must be in (0, 1], not {likely:g}")
    if replicas < 1:
        raise ResurgenceError("--replicas must be at least 1")
    if not 0 < density <= 1:
        raise ResurgenceError(f"--density must be in (0, 1], not {density:g}")
    design = latin_hypercube(space, samples, seed)
    t0 = time.perf_counter()
    evaluation = evaluate(
        model,
        {name: design[name].to_numpy() for name in design.columns},
        replicas,
        seed,
        definition,
        how=how_of(space),
        workers=workers,
        dask_address=dask_address,
        dask_local=dask_local,
        progress=progress,
    )
    simulate_s = time.perf_counter() - t0
    table = design.copy()
    table.insert(0, "set", np.arange(len(design)))
    table["probability"] = evaluation.probability
    # the probability is a multiple of 1/replicas; the tolerance keeps 3/10 >= 0.3 true
    table["likely"] = evaluation.probability >= likely - 1e-9
    table["attacks"] = evaluation.attacks
    table["members"] = evaluation.members
    if on_prim:
        on_prim()
    t1 = time.perf_counter()
    found = None
    if 0 < table["likely"].sum() < len(table):
        found = find_boxes(
            design,
            table["likely"].to_numpy(),
            density,
            max_boxes=max_boxes,
            conditions=dict(zip(space["parameter"], space["condition"], strict=True)),
            ranges={row.parameter: (row.low, row.high) for row in space.itertuples(index=False)},
        )
    return DiscoveryRun(
        space=space,
        samples=table,
        discovery=found,
        evaluation=evaluation,
        likely=likely,
        simulate_s=simulate_s,
        prim_s=time.perf_counter() - t1,
    )
