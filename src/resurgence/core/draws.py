"""Array helpers every mechanism uses: clipping to [0, 1] and binomial draws that skip
empty cells."""

from __future__ import annotations

import numpy as np


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
