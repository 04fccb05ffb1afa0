"""What a month's expected attacks rest on, and how a change in them splits by cause.

The operations process plans attacks in proportion to members, scaled by the capability
of the group's cells (smaller underground cells can do less: the posture), by cohesion,
and by the share of the plan the treasury can pay for. Read from the state as operations
sees it (after the month's money has arrived and the payroll is paid), the month's
expected attacks are the product

    E = rate x members x posture factor x cohesion factor x money factor x other,

where `other` holds what is neither (the base rate set by events, experience, joint
operations under an alliance and excitation). Because E is a product, a change in it
splits exactly into one part per factor by the logarithmic mean Divisia index (LMDI-I; Ang
2004, Energy Policy 32:1131): part_f = L(E1, E0) ln(f1 / f0), L the logarithmic mean, with
no residual. So a fall in attacks reads as lost capability (members), money, posture or
cohesion.
"""

from __future__ import annotations

import numpy as np

from resurgence.core.model import Model
from resurgence.core.state import State
from resurgence.processes import operations

FACTORS = ("members", "money", "posture", "cohesion", "other")


def factors(state: State, p: dict[str, np.ndarray], model: Model) -> dict[str, np.ndarray]:
    """Each factor of the month's expected attacks per replica, and `expected`, from the
    state just before the operations process runs (`operations.expected_attacks`).

    `other` is what is left of the expected attacks once members, money, posture and
    cohesion are divided out: the base rate, experience, joint operations and the
    excitation carried from recent attacks, so the product is exact."""
    terms = operations.expected_attacks(state, p, model)
    members = terms.members.sum(axis=1).astype(np.float64)
    expected = terms.expected
    known = members * terms.posture * terms.cohesion * terms.money
    other = np.where(known > 0, expected / np.where(known > 0, known, 1.0), 1.0)
    return {
        "members": members,
        "money": terms.money,
        "posture": terms.posture,
        "cohesion": terms.cohesion,
        "other": other,
        "expected": expected,
    }


def _log_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (a - b) / (np.log(a) - np.log(b))
    return np.where(np.isclose(a, b), a, out)


def lmdi(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The change in expected attacks split by factor; the parts add up to the change.

    Replicas whose expected attacks are 0 at either end (a group with no members) have no
    logarithm: their whole change is put on members, which is what went to or from 0."""
    e0, e1 = before["expected"], after["expected"]
    alive = (e0 > 0) & (e1 > 0)
    weight = np.where(alive, _log_mean(np.where(alive, e1, 1), np.where(alive, e0, 1)), 0.0)
    parts = {}
    for f in FACTORS:
        ratio = np.where(alive, after[f] / np.where(alive, before[f], 1), 1.0)
        parts[f] = weight * np.log(np.where(alive, ratio, 1.0))
    parts["members"] = parts["members"] + np.where(alive, 0.0, e1 - e0)
    return parts
