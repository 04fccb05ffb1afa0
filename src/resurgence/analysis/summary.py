"""Summaries of an ensemble in long form: mean and quantiles over replicas, by month,
variable, actor and region.

The series summarised are fixed by the model, not by the data: members of every unit in
every region and in all regions, the focal group's treasury, and its latent and reported
attacks by region and in all. Two ways to summarise them:

* `summarise(ensemble)`: exact, from an ensemble held in memory.
* `OnlineSummary`: chunk by chunk, so a run of any size is summarised in memory that
  does not grow with the number of replicas, and chunks from different workers merge.
  Counts (members, attacks) keep exact histograms per month, so their quantiles are
  exact; the treasury, a real number, keeps one KLL sketch per month (Apache
  DataSketches `kll_floats_sketch`, k = 400: normalised rank error about 0.7% at 99%
  confidence once a sketch has compacted, exact while it holds every value, i.e. up to a
  few hundred replicas). Means are exact running sums.

Both use the same quantile definition, the smallest value whose share of replicas at or
below it reaches q (numpy's "inverted_cdf", a KLL sketch's inclusive rank), which for
counts of members and attacks is always a value some replica had.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import xarray as xr
from datasketches import kll_floats_sketch

QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
QUANTILE_COLUMNS = [f"q{round(q * 100):02d}" for q in QUANTILES]
COLUMNS = ["month", "variable", "actor", "region", "mean", *QUANTILE_COLUMNS]
SKETCH_K = 400


def series(
    out: dict[str, np.ndarray], actors: list[str], regions: list[str]
) -> Iterator[tuple[tuple[str, str, str], np.ndarray]]:
    """Every summarised series of a chunk's raw arrays (replica axis first), as
    ((variable, actor, region), values of shape (replicas, months))."""
    members = out["members"]
    for a, actor in enumerate(actors):
        for k, region in enumerate(regions):
            yield ("members", actor, region), members[:, :, a, k]
        yield ("members", actor, "all"), members[:, :, a, :].sum(axis=2)
    focal = actors[0]
    yield ("treasury", focal, "all"), out["treasury"]
    for variable in ("attacks", "reported_attacks"):
        by_region = out[variable].sum(axis=3)
        for k, region in enumerate(regions):
            yield (variable, focal, region), by_region[:, :, k]
        yield (variable, focal, "all"), by_region.sum(axis=2)


def _rows(key, months, mean, quantiles) -> pd.DataFrame:
    variable, actor, region = key
    frame = pd.DataFrame(
        {"month": months, "variable": variable, "actor": actor, "region": region, "mean": mean}
    )
    for column, row in zip(QUANTILE_COLUMNS, quantiles, strict=True):
        frame[column] = row
    return frame


def _keep(key, peak: float) -> bool:
    """Members of a unit in a region where it never had any are left out."""
    return key[0] != "members" or key[2] == "all" or peak > 0


def summarise(ensemble: xr.Dataset) -> pd.DataFrame:
    """Exact summary of an ensemble held in memory."""
    months = [str(m) for m in ensemble["month"].values]
    out = {
        name: ensemble[name].transpose("replica", "month", ...).values
        for name in ("members", "treasury", "attacks", "reported_attacks")
    }
    frames = []
    for key, values in series(out, list(ensemble["actor"].values), list(ensemble["region"].values)):
        values = values.astype(np.float64)
        if _keep(key, values.max(initial=0.0)):
            qs = np.quantile(values, QUANTILES, axis=0, method="inverted_cdf")
            frames.append(_rows(key, months, values.mean(axis=0), qs))
    return pd.concat(frames, ignore_index=True)[COLUMNS]


class OnlineSummary:
    """Mergeable summary of the replicas seen so far (see the module docstring)."""

    def __init__(self, actors: list[str], regions: list[str], months: int):
        self.actors, self.regions, self.months = list(actors), list(regions), months
        self.count = 0
        self.sums: dict[tuple, np.ndarray] = {}
        # integer series: (lowest value, counts of each value from it, one row a month)
        self.histograms: dict[tuple, tuple[int, np.ndarray]] = {}
        self.sketches: dict[tuple, list[kll_floats_sketch]] = {}  # real-valued series

    def update(self, out: dict[str, np.ndarray]) -> None:
        """Add a chunk's raw arrays."""
        for key, values in series(out, self.actors, self.regions):
            self.sums[key] = self.sums.get(key, 0.0) + values.sum(axis=0, dtype=np.float64)
            if values.dtype.kind in "iu":
                self._count(key, values)
            else:
                sketches = self.sketches.setdefault(
                    key, [kll_floats_sketch(SKETCH_K) for _ in range(self.months)]
                )
                values = values.astype(np.float32)
                for t, sketch in enumerate(sketches):
                    sketch.update(np.ascontiguousarray(values[:, t]))
        self.count += out["treasury"].shape[0]

    def _count(self, key, values: np.ndarray) -> None:
        low = int(values.min(initial=0))
        width = int(values.max(initial=0)) - low + 1
        index = np.arange(self.months)[None, :] * width + (values - low)
        flat = np.bincount(index.ravel(), minlength=self.months * width).astype(np.int32)
        self._add(key, low, flat.reshape(self.months, width))

    def _add(self, key, low: int, counts: np.ndarray) -> None:
        """Add counts of values low, low + 1, ... (one row a month) to the histogram."""
        held = self.histograms.get(key)
        if held is None:
            self.histograms[key] = (low, counts)
            return
        start, table = held
        first = min(start, low)
        last = max(start + table.shape[1], low + counts.shape[1])
        merged = np.zeros((self.months, last - first), dtype=np.int64)
        merged[:, start - first : start - first + table.shape[1]] += table
        merged[:, low - first : low - first + counts.shape[1]] += counts
        self.histograms[key] = (first, merged)

    def merge(self, other: OnlineSummary) -> None:
        for key, sums in other.sums.items():
            self.sums[key] = self.sums.get(key, 0.0) + sums
        for key, (low, counts) in other.histograms.items():
            self._add(key, low, counts)
        for key, sketches in other.sketches.items():
            if key not in self.sketches:
                self.sketches[key] = sketches
                continue
            for mine, theirs in zip(self.sketches[key], sketches, strict=True):
                mine.merge(theirs)
        self.count += other.count

    def __getstate__(self):
        state = dict(self.__dict__)
        state["sketches"] = {k: [s.serialize() for s in v] for k, v in self.sketches.items()}
        return state

    def __setstate__(self, state):
        state["sketches"] = {
            k: [kll_floats_sketch.deserialize(b) for b in v] for k, v in state["sketches"].items()
        }
        self.__dict__.update(state)

    def _quantiles(self, key) -> np.ndarray:
        """(quantiles, months) for a series."""
        if key in self.histograms:
            low, counts = self.histograms[key]
            cdf = np.cumsum(counts, axis=1) / self.count
            return low + np.array([np.argmax(cdf >= q - 1e-12, axis=1) for q in QUANTILES], float)
        sketches = self.sketches[key]
        return np.array([s.get_quantiles(list(QUANTILES), inclusive=True) for s in sketches]).T

    def frame(self, months: list[str]) -> pd.DataFrame:
        frames = []
        for key, sums in self.sums.items():
            if key in self.histograms:
                low, counts = self.histograms[key]
                peak = low + counts.shape[1] - 1
            else:
                peak = 1.0
            if _keep(key, peak):
                frames.append(_rows(key, months, sums / self.count, self._quantiles(key)))
        return pd.concat(frames, ignore_index=True)[COLUMNS]
