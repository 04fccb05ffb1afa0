"""Shared fixtures: the flagship scenario compiled once, and a chunk of state to poke."""

from __future__ import annotations

import numpy as np
import pytest

from resurgence.engine.compile import compile_model
from resurgence.engine.run import chunk_params, initial_state
from resurgence.scenario import load_scenario


@pytest.fixture(autouse=True)
def _private_catalog(tmp_path, monkeypatch):
    """Never touch the user's run catalog."""
    monkeypatch.setenv("RESURGENCE_CATALOG", str(tmp_path / "catalog.duckdb"))


@pytest.fixture(scope="session")
def isk():
    return load_scenario("isk")


@pytest.fixture(scope="session")
def model(isk):
    return compile_model(isk)


@pytest.fixture
def chunk(model):
    """(state, params) for 50 replicas at the scenario's initial state."""
    return initial_state(model, 50), chunk_params(model, 0, 50)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
