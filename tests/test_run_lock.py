"""A run directory belongs to one process: a second run or a resume into a directory in
use stops at once with one clear message, and the run in it finishes unharmed."""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from resurgence import store
from resurgence.errors import ResurgenceError
from resurgence.store import rundir
from resurgence.workflows.api import read_run
from resurgence.workflows.run import run

# Long enough (15 chunks) that the later commands start, and are refused, while it runs.
FIRST = ["run", "isk", "--replicas", "1500", "--months", "30", "--seed", "5"]
FIRST += ["--chunk-size", "100", "--workers", "1"]


def _command(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "resurgence", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_run_or_resume_into_a_directory_in_use_is_refused(tmp_path):
    env = {**os.environ, "RESURGENCE_CATALOG": str(tmp_path / "catalog.duckdb")}
    out = tmp_path / "run"
    first = _command([*FIRST, "--out", str(out)], env)
    try:
        deadline = time.monotonic() + 60
        while not (out / store.LOCK).exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first run never took its directory"
            time.sleep(0.01)
        later = [
            _command([*FIRST, "--out", str(out)], env),
            _command([*FIRST, "--out", str(out), "--resume"], env),
        ]
        for proc in later:
            stdout, stderr = proc.communicate(timeout=60)
            assert proc.returncode == 2, (stdout, stderr)
            assert "Traceback" not in stderr
            lines = stderr.strip().splitlines()
            assert len(lines) == 1 and str(out) in lines[0] and "in use by process" in lines[0]
        assert first.poll() is None, "the first run ended before the later ones were refused"
        stdout, stderr = first.communicate(timeout=120)
    finally:
        first.kill()
    assert first.returncode == 0, stderr
    manifest = json.loads((out / store.MANIFEST).read_text())
    assert manifest["complete"] and all((out / name).exists() for name in manifest["outputs"])
    assert not (out / store.LOCK).exists()
    undisturbed = run("isk", replicas=1500, months=30, seed=5, chunk_size=100)
    assert read_run(out).probability == undisturbed.probability
    assert manifest["resurgence_by_horizon"] == undisturbed.manifest["resurgence_by_horizon"]


def test_a_held_directory_refuses_a_run_and_a_write_in_this_process_too(tmp_path):
    result = run("isk", replicas=10, months=30, seed=1)
    out = tmp_path / "run"
    with store.hold_run_dir(out):
        with pytest.raises(ResurgenceError, match=re.escape(f"{out}: this run directory is in")):
            run("isk", replicas=10, months=30, seed=1, out=out)
        with pytest.raises(ResurgenceError, match="in use"):
            result.write(out)
        assert not (out / store.MANIFEST).exists()
    result.write(out)
    assert sorted(p.name for p in out.iterdir()) == [
        store.ENSEMBLE,
        store.MANIFEST,
        store.SUMMARY,
    ]


def test_a_lock_file_left_by_a_killed_run_does_not_hold_the_directory(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / store.LOCK).write_text("999999\n")  # its process is gone: the file is not locked
    with store.hold_run_dir(out):
        assert (out / store.LOCK).read_text() == f"{os.getpid()}\n"
    assert not (out / store.LOCK).exists()


def test_a_lock_file_removed_between_its_open_and_its_lock_is_not_held(tmp_path, monkeypatch):
    """A holder ends (removing the lock file) just after another process opened the file,
    and a third takes the directory with a new file: the second must not hold the removed
    file, but find the directory in use."""
    out = tmp_path / "run"
    ending, next_holder = store.hold_run_dir(out), store.hold_run_dir(out)
    ending.__enter__()
    opened: list[int] = []

    def flock(fd: int, operation: int) -> None:
        if not opened:  # the first lock asked for: the one whose file was just opened
            opened.append(fd)
            ending.__exit__(None, None, None)
            next_holder.__enter__()
        fcntl.flock(fd, operation)

    patched = SimpleNamespace(flock=flock, LOCK_EX=fcntl.LOCK_EX, LOCK_NB=fcntl.LOCK_NB)
    monkeypatch.setattr(rundir, "fcntl", patched)
    with pytest.raises(ResurgenceError, match="in use"), store.hold_run_dir(out):
        pass
    next_holder.__exit__(None, None, None)
    assert opened and not (out / store.LOCK).exists()
