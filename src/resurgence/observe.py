"""Observation models: what datasets and published figures report of the latent state.

Datasets see only part of what happens, and how much they see varies from month to month
(media access, claims policy). Each measure of the evidence has its own model:

* `reported_attacks` (the run's generic dataset), `attacks_claimed` (what the group
  claims) and `attacks_recorded` (what a monitor such as the UN records): each replica-
  month has a reporting rate drawn from a beta law with the measure's mean rate and
  concentration; each latent attack is then reported independently with that rate (a
  beta-binomial law, over-dispersed relative to plain binomial thinning). Claims and
  records have different rates: a group leaves some attacks unclaimed, and a monitor
  misses what it cannot reach.
* The run's `reported_attacks` come through one of three channels (`CHANNELS`), which a
  scenario chooses with `[resurgence] reported`: the generic dataset (`reporting`, with
  `observe.reporting_rate` and `observe.concentration`, the default) or the channel of
  claims or of records, whose rates calibration fits, so that a resurgence threshold
  means what the evidence behind it means.
* `fatalities`: the deaths of the group's attacks, thinned the same way.
* `fighters_estimate`: an analyst's estimate of members over a period: the mean over the
  period's months of the members in the area, times a log-normal error; printed ranges
  are interval observations of it.

A figure for a period of several months aggregates the model's months (a sum for counts,
a mean for estimates). Reporting uses its own random streams, so changing an observation
model never changes the latent path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from resurgence.core.parameters import Parameter


def _rate(name: str, default: float, reason: str) -> Parameter:
    return Parameter(f"observe.{name}", default, 0.01, 1.0, "share of latent events", reason)


def _concentration(name: str) -> Parameter:
    return Parameter(
        f"observe.{name}",
        20.0,
        1.0,
        500.0,
        "beta concentration (higher = steadier)",
        "Reporting varies from month to month with access and claims policy.",
    )


PARAMETERS = (
    _rate(
        "reporting_rate",
        0.8,
        "Share of attacks a generic dataset reports: the run's `reported_attacks` unless "
        "the scenario's [resurgence] reported names another channel.",
    ),
    _concentration("concentration"),
    _rate(
        "claimed_rate",
        0.5,
        "The group claimed 52 attacks in Aug-Nov 2021 while the UN recorded 152 in "
        "Aug-Dec 2021: claims cover well under half of what happens.",
    ),
    _concentration("claimed_concentration"),
    _rate(
        "recorded_rate",
        0.8,
        "A monitor with staff in the country records most attacks, not all.",
    ),
    _concentration("recorded_concentration"),
    _rate("fatalities_rate", 0.9, "Deaths in attacks are reported more fully than attacks."),
    _concentration("fatalities_concentration"),
    Parameter(
        "observe.fighters_log_sd",
        0.3,
        0.05,
        1.0,
        "log-normal sd of a fighter estimate",
        "Published estimates of one period differ by a factor of two (2,200 to 4,000).",
    ),
)


@dataclass(frozen=True)
class Measure:
    """A measure of the evidence: what latent output it observes and how."""

    name: str
    kind: str  # "count": summed over a period's months; "estimate": averaged
    source: str  # the recorded output it observes
    rate: str | None = None
    concentration: str | None = None
    description: str = ""


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure(
            "attacks_claimed",
            "count",
            "attacks",
            "observe.claimed_rate",
            "observe.claimed_concentration",
            "attacks the group claimed",
        ),
        Measure(
            "attacks_recorded",
            "count",
            "attacks",
            "observe.recorded_rate",
            "observe.recorded_concentration",
            "attacks a monitor recorded",
        ),
        Measure(
            "fatalities",
            "count",
            "deaths",
            "observe.fatalities_rate",
            "observe.fatalities_concentration",
            "deaths in the group's attacks, as reported",
        ),
        Measure(
            "fighters_estimate",
            "estimate",
            "members",
            description="an analyst's estimate of the group's members",
        ),
    )
}


def thin(
    latent: np.ndarray, rate: np.ndarray, conc: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Beta-binomial thinning of latent counts of shape (n, months, ...): one reporting
    rate per replica-month, mean `rate` and concentration `conc` (arrays of shape (n,))."""
    n, months = latent.shape[:2]
    a = (rate * conc)[:, None]
    b = np.maximum(((1.0 - rate) * conc)[:, None], 1e-9)  # a rate of 1 reports everything
    rho = rng.beta(np.broadcast_to(a, (n, months)), np.broadcast_to(b, (n, months)))
    # Each latent count is thinned by its replica-month's rate; only non-zero counts are
    # drawn (most cells of most months have no event), which is the same law.
    flat = latent.reshape(-1)
    at = np.flatnonzero(flat)
    reported = np.zeros(flat.shape, dtype=latent.dtype)
    cells = int(np.prod(latent.shape[2:], dtype=np.int64))  # per replica-month
    reported[at] = rng.binomial(flat[at], rho.reshape(-1)[at // cells])
    return reported.reshape(latent.shape)


@dataclass(frozen=True)
class Channel:
    """A channel the run's `reported_attacks` can come through."""

    rate: str
    concentration: str
    adjective: str  # as in "claimed attacks a month"
    description: str


CHANNELS: dict[str, Channel] = {
    "reporting": Channel(
        "observe.reporting_rate", "observe.concentration", "reported", "attacks a dataset reports"
    ),
    "claimed": Channel(
        MEASURES["attacks_claimed"].rate,
        MEASURES["attacks_claimed"].concentration,
        "claimed",
        MEASURES["attacks_claimed"].description,
    ),
    "recorded": Channel(
        MEASURES["attacks_recorded"].rate,
        MEASURES["attacks_recorded"].concentration,
        "recorded",
        MEASURES["attacks_recorded"].description,
    ),
}


def report(
    latent: np.ndarray,
    params: dict[str, np.ndarray],
    rng: np.random.Generator,
    channel: str = "reporting",
):
    """The run's `reported_attacks` for latent counts of shape (n, months, ...), through
    `channel` (a key of `CHANNELS`)."""
    c = CHANNELS[channel]
    return thin(latent, params[c.rate], params[c.concentration], rng)


def monthly(
    measure: Measure,
    out: dict[str, np.ndarray],
    params: dict[str, np.ndarray],
    rng: np.random.Generator,
    unit: int = 0,
) -> np.ndarray:
    """The measure's monthly series by region, (n, months, regions): reported counts for
    a count measure, members of `unit` for an estimate."""
    if measure.source == "members":
        return out["members"][:, :, unit, :]
    latent = out[measure.source]
    if latent.ndim == 4:  # attacks by region and type
        latent = latent.sum(axis=3)
    return thin(latent, params[measure.rate], params[measure.concentration], rng)


def estimate_error(
    params: dict[str, np.ndarray], rng: np.random.Generator, shape: tuple[int, ...]
) -> np.ndarray:
    """Multiplicative log-normal error of an analyst's estimate, exp(fighters_log_sd * Z),
    for an array of `shape` whose first axis is the replica."""
    sd = params["observe.fighters_log_sd"].reshape((-1,) + (1,) * (len(shape) - 1))
    return np.exp(sd * rng.standard_normal(shape))


def period_value(
    measure: Measure,
    series: np.ndarray,
    months: slice,
    regions: np.ndarray,
    params: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> np.ndarray:
    """What a figure for `months` over the `regions` mask would print, per replica: the
    sum of a count; the mean of an estimate times its log-normal error."""
    area = series[:, months][:, :, regions].sum(axis=2)
    if measure.kind == "count":
        return area.sum(axis=1).astype(np.float64)
    return area.mean(axis=1) * estimate_error(params, rng, (area.shape[0],))
