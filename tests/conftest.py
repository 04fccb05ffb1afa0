"""Shared fixtures: the flagship scenario compiled once, and a chunk of state to poke.

Also the Hypothesis profiles (`default` keeps `pytest` fast; `.ci/run` exports
HYPOTHESIS_PROFILE=ci, which runs tests/reliability's full count of invalid inputs) and the
figures those tests print at the end of the session.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings

from resurgence.engine.compile import compile_model
from resurgence.engine.run import chunk_params, initial_state
from resurgence.scenarios import load_scenario

# Tests that set their own max_examples keep it; the others (the invalid-input tests of
# tests/reliability/test_bad_input.py) run 60 examples each by default and 2,600 under `ci`.
settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=2600, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

RELIABILITY = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def reliability(request) -> dict:
    """Lines of figures (by topic) that the session prints at its end, as the reliability
    tests measured them: inputs tried and rejected, kills survived, catalog writes."""
    return request.config.stash.setdefault(RELIABILITY, {})


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    figures = config.stash.get(RELIABILITY, {})
    if figures:
        terminalreporter.section("reliability")
        for line in figures.values():
            terminalreporter.write_line(line)


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
