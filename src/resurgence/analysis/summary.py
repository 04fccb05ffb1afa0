"""Summary of an ensemble in long form: quantiles over replicas by month, actor, region."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
COLUMNS = ["month", "variable", "actor", "region", "mean"] + [
    f"q{round(q * 100):02d}" for q in QUANTILES
]


def _frame(values: np.ndarray, months, variable: str, actor: str, region: str) -> pd.DataFrame:
    """values: (replica, month) -> one row a month."""
    values = values.astype(np.float64)
    qs = np.quantile(values, QUANTILES, axis=0)
    frame = pd.DataFrame(
        {
            "month": months,
            "variable": variable,
            "actor": actor,
            "region": region,
            "mean": values.mean(axis=0),
        }
    )
    for q, row in zip(QUANTILES, qs, strict=True):
        frame[f"q{round(q * 100):02d}"] = row
    return frame


def summarise(ensemble: xr.Dataset) -> pd.DataFrame:
    """Long-form summary: members by actor and region (and 'all'), the focal group's
    treasury, and its latent and reported attacks by region (and 'all')."""
    months = [str(m) for m in ensemble["month"].values]
    focal = ensemble.attrs["focal"]
    frames = []
    members = ensemble["members"].transpose("replica", "month", "actor", "region").values
    for a, actor in enumerate(ensemble["actor"].values):
        for k, region in enumerate(ensemble["region"].values):
            if members[:, :, a, k].any():
                frames.append(_frame(members[:, :, a, k], months, "members", actor, region))
        frames.append(_frame(members[:, :, a, :].sum(axis=2), months, "members", actor, "all"))
    treasury = ensemble["treasury"].transpose("replica", "month").values
    frames.append(_frame(treasury, months, "treasury", focal, "all"))
    for variable in ("attacks", "reported_attacks"):
        values = ensemble[variable].sum("attack_type").transpose("replica", "month", "region")
        values = values.values
        for k, region in enumerate(ensemble["region"].values):
            frames.append(_frame(values[:, :, k], months, variable, focal, region))
        frames.append(_frame(values.sum(axis=2), months, variable, focal, "all"))
    return pd.concat(frames, ignore_index=True)[COLUMNS]
