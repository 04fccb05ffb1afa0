"""Resurgence: a user-set definition, and its probability with a Monte-Carlo interval.

A resurgence happens in a replica when a measure (reported attacks, latent attacks, or
members of the focal group, summed over the regions the definition names, by default all)
stays at or above a threshold for `consecutive` months in a row, with the run of months
completed within `horizon` months from `start`. The probability is the share of replicas
where it happens; its interval is the Wilson score interval, which behaves well near 0 and
1 where the normal approximation does not.

A definition names regions because its threshold is usually argued from one country's
figures (the flagship's from attacks in Afghanistan), and says through which observation
channel `reported_attacks` came (`[resurgence] reported`), so that its text says what the
threshold counts.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr

from resurgence import observe
from resurgence.core.state import FOCAL
from resurgence.errors import ResurgenceError
from resurgence.months import month_offset, parse_month
from resurgence.scenarios.references import region_choices, select_regions
from resurgence.scenarios.schema import Scenario

MEASURES = ("reported_attacks", "attacks", "members")


@dataclass(frozen=True)
class Definition:
    measure: str
    threshold: float
    consecutive: int
    start: str
    horizon: int
    regions: tuple[str, ...] = ()  # the regions whose measure counts; () = all
    area: tuple[str, ...] = ()  # how the scenario or --regions named them (e.g. a country)
    reported: str = "reporting"  # the observation channel of reported_attacks

    @classmethod
    def from_scenario(cls, scenario: Scenario, **overrides) -> Definition:
        """The scenario's `[resurgence]` table, with the command line's `overrides`
        (None: keep the scenario's; `regions` a list of names, tags or countries)."""
        r = scenario.resurgence
        values = {
            "measure": r.measure,
            "threshold": r.threshold,
            "consecutive": r.consecutive,
            "start": r.start,
            "horizon": r.horizon,
            "regions": r.regions,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            parse_month(values["start"])
        except ValueError as exc:
            raise ResurgenceError(f"--from: {exc}") from None
        if values["measure"] not in MEASURES:
            raise ResurgenceError(
                f"--measure: unknown measure {values['measure']!r}; expected one of: "
                + ", ".join(MEASURES)
            )
        if values["consecutive"] < 1 or values["horizon"] < 1 or values["threshold"] < 0:
            raise ResurgenceError(
                "--consecutive and --horizon must be at least 1 and --threshold at least 0"
            )
        area = tuple(values.pop("regions"))
        selected, unknown = select_regions(scenario.regions, list(area))
        if unknown:
            raise ResurgenceError(
                f"--regions: {', '.join(map(repr, unknown))} is not a region, a region tag or "
                "a country of the scenario; expected any of: "
                + ", ".join(region_choices(scenario.regions))
            )
        return cls(**values, regions=tuple(selected), area=area, reported=r.reported)

    def describe(self) -> str:
        what = {
            "reported_attacks": f"{observe.CHANNELS[self.reported].adjective} attacks a month",
            "attacks": "latent attacks a month",
            "members": "members",
        }[self.measure]
        where = f" in {', '.join(self.area or self.regions)}" if self.regions else ""
        return (
            f"at least {self.threshold:g} {what}{where} for {self.consecutive} consecutive "
            f"months within {self.horizon} months from {self.start}"
        )

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Probability:
    estimate: float
    low: float
    high: float
    replicas: int
    hits: int
    definition: Definition
    months_covered: int

    def as_dict(self) -> dict:
        return {
            "probability": self.estimate,
            "ci_low": self.low,
            "ci_high": self.high,
            "confidence": 0.95,
            "replicas": self.replicas,
            "hits": self.hits,
            "definition": self.definition.as_dict(),
            "definition_text": self.definition.describe(),
            "months_covered": self.months_covered,
        }


def wilson_interval(hits: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% by default)."""
    if n == 0:
        return 0.0, 1.0
    p = hits / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def measure_series(ensemble: xr.Dataset, definition: Definition) -> np.ndarray:
    """The focal group's monthly measure, summed over the definition's regions: shape
    (replica, month). `ensemble` is a run's Dataset, or a chunk's arrays as one
    (`engine.run.chunk_dataset`); the focal group is the first actor."""
    mask = _region_mask(definition, [str(r) for r in ensemble["region"].values])
    if definition.measure == "members":
        da = ensemble["members"].isel(actor=FOCAL)
    else:
        da = ensemble[definition.measure].sum("attack_type")
    return da.isel(region=mask).sum("region").transpose("replica", "month").values


def _region_mask(definition: Definition, regions: list[str]) -> np.ndarray:
    """Which of `regions` the definition counts."""
    missing = set(definition.regions) - set(regions)
    if missing:
        raise ResurgenceError(
            f"the resurgence definition counts regions the run does not have: {sorted(missing)}"
        )
    if not definition.regions:
        return np.ones(len(regions), dtype=bool)
    return np.isin(regions, definition.regions)


def first_hit(series: np.ndarray, definition: Definition, months: list[str]) -> np.ndarray:
    """Month offset (from `start`) at which each replica's first qualifying run completes,
    or -1 if none does within the horizon or the run's months."""
    offset = month_offset(months[0], definition.start)
    if offset < 0 or offset >= len(months):
        raise ResurgenceError(
            f"resurgence start {definition.start} is outside the run's months "
            f"({months[0]} to {months[-1]})"
        )
    window = series[:, offset : offset + definition.horizon] >= definition.threshold
    k = definition.consecutive
    if window.shape[1] < k:
        return np.full(series.shape[0], -1)
    # run length of consecutive True values ending at each month
    run = np.zeros(window.shape[0], dtype=np.int64)
    hit = np.full(window.shape[0], -1)
    for t in range(window.shape[1]):
        run = np.where(window[:, t], run + 1, 0)
        newly = (run >= k) & (hit < 0)
        hit[newly] = t
    return hit


def resurgence_probability(
    ensemble: xr.Dataset, definition: Definition
) -> tuple[Probability, np.ndarray]:
    """Probability of resurgence and the cumulative probability by month of horizon.

    When the run ends before the horizon does, only the months it covers count
    (`months_covered` says how many).
    """
    months = list(ensemble["month"].values)
    hit = first_hit(measure_series(ensemble, definition), definition, months)
    return from_first_hits(hit_counts(hit, definition, months), hit.size, definition)


def hit_counts(hit: np.ndarray, definition: Definition, months: list[str]) -> np.ndarray:
    """How many replicas first resurge in each month of the horizon the run covers; these
    counts from chunks of replicas add up."""
    steps = min(definition.horizon, len(months) - month_offset(months[0], definition.start))
    return np.bincount(hit[hit >= 0], minlength=steps)[:steps]


def from_first_hits(
    counts: np.ndarray, replicas: int, definition: Definition
) -> tuple[Probability, np.ndarray]:
    """Probability (with its interval) and its curve by month of horizon, from the
    number of replicas that first resurge in each month."""
    hits = int(counts.sum())
    low, high = wilson_interval(hits, replicas)
    curve = np.cumsum(counts) / replicas
    probability = Probability(hits / replicas, low, high, replicas, hits, definition, len(counts))
    return probability, curve
