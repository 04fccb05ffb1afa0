"""The flagship tells the analysis's story, on the posterior calibrated to 2022-12.

The calibration sees no evidence after 2022; the 2023 the model produces must still be the
analysis's: funding stops early in 2023, salaries go unpaid from then (not before),
attacks in Afghanistan almost stop in the spring and come back a little. On common random
numbers (the same seed, so replica i has the same streams and posterior draw in every
arm), each condition of resurgence moves the probability the way the analysis argues, and
each policy the way the analysis says it would. Replica counts are chosen so that each
paired interval excludes 0 by three standard errors or more (checked on seeds 1-5).
"""

from __future__ import annotations

import numpy as np
import pytest

from resurgence.analysis.compare import paired_difference
from resurgence.analysis.condition_ends import condition_ends, model_and_space
from resurgence.analysis.resurgence import Definition, first_hit, measure_series
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.engine.run import chunk_bounds, chunk_dataset, simulate_chunk
from resurgence.months import month_offset
from resurgence.posterior import choose
from resurgence.scenarios import load_policy

SEED = 11


def flagship(isk, policies=()):
    """The flagship with `policies`, each replica drawing from the builtin posterior."""
    posterior, _ = choose("isk", None)
    return with_posterior(compile_model(isk, [load_policy(p, isk) for p in policies]), posterior)


def simulate(model, replicas: int) -> dict[str, np.ndarray]:
    """The run's recorded arrays for `replicas` replicas, in the run's own chunks."""
    outs = [
        simulate_chunk(model, lo, hi, SEED, index)
        for index, (lo, hi) in enumerate(chunk_bounds(replicas, 1000))
    ]
    return {name: np.concatenate([out[name] for out in outs]) for name in outs[0]}


@pytest.fixture(scope="module")
def baseline(isk):
    model = flagship(isk)
    return model, simulate(model, 8000)


def months_of(model, *names):
    return [month_offset(model.start, name) for name in names]


def test_claimed_attacks_in_afghanistan_follow_the_analysiss_2023(isk, baseline):
    model, out = baseline
    claimed = measure_series(chunk_dataset(model, out), Definition.from_scenario(isk))
    low, high = np.quantile(claimed, [0.1, 0.9], axis=0)
    for t in months_of(model, "2023-04", "2023-05"):  # none
        assert low[t] == 0, f"{model.months[t]}: 80% band {low[t]}-{high[t]}"
    for t in months_of(model, "2023-06", "2023-07", "2023-08", "2023-09"):  # one or two
        assert low[t] <= 1 and high[t] >= 2, f"{model.months[t]}: {low[t]}-{high[t]}"
    (october,) = months_of(model, "2023-10")  # four
    assert low[october] <= 4 <= high[october]


def test_salaries_go_unpaid_in_2023_not_before(baseline):
    model, out = baseline
    paid = np.median(out["paid_fraction"], axis=0)
    (stop,) = months_of(model, "2023-01")
    assert (paid[:stop] >= 0.95).all(), dict(zip(model.months[:stop], paid[:stop], strict=True))
    first_half = months_of(model, "2023-02", "2023-03", "2023-04", "2023-05", "2023-06")
    assert paid[first_half].max() < 0.6


def test_the_stop_is_in_the_money_and_the_explosives(baseline):
    model, out = baseline
    income = np.median(out["income"], axis=0)
    attacks = out["attacks"].sum(axis=(0, 2))  # (months, type) over replicas and regions
    explosive = attacks[:, model.attack_types.index("explosive")] / attacks.sum(axis=1)
    before = months_of(model, "2022-07", "2022-08", "2022-09")
    spring = months_of(model, "2023-03", "2023-04", "2023-05")
    assert income[spring].mean() < 0.2 * income[before].mean()
    # a broke group still attacks, but cheaply: fewer explosive attacks in the mix
    assert explosive[spring].mean() < explosive[before].mean() - 0.02


def test_propaganda_falls_at_the_crisis_peak_then_expands(baseline):
    model, out = baseline
    output = np.median(out["propaganda"], axis=0)
    (peak,) = months_of(model, "2023-02")
    later = months_of(model, "2023-08", "2023-09", "2023-10")
    assert output[peak] < 1.0  # below a normal month
    assert output[later].min() > 1.0  # expanded to make up for few attacks


def test_each_condition_moves_the_probability_the_way_the_analysis_argues(isk):
    posterior, _ = choose("isk", None)
    definition = Definition.from_scenario(isk)
    model, space = model_and_space(isk, definition, posterior)
    table = condition_ends(model, space, definition, replicas=2000, seed=SEED)
    assert set(table["condition"]) == set(isk.conditions)
    wrong = table[~table["agrees"]]
    assert wrong.empty, wrong[["condition", "favour", "against", "diff_low", "diff_high"]]


def _hits(isk, model, out):
    definition = Definition.from_scenario(isk)
    return (
        first_hit(measure_series(chunk_dataset(model, out), definition), definition, model.months)
        >= 0
    )


@pytest.mark.parametrize(
    "policy", ["reconciliation_deals", "salafi_integration", "hawala_checks", "hub_crackdown"]
)
def test_fixing_weak_spots_and_cutting_funds_lower_the_probability(isk, baseline, policy):
    model, out = baseline
    arm = flagship(isk, [policy])
    delta, low, high = paired_difference(
        _hits(isk, model, out), _hits(isk, arm, simulate(arm, 8000))
    )
    assert high < 0, f"{policy}: {delta:+.4f} [{low:+.4f}, {high:+.4f}]"


def _paired_mean(before: np.ndarray, after: np.ndarray) -> tuple[float, float, float]:
    d = after - before
    half = 1.96 * d.std(ddof=1) / np.sqrt(d.size)
    return d.mean(), d.mean() - half, d.mean() + half


@pytest.fixture(scope="module")
def ttp_arms(isk):
    """From 2024: the ally's distrust of the host and its and its hard-liners' members
    who join the group, per replica, in the baseline and under each TTP policy."""
    arms = {}
    for policy in ("", "pakistan_pressure", "ttp_ban_enforcement", "ttp_mediation"):
        model = flagship(isk, [policy] if policy else [])
        out = simulate(model, 2000)
        (start,) = months_of(model, "2024-01")
        joined = out["defections"][:, start:].sum(axis=1)
        arms[policy] = {
            "distrust": out["ally_distrust"][:, start:].mean(axis=1),
            "ttp": joined[:, model.units.index("ttp")].astype(float),
            "jua": joined[:, model.units.index("ttp.jua")].astype(float),
        }
    return arms


@pytest.mark.parametrize("policy", ["pakistan_pressure", "ttp_ban_enforcement"])
def test_pressure_and_enforcement_raise_the_ttps_distrust_and_its_flows_to_the_group(
    ttp_arms, policy
):
    for what in ("distrust", "ttp"):
        delta, low, _ = _paired_mean(ttp_arms[""][what], ttp_arms[policy][what])
        assert low > 0, f"{policy} {what}: {delta:+.3f}, lower end {low:+.3f}"


def test_a_mediation_that_ends_the_ttps_war_sends_its_hardliners_to_the_group(ttp_arms):
    delta, low, _ = _paired_mean(ttp_arms[""]["jua"], ttp_arms["ttp_mediation"]["jua"])
    assert low > 0, f"hard-liners joining: {delta:+.1f}, lower end {low:+.1f}"
