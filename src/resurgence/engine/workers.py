"""Worker processes that end when the process that started them ends.

A pool's worker waits on a pipe from the main process, or blocks writing its result to
one. When the main process is killed outright (SIGKILL, the out-of-memory killer), nothing
tells the workers: they would live on, holding memory and the run directory's lock, and
possibly writing into a run that another process resumes. `exit_with_parent` is the
initializer of every local pool: each worker watches its parent from a daemon thread and
ends itself, however the parent ended.

Work that fills every core with worker processes also keeps BLAS to one thread per
process (`one_thread`, `start_worker`), in the workers and in the main process alike.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.connection import wait

from threadpoolctl import threadpool_limits

CHECK_EVERY_S = 1.0


def exit_with_parent() -> None:
    """Pool initializer: end this worker within about a second of its parent's end."""
    threading.Thread(
        target=_watch,
        args=(multiprocessing.parent_process().sentinel, os.getppid()),
        name="exit-with-parent",
        daemon=True,
    ).start()


def one_thread() -> threadpool_limits:
    """Limit BLAS (numpy's matrix products) to one thread while the returned object is
    in force (a context manager), as the work that runs in pools needs.

    A pool has one worker per core already: BLAS threads on top of them only spin
    against each other (on 2 cores, a calibration's simulations took twice the time with
    OpenBLAS's default of one thread per core). The same work done in the main process
    uses the limit too, so that a product is computed the same way there as on a worker
    and results do not depend on the number of workers."""
    return threadpool_limits(limits=1, user_api="blas")


def start_worker() -> None:
    """Pool initializer for work that keeps BLAS to one thread: `exit_with_parent`, and
    `one_thread` for the worker's whole life."""
    exit_with_parent()
    one_thread()


def _watch(sentinel: int, parent_pid: int) -> None:
    """Wait for the parent's end, then end this process at once (no clean-up: the work in
    flight belongs to a run that no longer exists).

    The parent's sentinel is ready when the parent has ended, including before this
    thread started; but a sibling worker forked later holds a copy of it, so the parent's
    pid changing (this worker adopted by another process) ends the wait too."""
    while not wait([sentinel], timeout=CHECK_EVERY_S) and os.getppid() == parent_pid:
        pass
    os._exit(1)
