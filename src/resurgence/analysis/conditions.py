"""The parameter space of a scenario's conditions of resurgence.

Sensitivity analysis, scenario discovery and `resurgence conditions` search the same
space: the parameters that the scenario's `[conditions.NAME]` tables list, each over its
plausible range (or the narrower one the table's `ranges` gives), with the end of that
range that is in the armed group's favour (`group_favours`). The analysis's conditions
are often regional levers (reconciliation, Salafi integration), so a regional parameter
is one dimension of the space too, varied as a whole (`how`):

* `value`: a scalar parameter, set to the sampled value;
* `level`: a regional parameter set to the sampled value in every region;
* `scale`: a regional parameter in the table's `scale`: every region's value in the model
  times the sampled factor, so the scenario's pattern across regions is kept.

The scenario loader has already checked the tables (`scenarios/references.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from resurgence.core.model import Model
from resurgence.errors import ResurgenceError
from resurgence.scenarios.schema import Scenario

COLUMNS = ["parameter", "condition", "low", "high", "default", "favours", "how"]


def condition_space(scenario: Scenario, model: Model) -> pd.DataFrame:
    """One row per parameter of the scenario's conditions: `parameter`, `condition`,
    `low` and `high` (the range explored: of the value, or of the factor for a scale),
    `default` (the scenario's value; 1 for a scale; the mean over regions for a level),
    `favours` ('high' or 'low': the end in the group's favour) and `how` (see above)."""
    if not scenario.conditions:
        raise ResurgenceError(
            f"scenario {scenario.scenario.name!r} declares no conditions of resurgence: add "
            "one conditions.NAME table per condition, saying which end of each parameter's "
            "range favours the group (see the end of the builtin isk.toml)"
        )
    rows = []
    for condition, spec in scenario.conditions.items():
        for name in spec.parameters:
            p = model.parameters[name]
            if name in spec.scale:
                how, (low, high), default = "scale", spec.scale[name], 1.0
            else:
                how = "level" if p.regional else "value"
                low, high = spec.ranges.get(name, (p.low, p.high))
                default = float(np.mean(model.values[name]))
            favours = spec.group_favours[name]
            rows.append([name, condition, float(low), float(high), default, favours, how])
    return pd.DataFrame(rows, columns=COLUMNS)


def how_of(space: pd.DataFrame) -> dict[str, str]:
    """Each parameter's `how`; a space without the column holds scalar values only."""
    if "how" not in space:
        return dict.fromkeys(space["parameter"], "value")
    return dict(zip(space["parameter"], space["how"], strict=True))


def check_how(model: Model, name: str, how: str) -> None:
    """A scalar parameter takes a value, a regional one a level or a scale."""
    if name not in model.values:
        raise ResurgenceError(f"unknown parameter {name!r}")
    regional = model.values[name].ndim == 1
    if how not in (("level", "scale") if regional else ("value",)):
        kind = "regional" if regional else "scalar"
        raise ResurgenceError(f"{name} is a {kind} parameter; it cannot be varied as a {how}")


def overrides(
    model: Model, values: Mapping[str, np.ndarray], how: Mapping[str, str] | None = None
) -> dict[str, np.ndarray]:
    """Engine overrides (`run`, `simulate_chunk`) from sampled values, one per replica
    (arrays of shape (replicas,)): a scalar's as they are; a regional parameter's as
    (replicas, regions): a level the same in every region, a scale the factor times the
    model's value in each region. `how` defaults to 'value' for every parameter."""
    how = how or {}
    out = {}
    for name, sampled in values.items():
        kind = how.get(name, "value")
        check_how(model, name, kind)
        sampled = np.asarray(sampled, dtype=np.float64)
        base = model.values[name]
        if kind == "scale":
            out[name] = sampled[:, None] * base[None, :]
        elif kind == "level":
            out[name] = np.repeat(sampled[:, None], base.shape[0], axis=1)
        else:
            out[name] = sampled
    return out


def end_values(space: pd.DataFrame, favour: bool) -> dict[str, float]:
    """Each parameter of `space` at the end of its range in the group's favour (or, with
    `favour` False, at the end against it)."""
    ends = {}
    for row in space.itertuples(index=False):
        high = (row.favours == "high") == favour
        ends[row.parameter] = float(row.high if high else row.low)
    return ends


def at_levels(model: Model, space: pd.DataFrame, levels: Mapping[str, float]) -> Model:
    """The model with each condition in `levels` turned from the scenario's values toward
    one end of its parameters' ranges: +1 every parameter at the end in the group's favour,
    -1 at the end against it, 0 the scenario's values (left untouched, so a level of 0 is
    the same run to the last bit), and in between the same fraction of the way for every
    parameter. A regional parameter moves in each region from that region's value (a
    `scale` moves its factor from 1), so the scenario's pattern across regions fades
    gradually rather than jumping to a flat level."""
    known = sorted(space["condition"].unique())
    values = dict(model.values)
    drawn = set(model.posterior.names) if model.posterior else set()
    for condition, level in levels.items():
        if condition not in known:
            raise ResurgenceError(
                f"unknown condition {condition!r}; the scenario's conditions are: "
                f"{', '.join(known)}"
            )
        if not np.isfinite(level) or not -1.0 <= level <= 1.0:
            raise ResurgenceError(
                f"condition {condition}: level {level!r} is outside [-1, 1] "
                "(-1 against the group, 0 the scenario's values, +1 in its favour)"
            )
        rows = space[space["condition"] == condition]
        clash = sorted(drawn & set(rows["parameter"]))
        if clash and level != 0:
            raise ResurgenceError(
                f"condition {condition}: the posterior draws {', '.join(clash)} for every "
                "replica, so a level would not change it; say --posterior none to set it"
            )
        if level == 0:
            continue
        share, ends = abs(level), end_values(rows, favour=level > 0)
        for row in rows.itertuples(index=False):
            end, base = ends[row.parameter], model.values[row.parameter]
            if row.how == "scale":
                moved = base * (1.0 + share * (end - 1.0))
            else:
                moved = base + share * (end - base)
            values[row.parameter] = np.asarray(moved, dtype=np.float64)
    return replace(model, values=values)
