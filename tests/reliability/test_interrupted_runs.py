"""Interrupted runs: `resurgence run` is SIGKILLed (its whole process group, workers
included) at several moments; after each, nothing looks complete, what was finished is
exact, the catalog reads, and `--resume` ends bit-identical to an uninterrupted run.
The figures are printed at the end of the session (conftest.py, pytest_terminal_summary).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from helpers.commands import catalog_reads
from helpers.hypothesis_profile import CI
from helpers.process_group import kill_group, wait_until
from resurgence import store
from resurgence.analysis.summary import summarise
from resurgence.engine.compile import compile_model
from resurgence.errors import ResurgenceError
from resurgence.scenarios import load_scenario
from resurgence.workflows.run import run
from resurgence.workflows.streamed import _create, done_dir, run_spec

KILL_RUN = ["run", "isk", "--replicas", "400", "--months", "12", "--from", "2021-09"]
KILL_RUN += ["--seed", "11", "--chunk-size", "20", "--workers", "2"]
N_CHUNKS = 20
# Where each kill lands: mid-simulation after a random delay, once every chunk is done
# (loading and summarising), when the store has just been renamed (before the manifest),
# and when the manifest has just been written (registering in the catalog).
KILLS = ["simulating", "simulating", "simulating", "summarising", "renamed", "registering"]
KILLS_DEFAULT = ["simulating", "registering"]
KNOWN_OUTPUTS = {
    store.MANIFEST,
    store.ENSEMBLE,
    store.SUMMARY,
    store.PARTIAL,
    done_dir(Path(store.PARTIAL)).name,
    f".{store.SUMMARY}.partial",
    f".{store.MANIFEST}.partial",
    store.LOCK,  # the killed writer's lock: no longer locked, and no part of the run
}


def _launch(out: Path, env: dict, log: Path, resume: bool) -> subprocess.Popen:
    with open(log, "ab") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "resurgence", *KILL_RUN, "--out", str(out)]
            + (["--resume"] if resume else []),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=fh,
            start_new_session=True,  # its own process group: the workers die with it
        )


def _markers(out: Path) -> int:
    folder = done_dir(out / store.PARTIAL)
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def _inspect_after_kill(out: Path, reference: xr.Dataset) -> str:
    """Nothing that looks complete unless it is; what is finished is exact."""
    names = {p.name for p in out.iterdir()} if out.exists() else set()
    assert names <= KNOWN_OUTPUTS, names - KNOWN_OUTPUTS
    if store.MANIFEST in names:
        manifest = json.loads((out / store.MANIFEST).read_text())
        assert manifest["complete"] and all((out / n).exists() for n in manifest["outputs"])
        xr.testing.assert_identical(store.read_ensemble(out).load(), reference)
        pd.read_parquet(out / store.SUMMARY)
        return "complete (killed while registering)"
    if out.exists():
        with pytest.raises(ResurgenceError, match="not a complete run"):
            store.read_ensemble(out)
    if store.SUMMARY in names:
        pd.read_parquet(out / store.SUMMARY)  # written whole, then renamed
    if store.ENSEMBLE in names:  # renamed only when every chunk was in
        with xr.open_zarr(out / store.ENSEMBLE) as ds:
            xr.testing.assert_identical(ds.load(), reference)
        return "store renamed, no manifest yet"
    markers = done_dir(out / store.PARTIAL)
    if not markers.is_dir():
        return "starting (no store yet)"
    done = sorted(int(p.name.split("-")[1]) for p in markers.iterdir())
    if done:
        with xr.open_zarr(out / store.PARTIAL, consolidated=False) as ds:
            for i in done:  # every chunk marked done is the uninterrupted run's, bit for bit
                rows = {"replica": slice(20 * i, 20 * (i + 1))}
                xr.testing.assert_identical(ds.isel(rows).load(), reference.isel(rows))
    if len(done) == N_CHUNKS:
        return "summarising (all chunks done)"
    return f"simulating ({len(done)} of {N_CHUNKS} chunks done)"


def _check_summary(summary: pd.DataFrame, ensemble: xr.Dataset) -> None:
    """The run's summary against the exact one of the ensemble: quantiles exactly, means
    to rounding (a run sums chunk by chunk)."""
    exact = summarise(ensemble)
    pd.testing.assert_frame_equal(summary.drop(columns="mean"), exact.drop(columns="mean"))
    np.testing.assert_allclose(summary["mean"], exact["mean"], rtol=1e-12)


def test_sigkill_at_random_moments_then_resume_is_bit_identical(tmp_path, reliability):
    catalog = tmp_path / "catalog.duckdb"
    env = {**os.environ, "RESURGENCE_CATALOG": str(catalog)}
    log = tmp_path / "stderr.log"
    rng = np.random.default_rng(20240611)

    whole = tmp_path / "whole"
    started = time.monotonic()
    reference_proc = _launch(whole, env, log, resume=False)
    assert reference_proc.wait(timeout=300) == 0, log.read_text()
    wall = time.monotonic() - started
    simulate_s = json.loads((whole / store.MANIFEST).read_text())["timings"]["simulate_s"]
    with xr.open_zarr(whole / store.ENSEMBLE) as ds:
        reference = ds.load()
    assert catalog_reads(catalog) == 1

    out = tmp_path / "killed"
    phases = []
    for number, moment in enumerate(KILLS if CI else KILLS_DEFAULT):
        before = _markers(out)
        proc = _launch(out, env, log, resume=number > 0)
        if moment == "simulating":  # after a random number of this run's chunks
            extra = int(rng.integers(0, max(1, (N_CHUNKS - before) // 2)))
            reached = wait_until(proc, lambda b=before + extra: _markers(out) > b)
            time.sleep(rng.uniform(0.0, 0.5 * simulate_s / N_CHUNKS))  # inside the next
        elif moment == "summarising":
            reached = wait_until(proc, lambda: _markers(out) == N_CHUNKS)
        elif moment == "renamed":
            reached = wait_until(proc, lambda: (out / store.ENSEMBLE).exists())
        else:
            reached = wait_until(proc, lambda: (out / store.MANIFEST).exists())
        assert reached, f"the run ended before the {moment} moment: {log.read_text()}"
        kill_group(proc)
        phases.append(_inspect_after_kill(out, reference))
        assert catalog_reads(catalog) >= 1
        if (out / store.MANIFEST).exists():
            break

    kills = len(phases)
    if not (out / store.MANIFEST).exists():
        proc = _launch(out, env, log, resume=True)
        assert proc.wait(timeout=300) == 0, log.read_text()
    xr.testing.assert_identical(store.read_ensemble(out).load(), reference)
    manifest = json.loads((out / store.MANIFEST).read_text())
    uninterrupted = json.loads((whole / store.MANIFEST).read_text())
    for key in ("resurgence", "resurgence_by_horizon"):
        assert manifest[key] == uninterrupted[key], key
    for directory in (out, whole):
        _check_summary(pd.read_parquet(directory / store.SUMMARY), reference)
    assert 1 <= catalog_reads(catalog) <= 2
    reliability["kills"] = (
        f"reliability: {kills} kills, {kills} resumed bit-identical (SIGKILL to `resurgence "
        f"run`'s process group, 400 replicas x 12 months in {N_CHUNKS} chunks on 2 workers, "
        f"uninterrupted {wall:.1f} s; killed while: {'; '.join(phases)}; after each, no "
        f"manifest unless complete, every finished chunk bit-identical, catalog readable; "
        f"the resumed ensemble and resurgence probabilities bit-identical)"
    )


def test_a_run_killed_while_creating_its_store_resumes(tmp_path):
    settings = {"replicas": 40, "seed": 1, "months": 6, "chunk_size": 20}
    model = compile_model(load_scenario("isk"), n_months=settings["months"])
    out = tmp_path / "run"
    store.prepare_run_dir(out)
    spec = run_spec(model, settings["replicas"], settings["seed"], settings["chunk_size"])
    _create(out / store.PARTIAL, model, settings["replicas"], settings["chunk_size"], spec)
    shutil.rmtree(done_dir(out / store.PARTIAL))  # killed just before the markers' folder
    result = run(
        "isk", out=out, resume=True, definition={"start": "2021-09", "horizon": 3}, **settings
    )
    assert result.manifest["resumed_chunks"] == 0 and (out / store.MANIFEST).is_file()
