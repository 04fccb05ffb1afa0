"""A run directory belongs to one process: a second run, a resume or any command writing
into a directory in use stops at once with one clear message, before its work, and the run
in it finishes unharmed. Within the process that holds it, the directory can be held
again (a command and the workflow it calls)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from resurgence import store
from resurgence.cli import app
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


def _locked(out) -> bool:
    """Whether the directory's lock file is locked: another open of it cannot take it."""
    try:
        fd = os.open(out / store.LOCK, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_this_process_holds_its_directory_again_and_keeps_it_until_the_outermost_hold(
    tmp_path,
):
    """A command holds its directory from before its work until its report is written,
    and the workflow it calls holds it again to write: the inner holds proceed, and the
    directory stays locked until the outer hold ends."""
    result = run("isk", replicas=10, months=30, seed=1)
    out = tmp_path / "run"
    with store.hold_run_dir(out):
        streamed = run("isk", replicas=10, months=30, seed=1, out=out)
        assert _locked(out)
        result.write(tmp_path / "other" / ".." / "run")  # the same directory, another path
        assert _locked(out) and (out / store.LOCK).read_text() == f"{os.getpid()}\n"
    assert not (out / store.LOCK).exists()
    assert sorted(p.name for p in out.iterdir()) == [
        store.ENSEMBLE,
        store.MANIFEST,
        store.SUMMARY,
    ]
    assert read_run(out).probability == streamed.probability == result.probability


def test_a_directory_made_for_a_hold_is_removed_when_nothing_was_written_into_it(tmp_path):
    made, existing = tmp_path / "made", tmp_path / "existing"
    existing.mkdir()
    for out in (made, existing):
        with pytest.raises(ResurgenceError, match="refused"), store.hold_run_dir(out):
            raise ResurgenceError("refused settings")
    assert not made.exists() and existing.is_dir() and not any(existing.iterdir())


def test_run_holds_its_directory_until_its_report_is_written(tmp_path, monkeypatch):
    out = tmp_path / "run"
    held_while_reported = []
    monkeypatch.setattr(
        "resurgence.commands.report.write_and_say",
        lambda run_dir, **_: held_while_reported.append(_locked(run_dir)),
    )
    args = ["run", "isk", "--replicas", "10", "--months", "30", "--workers", "1", "--report"]
    made = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert held_while_reported == [True] and not (out / store.LOCK).exists()


HOLD = """
import sys, time
from pathlib import Path
from resurgence import store
with store.hold_run_dir(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture(scope="module")
def held(tmp_path_factory):
    """A run directory held by another process (its path and the process id) while the
    tests below run."""
    out = tmp_path_factory.mktemp("held") / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        yield out, holder.pid
    finally:
        holder.kill()
        holder.wait()


# Each command that writes a run directory, and the workflow that does its work.
COMMANDS = {
    "run": ("resurgence.workflows.run.run", ["run", "isk", "--report"]),
    "compare": ("resurgence.workflows.compare.compare", ["compare", "isk", "--report"]),
    "sensitivity": (
        "resurgence.workflows.sensitivity.sensitivity",
        ["sensitivity", "isk", "--report"],
    ),
    "discover": ("resurgence.workflows.discover.discover", ["discover", "isk"]),
    "conditions": ("resurgence.workflows.conditions.conditions", ["conditions", "isk"]),
    "nowcast": ("resurgence.workflows.measurement.nowcast", ["nowcast", "isk"]),
    "forecast": (
        "resurgence.workflows.measurement.forecast",
        ["forecast", "isk", "--from", "2022-06"],
    ),
    "backtest": (
        "resurgence.workflows.measurement.backtest",
        ["backtest", "isk", "--train-until", "2021-12"],
    ),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_into_a_directory_another_process_holds_stops_before_its_work(
    held, command, monkeypatch
):
    out, holder = held
    workflow, args = COMMANDS[command]

    def work(*_, **__):
        raise AssertionError(f"{command} started its work in a directory in use")

    monkeypatch.setattr(workflow, work)
    refused = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert refused.exit_code == 2, (refused.output, refused.exception)
    message = f"{out}: this run directory is in use by process {holder}"
    assert message in refused.stderr
    assert [p.name for p in out.iterdir()] == [store.LOCK]


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
    # The lock itself: a hold would find the directory held by this very process.
    with pytest.raises(ResurgenceError, match="in use"):
        rundir._lock(out, out / store.LOCK)
    next_holder.__exit__(None, None, None)
    assert opened and not (out / store.LOCK).exists()
