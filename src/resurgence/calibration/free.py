"""The free parameters of a scenario: those with a prior (`[parameters.NAME.prior]`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.stats as ss

from resurgence.errors import ResurgenceError
from resurgence.scenarios.schema import Scenario


@dataclass(frozen=True)
class FreeParameter:
    name: str
    dist: str  # "uniform" or "loguniform"
    low: float
    high: float

    def scipy(self):
        """The prior as a frozen scipy distribution."""
        if self.dist == "uniform":
            return ss.uniform(self.low, self.high - self.low)
        return ss.loguniform(self.low, self.high)

    def elfi_args(self) -> tuple:
        """ELFI's Prior takes a scipy distribution name and its arguments."""
        if self.dist == "uniform":
            return ("uniform", self.low, self.high - self.low)
        return ("loguniform", self.low, self.high)

    def interval(self, mass: float) -> tuple[float, float]:
        """The prior's central interval holding `mass`."""
        dist = self.scipy()
        return float(dist.ppf((1 - mass) / 2)), float(dist.ppf((1 + mass) / 2))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.scipy().rvs(size=n, random_state=rng)


def free_parameters(scenario: Scenario) -> list[FreeParameter]:
    """The scenario's free parameters, in the order the scenario lists them."""
    free = [
        FreeParameter(name, s.prior.dist, s.prior.low, s.prior.high)
        for name, s in scenario.parameters.items()
        if s.prior is not None
    ]
    if not free:
        raise ResurgenceError(
            f"scenario {scenario.scenario.name} has no free parameter: give parameters a "
            'prior, e.g. [parameters."operations.attack_rate"] '
            'prior = { dist = "loguniform", low = 0.004, high = 0.04 }'
        )
    return free
