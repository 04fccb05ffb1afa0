"""What a mechanism is: a name, its parameters and one monthly step over whole arrays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.state import State

StepFn = Callable[[State, Params, np.random.Generator, Model], None]


@dataclass(frozen=True)
class Process:
    """A named mechanism: its parameters and its monthly step.

    `step(state, params, rng, model)` updates the state's arrays in place (the replica axis
    first), drawing randomness only from `rng`, the process's own stream (named after the
    process, see `core/streams.py`).
    """

    name: str
    summary: str
    parameters: tuple[Parameter, ...]
    step: StepFn
