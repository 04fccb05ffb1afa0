"""A particle filter over the model's latent state, fed by evidence rows of any period.

Why our own filter: the `particles` library (0.4) pins numpy < 2, which the rest of the
stack (pandas 3, xarray, zarr 3) has left behind, and no other maintained filter library
takes a simulator whose state is a dozen arrays. The filter here is the bootstrap filter
(Gordon, Salmond and Smith 1993) with systematic resampling when the effective sample
size falls below half the particles.

Particles are replicas of the engine: each carries the whole state, its parameter set
(drawn from the posterior) and its events' saved values, and moves by the engine's
monthly step. A figure for a period is simulated with the particle: the measure's
observation model runs every month (`observe.py`), the particle accumulates the row's
figure over its period, and when the period ends the particle is weighted by a Gaussian
kernel on the standardised gap between its figure and the printed one (the gap of
calibration/distance.py: square-root scale for counts, log scale for estimates, 0 inside
a printed range). With the observation simulated inside the particle, this is an ABC
filter (Jasra et al. 2012) whose kernel width is the noise scale of the gap; it needs no
closed-form likelihood for period sums of beta-binomial counts.

The particles move in fixed blocks of `BLOCK`, each drawing from streams keyed by its
index (its parameter sets, events, processes and observation), so a seed gives the same
particles whatever the number of workers. A month's step of each block runs on a worker
(`engine/shared.py`); the weighting, the resampling (from a stream of its own) and the
summaries stay in the main process. The particles' arrays live in shared memory, so a
month ships only each block's random streams, and after resampling its ancestors'
indices: each block gathers its new particles from the previous arrays at the start of
its next step, in parallel with the others.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from resurgence import observe
from resurgence.analysis import drivers as attack_drivers
from resurgence.calibration.distance import gaps
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.core.state import State
from resurgence.engine.run import (
    chunk_bounds,
    chunk_params,
    chunk_streams,
    initial_state,
    posterior_draws,
)
from resurgence.engine.shared import Arena, Workers
from resurgence.engine.step import step
from resurgence.evidence.load import Row

BLOCK = 1000
"""Particles per block: with the seed, what fixes a filter's random numbers. Small enough
that the default 2,000 particles make two blocks for two workers, large enough that a
block's step costs little more per particle than one array of 10,000 (about 10% more on
the benchmark's machine)."""

_FIELDS = tuple(f.name for f in dataclasses.fields(State))


class Workspace:
    """Where a filter's particles live and move: the workers, and the arenas that hold
    particle sets' arrays (state, parameters, figures), each reused once the set that
    held it is gone, so resampling every month allocates nothing."""

    def __init__(self, model: Model, workers: Workers):
        self.model, self.workers = model, workers
        state, params = initial_state(model, 1), chunk_params(model, 0, 1)
        arrays = {f"state.{k}": getattr(state, k) for k in _FIELDS}
        arrays |= {f"params.{k}": v for k, v in params.items()}
        self._specs = {name: (a.shape[1:], a.dtype) for name, a in arrays.items()}
        self.params = tuple(params)
        self._arenas: list[tuple[Arena, tuple[int, int], weakref.ref]] = []
        self._columns = 0  # figures an arena holds: the most any set has needed

    def shape(self, field: str) -> tuple[int, ...]:
        """A state variable's shape for one particle."""
        return self._specs[f"state.{field}"][0]

    def arena(self, owner: Particles) -> Arena:
        """An arena for `owner`'s arrays: a free one of its size with room for its
        figures, else a new one with room for the most figures yet (so that a backtest's
        projections, each with its own number of targets, share arenas)."""
        for i, (arena, (n, columns), held) in enumerate(self._arenas):
            if n == owner.n and columns >= owner.width and held() is None:
                self._arenas[i] = (arena, (n, columns), weakref.ref(owner))
                return arena
        self._columns = max(self._columns, owner.width)
        specs = {name: ((owner.n, *shape), dtype) for name, (shape, dtype) in self._specs.items()}
        figures = ((owner.n, self._columns), np.float64)
        arena = self.workers.arena(specs | {"figures": figures})
        self._arenas.append((arena, (owner.n, self._columns), weakref.ref(owner)))
        return arena


@contextmanager
def workspace(model: Model, workers: int = 1) -> Iterator[Workspace]:
    """A workspace on `workers` processes (1: this process), ended on exit."""
    with Workers(workers, model) as pool:
        yield Workspace(model, pool)


@dataclass
class _Pending:
    """Particles not yet gathered: `index` into `source` (not pending itself), as it
    was at `version`; `keep`: with their ancestors' figures (else zeros)."""

    source: Particles
    index: np.ndarray
    version: int
    keep: bool


class Particles:
    """The filter's particles: engine state, parameters, saved event values, the running
    figure of each evidence row (`figures`, (n, rows)) and log weights.

    After `take`, the arrays are gathered from the ancestors when next used: by the
    blocks as they step, in parallel, or here when read."""

    def __init__(self, space: Workspace, n: int, width: int, saved, logw, pending=None):
        self.space, self.width, self.saved, self.logw = space, width, saved, logw
        self.pending: _Pending | None = pending
        self.arena: Arena | None = None
        self.version = 0  # steps taken in place, so a stale gather is caught
        self._n = n

    @property
    def n(self) -> int:
        return self._n

    @property
    def state(self) -> State:
        arrays = self.arrays()
        return State(**{k: arrays[f"state.{k}"] for k in _FIELDS})

    @property
    def params(self) -> dict[str, np.ndarray]:
        arrays = self.arrays()
        return {k: arrays[f"params.{k}"] for k in self.space.params}

    @property
    def figures(self) -> np.ndarray:
        return self.arrays()["figures"][:, : self.width]

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays, gathered here first if they are pending."""
        target, source = self.gathering()
        if source is not None:
            gather = (self.pending.index, 0, self.n, self.width, self.pending.keep)
            _gather(target.arrays, source.arrays, *gather)
            self.pending = None
        return target.arrays

    def gathering(self) -> tuple[Arena, Arena | None]:
        """This set's arena and, while pending, the arena its arrays come from."""
        if self.arena is None:
            self.arena = self.space.arena(self)
        if self.pending is None:
            return self.arena, None
        source = self.pending.source
        if source.version != self.pending.version:
            raise RuntimeError("particles stepped before the copies taken from them were made")
        return self.arena, source.arena

    def weights(self) -> np.ndarray:
        w = np.exp(self.logw - self.logw.max())
        return w / w.sum()

    def ess(self) -> float:
        w = self.weights()
        return float(1.0 / np.sum(w**2))

    def take(self, index: np.ndarray, rows: int | None = None) -> Particles:
        """The particles `index` (ancestors after resampling), with equal weights; with
        `rows`, their figures start at zero for that many rows instead of the
        ancestors'."""
        index = np.asarray(index, dtype=np.intp)
        keep = rows is None and (self.pending is None or self.pending.keep)
        if self.pending is None:
            self.gathering()
            pending = _Pending(self, index, self.version, keep)
        else:
            was = self.pending
            pending = _Pending(was.source, was.index[index], was.version, keep)
        saved = {k: v[index] for k, v in self.saved.items()}
        width = self.width if rows is None else rows
        return Particles(self.space, len(index), width, saved, np.zeros(len(index)), pending)

    def copy(self) -> Particles:
        return self.take(np.arange(self.n))


def _gather(target: dict, source: dict, index, lo: int, hi: int, width: int, keep: bool) -> None:
    """Rows lo..hi-1 of `target` from rows `index[lo:hi]` of `source`; their first
    `width` figures too with `keep`, else zero figures."""
    for name, dst in target.items():
        if name != "figures":
            np.take(source[name], index[lo:hi], axis=0, out=dst[lo:hi])
        elif keep:
            dst[lo:hi, :width] = source[name][index[lo:hi], :width]
        else:
            dst[lo:hi] = 0.0


def resample_rng(seed: int, purpose: str = "filter") -> np.random.Generator:
    """The stream that draws a filter's ancestors."""
    return streams.stream(seed, purpose, "resample")


def systematic(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Systematic resampling: ancestor indices with E[copies of i] = n * weights[i] and
    the lowest variance of the usual schemes (Douc, Cappe and Moulines 2005)."""
    n = len(weights)
    positions = (rng.random() + np.arange(n)) / n
    cdf = np.cumsum(weights)
    cdf[-1] = 1.0
    return np.searchsorted(cdf, positions)


@dataclass
class _Streams:
    """A block's streams: scheduled events, the observation model, one per process,
    and the estimates' errors (`rows`)."""

    events: np.random.Generator
    observe: np.random.Generator
    processes: list[np.random.Generator]
    rows: np.random.Generator


@dataclass
class _Step:
    """One block's month: what a worker needs besides the model."""

    target: Arena
    source: Arena | None
    index: np.ndarray | None  # ancestors of the block's rows, when gathering
    width: int  # the particles' figures
    keep: bool
    lo: int
    hi: int
    streams: _Streams
    saved: dict[int, np.ndarray]
    rows: list[Row]
    month: int
    drivers: bool
    params: tuple[str, ...]


class FilterModel:
    """Steps particles month by month with the engine's processes and the evidence's
    observation models, each block of `BLOCK` particles from its own random streams,
    on the workers of `space` (default: this process)."""

    def __init__(
        self,
        model: Model,
        rows: list[Row],
        seed: int,
        purpose: str = "filter",
        *key: int,
        space: Workspace | None = None,
    ):
        self.space = space or Workspace(model, Workers(1, model))
        if self.space.model is not model:
            raise ValueError("the filter's model is not its workspace's")
        self.model, self.rows, self.seed, self.key = model, rows, seed, (purpose, *key)
        self._streams: dict[int, _Streams] = {}

    def streams(self, block: int) -> _Streams:
        """Block `block`'s streams, made when first used."""
        if block not in self._streams:
            events, obs, processes = chunk_streams(self.seed, *self.key, block)
            rows = streams.stream(self.seed, *self.key, block, "rows")
            self._streams[block] = _Streams(events, obs, processes, rows)
        return self._streams[block]

    def start(self, n: int) -> Particles:
        p = Particles(self.space, n, len(self.rows), {}, np.zeros(n))
        arrays = p.arrays()
        for b, (lo, hi) in enumerate(chunk_bounds(n, BLOCK)):
            draws = posterior_draws(self.model, hi - lo, self.seed, *self.key, b)
            params = chunk_params(self.model, 0, hi - lo, None, draws)
            state = initial_state(self.model, hi - lo)
            for k in _FIELDS:
                arrays[f"state.{k}"][lo:hi] = getattr(state, k)
            for k, v in params.items():
                arrays[f"params.{k}"][lo:hi] = v
        arrays["figures"][:] = 0.0
        return p

    def advance(self, p: Particles, month: int, drivers: bool = False) -> dict | None:
        """One month of every block: the engine's step, then each row's figure for that
        month. With `drivers`, returns the factors of the month's expected attacks as
        the operations process saw them (`analysis/drivers.py`)."""
        return self.submit(p, month, drivers)()

    def submit(self, p: Particles, month: int, drivers: bool = False) -> Callable[[], dict | None]:
        """`advance`, started on the workers: the returned function waits for the month
        and gives what `advance` does. Until then, `p` is the workers'."""
        target, source = p.gathering()
        pending = p.pending
        bounds = chunk_bounds(p.n, BLOCK)
        tasks = [
            _Step(
                target,
                source,
                None if pending is None else pending.index,
                p.width,
                pending is not None and pending.keep,
                lo,
                hi,
                self.streams(b),
                {k: v[lo:hi] for k, v in p.saved.items()},
                self.rows,
                month,
                drivers,
                self.space.params,
            )
            for b, (lo, hi) in enumerate(bounds)
        ]
        results = self.space.workers.submit(_advance_block, tasks)

        def finish() -> dict | None:
            done = results()
            p.pending = None
            p.version += 1
            for b, (block_streams, _, _) in enumerate(done):
                self._streams[b] = block_streams
            keys = done[0][1].keys()
            p.saved = {k: np.concatenate([saved[k] for _, saved, _ in done]) for k in keys}
            if not drivers:
                return None
            return {k: np.concatenate([seen[k] for _, _, seen in done]) for k in done[0][2]}

        return finish

    def weigh(self, p: Particles, month: int, use: Callable[[Row], bool]) -> None:
        """Weight the particles by the rows that end this month and pass `use`."""
        ending = [r for r, row in enumerate(self.rows) if row.end == month and use(row)]
        if ending:
            g = gaps(p.figures[:, ending], [self.rows[r] for r in ending])
            p.logw += -0.5 * (g**2).sum(axis=1)


def _advance_block(model: Model, task: _Step):
    """A block's month (on a worker, or in this process): gather its particles if they
    were resampled, step them, add the month to each row's figure. Returns the block's
    streams and saved event values as they now are, and the drivers it saw."""
    arrays, lo, hi = task.target.arrays, task.lo, task.hi
    if task.source is not None:
        _gather(arrays, task.source.arrays, task.index, lo, hi, task.width, task.keep)
    views = {k: arrays[f"state.{k}"][lo:hi] for k in _FIELDS}
    state = State(**views)
    params = {k: arrays[f"params.{k}"][lo:hi] for k in task.params}
    held = dict(params)
    seen: dict[str, np.ndarray] = {}

    def look(name: str) -> None:
        if name == "operations":
            seen.update(attack_drivers.factors(state, params, model))

    rngs = (task.streams.events, task.streams.processes)
    saved = dict(task.saved)
    step(state, params, task.month, model, *rngs, saved, before=look if task.drivers else None)
    for k, view in views.items():  # a process may replace an array: keep it in the arena
        if getattr(state, k) is not view:
            view[...] = getattr(state, k)
    for k, view in held.items():
        if params[k] is not view:
            view[...] = params[k]
    _figures(model, task, state, params, arrays["figures"][lo:hi, : task.width])
    return task.streams, saved, seen


def _figures(model: Model, task: _Step, state: State, params: dict, figures: np.ndarray) -> None:
    """Add the month to the figure of each row it falls in."""
    out = {
        "members": state.members[:, None],
        "attacks": state.attacks[:, None],
        "deaths": state.deaths[:, None],
    }
    series: dict[tuple[str, int], np.ndarray] = {}
    for r, row in enumerate(task.rows):
        if not row.start <= task.month <= row.end:
            continue
        measure = observe.MEASURES[row.measure]
        key = (row.measure, row.unit)
        if key not in series:
            series[key] = observe.monthly(measure, out, params, task.streams.observe, row.unit)
        figures[:, r] += series[key][:, 0][:, row.regions].sum(axis=1)
        if task.month == row.end and measure.kind == "estimate":
            months = row.end - row.start + 1
            noise = observe.estimate_error(params, task.streams.rows, (len(figures),))
            figures[:, r] = figures[:, r] / months * noise


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> np.ndarray:
    """Quantiles of a weighted sample: the smallest value whose weight at or below it
    reaches q (the weighted form of the summaries' 'inverted_cdf')."""
    order = np.argsort(values, kind="stable")
    cdf = np.cumsum(weights[order])
    index = np.minimum(np.searchsorted(cdf, np.asarray(qs) - 1e-12), len(values) - 1)
    return values[order][index]
