"""The distance between simulated and published figures, for ABC.

Each row contributes a standardised gap between the simulated figure and the printed one
(or the printed range), on a scale where the noise is about the same for every row:

* counts (attacks, deaths) on the square-root scale, where a Poisson count has standard
  deviation 1/2 whatever its mean, so a yearly figure of 300 and a monthly figure of 7
  weigh alike; the gap is divided by 1/2;
* estimates (fighters) on the log scale, where a printed range is a relative statement
  ("2,200 to 4,000"); the gap is divided by 0.3, the assumed log-sd of estimates (the
  estimate's own error is already simulated by the observation model, so this scale only
  makes rows comparable).

A figure inside a printed range has gap 0; "at most" / "at least" bounds are one-sided.
The distance is the root of the summed squared gaps (a standardised Euclidean norm), so
no single row is ignored and no summary statistic is chosen away: the rows are the
summaries, each a sum or mean the source printed.
"""

from __future__ import annotations

import numpy as np

from resurgence import observe
from resurgence.evidence.load import Row

COUNT_SCALE = 0.5
ESTIMATE_SCALE = 0.3


def _transform(kind: str, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if kind == "count":
        return np.sqrt(np.maximum(x, 0.0))
    return np.log(np.maximum(x, 1.0))


def gaps(simulated: np.ndarray, rows: list[Row]) -> np.ndarray:
    """Standardised gap of each simulated figure (n, rows) to its row's printed value."""
    out = np.empty_like(simulated, dtype=np.float64)
    for r, row in enumerate(rows):
        kind = observe.MEASURES[row.measure].kind
        scale = COUNT_SCALE if kind == "count" else ESTIMATE_SCALE
        x = _transform(kind, simulated[:, r])
        low = _transform(kind, row.low) if np.isfinite(row.low) else -np.inf
        high = _transform(kind, row.high) if np.isfinite(row.high) else np.inf
        out[:, r] = (np.maximum(low - x, 0.0) + np.maximum(x - high, 0.0)) / scale
    return out


def distance(simulated: np.ndarray, rows: list[Row]) -> np.ndarray:
    """One distance per simulated replica."""
    return np.sqrt((gaps(simulated, rows) ** 2).sum(axis=1))
