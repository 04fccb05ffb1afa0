"""Where chunks of work run: in this process, on local worker processes, or on a Dask
cluster.

Every long computation of the toolkit (a run's chunks of replicas, the parameter sets of a
sensitivity analysis or a discovery) is a list of independent tasks whose results are
combined in any order, so one interface serves them all: `Executor.map` yields
`(index, result)` pairs as tasks finish. Results never depend on the executor, because
each task carries its own seed (chunk i of a run is seeded by (seed, i)).

On a Dask cluster, tasks that write to a run's Zarr store need that store on a file
system every worker can reach (a shared disk); `--dask-local N` starts a cluster of N
worker processes on this machine. Local worker processes end when the process that
started them does (`workers.py`).
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from resurgence.engine.workers import exit_with_parent
from resurgence.errors import ResurgenceError


@dataclass
class Executor:
    """Runs `fn(task)` for each task; `map` yields (index, result) as tasks finish."""

    kind: str
    workers: int
    _pool: Any = None

    def map(self, fn: Callable, tasks: Sequence) -> Iterator[tuple[int, Any]]:
        """Yield (index, result) as tasks finish. At most two tasks per worker are in
        flight and a result is dropped once yielded, so memory does not grow with the
        number of tasks."""
        if self.kind == "serial" or (self.kind == "processes" and len(tasks) <= 1):
            for i, task in enumerate(tasks):
                yield i, fn(task)
            return
        if self.kind == "processes":
            submit, wait_one = self._pool.submit, _wait_local
        else:
            submit = functools.partial(self._pool.submit, pure=False)
            wait_one = _wait_dask
        queue = iter(enumerate(tasks))
        pending: dict[Any, int] = {}
        for i, task in itertools.islice(queue, 2 * max(self.workers, 1)):
            pending[submit(fn, task)] = i
        while pending:
            for future in wait_one(list(pending)):
                i = pending.pop(future)
                result = future.result()
                for j, task in itertools.islice(queue, 1):
                    pending[submit(fn, task)] = j
                yield i, result

    def describe(self) -> str:
        if self.kind == "dask":
            return f"Dask cluster ({self.workers} workers)"
        return describe_local(self.workers)


def describe_local(workers: int) -> str:
    """How a manifest names work done on this machine: in this process, or on `workers`
    local worker processes."""
    return "this process" if workers <= 1 else f"{workers} local processes"


def _wait_local(futures: list) -> set:
    return wait(futures, return_when=FIRST_COMPLETED).done


def _wait_dask(futures: list) -> list:
    from distributed import wait as dask_wait

    return list(dask_wait(futures, return_when="FIRST_COMPLETED").done)


@contextmanager
def executor(
    workers: int = 1, dask_address: str | None = None, dask_local: int | None = None
) -> Iterator[Executor]:
    """The executor asked for on the command line: a Dask scheduler's address, a local
    Dask cluster of `dask_local` processes, or `workers` local processes."""
    if dask_address and dask_local:
        raise ResurgenceError("give --dask or --dask-local, not both")
    if dask_address or dask_local:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ResurgenceError(
                "Dask is not installed: pip install 'dask[distributed]'"
            ) from None
        if dask_local:
            cluster = LocalCluster(
                n_workers=dask_local, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
        else:
            try:
                client = Client(dask_address, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise ResurgenceError(
                    f"--dask: cannot reach the scheduler at {dask_address} ({exc})"
                ) from None
            cluster = None
        try:
            n = len(client.scheduler_info().get("workers", {}))
            yield Executor("dask", n, client)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    if workers <= 1:
        yield Executor("serial", 1)
        return
    with ProcessPoolExecutor(
        max_workers=min(workers, os.cpu_count() or 1), initializer=exit_with_parent
    ) as pool:
        yield Executor("processes", workers, pool)
