"""What every process declares: its parameters and one monthly step over whole arrays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from resurgence.engine.compile import Model
    from resurgence.engine.state import State

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


StepFn = Callable[["State", Params, np.random.Generator, "Model"], None]


@dataclass(frozen=True)
class Process:
    """A named mechanism: its parameters and its monthly step.

    `step(state, params, rng, model)` updates the state's arrays in place (the replica axis
    first), drawing randomness only from `rng`, the process's own stream.
    """

    name: str
    summary: str
    parameters: tuple[Parameter, ...]
    step: StepFn


def clip01(x: np.ndarray) -> np.ndarray:
    """Clip an array to [0, 1] in place and return it."""
    return np.clip(x, 0.0, 1.0, out=x)


def binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial draws of the same shape as `n` (replica axis first), drawing only in the
    cells (columns after the replica axis) where some replica has n > 0 and p > 0.

    Most (faction, region) cells of a scenario are empty in every replica; skipping those
    columns keeps the cost proportional to the populated cells, and the result is the
    same law (an empty cell draws 0).
    """
    p = np.minimum(np.broadcast_to(p, n.shape), 1.0)
    if n.ndim < 2:
        return rng.binomial(n, p)
    live = ((n > 0) & (p > 0)).any(axis=0)
    if live.all():
        return rng.binomial(n, p)
    out = np.zeros(n.shape, dtype=np.int64)
    if live.any():
        out[:, live] = rng.binomial(n[:, live], p[:, live])
    return out
