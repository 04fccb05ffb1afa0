"""Runs streamed chunk by chunk into Zarr: summaries computed online equal the in-memory
ones, and the store does not depend on the number of worker processes."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from resurgence.analysis.resurgence import Definition, resurgence_probability
from resurgence.analysis.summary import summarise
from resurgence.workflows.run import run

KEY = ["month", "variable", "actor", "region"]


def test_streamed_summary_equals_the_in_memory_summary(tmp_path, isk):
    result = run(
        "isk", out=tmp_path / "run", replicas=240, seed=6, months=40, chunk_size=50, workers=1
    )
    with xr.open_zarr(tmp_path / "run" / "ensemble.zarr") as lazy:
        ensemble = lazy.load()
    expected = summarise(ensemble).set_index(KEY).sort_index()
    streamed = pd.read_parquet(tmp_path / "run" / "summary.parquet").set_index(KEY).sort_index()
    pd.testing.assert_frame_equal(streamed, expected)
    in_memory, curve = resurgence_probability(ensemble, Definition.from_scenario(isk))
    assert result.probability == in_memory
    assert list(result.curve) == list(curve)


def test_the_store_and_summary_are_the_same_with_one_or_two_workers(tmp_path):
    stores, summaries = [], []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        run("isk", out=out, replicas=90, seed=2, months=32, chunk_size=10, workers=workers)
        with xr.open_zarr(out / "ensemble.zarr") as lazy:
            stores.append(lazy.load())
        summaries.append(pd.read_parquet(out / "summary.parquet"))
    xr.testing.assert_identical(*stores)
    pd.testing.assert_frame_equal(*summaries, check_exact=True)


def test_a_local_dask_cluster_gives_the_same_store_as_a_serial_run(tmp_path):
    stores = []
    for name, options in (("serial", {"workers": 1}), ("dask", {"dask_local": 2})):
        out = tmp_path / name
        run("isk", out=out, replicas=60, seed=3, months=30, chunk_size=20, **options)
        with xr.open_zarr(out / "ensemble.zarr") as lazy:
            stores.append(lazy.load())
    xr.testing.assert_identical(*stores)
