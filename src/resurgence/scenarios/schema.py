"""The scenario language: pydantic models of a scenario TOML file.

Structure and types are checked here (missing and unknown fields, types, ranges of plain
fields); references between parts (an event naming an actor, a parameter's range) are
checked in `references.py`, which knows the processes' parameters.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic import Strict as PydanticStrict

from resurgence.core.state import SCENARIO_SCALARS, VARIABLES
from resurgence.months import parse_month

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


_MONTH_TEXT = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def _check_month(text: str) -> str:
    # ASCII digits and nothing after them: months.py's \d and $ also take other scripts'
    # digits (full-width, Arabic-Indic...) and a final newline.
    if not _MONTH_TEXT.fullmatch(text):
        raise ValueError(f"expected a month as YYYY-MM (e.g. 2023-01), got {text!r}")
    parse_month(text)
    return text


def _finite(x: float) -> float:
    if not math.isfinite(x):
        raise ValueError("expected a finite number")
    return x


Month = Annotated[str, AfterValidator(_check_month)]
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
# Numbers are taken as written: pydantic's lax mode would read a TOML `true` or a quoted
# "1.5" as a number and 3.0 as the integer 3; a scenario file saying so is a mistake.
Exact = PydanticStrict()
Finite = Annotated[float, Exact, AfterValidator(_finite)]
Unit01 = Annotated[float, Exact, Field(ge=0.0, le=1.0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ScenarioInfo(Strict):
    name: Name
    title: str
    description: str = ""
    start: Month
    end: Month
    focal: Name = Field(description="the armed group whose survival is modelled")
    host: Name = Field(description="the host state's actor")
    ally: Name | None = Field(None, description="a group the host shelters (e.g. the TTP)")
    hardliners: str | None = Field(None, description="the ally's hard-line faction, actor.faction")


RegionTag = Literal[
    "mountain", "abroad", "border", "ally_area", "relocation_origin", "relocation_destination"
]


class Region(Strict):
    name: Name
    label: str = ""
    country: str = ""
    tags: list[RegionTag] = []


class Faction(Strict):
    name: Name
    label: str = ""


class Actor(Strict):
    name: Name
    label: str = ""
    kind: Literal["group", "host", "sponsor", "state"]
    factions: list[Faction] = []


RelationType = Literal["cooperation", "tolerance", "hostility", "restraint"]


class Relation(Strict):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    type: RelationType
    value: Annotated[Finite, Field(ge=-1.0, le=1.0)]
    since: Month | None = None
    note: str = ""

    @field_validator("value")
    @classmethod
    def _sign_matches_type(cls, value: float, info: ValidationInfo) -> float:
        kind = info.data.get("type")
        if kind is None:
            return value  # the type is wrong too; that error is reported
        positive = kind in ("cooperation", "tolerance")
        if (positive and value < 0) or (not positive and value > 0):
            sign = "0 to 1" if positive else "-1 to 0"
            raise ValueError(f"a {kind} relation has a value from {sign}, got {value}")
        return value


class Channel(Strict):
    name: Name
    source: Name
    hub: Name
    alternatives: list[Name] = []
    recipient: Name
    share: Annotated[Finite, Field(gt=0.0, le=1.0)] = 1.0
    relocation_lag: Annotated[Finite, Field(ge=1.0, le=60.0)] | None = Field(
        None, description="mean months to move to the next hub; default funding.relocation_lag"
    )
    fragmentation: Unit01 | None = Field(
        None, description="initial share sent as small transfers; default initial.fragmentation"
    )
    note: str = ""


class AttackType(Strict):
    name: Name
    share: Annotated[Finite, Field(gt=0.0, le=1.0)]
    cost: Annotated[Finite, Field(ge=0.0, le=1e6)]
    visibility: Annotated[Finite, Field(ge=0.0, le=100.0)]
    note: str = ""


class Prior(Strict):
    """The prior of a free parameter: calibration fits it (`resurgence calibrate`)."""

    dist: Literal["uniform", "loguniform"]
    low: Finite
    high: Finite
    reason: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Prior:
        if not self.low < self.high:
            raise ValueError(f"prior needs low < high, got [{self.low:g}, {self.high:g}]")
        if self.dist == "loguniform" and self.low <= 0:
            raise ValueError(f"a loguniform prior needs low > 0, got {self.low:g}")
        return self


class ParameterSetting(Strict):
    value: Finite | None = None
    range: tuple[Finite, Finite] | None = None
    unit: str | None = None
    reason: str | None = None
    by_region: dict[str, Finite] = {}
    prior: Prior | None = Field(None, description="makes the parameter free, with this prior")

    @model_validator(mode="after")
    def _range_ordered(self) -> ParameterSetting:
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"range must be [low, high] with low <= high, got {list(self.range)}")
        return self


class DefectionRoute(Strict):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    rate: Annotated[Finite, Field(ge=0.0, le=1.0)]
    range: tuple[Finite, Finite] = (0.0, 0.1)
    bloc: Annotated[Finite, Field(ge=0.0, le=1.0)] = Field(
        0.0, description="share of the source that goes over at once in a bloc defection"
    )
    reason: str = ""


EventOp = Literal["set", "multiply", "add", "move"]


class Event(Strict):
    month: Month
    label: str
    parameter: str | None = None
    state: str | None = None
    op: EventOp = "set"
    value: Finite
    actor: str | None = None
    to: str | None = None
    region: str | None = None
    to_region: str | None = None
    until: Month | None = None
    source: str = ""
    assumption: str = ""

    @model_validator(mode="after")
    def _one_target(self) -> Event:
        if (self.parameter is None) == (self.state is None):
            raise ValueError("an event changes exactly one thing: give `parameter` or `state`")
        return self


class Policy(Strict):
    name: Name
    title: str = ""
    description: str = ""
    events: list[Event] = []


class PolicyFile(Strict):
    policy: Policy
    events: list[Event] = []


ReportedChannel = Literal["reporting", "claimed", "recorded"]


class Resurgence(Strict):
    measure: Literal["reported_attacks", "attacks", "members"] = "reported_attacks"
    threshold: Annotated[Finite, Field(ge=0.0)]
    consecutive: Annotated[int, Exact, Field(ge=1, le=120)] = 3
    start: Month
    horizon: Annotated[int, Exact, Field(ge=1, le=1200)] = 36
    regions: list[str] = Field(
        [], description="regions, region tags or countries the measure sums; empty: all"
    )
    reported: ReportedChannel = Field(
        "reporting",
        description="the observation channel of the run's reported_attacks: the generic "
        "dataset (observe.reporting_rate), the group's claims (observe.claimed_rate) or a "
        "monitor's records (observe.recorded_rate)",
    )
    note: str = ""


Bounds = tuple[Finite, Finite]


class Condition(Strict):
    """A condition of resurgence and the parameters that express it (for sensitivity
    analysis by condition, scenario discovery and `resurgence conditions`).

    `group_favours` says, for each parameter, which end of its range is in the armed
    group's favour; `parameters` may be left out, and is then the keys of
    `group_favours` in order, so that adding a parameter is one line. A regional parameter
    is varied as a whole: by a factor on every region's value when it is in `scale`, as one
    level set in every region otherwise. `ranges` narrows the range explored.
    """

    description: str = ""
    parameters: list[str] = []
    group_favours: dict[str, Literal["high", "low"]] = {}
    scale: dict[str, Bounds] = {}
    ranges: dict[str, Bounds] = {}

    @model_validator(mode="after")
    def _parameters(self) -> Condition:
        if not self.parameters:
            if not self.group_favours:
                raise ValueError(
                    "a condition lists its parameters: give group_favours = "
                    '{ "parameter" = "high" | "low", ... } (and optionally parameters)'
                )
            self.parameters = list(self.group_favours)
        return self


def _bounded(name: str, kind=Finite):
    """A value of state variable `name` within the bounds `core/state.py` declares."""
    low, high = VARIABLES[name].bounds
    return Annotated[kind, Field(ge=low, le=high)]


def _by_name(name: str):
    """One value of state variable `name` per region or hub, keyed by its name."""
    return (dict[str, _bounded(name)], {})


Initial = create_model(
    "Initial",
    __base__=Strict,
    __doc__="The scenario's initial state: members by unit and region, the state's scalars "
    "a scenario may set (with their defaults), the share of fragmented transfers, capacity "
    "by region and crackdown by hub; every bound and default is `core/state.py`'s.",
    members=(dict[str, dict[str, _bounded("members", Annotated[int, Exact])]], ...),
    **{name: (_bounded(name), VARIABLES[name].default) for name in SCENARIO_SCALARS},
    fragmentation=(_bounded("fragmentation"), 0.0),
    capacity=_by_name("capacity"),
    hub_crackdown=_by_name("hub_crackdown"),
)


class Scenario(Strict):
    scenario: ScenarioInfo
    regions: Annotated[list[Region], Field(min_length=1)]
    actors: Annotated[list[Actor], Field(min_length=1)]
    relations: list[Relation] = []
    channels: list[Channel] = []
    attack_types: Annotated[list[AttackType], Field(min_length=1)]
    parameters: dict[str, ParameterSetting] = {}
    defections: list[DefectionRoute] = []
    initial: Initial
    events: list[Event] = []
    policies: list[Policy] = []
    resurgence: Resurgence
    conditions: dict[Name, Condition] = {}
