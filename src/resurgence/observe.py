"""Observation model: what a dataset reports of the group's latent attacks.

Datasets see only part of what happens, and how much they see varies from month to month
(media access, claims policy). Each replica-month has a reporting rate drawn from a beta
law with mean `observe.reporting_rate` and concentration `observe.concentration`; each
latent attack is then reported independently with that rate (a beta-binomial law, over-
dispersed relative to a plain binomial thinning). Reporting uses its own random stream,
so changing the observation model never changes the latent path.
"""

import numpy as np

from resurgence.processes.base import Parameter, binomial

PARAMETERS = (
    Parameter(
        "observe.reporting_rate",
        0.8,
        0.1,
        1.0,
        "share of attacks reported (mean)",
        "Claimed and recorded counts for late 2021 are close to the modelled latent rate.",
    ),
    Parameter(
        "observe.concentration",
        20.0,
        1.0,
        500.0,
        "beta concentration (higher = steadier)",
        "Reporting varies from month to month with access and claims policy.",
    ),
)


def report(latent: np.ndarray, params: dict[str, np.ndarray], rng: np.random.Generator):
    """Reported counts for latent counts of shape (n, months, ...), same shape and dtype."""
    rate = params["observe.reporting_rate"]
    conc = params["observe.concentration"]
    n, months = latent.shape[:2]
    a = (rate * conc)[:, None]
    b = ((1.0 - rate) * conc)[:, None]
    b = np.maximum(b, 1e-9)  # a rate of exactly 1 reports everything
    rho = rng.beta(np.broadcast_to(a, (n, months)), np.broadcast_to(b, (n, months)))
    rho = rho.reshape((n, months) + (1,) * (latent.ndim - 2))
    return binomial(rng, latent, rho).astype(latent.dtype)
