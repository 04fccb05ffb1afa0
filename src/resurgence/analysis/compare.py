"""Policies against the baseline on common random numbers.

Every arm (the baseline, and each set of policies layered on it) runs the same replicas
with the same seed. Each process draws from its own stream, so until a policy acts the arms
are identical, and afterwards they differ by what the policy changed, not by the luck of
the draws: differences are paired replica by replica. The difference in resurgence
probability has Newcombe's hybrid score interval for paired proportions (method 10 of
Newcombe 1998, Statistics in Medicine 17:2635), which stays inside [-1, 1] and behaves
near 0 and 1 where a Wald interval does not; trajectories have the mean paired difference
by month with a normal 95% interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from resurgence.analysis.resurgence import (
    Definition,
    Probability,
    first_hit,
    measure_series,
    wilson_interval,
)
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.engine.run import run
from resurgence.posterior import Posterior
from resurgence.scenarios.schema import Policy, Scenario

Z95 = 1.959964
TRAJECTORIES = {
    "members": "members of the focal group",
    "treasury": "focal group's cash (USD thousand)",
    "reported_attacks": "reported attacks a month",
}


@dataclass
class Arm:
    name: str
    policies: list[Policy]


@dataclass
class ArmOutcome:
    name: str
    probability: Probability
    hits: np.ndarray  # (replicas,) bool
    series: dict[str, np.ndarray]  # variable -> (replicas, months)


@dataclass
class Comparison:
    arms: pd.DataFrame  # one row per arm: probability and paired difference vs baseline
    trajectories: pd.DataFrame  # arm, month, variable, means and paired difference
    months: list[str]


def paired_difference(base: np.ndarray, arm: np.ndarray) -> tuple[float, float, float]:
    """Difference of two paired proportions (arm - base) with Newcombe's hybrid score
    interval (95%)."""
    base, arm = np.asarray(base, bool), np.asarray(arm, bool)
    n = base.size
    both = int((base & arm).sum())
    base_only = int((base & ~arm).sum())
    arm_only = int((~base & arm).sum())
    neither = n - both - base_only - arm_only
    p_base, p_arm = (both + base_only) / n, (both + arm_only) / n
    l_base, u_base = wilson_interval(both + base_only, n)
    l_arm, u_arm = wilson_interval(both + arm_only, n)
    denom = (both + base_only) * (arm_only + neither) * (both + arm_only) * (base_only + neither)
    phi = (both * neither - base_only * arm_only) / math.sqrt(denom) if denom > 0 else 0.0
    delta = p_arm - p_base
    da, db = p_arm - l_arm, u_base - p_base
    low = delta - math.sqrt(max(da * da - 2 * phi * da * db + db * db, 0.0))
    ua, lb = u_arm - p_arm, p_base - l_base
    high = delta + math.sqrt(max(ua * ua - 2 * phi * ua * lb + lb * lb, 0.0))
    return delta, max(low, -1.0), min(high, 1.0)


def run_arm(
    scenario: Scenario,
    arm: Arm,
    replicas: int,
    seed: int,
    definition: Definition,
    *,
    months: int | None = None,
    workers: int = 1,
    chunk_size: int = 1000,
    progress: Callable[[int], None] | None = None,
    posterior: Posterior | None = None,
) -> ArmOutcome:
    """Run one arm and keep only what the comparison needs. With a posterior, every arm
    gives replica i the same parameter draw, so the arms stay paired."""
    model = compile_model(scenario, arm.policies, n_months=months)
    if posterior is not None:
        model = with_posterior(model, posterior)
    ensemble = run(model, replicas, seed, chunk_size=chunk_size, workers=workers, progress=progress)
    months_list = list(ensemble["month"].values)
    hits = first_hit(measure_series(ensemble, definition), definition, months_list) >= 0
    low, high = wilson_interval(int(hits.sum()), replicas)
    covered = min(definition.horizon, model.n_months - months_list.index(definition.start))
    probability = Probability(
        float(hits.mean()), low, high, replicas, int(hits.sum()), definition, covered
    )
    focal = ensemble.attrs["focal"]
    series = {
        "members": ensemble["members"].sel(actor=focal).sum("region"),
        "treasury": ensemble["treasury"],
        "reported_attacks": ensemble["reported_attacks"].sum(("region", "attack_type")),
    }
    series = {
        k: v.transpose("replica", "month").values.astype(np.float64) for k, v in series.items()
    }
    return ArmOutcome(arm.name, probability, hits, series)


def summarise_arms(outcomes: list[ArmOutcome], months: list[str]) -> Comparison:
    """Paired differences of every arm against the first (the baseline)."""
    base = outcomes[0]
    rows, frames = [], []
    n = base.hits.size
    for arm in outcomes:
        delta, low, high = paired_difference(base.hits, arm.hits)
        p = arm.probability
        rows.append(
            {
                "arm": arm.name,
                "probability": p.estimate,
                "ci_low": p.low,
                "ci_high": p.high,
                "diff": delta,
                "diff_low": low,
                "diff_high": high,
                "replicas": n,
            }
        )
        for variable in TRAJECTORIES:
            d = arm.series[variable] - base.series[variable]
            mean = d.mean(axis=0)
            half = Z95 * d.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.zeros_like(mean)
            frames.append(
                pd.DataFrame(
                    {
                        "arm": arm.name,
                        "month": months,
                        "variable": variable,
                        "baseline_mean": base.series[variable].mean(axis=0),
                        "arm_mean": arm.series[variable].mean(axis=0),
                        "diff_mean": mean,
                        "diff_low": mean - half,
                        "diff_high": mean + half,
                    }
                )
            )
    return Comparison(pd.DataFrame(rows), pd.concat(frames, ignore_index=True), months)
