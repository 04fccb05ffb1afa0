"""The latent state of a chunk of replicas, each variable declared once.

Every field of `State` carries its `Variable`: its dims after the replica axis, its dtype,
its initial value (a constant, or the scenario's `[initial]` value of that name), the
bounds a scheduled event is clipped to, whether a scenario event may change it, whether
and how it is recorded in the ensemble, and what it is. Everything else is derived from
`VARIABLES`: the allocation of a chunk's state, the ensemble's variables and their
descriptions, the bounds of events, the scenario's `[initial]` table and its event targets.

Dims are named: `actor` (groups and factions, the focal group first), `region`,
`attack_type`, `channel` (funding channels), `hub`, `entity` (actors and factions, for
relations), `route` (defection routes), `cause` (causes of ending attributed from flows).
Money is in USD thousand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from resurgence.limits import MAX_LEVEL, MAX_MEMBERS

END_CAUSES = ("active", "policing", "military", "politics", "splintering", "collapse", "victory")
"""Values of `State.end_cause`, by code (0 while the group is active)."""
FLOW_CAUSES = END_CAUSES[1:6]
"""The causes attributed from flows of members, the `cause` dim of `State.end_flows`."""

FOCAL = 0
"""The focal group's index on the `actor` dim: it comes first."""

UNIT = (0.0, 1.0)
LEVEL = (0.0, MAX_LEVEL)


@dataclass(frozen=True)
class Variable:
    """How one state variable is shaped, started, bounded, recorded and described.

    `initial` is a constant fill value, or the name of the compiled model's initial value
    it starts from (`Model.initial`, from the scenario's `[initial]` table). `default` is
    the `[initial]` table's default for a scalar the scenario may set. `target`: a
    scheduled event may change it. `recorded`: the dtype it is kept in for every month
    of the ensemble (None: not recorded). `reset`: set to zero before each month's events
    (a flow that processes add to).
    """

    dims: tuple[str, ...]
    doc: str
    dtype: type = np.float64
    initial: float | str = 0.0
    default: float | None = None
    bounds: tuple[float, float] | None = None
    target: bool = False
    recorded: type | None = None
    reset: bool = False


def var(*dims: str, doc: str, **spec) -> np.ndarray:
    """A `State` field declared with its `Variable`."""
    return field(metadata={"var": Variable(tuple(dims), doc, **spec)})


def scenario_scalar(doc: str, default: float, bounds, recorded=None) -> np.ndarray:
    """A scalar the scenario's `[initial]` table sets and its events may change."""
    return var(doc=doc, initial="", default=default, bounds=bounds, target=True, recorded=recorded)


@dataclass
class State:
    """Latent state of `n` replicas at the end of a month (replica axis first)."""

    members: np.ndarray = var(
        "actor",
        "region",
        doc="members of each group and faction, by region (persons)",
        dtype=np.int64,
        initial="members",
        bounds=(0, MAX_MEMBERS),
        target=True,
        recorded=np.int32,
    )
    treasury: np.ndarray = scenario_scalar(
        "focal group's cash at the end of the month (USD thousand)", 0.0, LEVEL, np.float32
    )
    arrears: np.ndarray = var(doc="decaying sum of unpaid salary shares")
    paid_fraction: np.ndarray = var(
        doc="share of the month's payroll paid", initial=1.0, recorded=np.float32
    )
    cohesion: np.ndarray = scenario_scalar("organisational cohesion (0-1)", 0.8, UNIT, np.float32)
    posture: np.ndarray = scenario_scalar("posture (0 overt, 1 underground)", 0.3, UNIT, np.float32)
    visibility: np.ndarray = scenario_scalar(
        "how active the group looks (0-1)", 0.5, UNIT, np.float32
    )
    propaganda: np.ndarray = scenario_scalar(
        "propaganda output (relative to a normal month)", 1.0, LEVEL, np.float32
    )
    sponsor_resources: np.ndarray = var(
        doc="sponsor's resources relative to the start", initial=1.0, bounds=LEVEL, target=True
    )
    recruit_boost: np.ndarray = var(doc="windfall boost to recruitment, relative")
    channel_hub: np.ndarray = var(
        "channel", doc="position of each channel in its list of hubs", dtype=np.int64
    )
    relocating: np.ndarray = var(
        "channel", doc="finance of the channel being moved to its next hub", dtype=bool
    )
    fragmentation: np.ndarray = var(
        "channel",
        doc="share of each channel's flow sent as small transfers",
        initial="fragmentation",
        bounds=UNIT,
    )
    hub_crackdown: np.ndarray = var(
        "hub",
        doc="crackdown intensity at each hub (0-1)",
        initial="hub_crackdown",
        bounds=UNIT,
        target=True,
    )
    monitoring: np.ndarray = scenario_scalar(
        "host's financial monitoring level (0-1)", 0.1, UNIT, np.float32
    )
    intel_share: np.ndarray = scenario_scalar(
        "share of intelligence-led raids (0-1)", 0.1, UNIT, np.float32
    )
    capacity: np.ndarray = var(
        "region",
        doc="host's counter-terrorism capacity by region (relative)",
        initial="capacity",
        bounds=LEVEL,
        target=True,
        recorded=np.float32,
    )
    equipment: np.ndarray = scenario_scalar(
        "host's equipment for mountain operations (0-1)", 0.0, UNIT, np.float32
    )
    recognition: np.ndarray = scenario_scalar("diplomatic recognition of the host (0-1)", 0.0, UNIT)
    host_unity: np.ndarray = scenario_scalar("host's unity (0-1)", 0.85, UNIT, np.float32)
    relation: np.ndarray = var(
        "entity",
        "entity",
        doc="signed relation from row entity to column entity",
        initial="relation",
        bounds=(-1.0, 1.0),
        target=True,
    )
    relation_anchor: np.ndarray = var(
        "entity",
        "entity",
        doc="relation set by the timeline; drift returns here",
        initial="relation",
        bounds=(-1.0, 1.0),
    )
    neighbour_pressure: np.ndarray = scenario_scalar(
        "neighbour's strikes and killings (relative)", 0.5, LEVEL, np.float32
    )
    ally_distrust: np.ndarray = var(
        doc="the sheltered ally's distrust of the host, (1 - its relation to the host) / 2, "
        "in [0, 1]",
        recorded=np.float32,
    )
    expulsions: np.ndarray = scenario_scalar(
        "neighbour's expulsions of refugees (relative)", 0.0, LEVEL
    )
    pool: np.ndarray = var(
        "region",
        doc="potential recruits left in each region; NaN before the first month "
        "(then the scenario's pool sizes, per replica)",
        initial=np.nan,
    )
    alliance: np.ndarray = var(
        doc="1 while the sheltered ally and the focal group are allied, else 0",
        recorded=np.int8,
    )
    bloc_done: np.ndarray = var("route", doc="the route's bloc defection has happened", dtype=bool)
    excitation: np.ndarray = var(
        "region",
        doc="expected attacks carried into the month by earlier attacks "
        "(self-excitation); NaN before the first month",
        initial=np.nan,
    )
    experience: np.ndarray = var(
        doc="focal group's cumulative attacks; NaN before the first month", initial=np.nan
    )
    clock: np.ndarray = var(doc="months simulated so far", dtype=np.int64)
    below_floor: np.ndarray = var(
        doc="consecutive months with members below the floor", dtype=np.int64
    )
    barren: np.ndarray = var(
        doc="consecutive months a fragile group attracted nobody", dtype=np.int64
    )
    host_collapsed: np.ndarray = var(
        doc="consecutive months with the host's unity below the victory level", dtype=np.int64
    )
    end_flows: np.ndarray = var("cause", doc="decaying sums of members lost, by cause of ending")
    ended: np.ndarray = var(
        doc="month in which the focal group ended (the start of its last spell below the "
        "floor), counted from 1 = the first month, from the month the end is decided; "
        "0 while not",
        dtype=np.int64,
        recorded=np.int16,
    )
    end_cause: np.ndarray = var(
        doc="cause of the focal group's end: 0 not ended, 1 policing, 2 military force, "
        "3 politics, 4 splintering, 5 collapse (attrition), 6 victory",
        dtype=np.int8,
        recorded=np.int8,
    )
    # Flows of the month, recorded for the output.
    income: np.ndarray = var(
        doc="money arrived through funding channels (USD thousand per month)",
        recorded=np.float32,
    )
    revenue: np.ndarray = var(doc="local revenue (USD thousand per month)", recorded=np.float32)
    attacks: np.ndarray = var(
        "region",
        "attack_type",
        doc="latent attacks of the focal group by region and type",
        dtype=np.int64,
        recorded=np.int32,
    )
    losses: np.ndarray = var(
        "region",
        doc="focal members lost to the host's raids",
        dtype=np.int64,
        recorded=np.int32,
    )
    attrition: np.ndarray = var(
        "region",
        doc="focal members who left (pay, cohesion, reconciliation, other groups)",
        dtype=np.int64,
        recorded=np.int32,
        reset=True,
    )
    recruits: np.ndarray = var(
        "region", doc="focal recruits from local pools", dtype=np.int64, recorded=np.int32
    )
    defections: np.ndarray = var(
        "actor",
        doc="members who joined the focal group, by origin",
        dtype=np.int64,
        recorded=np.int32,
        reset=True,
    )
    deaths: np.ndarray = var(
        "region",
        doc="deaths caused by the focal group's attacks, by region (persons per month)",
        dtype=np.int64,
        recorded=np.int32,
    )
    raid_intel: np.ndarray = var(
        doc="share of the month's raid losses due to intelligence-led raids"
    )
    reconciled: np.ndarray = var(
        doc="focal members who left under reconciliation deals", dtype=np.int64
    )
    splintered: np.ndarray = var(doc="focal members who left for other groups", dtype=np.int64)

    @property
    def n(self) -> int:
        return self.treasury.shape[0]


def _named(name: str, spec: Variable) -> Variable:
    """A scenario scalar (`initial` left empty) starts from the scenario's value of its
    own name."""
    return replace(spec, initial=name) if spec.initial == "" else spec


VARIABLES: dict[str, Variable] = {f.name: _named(f.name, f.metadata["var"]) for f in fields(State)}
"""Every state variable's specification, in the order of `State`."""

RECORDED: dict[str, Variable] = {n: v for n, v in VARIABLES.items() if v.recorded is not None}
"""The variables the ensemble keeps for every month, in the order of `State`."""

SCENARIO_SCALARS: tuple[str, ...] = tuple(n for n, v in VARIABLES.items() if v.default is not None)
"""Scalars the scenario's `[initial]` table may set (with their defaults)."""

EVENT_TARGETS: tuple[str, ...] = tuple(n for n, v in VARIABLES.items() if v.target)
"""State variables a scheduled event may change."""


def filled(spec: Variable, shape: tuple[int, ...]) -> np.ndarray:
    """A new array of the variable's dtype filled with its constant initial value."""
    return np.full(shape, spec.initial, dtype=spec.dtype)
