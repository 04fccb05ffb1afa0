"""Summaries of an ensemble in long form: mean and quantiles over replicas, by month,
variable, actor and region.

The series summarised are fixed by the model, not by the data: members of every unit in
every region and in all regions, the focal group's treasury, and its latent and reported
attacks by region and in all. Two ways to summarise them:

* `summarise(ensemble)`: exact, from an ensemble held in memory.
* `OnlineSummary`: chunk by chunk, so a run of any size is summarised in memory that
  does not grow with the number of replicas, and chunks from different workers merge.
  Counts (members, attacks) keep exact histograms per month, so their quantiles are
  exact. The treasury, a real number, keeps its values exactly up to 20,000 replicas, then
  a histogram per month over logarithmic bins 0.1% wide (from USD 1 to USD 10^12), so its
  quantiles are exact for runs of that size and within 0.1% beyond. Both are
  deterministic: the same replicas give the same summary whatever the order in which
  chunks are merged. Means are running sums, merged in chunk order.

Both use the same quantile definition, the smallest value whose share of replicas at or
below it reaches q (numpy's "inverted_cdf"), which for counts of members and attacks is
always a value some replica had.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import xarray as xr

QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
QUANTILE_COLUMNS = [f"q{round(q * 100):02d}" for q in QUANTILES]
COLUMNS = ["month", "variable", "actor", "region", "mean", *QUANTILE_COLUMNS]


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


RAW_CAP = 20_000  # replicas whose real values are kept exactly, per series
LOG_MIN, LOG_RATIO = 1e-3, 1.001  # bins of the log histogram beyond RAW_CAP
LOG_BINS = int(np.ceil(np.log(1e9 / LOG_MIN) / np.log(LOG_RATIO))) + 2


def _log_bins(values: np.ndarray) -> np.ndarray:
    """Bin 0 holds zeros (and anything below LOG_MIN); bin b >= 1 holds values from
    LOG_MIN * LOG_RATIO**(b - 1), each bin 0.1% wide."""
    positive = np.maximum(values, LOG_MIN)
    index = 1 + np.floor(np.log(positive / LOG_MIN) / np.log(LOG_RATIO)).astype(np.int64)
    return np.where(values < LOG_MIN, 0, np.minimum(index, LOG_BINS - 1))


class OnlineSummary:
    """Mergeable summary of the replicas seen so far (see the module docstring)."""

    def __init__(self, actors: list[str], regions: list[str], months: int):
        self.actors, self.regions, self.months = list(actors), list(regions), months
        self.count = 0
        self.sums: dict[tuple, np.ndarray] = {}
        # integer series: (lowest value, counts of each value from it, one row a month)
        self.histograms: dict[tuple, tuple[int, np.ndarray]] = {}
        # real series: exact values (replicas, months) up to RAW_CAP, then a log histogram
        self.raw: dict[tuple, list[np.ndarray]] = {}
        self.logs: dict[tuple, np.ndarray] = {}

    def update(self, out: dict[str, np.ndarray]) -> None:
        """Add a chunk's raw arrays."""
        n = out["treasury"].shape[0]
        for key, values in series(out, self.actors, self.regions):
            self.sums[key] = self.sums.get(key, 0.0) + values.sum(axis=0, dtype=np.float64)
            if values.dtype.kind in "iu":
                self._count(key, values)
            else:
                self._add_real(key, [np.asarray(values, dtype=np.float32)], n)
        self.count += n

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

    def _add_real(self, key, values: list[np.ndarray], n: int, logs=None) -> None:
        """Add exact values (arrays of (replicas, months)) or a log histogram."""
        held_raw = self.raw.get(key, [])
        kept = sum(a.shape[0] for a in held_raw)
        if logs is None and key not in self.logs and kept + n <= RAW_CAP:
            self.raw[key] = held_raw + values
            return
        table = self.logs.get(key, np.zeros((self.months, LOG_BINS), dtype=np.int64))
        for block in held_raw + values:
            self._bin(table, block)
        if logs is not None:
            table += logs
        self.raw.pop(key, None)
        self.logs[key] = table

    def _bin(self, table: np.ndarray, block: np.ndarray) -> None:
        index = np.arange(self.months)[None, :] * LOG_BINS + _log_bins(block)
        table += np.bincount(index.ravel(), minlength=table.size).reshape(table.shape)

    def merge(self, other: OnlineSummary) -> None:
        for key, sums in other.sums.items():
            self.sums[key] = self.sums.get(key, 0.0) + sums
        for key, (low, counts) in other.histograms.items():
            self._add(key, low, counts)
        for key, blocks in other.raw.items():
            self._add_real(key, blocks, sum(b.shape[0] for b in blocks))
        for key, table in other.logs.items():
            self._add_real(key, [], 0, logs=table)
        self.count += other.count

    def _quantiles(self, key) -> np.ndarray:
        """(quantiles, months) for a series."""
        if key in self.histograms:
            low, counts = self.histograms[key]
            cdf = np.cumsum(counts, axis=1) / self.count
            return low + np.array([np.argmax(cdf >= q - 1e-12, axis=1) for q in QUANTILES], float)
        if key in self.raw:
            values = np.concatenate(self.raw[key], axis=0).astype(np.float64)
            return np.quantile(values, QUANTILES, axis=0, method="inverted_cdf")
        cdf = np.cumsum(self.logs[key], axis=1) / self.count
        bins = np.array([np.argmax(cdf >= q - 1e-12, axis=1) for q in QUANTILES])
        return np.where(bins == 0, 0.0, LOG_MIN * LOG_RATIO ** (bins - 1.0))

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
