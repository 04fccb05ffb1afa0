"""Arrays that worker processes share with the main process, and a pool of workers that
keep one fixed context (the compiled model) for all their tasks.

Work that steps the same replicas month after month (the particle filter) cannot ship
their state to a worker and back every month: 10,000 particles hold about 55 MB. Their
arrays live instead in an `Arena`, a memory-mapped file under /dev/shm (RAM) that the
main process and every worker map; a task names the arena and the rows it works on, and
a worker writes its results straight into it. Pickling an arena sends only its file's
path and layout, and a worker maps each file once.

A private arena (no workers) is plain memory and is never pickled, so the serial path
runs the same task functions on the same arrays, which is what keeps results identical
whatever the number of workers.
"""

from __future__ import annotations

import mmap
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from resurgence.engine.workers import one_thread, start_worker

ALIGN = 64  # bytes: each array starts on a cache line

Layout = tuple[tuple[str, tuple[int, ...], str, int], ...]  # name, shape, dtype, offset


@dataclass(frozen=True)
class _Mapped:
    """How a worker finds a shared arena: its file and where each array lies in it."""

    path: str
    layout: Layout
    size: int


class Arena:
    """Named arrays in one block of memory: shared (a file mapped by every process) when
    `directories` are given, else private to this process.

    The file goes in the first directory with room for it, its space reserved at once:
    /dev/shm can be small (64 MB in a container by default), and a mapped file that
    outgrows it would kill the process at its first write instead of raising an error."""

    def __init__(self, specs: dict[str, tuple[tuple[int, ...], Any]], directories: list[str]):
        self.layout, self.size = _layout(specs)
        self.path = None
        if not directories:
            self.arrays = _views(np.empty(self.size, dtype=np.uint8), self.layout)
            return
        for i, directory in enumerate(directories):
            fd, self.path = tempfile.mkstemp(prefix="arena-", suffix=".bin", dir=directory)
            try:
                _reserve(fd, self.size)
                break
            except OSError:
                os.close(fd)
                os.remove(self.path)
                if i == len(directories) - 1:
                    raise
        self.arrays = _views(_mapped(fd, self.size), self.layout)

    def __reduce__(self):
        if self.path is None:
            raise TypeError("a private arena cannot be sent to another process")
        return _attach, (_Mapped(self.path, self.layout, self.size),)


def _layout(specs: dict[str, tuple[tuple[int, ...], Any]]) -> tuple[Layout, int]:
    """Where each named array lies in one block of memory, and the block's size."""
    layout, offset = [], 0
    for name, (shape, dtype) in specs.items():
        dtype = np.dtype(dtype)
        layout.append((name, tuple(shape), dtype.str, offset))
        size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        offset += -(-size // ALIGN) * ALIGN
    return tuple(layout), max(offset, ALIGN)


def inherited_arrays(specs: dict[str, tuple[tuple[int, ...], Any]]) -> dict[str, np.ndarray]:
    """Named arrays in anonymous shared memory: a process forked after this call shares
    them with this one (what either writes, both see). The memory has no name in any file
    system, so it goes with the last process that maps it, however the processes end: a
    killed run leaves nothing behind, where a file under /dev/shm would hold its RAM until
    the machine restarts."""
    layout, size = _layout(specs)
    return _views(np.frombuffer(mmap.mmap(-1, size, flags=mmap.MAP_SHARED), np.uint8), layout)


_ATTACHED: dict[str, Any] = {}  # in a worker: each shared arena's file, mapped once


class _Attached:
    """A worker's view of a shared arena."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays


def _attach(mapped: _Mapped) -> _Attached:
    if mapped.path not in _ATTACHED:
        fd = os.open(mapped.path, os.O_RDWR)
        _ATTACHED[mapped.path] = _Attached(_views(_mapped(fd, mapped.size), mapped.layout))
    return _ATTACHED[mapped.path]


def _reserve(fd: int, size: int) -> None:
    """Give the file its size, with the space allocated where the system can say now
    that it has none."""
    if hasattr(os, "posix_fallocate"):
        os.posix_fallocate(fd, 0, size)
    else:
        os.ftruncate(fd, size)


def _mapped(fd: int, size: int) -> np.ndarray:
    """A file's bytes as a plain array (not `np.memmap`, whose every result is a memmap
    with its own overhead), mapped until the last view of it is gone."""
    try:
        return np.frombuffer(mmap.mmap(fd, size), dtype=np.uint8)
    finally:
        os.close(fd)


def _views(base: np.ndarray, layout: Layout) -> dict[str, np.ndarray]:
    out = {}
    for name, shape, dtype, offset in layout:
        dt = np.dtype(dtype)
        n = int(np.prod(shape, dtype=np.int64))
        out[name] = base[offset : offset + n * dt.itemsize].view(dt).reshape(shape)
    return out


_CONTEXT: Any = None  # in a worker: the pool's fixed context


def _start(context: Any) -> None:
    """Pool initializer: end with the parent, BLAS on one thread (`workers.py`), and
    keep the context, sent once per worker instead of with every task."""
    global _CONTEXT
    start_worker()
    _CONTEXT = context


class Workers:
    """Runs tasks on `workers` local processes that all hold `context` (or in this process
    when `workers` is 1), with shared arenas in a directory of their own.

    `submit` gives results in the order of the tasks, however they were spread over the
    workers, so a caller that combines them in that order gets the same result from any
    number of workers. Use as a context manager: the workers end and the arenas' files
    are removed when it exits (and the workers end with this process however it ends,
    `workers.py`)."""

    def __init__(self, workers: int, context: Any):
        self.workers = max(1, min(workers, os.cpu_count() or 1))
        self.context = context
        self._pool = None
        self._directories: list[str] = []  # RAM first, then the temporary directory
        if self.workers > 1:
            places = ["/dev/shm"] if os.path.isdir("/dev/shm") else []
            for place in [*places, None]:
                self._directories.append(tempfile.mkdtemp(prefix="resurgence-shared-", dir=place))
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, initializer=_start, initargs=(context,)
            )

    def arena(self, specs: dict[str, tuple[tuple[int, ...], Any]]) -> Arena:
        """Arrays the workers can write: shared when there are workers, else private."""
        return Arena(specs, self._directories)

    def submit(self, fn: Callable, tasks: Sequence) -> Callable[[], list]:
        """Start `fn(context, task)` for each task; the returned function waits for the
        results, in the tasks' order. The caller works meanwhile, as long as it leaves
        the tasks' arrays alone. One task runs here, at once: a worker would only add
        the round trip."""
        if self._pool is None or len(tasks) <= 1:
            with one_thread():  # as on a worker
                results = [fn(self.context, task) for task in tasks]
            return lambda: results
        futures = [self._pool.submit(_call, (fn, task)) for task in tasks]
        return lambda: [future.result() for future in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        for directory in self._directories:
            shutil.rmtree(directory, ignore_errors=True)
        self._directories = []

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _call(job):
    fn, task = job
    return fn(_CONTEXT, task)
