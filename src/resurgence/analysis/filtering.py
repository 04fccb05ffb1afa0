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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from resurgence import observe
from resurgence.analysis import drivers as attack_drivers
from resurgence.calibration.distance import gaps
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.core.state import State
from resurgence.engine.run import chunk_params, chunk_streams, initial_state, posterior_draws
from resurgence.engine.step import step
from resurgence.evidence.load import Row


@dataclass
class Particles:
    """The filter's particles: engine state, parameters, saved event values, and the
    running figure of each evidence row."""

    state: State
    params: dict[str, np.ndarray]
    saved: dict[int, np.ndarray]
    figures: np.ndarray  # (n, rows)
    logw: np.ndarray  # (n,)

    @property
    def n(self) -> int:
        return self.logw.shape[0]

    def weights(self) -> np.ndarray:
        w = np.exp(self.logw - self.logw.max())
        return w / w.sum()

    def ess(self) -> float:
        w = self.weights()
        return float(1.0 / np.sum(w**2))

    def take(self, index: np.ndarray) -> Particles:
        """The particles `index` (ancestors after resampling), with equal weights."""
        state = State(**{f.name: getattr(self.state, f.name)[index] for f in _FIELDS})
        return Particles(
            state,
            {k: v[index] for k, v in self.params.items()},
            {k: v[index] for k, v in self.saved.items()},
            self.figures[index],
            np.zeros(len(index)),
        )

    def copy(self) -> Particles:
        return self.take(np.arange(self.n))


_FIELDS = dataclasses.fields(State)


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


class FilterModel:
    """Steps particles month by month with the engine's processes and the evidence's
    observation models, each from its own random stream."""

    def __init__(
        self, model: Model, rows: list[Row], seed: int, purpose: str = "filter", *key: int
    ):
        self.model, self.rows, self.seed, self.key = model, rows, seed, (purpose, *key)
        self.event_rng, self.observe_rng, self.process_rngs = chunk_streams(seed, *self.key)
        self.row_rng = streams.stream(seed, *self.key, "rows")

    def start(self, n: int) -> Particles:
        draws = posterior_draws(self.model, n, self.seed, *self.key)
        params = chunk_params(self.model, 0, n, None, draws)
        state = initial_state(self.model, n)
        return Particles(state, params, {}, np.zeros((n, len(self.rows))), np.zeros(n))

    def advance(self, p: Particles, month: int, drivers: bool = False) -> dict | None:
        """One month: the engine's step, then each row's figure for that month. With
        `drivers`, returns the factors of the month's expected attacks as the operations
        process saw them (`analysis/drivers.py`)."""
        seen = {}

        def look(name: str) -> None:
            if name == "operations":
                seen.update(attack_drivers.factors(p.state, p.params, self.model))

        rngs = (self.event_rng, self.process_rngs)
        step(p.state, p.params, month, self.model, *rngs, p.saved, before=look if drivers else None)
        out = {
            "members": p.state.members[:, None],
            "attacks": p.state.attacks[:, None],
        }
        out["deaths"] = p.state.deaths[:, None]
        series: dict[tuple[str, int], np.ndarray] = {}
        for r, row in enumerate(self.rows):
            if not row.start <= month <= row.end:
                continue
            measure = observe.MEASURES[row.measure]
            key = (row.measure, row.unit)
            if key not in series:
                series[key] = observe.monthly(measure, out, p.params, self.observe_rng, row.unit)
            value = series[key][:, 0][:, row.regions].sum(axis=1)
            p.figures[:, r] += value
            if month == row.end and measure.kind == "estimate":
                months = row.end - row.start + 1
                noise = observe.estimate_error(p.params, self.row_rng, (p.n,))
                p.figures[:, r] = p.figures[:, r] / months * noise
        return seen or None

    def weigh(self, p: Particles, month: int, use: Callable[[Row], bool]) -> None:
        """Weight the particles by the rows that end this month and pass `use`."""
        ending = [r for r, row in enumerate(self.rows) if row.end == month and use(row)]
        if ending:
            g = gaps(p.figures[:, ending], [self.rows[r] for r in ending])
            p.logw += -0.5 * (g**2).sum(axis=1)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> np.ndarray:
    """Quantiles of a weighted sample: the smallest value whose weight at or below it
    reaches q (the weighted form of the summaries' 'inverted_cdf')."""
    order = np.argsort(values, kind="stable")
    cdf = np.cumsum(weights[order])
    index = np.minimum(np.searchsorted(cdf, np.asarray(qs) - 1e-12), len(values) - 1)
    return values[order][index]
