"""The resurgence definition (its regions and the channel it counts), its probability and
the Monte-Carlo interval; the run's reported attacks through the scenario's channel."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
import xarray as xr

from resurgence.analysis.resurgence import (
    Definition,
    first_hit,
    measure_series,
    resurgence_probability,
    wilson_interval,
)
from resurgence.engine.compile import compile_model
from resurgence.engine.run import run
from resurgence.errors import ResurgenceError
from resurgence.scenarios import load_scenario

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]


def _definition(**kw):
    base = {
        "measure": "reported_attacks",
        "threshold": 10,
        "consecutive": 3,
        "start": "2024-01",
        "horizon": 12,
    }
    base.update(kw)
    return Definition(**base)


def test_first_hit_needs_consecutive_months():
    series = np.array(
        [
            [10, 10, 0, 10, 10, 10, 0, 0, 0, 0, 0, 0],  # run completes at month 5
            [10, 10, 0, 10, 10, 0, 10, 10, 0, 0, 0, 0],  # never three in a row
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 20, 20],  # completes in the last month
        ]
    )
    assert list(first_hit(series, _definition(), MONTHS)) == [5, -1, 11]
    assert list(first_hit(series, _definition(horizon=11), MONTHS)) == [5, -1, -1]
    assert list(first_hit(series, _definition(start="2024-04"), MONTHS)) == [2, -1, 8]


def test_wilson_interval_known_values():
    low, high = wilson_interval(0, 100)
    assert low == 0.0 and high == pytest.approx(0.0370, abs=1e-4)
    low, high = wilson_interval(50, 100)
    assert (low, high) == pytest.approx((0.4038, 0.5962), abs=1e-4)


def _ensemble(values):
    values = np.asarray(values)
    _n, t = values.shape
    attacks = values[:, :, None, None]
    return xr.Dataset(
        {
            "reported_attacks": (("replica", "month", "region", "attack_type"), attacks),
            "attacks": (("replica", "month", "region", "attack_type"), attacks),
            "members": (("replica", "month", "actor", "region"), attacks * 100),
        },
        coords={"month": MONTHS[:t], "actor": ["isk"], "region": ["all_of_it"]},
        attrs={"focal": "isk"},
    )


def test_probability_and_curve():
    values = np.zeros((4, 12))
    values[0, 2:5] = 12  # hit at month 4
    values[1, 6:9] = 12  # hit at month 8
    prob, curve = resurgence_probability(_ensemble(values), _definition())
    assert prob.estimate == 0.5 and prob.hits == 2 and prob.replicas == 4
    assert prob.low < 0.5 < prob.high
    assert curve[3] == 0.0 and curve[4] == 0.25 and curve[8] == 0.5 and curve[-1] == 0.5
    members, _ = resurgence_probability(
        _ensemble(values), _definition(measure="members", threshold=1000)
    )
    assert members.estimate == 0.5


def test_definition_from_cli_overrides_and_errors(isk):
    d = Definition.from_scenario(isk, threshold=5.0, horizon=None)
    assert d.threshold == 5.0 and d.horizon == isk.resurgence.horizon
    assert "5 claimed attacks" in d.describe()
    with pytest.raises(ResurgenceError, match="measure"):
        Definition.from_scenario(isk, measure="mood")
    with pytest.raises(ResurgenceError, match="outside the run"):
        first_hit(np.zeros((1, 12)), _definition(start="2030-01"), MONTHS)


def _regional_ensemble():
    """Two replicas, three regions: 10 attacks a month in `a`, 20 in `b`, 40 in `c`."""
    attacks = np.broadcast_to(np.array([10, 20, 40])[None, None, :, None], (2, 12, 3, 1))
    members = np.broadcast_to(np.array([100, 200, 400])[None, None, None, :], (2, 12, 1, 3))
    return xr.Dataset(
        {
            "reported_attacks": (("replica", "month", "region", "attack_type"), attacks),
            "attacks": (("replica", "month", "region", "attack_type"), attacks),
            "members": (("replica", "month", "actor", "region"), members),
        },
        coords={"month": MONTHS, "actor": ["isk"], "region": ["a", "b", "c"]},
        attrs={"focal": "isk"},
    )


@pytest.mark.parametrize("measure", ["reported_attacks", "attacks", "members"])
def test_the_measure_sums_only_the_definitions_regions(measure):
    ensemble = _regional_ensemble()
    scale = 10 if measure == "members" else 1
    for regions, total in (((), 70), (("a", "c"), 50), (("b",), 20)):
        d = _definition(measure=measure, regions=regions)
        series = measure_series(ensemble, d)
        assert (series == total * scale).all()
    with pytest.raises(ResurgenceError, match="regions the run does not have"):
        measure_series(ensemble, _definition(regions=("z",)))


def test_regions_by_name_tag_or_country(isk):
    afghan = [r.name for r in isk.regions if r.country == "Afghanistan"]
    assert Definition.from_scenario(isk).regions == tuple(afghan)  # the flagship's own
    assert "khyber_pakhtunkhwa" not in afghan
    d = Definition.from_scenario(isk, regions=["abroad", "kabul"])
    assert d.regions == ("kabul", "khyber_pakhtunkhwa")  # in the scenario's order
    assert d.area == ("abroad", "kabul")
    assert " in abroad, kabul for " in d.describe()
    every = Definition.from_scenario(isk, regions=[])
    assert every.regions == () and " in " not in every.describe().split(" for ")[0]
    with pytest.raises(ResurgenceError, match="--regions: 'Mars' is not a region"):
        Definition.from_scenario(isk, regions=["Mars"])


def test_the_definition_says_which_channel_it_counts(isk):
    d = Definition.from_scenario(isk)
    assert d.reported == isk.resurgence.reported == "claimed"
    assert d.describe().startswith("at least 7 claimed attacks a month in Afghanistan for 3")
    generic = _definition()
    assert "10 reported attacks a month for 3" in generic.describe()
    assert (
        Definition.from_scenario(isk, measure="attacks")
        .describe()
        .startswith("at least 7 latent attacks a month in Afghanistan")
    )


def test_unknown_resurgence_regions_are_a_scenario_error(tmp_path):
    text = (resources.files("resurgence") / "scenarios/builtin/isk.toml").read_text("utf-8")
    assert text.count('regions = ["Afghanistan"]') == 1
    path = tmp_path / "bad.toml"
    path.write_text(text.replace('regions = ["Afghanistan"]', 'regions = ["Atlantis"]'))
    with pytest.raises(ResurgenceError) as caught:
        load_scenario(str(path))
    message = str(caught.value)
    assert message.startswith(f"{path}:") and "resurgence.regions" in message
    assert "'Atlantis' is not a region, a region tag or a country" in message
    assert "Afghanistan" in message  # what it could be


def test_the_runs_reported_attacks_come_through_the_scenarios_channel(isk):
    n, ones = 30, np.ones(30)
    claimed = run(compile_model(isk, n_months=6), n, 1, overrides={"observe.claimed_rate": ones})
    assert claimed.attrs["reported"] == "claimed"
    assert "claimed_rate" in claimed["reported_attacks"].attrs["description"]
    assert claimed["attacks"].values.sum() > 0
    np.testing.assert_array_equal(claimed["reported_attacks"], claimed["attacks"])

    generic = isk.model_copy(
        update={"resurgence": isk.resurgence.model_copy(update={"reported": "reporting"})}
    )
    rates = {"observe.claimed_rate": ones, "observe.reporting_rate": ones * 0.3}
    thinned = run(compile_model(generic, n_months=6), n, 1, overrides=rates)
    assert thinned.attrs["reported"] == "reporting"
    assert "reporting_rate" in thinned["reported_attacks"].attrs["description"]
    np.testing.assert_array_equal(thinned["attacks"], claimed["attacks"])  # the same latent path
    assert thinned["reported_attacks"].values.sum() < thinned["attacks"].values.sum()
