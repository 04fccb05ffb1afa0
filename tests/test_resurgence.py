"""The resurgence definition, its probability and the Monte-Carlo interval."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from resurgence.analysis.resurgence import (
    Definition,
    first_hit,
    resurgence_probability,
    wilson_interval,
)
from resurgence.errors import ResurgenceError

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
    d = Definition.from_scenario(isk.resurgence, threshold=5.0, horizon=None)
    assert d.threshold == 5.0 and d.horizon == isk.resurgence.horizon
    assert "5 reported attacks" in d.describe()
    with pytest.raises(ResurgenceError, match="measure"):
        Definition.from_scenario(isk.resurgence, measure="mood")
    with pytest.raises(ResurgenceError, match="outside the run"):
        first_hit(np.zeros((1, 12)), _definition(start="2030-01"), MONTHS)
