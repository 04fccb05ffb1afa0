"""Operations: attacks by type, their timing and their severity (docs/background.md §1).

Planned attacks in a region are proportional to the members there, reduced by small cells
(less capability), unpaid fighters staying home, lost cohesion, inexperience, and a
shortage of money, and raised by joint operations in the ally's areas under an alliance
(`alliance`): the attacks planned must be paid for from the cash left after payroll. Only
the cheapest attack type (gunfire on patrols with members' own weapons) partly needs no
money (`operations.unfunded_share`); costlier ones (explosives) need the budget, so the
mix of attacks follows money: a broke group still attacks, but cheaply. The budget bounds
the expected cost of the planned attacks; a busy month can cost more, up to the whole
treasury. A gamma-distributed monthly tempo common to all regions scales the month's new
(immigrant) attacks, and attacks excite further attacks: each attack raises the rate of
the weeks that follow (a Hawkes process with an exponential kernel, aggregated exactly in
expectation to months; see `excitation_terms`). Counts are Poisson around that
expectation, split among attack types in the funded mix; their cost leaves the treasury.

Frequency grows with size (planned attacks are proportional to members) and with
experience (a learning curve in the group's cumulative attacks, capped at a mature level,
`experience_factor`). Severity does not depend on either: each attack's deaths are drawn
from one heavy-tailed law (`draw_severity`; none, a light-tailed body, or a discrete
power-law tail), and the month's deaths by region are recorded.
"""

from dataclasses import dataclass

import numpy as np

from resurgence.core.draws import binomial, poisson
from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import FOCAL, State
from resurgence.limits import MAX_LEVEL
from resurgence.processes.payroll import salary_strain
from resurgence.processes.posture import cell_ratio
from resurgence.processes.propaganda import spendable

PARAMETERS = (
    Parameter(
        "operations.attack_rate",
        0.016,
        0.001,
        0.06,
        "attacks per member per month, overt and fully funded",
        "About 40 attacks a month by some 3,000 members in late 2021 (UN, IS claims).",
    ),
    Parameter(
        "operations.cell_capability",
        1.0,
        0.0,
        1.5,
        "exponent of relative cell size",
        "Small cells survive better and can do less: assumption, attacks per member in "
        "proportion to cell size (a cell of 6 does a fifth of what a unit of 30 does).",
    ),
    Parameter(
        "operations.cohesion_weight",
        0.5,
        0.0,
        1.0,
        "share of capability lost at zero cohesion",
        "A decaying organisation plans fewer operations.",
    ),
    Parameter(
        "operations.unpaid_idleness",
        0.6,
        0.0,
        1.0,
        "share of capability lost at a complete, lasting salary shortfall",
        "Assumption: fighters who are not paid stay home rather than fight; the group "
        "lies low while it cannot pay (the near-halt of attacks in spring 2023).",
    ),
    Parameter(
        "operations.budget_share",
        0.6,
        0.02,
        1.0,
        "share of the cash left after payroll, per month",
        "Operations compete with salaries for the same cash.",
    ),
    Parameter(
        "operations.unfunded_share",
        0.2,
        0.0,
        1.0,
        "share of the cheapest type's planned attacks that need no money",
        "Gunfire on patrols with members' own weapons costs next to nothing; explosive "
        "attacks need money (the analysis's 2023: gunfire on patrols, few explosive attacks).",
    ),
    Parameter(
        "operations.dispersion",
        3.0,
        0.3,
        50.0,
        "negative-binomial shape",
        "Attack counts are over-dispersed: the tempo varies from month to month.",
    ),
    Parameter(
        "operations.excitation",
        0.4,
        0.0,
        0.9,
        "branching ratio: attacks triggered per attack",
        "Self-excitation of insurgent violence: 37-50% of events in Iraq were triggered by "
        "earlier ones (Lewis et al. 2012, Security Journal 25:244). An input: the check's "
        "row on self-excitation tests its recovery, not an independent prediction.",
    ),
    Parameter(
        "operations.excitation_half_life",
        3.0,
        0.5,
        12.0,
        "weeks",
        "The triggered rate decays within 2-6 weeks (Lewis et al. 2012); 3 weeks, inside it.",
    ),
    Parameter(
        "operations.learning_exponent",
        0.32,
        0.0,
        1.0,
        "elasticity of the attack rate to cumulative attacks",
        "Organisations learn by doing: an 80% progress ratio (each doubling of cumulative "
        "output raises productivity by a fifth; Wright 1936; Argote & Epple 1990, Science "
        "247:920), i.e. 0.32. Not taken from the progress curves of attacks the check tests.",
    ),
    Parameter(
        "operations.mature_experience",
        50.0,
        1.0,
        1000.0,
        "attacks",
        "Assumption: after some fifty attacks a group works with the routines of an "
        "established group, whose rate `attack_rate` describes; learning stops there.",
    ),
    Parameter(
        "operations.prior_experience",
        1000.0,
        0.0,
        100000.0,
        "attacks before the scenario starts",
        "A scenario starts with an established group unless it says otherwise (IS-K had "
        "carried out hundreds of attacks since 2015); a group at founding sets 0.",
    ),
    Parameter(
        "operations.nonfatal_share",
        0.5,
        0.0,
        1.0,
        "share of attacks that kill nobody",
        "About half of the attacks in the Global Terrorism Database kill nobody.",
    ),
    Parameter(
        "operations.severity_body_mean",
        2.5,
        1.0,
        10.0,
        "deaths per fatal attack below the tail (geometric on 1, 2, ...)",
        "Assumption: most fatal attacks kill one to a few people.",
    ),
    Parameter(
        "operations.severity_tail_share",
        0.08,
        0.0,
        0.5,
        "share of attacks in the power-law tail (deaths >= severity_xmin)",
        "Attacks killing 21 or more are 3.5% of all attacks in the GTD (Martens et al. "
        "2014, PLoS ONE 9:e93732); with the tail's exponent that puts 8% at 12 or more.",
    ),
    Parameter(
        "operations.severity_xmin",
        12.0,
        2.0,
        100.0,
        "deaths",
        "Lower bound of the power-law tail of deaths per terrorist attack: 12 (Clauset, "
        "Shalizi & Newman 2009, SIAM Review 51:661, table 6.1).",
    ),
    Parameter(
        "operations.severity_alpha",
        2.4,
        1.5,
        4.0,
        "exponent of the tail, P(x) ~ x^-alpha",
        "2.4 for deaths per terrorist attack (Clauset, Shalizi & Newman 2009, after Clauset, "
        "Young & Gleditsch 2007, J. Conflict Resolution 51:58). An input: the check's tail "
        "rows test its recovery through the engine, not an independent prediction.",
    ),
    Parameter(
        "operations.severity_xmax",
        3000.0,
        100.0,
        100000.0,
        "deaths",
        "Upper cut-off of the tail: no terrorist attack has killed more than about 3,000.",
    ),
)


WEEKS_PER_MONTH = 365.25 / 12 / 7


def excitation_terms(p) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The monthly aggregation of an exponential Hawkes kernel, per replica.

    Each attack triggers on average `n` = `operations.excitation` further attacks, at
    delays drawn from an exponential law of rate `beta` per month (`beta` = ln 2 / the
    half-life in months). For a parent at a uniform time within its month, a share `w` =
    1 - (1 - d) / beta of its offspring fall in the same month, where d = exp(-beta); a
    share `a1` = (1 - d)^2 / beta in the next month, and each later month d times the
    month before (w + a1 / (1 - d) = 1). Returns (n, w, a1, d).
    """
    n = p["operations.excitation"]
    beta = np.log(2.0) * WEEKS_PER_MONTH / p["operations.excitation_half_life"]
    d = np.exp(-beta)
    w = 1.0 - (1.0 - d) / beta
    a1 = (1.0 - d) ** 2 / beta
    return n, w, a1, d


def experience_factor(experience: np.ndarray, p) -> np.ndarray:
    """Learning by doing: min(1, ((1 + E) / (1 + mature_experience)) ^ learning_exponent),
    E the group's cumulative attacks (before the scenario and since)."""
    ratio = (1.0 + experience) / (1.0 + p["operations.mature_experience"])
    return np.minimum(1.0, ratio ** p["operations.learning_exponent"])


def tail_deaths(rng: np.random.Generator, alpha, xmin, xmax) -> np.ndarray:
    """Deaths of attacks in the tail: a discrete power law P(x) ~ x^-alpha on xmin..xmax.

    Inverse transform of the continuous approximation of Clauset, Shalizi & Newman (2009,
    appendix D): x = floor((xmin - 1/2) (1 - u)^(-1 / (alpha - 1)) + 1/2), with u uniform
    on the range that keeps x <= xmax; accurate to about 1% for xmin >= 6. `alpha`, `xmin`
    and `xmax` are arrays of the draws' shape (or scalars).
    """
    alpha, xmin, xmax = (np.asarray(x, dtype=np.float64) for x in (alpha, xmin, xmax))
    shape = np.broadcast_shapes(alpha.shape, xmin.shape, xmax.shape)
    lo = xmin - 0.5
    top = 1.0 - ((xmax + 0.5) / lo) ** (1.0 - alpha)
    u = rng.random(shape) * top
    return np.floor(lo * (1.0 - u) ** (-1.0 / (alpha - 1.0)) + 0.5).astype(np.int64)


def draw_severity(rng: np.random.Generator, size: int, p: dict, replica: int = 0) -> np.ndarray:
    """Deaths of `size` single attacks under replica `replica`'s parameters: none with
    probability `nonfatal_share`, the power-law tail with probability `severity_tail_share`,
    else a geometric body on 1, 2, ... with mean `severity_body_mean`. The same law as the
    engine's monthly totals (`step`); used to look at attacks one by one."""
    q = {k: float(np.asarray(p[f"operations.{k}"]).reshape(-1)[replica]) for k in _SEVERITY}
    u = rng.random(size)
    tail = u < q["severity_tail_share"]
    body = (~tail) & (u < 1.0 - q["nonfatal_share"])
    out = np.zeros(size, dtype=np.int64)
    out[body] = rng.geometric(1.0 / q["severity_body_mean"], int(body.sum()))
    out[tail] = tail_deaths(
        rng, q["severity_alpha"], q["severity_xmin"], np.full(int(tail.sum()), q["severity_xmax"])
    )
    return out


_SEVERITY = (
    "nonfatal_share",
    "severity_tail_share",
    "severity_body_mean",
    "severity_alpha",
    "severity_xmin",
    "severity_xmax",
)


def monthly_deaths(state, p, rng, counts: np.ndarray) -> np.ndarray:
    """Total deaths per (replica, region) of `counts` attacks, each drawn from the severity
    law independently of the group's size and experience (Clauset & Gleditsch 2012).

    Drawn without looking at attacks one by one, except in the tail: of a cell's A attacks,
    T ~ Binomial(A, tail_share) are in the tail and F ~ Binomial(A - T, body share) in the
    body; the body's deaths are F + NegBinomial(F, 1 / body_mean) (a sum of geometrics,
    one gamma-Poisson draw per cell with F > 0); the tail's are drawn one by one for the
    few tail attacks on one flat array and summed per cell.
    """
    tail_share = np.minimum(p["operations.severity_tail_share"], 1.0)
    body_share = np.clip(1.0 - p["operations.nonfatal_share"] - tail_share, 0.0, 1.0)
    body_cond = np.where(tail_share < 1.0, body_share / np.maximum(1.0 - tail_share, 1e-12), 0.0)
    tails = binomial(rng, counts, tail_share[:, None])
    fatal = binomial(rng, counts - tails, np.minimum(body_cond, 1.0)[:, None])
    # NegBinomial(F, 1 / body_mean) as a gamma-Poisson mixture, drawn where F > 0.
    some = fatal > 0
    scale = np.broadcast_to(p["operations.severity_body_mean"][:, None] - 1.0, fatal.shape)
    deaths = fatal.copy()
    deaths[some] += rng.poisson(rng.gamma(fatal[some], scale[some]))
    total = int(tails.sum())
    if total:
        flat = tails.ravel()
        cells = np.repeat(np.arange(flat.size), flat)
        rows = cells // counts.shape[1]
        draws = tail_deaths(
            rng,
            p["operations.severity_alpha"][rows],
            p["operations.severity_xmin"][rows],
            p["operations.severity_xmax"][rows],
        )
        deaths += (
            np.bincount(cells, weights=draws, minlength=flat.size)
            .astype(np.int64)
            .reshape(counts.shape)
        )
    # Deaths are a count of persons: bounded like every level (MAX_LEVEL), so that a
    # month at the corners of the parameters' ranges cannot overflow the stored int32.
    return np.minimum(deaths, int(MAX_LEVEL))


def joint_operations(state, p, model) -> np.ndarray:
    """Factor on planned attacks per region (n, K): joint operations in the ally's areas
    under an alliance."""
    joint = p["alliance.joint_operations"] * state.alliance
    return 1.0 + joint[:, None] * model.region_tags["ally_area"]


def capability_terms(state, p) -> tuple[np.ndarray, np.ndarray]:
    """The two scalings of planned attacks per member the state sets: cell capability
    (smaller underground cells can do less, and unpaid fighters stay home: the posture
    the group keeps) and cohesion."""
    idle = 1.0 - p["operations.unpaid_idleness"] * salary_strain(state, p)
    posture = cell_ratio(state, p) ** p["operations.cell_capability"] * idle
    cohesion = 1.0 - p["operations.cohesion_weight"] * (1.0 - state.cohesion)
    return posture, cohesion


@dataclass(frozen=True)
class AttackTerms:
    """The terms of the month's expected attacks, per replica, as operations reads them
    from the state (after the month's money has arrived and the payroll is paid).

    `members` (n, K) are the focal group's; `experience` fills the first month's
    experience before the start; `posture` and `cohesion` are the capability factors,
    `money` the share of the plan the treasury pays for, `by_type` that share by attack
    type (n, J); `base` (n, K) is the funded plan and `carry` (n, K) the expected attacks
    carried into the month by earlier ones (a stationary past in the first month); `n`
    and `w` are the excitation's branching ratio and the share of offspring falling
    within the month."""

    members: np.ndarray
    active: np.ndarray
    experience: np.ndarray
    posture: np.ndarray
    cohesion: np.ndarray
    money: np.ndarray
    by_type: np.ndarray
    base: np.ndarray
    carry: np.ndarray
    n: np.ndarray
    w: np.ndarray

    def mean(self, tempo: np.ndarray | float = 1.0) -> np.ndarray:
        """The month's mean attacks by region (n, K) at a drawn `tempo`: immigrants
        (scaled by the tempo) plus the month's share of earlier attacks' offspring,
        inflated by the offspring born and falling within the month; at a steady base the
        mean is `base` (immigrants are (1 - n) of all attacks)."""
        immigrants = (np.asarray(tempo) * (1.0 - self.n))[:, None] * self.base
        return (immigrants + self.carry) / (1.0 - self.n * self.w)[:, None]

    def where(self) -> np.ndarray:
        """Where attacks can happen (n, K): nobody attacks where the group has no members,
        and a group that has ended not at all."""
        return (self.members > 0) & self.active[:, None]

    @property
    def expected(self) -> np.ndarray:
        """The month's expected attacks (n,) at the mean tempo."""
        return (self.mean() * self.where()).sum(axis=1)


def expected_attacks(state: State, p: Params, model: Model) -> AttackTerms:
    """The terms of the month's expected attacks; reads the state and changes nothing."""
    members = state.members[:, FOCAL, :]
    experience = np.where(
        np.isnan(state.experience), p["operations.prior_experience"], state.experience
    )
    posture, cohesion = capability_terms(state, p)
    capability = posture * cohesion * experience_factor(experience, p)
    planned = (
        p["operations.attack_rate"][:, None]
        * members
        * capability[:, None]
        * joint_operations(state, p, model)
    )
    by_type = type_shares(state, p, model, planned.sum(axis=1))  # (n, J): funded, by type
    money = by_type.sum(axis=1)
    base = planned * money[:, None]
    n, w, _, _ = excitation_terms(p)
    carry = np.where(np.isnan(state.excitation), (n * (1.0 - w))[:, None] * base, state.excitation)
    return AttackTerms(
        members, state.ended == 0, experience, posture, cohesion, money, by_type, base, carry,
        n, w,
    )  # fmt: skip


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    terms = expected_attacks(state, p, model)
    state.experience[:] = terms.experience
    state.excitation[:] = terms.carry
    by_type, funded, active = terms.by_type, terms.money, terms.active
    shape = p["operations.dispersion"]
    tempo = rng.gamma(shape, 1.0 / shape)
    _, _, a1, d = excitation_terms(p)
    carry = state.excitation
    counts = poisson(rng, terms.mean(tempo) * terms.where())
    carry *= d[:, None]
    carry += (terms.n * a1)[:, None] * counts
    carry *= active[:, None]
    state.experience += counts.sum(axis=1)
    # The month's attacks split among types in the funded mix (the scenario's shares when
    # nothing is funded: then only carried-over attacks happen).
    mix = np.where(funded[:, None] > 0, by_type / np.maximum(funded, 1e-300)[:, None], 1.0)
    mix = np.where(funded[:, None] > 0, mix, model.attack_share[None, :])
    left = counts
    remaining = np.ones(state.n)
    for j in range(len(model.attack_types) - 1):
        share = np.where(remaining > 0, mix[:, j] / np.maximum(remaining, 1e-300), 0.0)
        part = binomial(rng, left, np.clip(share, 0.0, 1.0)[:, None])
        state.attacks[:, :, j] = part
        left = left - part
        remaining = remaining - mix[:, j]
    state.attacks[:, :, -1] = left
    cost = (state.attacks.sum(axis=1) * model.attack_cost).sum(axis=1)
    state.treasury -= np.minimum(cost, np.maximum(state.treasury, 0.0))
    state.deaths[:] = monthly_deaths(state, p, rng, counts)


def type_shares(state, p, model, planned: np.ndarray) -> np.ndarray:
    """Planned attacks (total per replica) the group can carry out, as shares of the plan
    by attack type, (n, J): each type's share of the plan times the share of it that is
    paid for. The month's operations budget (a share of the cash left after payroll and
    the propaganda reserve) covers a share of the plan's cost; of the cheapest type, a
    further share needs no money."""
    unit_cost = float(model.attack_share @ model.attack_cost)
    budget = p["operations.budget_share"] * spendable(state, p)
    want = planned * unit_cost
    affordable = np.where(want > 0, np.minimum(1.0, budget / np.where(want > 0, want, 1.0)), 1.0)
    cheapest = model.attack_cost == model.attack_cost.min()
    free = p["operations.unfunded_share"][:, None] * cheapest[None, :]
    funded = affordable[:, None] + (1.0 - affordable[:, None]) * free
    return model.attack_share[None, :] * funded


PROCESS = Process(
    "operations", "Attacks by type, limited by members, cells and money.", PARAMETERS, step
)
