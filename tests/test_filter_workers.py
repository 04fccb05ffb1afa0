"""The particle filter's results are the same on any number of workers: its particles move
in fixed blocks whose random streams are keyed by the block, not by the worker."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from resurgence import posterior as posteriors
from resurgence.analysis.backtest import backtest
from resurgence.analysis.filtering import BLOCK, FilterModel, systematic
from resurgence.analysis.forecast import forecast
from resurgence.analysis.nowcast import nowcast
from resurgence.cli import app
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.evidence.load import builtin_evidence, read_evidence, resolve
from resurgence.scenarios import load_scenario

PARTICLES = 2 * BLOCK + 300  # three blocks, the last one short
MONTHS = 18  # 2021-08 to 2023-01: every builtin row of 2021-2022 ends within it


@pytest.fixture(scope="module")
def reading():
    spec = load_scenario("isk")
    posterior = posteriors.load(posteriors.builtin_posterior("isk"))
    model = with_posterior(compile_model(spec, n_months=MONTHS), posterior)
    evidence = read_evidence(builtin_evidence("isk"))
    return model, evidence, resolve(evidence, spec, model).rows


def test_nowcast_is_the_same_on_one_or_two_workers(reading):
    model, _, rows = reading
    one, two = (nowcast(model, rows, PARTICLES, 7, workers=w) for w in (1, 2))
    pd.testing.assert_frame_equal(one.bands, two.bands, check_exact=True)
    pd.testing.assert_frame_equal(one.decomposition, two.decomposition, check_exact=True)
    np.testing.assert_array_equal(one.ess, two.ess)
    assert one.ess.min() < PARTICLES / 2  # the filter resampled: the blocks gathered
    for name in ("members", "treasury", "cohesion"):
        np.testing.assert_array_equal(
            getattr(one.particles.state, name), getattr(two.particles.state, name)
        )
    again = nowcast(model, rows, PARTICLES, 7)
    pd.testing.assert_frame_equal(one.bands, again.bands, check_exact=True)
    other = nowcast(model, rows, PARTICLES, 8)
    assert not one.bands["mean"].equals(other.bands["mean"])


def test_forecast_is_the_same_on_one_or_two_workers(reading):
    model, _, rows = reading
    one, two = (forecast(model, rows, 8, 6, PARTICLES, 7, workers=w) for w in (1, 2))
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    assert set(one["variable"]) >= {"members", "attacks_claimed", "fighters"}


def test_backtest_scores_are_the_same_on_one_or_two_workers(reading):
    model, evidence, rows = reading
    one, two = (
        backtest(model, evidence, rows, 4, 12, PARTICLES, 7, step=4, workers=w) for w in (1, 2)
    )
    assert not one.scores.empty
    pd.testing.assert_frame_equal(one.scores, two.scores, check_exact=True)
    pd.testing.assert_frame_equal(one.table, two.table, check_exact=True)


def test_a_block_does_not_depend_on_how_many_particles_follow_it(reading):
    """Block 0 draws from its own streams, so its particles are the same in a filter of
    one block or of three."""
    model, _, rows = reading
    small, large = FilterModel(model, rows, 5), FilterModel(model, rows, 5)
    p, q = small.start(BLOCK), large.start(PARTICLES)
    for t in range(3):
        small.advance(p, t)
        large.advance(q, t)
    np.testing.assert_array_equal(p.state.members, q.state.members[:BLOCK])
    np.testing.assert_array_equal(p.figures, q.figures[:BLOCK])


def test_copies_taken_before_the_particles_move_on_are_refused(reading):
    """Resampled particles are gathered from their ancestors when next used; if the
    ancestors have moved on by then, the copies would be wrong, so they are refused."""
    model, _, rows = reading
    engine = FilterModel(model, rows, 5)
    p = engine.start(50)
    engine.advance(p, 0)
    taken = p.take(systematic(np.full(50, 1 / 50), np.random.default_rng(0)))
    engine.advance(p, 1)
    with pytest.raises(RuntimeError, match="stepped before"):
        _ = taken.state


def test_nowcast_command_writes_the_same_bands_on_one_or_two_workers(tmp_path):
    runner = CliRunner()
    bands = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        args = ["nowcast", "isk", "--until", "2022-06", "-n", "1200", "-w", str(workers)]
        result = runner.invoke(app, [*args, "-o", str(out)])
        assert result.exit_code == 0, result.output
        bands.append(pd.read_parquet(out / "nowcast.parquet"))
    pd.testing.assert_frame_equal(*bands, check_exact=True)


def test_a_full_dev_shm_moves_the_shared_arrays_to_the_temporary_directory(monkeypatch):
    """Where RAM-backed space runs out (a container's 64 MB /dev/shm), the arrays go to a
    file in the temporary directory instead of killing the process at the first write."""
    from resurgence.engine import shared

    reserve, tried = shared._reserve, []

    def first_full(fd, size):
        tried.append(fd)
        if len(tried) == 1:
            raise OSError(28, "No space left on device")
        reserve(fd, size)

    monkeypatch.setattr(shared, "_reserve", first_full)
    with shared.Workers(2, None) as workers:
        if len(workers._directories) < 2:
            pytest.skip("one usable core or no /dev/shm: nothing to fall back from")
        arena = workers.arena({"x": ((10, 3), np.float64)})
        assert arena.path.startswith(workers._directories[-1])
        arena.arrays["x"][:] = 2.0
    assert arena.arrays["x"].sum() == 60.0  # still mapped after the files are removed
