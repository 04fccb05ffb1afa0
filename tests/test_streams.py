"""Random streams: one registry, keyed by purpose and name, and no two purposes share one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import zarr

from resurgence.analysis.discover import latin_hypercube
from resurgence.analysis.filtering import FilterModel, resample_rng
from resurgence.analysis.forecast import project
from resurgence.analysis.nowcast import nowcast
from resurgence.analysis.resurgence import Definition
from resurgence.analysis.sensitivity import define_problem, sample
from resurgence.calibration.simulator import row_values
from resurgence.catalogue import PROCESSES
from resurgence.core import streams
from resurgence.engine.compile import compile_model
from resurgence.engine.run import chunk_params, simulate_chunk
from resurgence.errors import ResurgenceError
from resurgence.evidence.load import builtin_evidence, read_evidence, resolve
from resurgence.workflows.streamed import run_to_store

SRC = Path(__file__).resolve().parents[1] / "src" / "resurgence"

# Every name a stream is keyed by, within any purpose.
NAMES = (
    *streams.CHUNK_STREAMS,
    *(p.name for p in PROCESSES),
    "rows",
    "resample",
    "measure",
    "row",
    "measures",
    "discover",
    "sensitivity",
)


@pytest.fixture
def drawn(monkeypatch):
    """The spawn keys of every stream made while the test runs."""
    keys: list[tuple[int, ...]] = []
    original = streams.seed_sequence

    def record(seed, purpose, *key):
        keys.append(streams.spawn_key(purpose, *key))
        return original(seed, purpose, *key)

    monkeypatch.setattr(streams, "seed_sequence", record)
    return keys


def test_purposes_and_names_have_distinct_keys():
    assert len(set(streams.PURPOSES.values())) == len(streams.PURPOSES)
    assert len({streams.name_key(n) for n in NAMES}) == len(set(NAMES))


def test_a_process_stream_follows_its_name_not_its_position():
    first, last = PROCESSES[0].name, PROCESSES[-1].name
    assert streams.spawn_key("run", 3, last) == (0, 3, streams.name_key(last))
    assert streams.spawn_key("run", 3, first) != streams.spawn_key("run", 3, last)
    with pytest.raises(KeyError, match="unknown stream purpose"):
        streams.spawn_key("chunk", 0)


def test_each_workflow_draws_only_from_streams_of_its_own_purpose(drawn, isk):
    """The first element of a stream's key is its purpose, so workflows whose streams all
    carry their own purpose never share one: a run, the particle filter, a projection,
    a backtest's resampling, calibration's figures and the sampling designs."""
    model = compile_model(isk, n_months=18)
    seed = 11
    used = {}

    def take(purpose):
        used[purpose] = list(drawn)
        drawn.clear()

    out = simulate_chunk(model, 0, 20, seed, 0)
    params = chunk_params(model, 0, 20)
    take("run")
    particles = FilterModel(model, [], seed).start(16)
    nowcast(model, [], 16, seed, months=3)
    take("filter")
    project(model, particles, 3, 5, seed)
    take("forecast")
    resample_rng(seed, "backtest")
    take("backtest")
    rows = resolve(read_evidence(builtin_evidence("isk")), isk, model).rows
    row_values(model, rows, out, params, seed)
    take("calibration")
    space = pd.DataFrame({"parameter": ["a", "b"], "low": [0.0, 0.0], "high": [1.0, 2.0]})
    latin_hypercube(space, 4, seed)
    problem = define_problem({"c": ["a", "b"]}, {"a": (0.0, 1.0), "b": (0.0, 2.0)})
    sample(problem, "morris", 4, seed)
    take("design")

    for purpose, keys in used.items():
        assert keys, purpose
        assert {k[0] for k in keys} == {streams.PURPOSES[purpose]}, purpose
    # A chunk has its own streams: events, observation, one per process (and no posterior
    # here: the model has none).
    assert len(set(used["run"])) == 2 + len(PROCESSES)
    assert len(set(used["calibration"])) > 1  # one per measure and unit, one per row


def test_no_module_seeds_a_generator_outside_the_registry():
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "streams.py"
        and ("SeedSequence(" in path.read_text() or "default_rng(" in path.read_text())
    ]
    assert offenders == []


def test_resume_refuses_a_run_written_under_another_stream_scheme(tmp_path, isk):
    model = compile_model(isk, n_months=4)
    definition = Definition.from_scenario(isk, start="2021-08", horizon=4)
    path = tmp_path / "store.zarr"

    class Stop(Exception):
        pass

    def stop(n):
        raise Stop

    with pytest.raises(Stop):
        run_to_store(model, 40, 1, path, definition, chunk_size=20, progress=stop)
    group = zarr.open_group(str(path), mode="r+")
    group.attrs["run_spec"] = {**group.attrs["run_spec"], "streams": streams.SCHEME - 1}
    with pytest.raises(ResurgenceError, match="streams"):
        run_to_store(model, 40, 1, path, definition, chunk_size=20, resume=True)
