"""Interrupted runs: nothing that looks complete is left, and --resume finishes them exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import xarray as xr

from resurgence.analysis.resurgence import Definition
from resurgence.engine.compile import compile_model
from resurgence.errors import ResurgenceError
from resurgence.store import MANIFEST, PARTIAL
from resurgence.workflows.run import run
from resurgence.workflows.streamed import done_dir, run_to_store

# The interrupted runs are made by hand from the scenario's values: no posterior.
SETTINGS = {"replicas": 120, "seed": 4, "months": 32, "chunk_size": 20, "posterior": "none"}


class Stop(Exception):
    pass


def _interrupt_after(chunks: int):
    """A progress callback that stops the run once `chunks` chunks are complete."""
    seen = []

    def progress(n):
        if n:
            seen.append(n)
        if len(seen) >= chunks:
            raise Stop

    return progress


def _complete(out, **kw):
    return run("isk", out=out, workers=1, **{**SETTINGS, **kw})


def test_resume_after_an_interruption_equals_an_uninterrupted_run(tmp_path, isk):
    reference = _complete(tmp_path / "whole")
    out = tmp_path / "cut"
    model = compile_model(isk, n_months=SETTINGS["months"])
    out.mkdir()
    with pytest.raises(Stop):
        run_to_store(
            model,
            SETTINGS["replicas"],
            SETTINGS["seed"],
            out / PARTIAL,
            Definition.from_scenario(isk),
            chunk_size=SETTINGS["chunk_size"],
            progress=_interrupt_after(3),
        )
    assert not (out / MANIFEST).exists()
    assert len(list(done_dir(out / PARTIAL).iterdir())) == 3
    resumed = _complete(out, resume=True)
    assert resumed.manifest["resumed_chunks"] == 3
    with (
        xr.open_zarr(tmp_path / "whole" / "ensemble.zarr") as a,
        xr.open_zarr(out / "ensemble.zarr") as b,
    ):
        xr.testing.assert_identical(a.load(), b.load())
    assert resumed.probability == reference.probability
    assert resumed.summary.equals(reference.summary)
    assert not done_dir(out / PARTIAL).exists() and not (out / PARTIAL).exists()


def test_resume_refuses_other_settings_and_complete_runs(tmp_path, isk):
    out = tmp_path / "cut"
    out.mkdir()
    model = compile_model(isk, n_months=SETTINGS["months"])
    definition = Definition.from_scenario(isk)
    with pytest.raises(Stop):
        run_to_store(
            model, 120, 4, out / PARTIAL, definition, chunk_size=20, progress=_interrupt_after(1)
        )
    with pytest.raises(ResurgenceError, match="seed"):
        _complete(out, resume=True, seed=5)
    _complete(out, resume=True)
    with pytest.raises(ResurgenceError, match="complete"):
        _complete(out, resume=True)


def test_a_killed_run_leaves_no_manifest_and_resumes_bit_identical(tmp_path):
    """SIGKILL the real command mid-run, then resume it."""
    env = {**os.environ, "RESURGENCE_CATALOG": str(tmp_path / "catalog.duckdb")}
    args = [
        "run",
        "isk",
        "--replicas",
        "400",
        "--months",
        "30",
        "--seed",
        "8",
        "--chunk-size",
        "20",
        "--workers",
        "1",
    ]
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "resurgence", *args, "--out", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    markers = done_dir(out / PARTIAL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if markers.is_dir() and len(list(markers.iterdir())) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / MANIFEST).exists(), "a killed run must not look complete"
    assert not (out / "ensemble.zarr").exists()
    done = len(list(markers.iterdir()))
    assert 3 <= done < 20

    resumed = subprocess.run(
        [sys.executable, "-m", "resurgence", *args, "--out", str(out), "--resume"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    whole = subprocess.run(
        [sys.executable, "-m", "resurgence", *args, "--out", str(tmp_path / "whole")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert whole.returncode == 0, whole.stderr
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["resumed_chunks"] >= done
    with (
        xr.open_zarr(out / "ensemble.zarr") as a,
        xr.open_zarr(tmp_path / "whole" / "ensemble.zarr") as b,
    ):
        xr.testing.assert_identical(a.load(), b.load())
