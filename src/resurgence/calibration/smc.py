"""ABC-SMC calibration with ELFI, driven round by round so progress can be shown.

Why ELFI: its simulator interface is batched (one call simulates `batch_size` parameter
sets), which is how the engine works: a batch of 1,000 parameter sets is one vectorised
chunk of replicas. pyabc calls the simulator once per particle, so the same calibration
spends most of its time in per-call overhead (see benchmarks/RESULTS_calibration.md and
docs/calibration.md for the comparison); sbi needs PyTorch and trains a neural density
estimator, a heavy dependency for a handful of parameters.

The sampler is ELFI's SMC (population Monte Carlo ABC, Beaumont et al. 2009): the first
population keeps the best `first_quantile` of prior draws; each later one proposes from a
Gaussian mixture around the previous population and accepts below a tolerance set to the
`quantile` of the previous population's distances, with importance weights prior/proposal.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace

import elfi
import elfi.clients.dask as elfi_dask
import elfi.clients.multiprocessing as elfi_pool
import numpy as np
from dask.distributed import Client as DaskClient

from resurgence.calibration.distance import distance
from resurgence.calibration.free import FreeParameter
from resurgence.calibration.simulator import simulate_rows
from resurgence.core.model import Model
from resurgence.engine.workers import exit_with_parent, one_thread
from resurgence.errors import ResurgenceError
from resurgence.evidence.load import Row
from resurgence.posterior import Posterior

POPULATIONS = 5
"""Populations by default. On the flagship's evidence a sixth population costs about as
many simulations as the first five together (its acceptance falls to 1%), yet moves each
posterior median by at most about 6% of its 90% interval's width and each width by at
most about 10% (benchmarks/RESULTS_calibration.md), so the default stops at five."""


@dataclass(frozen=True)
class Round:
    """Where a calibration stands: shown while it runs, kept in the posterior's record."""

    population: int  # 1-based
    populations: int
    tolerance: float
    simulations: int  # in this population so far
    accepted: int
    total_simulations: int

    @property
    def acceptance(self) -> float:
        return self.accepted / self.simulations if self.simulations else 0.0


class _Simulator:
    """ELFI's batched simulator: parameter arrays in, the rows' figures (batch, rows) out."""

    def __init__(self, model: Model, rows: list[Row], names: list[str]):
        self.model, self.rows, self.names = model, rows, names

    def __call__(self, *values, batch_size=1, random_state=None):
        seed = int(random_state.randint(0, 2**31 - 1))
        overrides = {
            name: np.broadcast_to(np.asarray(v, dtype=np.float64), (batch_size,))
            for name, v in zip(self.names, values, strict=True)
        }
        with one_thread():  # one BLAS thread per simulating process (engine/workers.py)
            return simulate_rows(self.model, self.rows, overrides, seed)


class _Distance:
    def __init__(self, rows: list[Row]):
        self.rows = rows

    def __call__(self, simulated, observed):
        return distance(np.asarray(simulated), self.rows)


def calibrate(
    model: Model,
    rows: list[Row],
    free: list[FreeParameter],
    *,
    samples: int = 1000,
    populations: int = POPULATIONS,
    first_quantile: float = 0.1,
    quantile: float = 0.5,
    batch_size: int = 1000,
    seed: int = 0,
    workers: int = 1,
    dask_address: str | None = None,
    progress: Callable[[Round], None] | None = None,
) -> tuple[Posterior, list[Round]]:
    """Fit the free parameters to the rows; return the last population and each
    population's record."""
    names = [p.name for p in free]
    graph = elfi.ElfiModel(name="calibration")
    priors = [elfi.Prior(*p.elfi_args(), model=graph, name=f"p{j}") for j, p in enumerate(free)]
    observed = np.array([[r.low if r.exact else np.nan for r in rows]])
    simulator = elfi.Simulator(
        _Simulator(model, rows, names), *priors, observed=observed, name="figures"
    )
    discrepancy = elfi.Discrepancy(_Distance(rows), simulator, name="distance")
    parallel = _set_client(workers, dask_address)
    try:
        smc = elfi.SMC(discrepancy, batch_size=batch_size, seed=seed, max_parallel_batches=parallel)
        smc.bar = False  # progress is ours; ELFI sets this only inside its own sample()
        quantiles = [first_quantile] + [quantile] * (populations - 1)
        smc.set_objective(samples, quantiles=quantiles)
        records: list[Round] = []
        done_sims = 0
        while not smc.finished:
            smc.iterate()
            current = _round(smc, samples, populations, done_sims)
            if len(records) < current.population - 1:  # a population was completed
                last = smc._populations[-1]
                records.append(_completed(last, len(records) + 1, populations, samples))
                done_sims = sum(r.simulations for r in records)
                current = _round(smc, samples, populations, done_sims)
            if progress:
                progress(current)
        result = smc.extract_result()
    finally:
        _release_client()
    last = _completed(result, populations, populations, samples)
    # ELFI's final sample counts the simulations of every population; keep this one's
    earlier = sum(r.simulations for r in records)
    records.append(replace(last, simulations=last.simulations - earlier))
    totals = np.cumsum([r.simulations for r in records])
    records = [replace(r, total_simulations=int(t)) for r, t in zip(records, totals, strict=True)]
    weights = np.asarray(result.weights, dtype=np.float64)
    values = np.column_stack([result.outputs[f"p{j}"] for j in range(len(free))])
    meta = {
        "method": "ABC-SMC (ELFI SMC)",
        "elfi_version": elfi.__version__,
        "seed": seed,
        "samples": samples,
        "batch_size": batch_size,
        "populations": [r.__dict__ for r in records],
        "priors": [p.__dict__ for p in free],
        "rows": [r.label for r in rows],
    }
    return Posterior(tuple(names), values, weights, meta), records


def _round(smc, samples: int, populations: int, done: int) -> Round:
    state = smc._rejection.state  # ELFI keeps the running population's counts here
    simulations = int(state["n_sim"])
    threshold = smc.current_population_threshold
    tolerance = float(state["threshold"] if threshold is None else threshold)
    accepted = 0
    if state["samples"] is not None:
        accepted = int(np.sum(state["samples"]["distance"][:samples] <= tolerance))
    return Round(
        smc.state["round"] + 1,
        populations,
        tolerance,
        simulations,
        accepted,
        done + simulations,
    )


def _completed(sample, number: int, populations: int, samples: int) -> Round:
    n_sim = int(sample.n_sim)
    return Round(number, populations, float(sample.threshold), n_sim, samples, 0)


def _release_client() -> None:
    """End the pool of processes a calibration started (ELFI keeps its client for the
    next one), so no worker outlives the calibration."""
    pool = getattr(elfi.get_client(), "pool", None)
    if pool is not None:
        pool.terminate()
        pool.join()
    elfi.set_client("native")


def _set_client(workers: int, dask_address: str | None) -> int:
    """ELFI runs batches on its client: in this process, on a pool of processes, or on a
    Dask cluster (the same scheduler `run --dask` uses). Returns the batches to keep in
    flight. ELFI's own Dask client only starts a local cluster, so `_DaskClient` connects
    to the given scheduler instead."""
    if dask_address is not None:
        client = _DaskClient(dask_address)
        elfi.set_client(client)
        return max(2, 2 * len(client.dask_client.scheduler_info()["workers"]))
    if workers > 1:
        # Its pool's workers end with this process, however it ends (engine/workers.py).
        pool = elfi_pool.Client(num_processes=workers, initializer=exit_with_parent)
        elfi.set_client(pool)
        return workers
    elfi.set_client("native")
    return 1


class _DaskClient(elfi_dask.Client):
    def __init__(self, address: str):
        try:
            self.dask_client = DaskClient(address, timeout=30)
        except (OSError, TimeoutError) as exc:
            raise ResurgenceError(f"--dask: cannot reach the scheduler {address} ({exc})") from None
        self.tasks = {}
        self._id_counter = itertools.count()
