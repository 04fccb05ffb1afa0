"""The engine samples the same model as the previous engine kept as the reference
(tests/helpers/reference_processes.py): the steps whose sampling was made cheaper must
give every recorded variable the same distribution.

Both engines run the flagship scenario (5,000 replicas, 36 months, each from its own
seed so that the samples are independent); every recorded variable is compared at a few
months, as focal-group totals, per region (or per actor, or per attack type) and summed
over the months, by a two-sample Kolmogorov-Smirnov test. The runs are seeded, so the test
is deterministic; its threshold is Bonferroni's for a 1% family-wise error, so that a
correct engine fails it with a seed only by a 1% chance and a changed law (a rate off by a
tenth in one mechanism) fails it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from helpers import reference_processes as reference
from resurgence import observe
from resurgence.catalogue import PROCESSES
from resurgence.core.state import FOCAL, RECORDED
from resurgence.engine.compile import compile_model
from resurgence.engine.run import allocate, chunk_bounds, simulate_chunk

REPLICAS = 5000
MONTHS = 36
AT = (5, 17, 35)  # months compared, besides the sums over all months
FAMILY_ALPHA = 0.01
SEEDS = {"current": 11, "reference": 12}


def ensemble(model, seed: int, processes) -> dict[str, np.ndarray]:
    out = allocate(model, REPLICAS)
    for i, (lo, hi) in enumerate(chunk_bounds(REPLICAS, 1000)):
        views = {name: arr[lo:hi] for name, arr in out.items()}
        simulate_chunk(model, lo, hi, seed, i, out=views, processes=processes)
    return out


def statistics(model, out: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per replica: each recorded variable (and the reported attacks) at the months `AT`
    and summed over all months, as a total and by its cells."""
    stats: dict[str, np.ndarray] = {}

    def add(name: str, series: np.ndarray) -> None:
        """`series` (replicas, months): the value at each month of `AT` and its sum."""
        series = series.astype(np.float64)
        for t in AT:
            stats[f"{name} @{t}"] = series[:, t]
        stats[f"{name} summed"] = series.sum(axis=1)

    for name in [*RECORDED, "reported_attacks"]:
        data = out[name]
        if name == "members":
            for u, unit in enumerate(model.units):
                add(f"members {unit}", data[:, :, u, :].sum(axis=2))
            data = data[:, :, FOCAL, :]
        if data.ndim == 2:
            add(name, data)
            continue
        if data.ndim == 4:  # attacks by region and type
            for j, kind in enumerate(model.attack_types):
                add(f"{name} {kind}", data[:, :, :, j].sum(axis=2))
            data = data.sum(axis=3)
        if name != "members":  # the focal group's total is "members isk"
            add(f"{name} total", data.sum(axis=2))
        labels = model.units if name == "defections" else model.regions
        for k, label in enumerate(labels):
            add(f"{name} {label}", data[:, :, k])
    return stats


@pytest.fixture(scope="module")
def samples(isk):
    model = compile_model(isk, n_months=MONTHS)
    current = statistics(model, ensemble(model, SEEDS["current"], PROCESSES))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(observe, "report", reference.report)
        previous = ensemble(model, SEEDS["reference"], reference.PROCESSES)
    return current, statistics(model, previous)


def test_the_engine_samples_the_same_law_as_the_reference(samples):
    current, previous = samples
    compared = {
        name: ks_2samp(current[name], previous[name], method="asymp")
        for name in current
        if np.ptp(current[name]) > 0 or np.ptp(previous[name]) > 0
    }
    assert len(compared) > 200
    threshold = FAMILY_ALPHA / len(compared)
    differ = {
        name: f"KS {test.statistic:.3f}, p {test.pvalue:.1e}; means {current[name].mean():.4g} "
        f"vs {previous[name].mean():.4g}"
        for name, test in compared.items()
        if test.pvalue < threshold
    }
    assert not differ, f"differ from the reference (p < {threshold:.1e}): {differ}"
