"""Array helpers every mechanism uses: clipping to [0, 1] and binomial draws made only
where they can be non-zero."""

from __future__ import annotations

import numpy as np


def clip01(x: np.ndarray) -> np.ndarray:
    """Clip an array to [0, 1] in place and return it."""
    return np.clip(x, 0.0, 1.0, out=x)


def binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """Binomial draws of the same shape as `n`, drawn only in the elements where n > 0
    and p > 0 (p broadcast to `n`'s shape, at most 1); the others are 0.

    A draw costs the same whether or not it can be non-zero, and most elements of a
    scenario's (unit, region) arrays are empty, or have a zero rate, in a given replica;
    drawing only the others keeps the cost proportional to the live elements. The law is
    the same: an element with n = 0 or p = 0 draws 0.
    """
    p = np.minimum(p, 1.0)
    live = (n > 0) & (p > 0)
    if live.all():
        return rng.binomial(n, p)
    out = np.zeros(n.shape, dtype=np.int64)
    out[live] = rng.binomial(n[live], np.broadcast_to(p, n.shape)[live])
    return out


def poisson(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """Poisson draws of mean `lam`, drawn only in the elements where lam > 0 (the others
    are 0), for the same reason as `binomial`."""
    live = lam > 0
    if live.all():
        return rng.poisson(lam)
    out = np.zeros(lam.shape, dtype=np.int64)
    out[live] = rng.poisson(lam[live])
    return out
