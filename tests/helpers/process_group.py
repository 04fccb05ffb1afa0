"""A process started in its own session (its own process group), waited on and killed
with its whole group: the command and the worker processes it started."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path


def wait_until(proc: subprocess.Popen, ready, timeout: float = 300) -> bool:
    """Poll until `ready()`; False if the process ended first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the process never reached the moment"
        time.sleep(0.002)
    return True


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the whole group, and wait until none of its processes runs."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while group_alive(proc.pid):  # the workers too, so nothing writes while we look
        assert time.monotonic() < deadline, "worker processes outlived the kill"
        time.sleep(0.01)


def group_alive(group: int) -> bool:
    """Whether a process of the group still runs (zombies, dead but not yet reaped by an
    init that may never reap them, do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False
