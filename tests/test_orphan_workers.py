"""Worker processes end when the process that started them is killed outright (SIGKILL to
that process alone, not to its group), instead of living on blocked on a pipe."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

# Runs far longer than the test, on 2 workers; 12 months keep each chunk small.
STREAMED = ["-m", "resurgence", "run", "isk", "--replicas", "200000", "--months", "12"]
STREAMED += ["--from", "2021-09", "--chunk-size", "50", "--workers", "2"]
IN_MEMORY = (
    "import resurgence as rs; rs.run('isk', replicas=10000, months=12, chunk_size=50, "
    "workers=2, definition={'start': '2021-09'})"
)
COMMANDS = {
    # `resurgence run`: chunks streamed to a directory (engine/executors.py's pool)
    "streamed": lambda out: [*STREAMED, "--out", str(out)],
    # `rs.run` without a directory: chunks into memory-mapped files (engine/run.py's pool)
    "in memory": lambda out: ["-c", IN_MEMORY],
}


def _running(process: psutil.Process) -> bool:
    """Alive and not a zombie (dead, but not reaped by an init that may never reap it)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_workers_end_when_their_parent_is_killed(tmp_path, kind):
    env = {**os.environ, "RESURGENCE_CATALOG": str(tmp_path / "catalog.duckdb")}
    env["TMPDIR"] = str(tmp_path)  # where the in-memory run's files are left when killed
    parent = subprocess.Popen(
        [sys.executable, *COMMANDS[kind](tmp_path / "run")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group, so that the clean-up can end it all
    )
    try:
        deadline = time.monotonic() + 60
        workers: list[psutil.Process] = []
        while len(workers) < 2:
            assert parent.poll() is None, parent.stderr.read().decode()
            assert time.monotonic() < deadline, "the run never started its 2 workers"
            time.sleep(0.05)
            workers = psutil.Process(parent.pid).children()
        busy = time.monotonic() + 60
        while sum(w.cpu_times().user for w in workers) < 0.5:  # both given work, working
            assert time.monotonic() < busy, "the workers never got to work"
            time.sleep(0.05)
        os.kill(parent.pid, signal.SIGKILL)  # the parent alone
        parent.wait()
        gone = time.monotonic() + 10
        while any(_running(w) for w in workers):
            assert time.monotonic() < gone, "worker processes outlived their parent by 10 s"
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
        parent.stderr.close()
