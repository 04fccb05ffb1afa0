"""A parameter's declaration, and the parameter values a chunk of replicas runs with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Params = dict[str, np.ndarray]
"""Parameter values for one chunk of replicas: shape (n,) for scalars, (n, regions) for
regional parameters."""


@dataclass(frozen=True)
class Parameter:
    """A named model parameter with its default, plausible range, unit and reason.

    Scenarios may override the value, the range and the reason; the unit is the process's.
    A regional parameter holds one value per region (scenario overrides by region name).
    """

    name: str
    default: float
    low: float
    high: float
    unit: str
    reason: str
    regional: bool = False
