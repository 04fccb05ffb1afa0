"""The parameter space of a scenario's conditions of resurgence.

Sensitivity analysis and scenario discovery search the same space: the scalar parameters
that the scenario's `[conditions.NAME]` tables list, each over its plausible range. The
scenario loader has already checked that every listed parameter exists, is scalar and is
listed once.
"""

from __future__ import annotations

import pandas as pd

from resurgence.engine.compile import Model
from resurgence.errors import ResurgenceError
from resurgence.scenario.schema import Scenario

COLUMNS = ["parameter", "condition", "low", "high", "default"]


def condition_space(scenario: Scenario, model: Model) -> pd.DataFrame:
    """One row per parameter of the scenario's conditions: `parameter`, `condition`,
    `low`, `high` (its plausible range) and `default` (its value in the scenario)."""
    if not scenario.conditions:
        raise ResurgenceError(
            f"scenario {scenario.scenario.name!r} declares no conditions of resurgence: add "
            "one conditions.NAME table per condition, listing its parameters (see the end "
            "of the builtin isk.toml)"
        )
    rows = []
    for condition, spec in scenario.conditions.items():
        for name in spec.parameters:
            p = model.parameters[name]
            rows.append([name, condition, float(p.low), float(p.high), float(model.values[name])])
    return pd.DataFrame(rows, columns=COLUMNS)
