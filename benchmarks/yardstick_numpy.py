"""A deliberately simple plain-numpy armed-group model, used as the speed yardstick of the
engine (`bench_engine.py` times both in the same run).

It has the engine's aggregate form (member counts per (replica, region), all replicas at
once) and little else: no events, no factions, no observation model. Each month, per
region, the members are paid from a treasury fed by a transfer that is interdicted at
random, and five binomial draws move them:

    paid    = min(n, floor(treasury / salary));  treasury -= paid * salary
    defect  ~ Bin(n - paid, P_UNPAID_DEFECT)
    killed  ~ Bin(paid, p_raid) + Bin(unpaid_stayers, p_raid)
    recruit ~ Bin(survivors, p_recruit)
    attacks ~ Bin(paid survivors, P_ATTACK)

with p_raid rising with the region's counter-terrorism intensity and its cell size, and
p_recruit with last month's attacks per member. It is what a few lines of plain numpy cost
per replica-month on the machine at hand: the engine's target is the flagship scenario
within twice its time for the same replicas and months (10,000 x 60, 8 regions).

Units: one step is one month; money is in units of one member's monthly salary.
"""

from __future__ import annotations

import numpy as np

REGIONS = 20
SALARY = 1.0  # monthly salary per member
P_UNPAID_DEFECT = 0.30  # P(defect | unpaid this month)
CT_LOW, CT_HIGH = 0.002, 0.03  # counter-terrorism intensity per region (evenly spaced)
CELL_SIZE_FACTOR = 1.0  # p_raid = ct * (1 + CELL_SIZE_FACTOR * n / n0), at most 1
P_RECRUIT_BASE = 0.03  # base monthly recruitment probability per surviving member
RECRUIT_PER_ATTACK = 3.0  # + RECRUIT_PER_ATTACK * last month's attacks per member
P_ATTACK = 0.01  # monthly attack probability per surviving paid member
TRANSFER_FACTOR = 0.9  # monthly transfer per region: TRANSFER_FACTOR * n0 * SALARY ...
P_INTERDICT = 0.25  # ... unless interdicted (one Bernoulli per region and month)
INIT_TREASURY_MONTHS = 2.0  # initial treasury per region, in months of payroll


def run(n_members=1000, replicas=10_000, months=120, regions=REGIONS, seed=0, dtype=np.int64):
    """Simulate `replicas` replicas of `months` months; return the final members and
    treasury per (replica, region), members per month, and the member-months simulated."""
    rng = np.random.default_rng(seed)
    shape = (replicas, regions)
    n0 = n_members / regions
    ct = np.linspace(CT_LOW, CT_HIGH, regions)[None, :]
    n = np.full(shape, n_members // regions, dtype=dtype)
    n[:, : n_members % regions] += 1
    treasury = np.full(shape, INIT_TREASURY_MONTHS * n0 * SALARY)
    attacks_last = np.zeros(shape, dtype=dtype)
    n_last = np.ones(shape, dtype=dtype)
    income = TRANSFER_FACTOR * n0 * SALARY
    member_months = 0
    members_t = np.empty((months, replicas), dtype=dtype)  # minimal "data collection"
    for t in range(months):
        treasury += income * (rng.random(shape) >= P_INTERDICT)
        member_months += int(n.sum())
        p_raid = np.minimum(1.0, ct * (1.0 + CELL_SIZE_FACTOR * n / n0))
        p_rec = np.minimum(
            1.0, P_RECRUIT_BASE + RECRUIT_PER_ATTACK * attacks_last / np.maximum(n_last, 1)
        )
        paid = np.minimum(n, np.floor(treasury / SALARY).astype(dtype))
        treasury -= paid * SALARY
        stay_unpaid = (n - paid) - rng.binomial(n - paid, P_UNPAID_DEFECT)
        paid_surv = paid - rng.binomial(paid, p_raid)
        surv = paid_surv + stay_unpaid - rng.binomial(stay_unpaid, p_raid)
        recruits = rng.binomial(surv, p_rec)
        attacks = rng.binomial(paid_surv, P_ATTACK)
        n_last, attacks_last = n, attacks
        n = surv + recruits
        members_t[t] = n.sum(axis=1)
    return {"n": n, "treasury": treasury, "members_t": members_t, "member_months": member_months}
