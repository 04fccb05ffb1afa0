"""What the page lets a user turn, and the check of what they typed.

The page's controls are the scenario's own: its policies (each on or off, from a start
month), its conditions of resurgence (each a level from -1, against the group, through 0,
the scenario's values, to +1, in its favour), the resurgence definition, the replicas and
the seed. `Choices` lists them for a scenario; `read_levers` turns the page's raw values
into `Levers`, or into the messages the page shows instead, one per bad value. Nothing
typed is used before it has been checked here, and nothing typed names a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from resurgence.analysis.resurgence import MEASURES
from resurgence.months import add_months, month_offset, month_range
from resurgence.scenarios import Scenario, load_policy, policy_names
from resurgence.workflows.settings import DEFAULT_SEED, Settings

REPLICAS = (100, 20_000)  # fewer gives intervals too wide to read; more, no quick answer
DEFAULT_REPLICAS = 1_000
CHUNK_SIZE = 250  # a newer change cancels an older run between chunks of this many replicas
LEVEL_STEP = 0.25


@dataclass(frozen=True)
class PolicyChoice:
    name: str
    title: str
    description: str
    start: str  # the month of its first event, as the scenario or its file dates it


@dataclass(frozen=True)
class ConditionChoice:
    name: str
    description: str


@dataclass(frozen=True)
class Choices:
    """The levers a scenario offers and their defaults (the baseline)."""

    scenario: str
    title: str
    months: list[str]
    policies: list[PolicyChoice]
    conditions: list[ConditionChoice]
    measure: str
    threshold: float
    consecutive: int
    start: str
    horizon: int

    @classmethod
    def of(cls, source: str, spec: Scenario) -> Choices:
        info, r = spec.scenario, spec.resurgence
        policies = []
        for name in policy_names(spec):
            policy = load_policy(name, spec)
            if policy.events:
                first = min(e.month for e in policy.events)
                policies.append(PolicyChoice(name, policy.title, policy.description, first))
        return cls(
            scenario=source,
            title=info.title,
            months=month_range(info.start, month_offset(info.start, info.end) + 1),
            policies=policies,
            conditions=[ConditionChoice(n, c.description) for n, c in spec.conditions.items()],
            measure=r.measure,
            threshold=float(r.threshold),
            consecutive=r.consecutive,
            start=r.start,
            horizon=r.horizon,
        )


@dataclass(frozen=True)
class Levers:
    """A checked set of levers: policies switched on (`NAME@YYYY-MM`), condition levels
    (only those away from 0), the definition's fields, replicas and seed."""

    policies: tuple[str, ...] = ()
    conditions: tuple[tuple[str, float], ...] = ()
    definition: tuple[tuple[str, object], ...] = ()
    replicas: int = DEFAULT_REPLICAS
    seed: int = DEFAULT_SEED

    def settings(self) -> Settings:
        """The run's settings: in memory, one process, chunks small enough to cancel."""
        return Settings(
            replicas=self.replicas,
            seed=self.seed,
            policies=self.policies,
            conditions=dict(self.conditions),
            definition=dict(self.definition),
            chunk_size=CHUNK_SIZE,
            workers=1,
        )

    def baseline(self) -> Levers:
        """The same replicas with no policy and every condition at the scenario's values:
        the reference the page compares against, on the same random numbers. It keeps the
        scenario's definition: a run goes to the scenario's end whatever the definition,
        which only says how its ensemble is read, so one baseline serves every definition."""
        return Levers(replicas=self.replicas, seed=self.seed)


@dataclass
class Raw:
    """The page's values as the browser sends them (anything at all)."""

    policies_on: dict = field(default_factory=dict)  # name -> truthy
    policy_starts: dict = field(default_factory=dict)  # name -> month
    levels: dict = field(default_factory=dict)  # condition -> level
    measure: object = None
    threshold: object = None
    consecutive: object = None
    start: object = None
    horizon: object = None
    replicas: object = None
    seed: object = None


def read_levers(raw: Raw, choices: Choices) -> tuple[Levers | None, list[str]]:
    """The checked levers, or None and one message per value the page must refuse."""
    problems: list[str] = []
    policies = []
    known = {p.name: p for p in choices.policies}
    for name, on in raw.policies_on.items():
        if name not in known:
            problems.append(f"unknown policy {name!r}")
        elif on:
            month = raw.policy_starts.get(name) or known[name].start
            if month not in choices.months:
                problems.append(f"{name}: start month {month!r} is not a month of the scenario")
            else:
                policies.append(f"{name}@{month}")
    conditions = []
    names = {c.name for c in choices.conditions}
    for name, level in raw.levels.items():
        value = _number(level)
        if name not in names:
            problems.append(f"unknown condition {name!r}")
        elif value is None or not -1.0 <= value <= 1.0:
            problems.append(f"{name}: level must be a number from -1 to 1, not {level!r}")
        elif value != 0:
            conditions.append((name, value))
    measure = raw.measure if raw.measure is not None else choices.measure
    if measure not in MEASURES:
        problems.append(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    threshold = _number(raw.threshold, choices.threshold)
    if threshold is None or threshold < 0:
        problems.append(f"threshold must be a number of at least 0, not {raw.threshold!r}")
    consecutive = _whole(raw.consecutive, choices.consecutive, 1, 120)
    if consecutive is None:
        problems.append(
            f"consecutive months must be a whole number from 1 to 120, not {raw.consecutive!r}"
        )
    start = raw.start if raw.start is not None else choices.start
    horizon = _whole(raw.horizon, choices.horizon, 1, len(choices.months))
    if start not in choices.months:
        problems.append(f"the horizon's first month must be a month of the scenario, not {start!r}")
    elif horizon is None:
        problems.append(
            f"horizon must be a whole number of months from 1 to "
            f"{len(choices.months)}, not {raw.horizon!r}"
        )
    elif month_offset(add_months(start, horizon - 1), choices.months[-1]) < 0:
        problems.append(
            f"a horizon of {horizon} months from {start} ends in "
            f"{add_months(start, horizon - 1)}, past the scenario's end ({choices.months[-1]})"
        )
    replicas = _whole(raw.replicas, DEFAULT_REPLICAS, *REPLICAS)
    if replicas is None:
        problems.append(
            f"replicas must be a whole number from {REPLICAS[0]:,} to "
            f"{REPLICAS[1]:,}, not {raw.replicas!r}"
        )
    seed = _whole(raw.seed, DEFAULT_SEED, 0, 2**63 - 1)
    if seed is None:
        problems.append(f"seed must be a whole number of at least 0, not {raw.seed!r}")
    if problems:
        return None, problems
    definition = {
        "measure": measure,
        "threshold": threshold,
        "consecutive": consecutive,
        "start": start,
        "horizon": horizon,
    }
    changed = tuple((k, v) for k, v in definition.items() if v != getattr(choices, k))
    return Levers(tuple(policies), tuple(conditions), changed, replicas, seed), []


def _number(value: object, default: float | None = None) -> float | None:
    """A finite number, `default` for an empty field, None for anything else."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _whole(value: object, default: int, low: int, high: int) -> int | None:
    """A whole number within [low, high], `default` for an empty field, else None."""
    number = _number(value, default)
    if number is None or number != int(number) or not low <= number <= high:
        return None
    return int(number)
