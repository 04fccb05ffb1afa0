"""A calibrated posterior: weighted draws of the free parameters, saved as Parquet.

`resurgence calibrate` writes it; `run`, `forecast`, `backtest` and `nowcast` read it
(`--posterior FILE`) and give each replica one draw, so their ensembles carry the
uncertainty of the fit. A builtin scenario may ship a posterior calibrated on its evidence
(`scenarios/builtin/posteriors/NAME.parquet`), used by default.

Each replica's draw comes from its own random stream (the chunk's seed with a fixed spawn
key), so a run with a posterior reproduces from its seed like any other.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from resurgence.errors import ResurgenceError

WEIGHT = "weight"
META_KEY = b"resurgence.posterior"


@dataclass(frozen=True)
class Posterior:
    """Weighted parameter draws: `values[i, j]` is draw i of parameter `names[j]`."""

    names: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    meta: dict = field(default_factory=dict)
    source: str = ""

    def __post_init__(self):
        w = np.asarray(self.weights, dtype=np.float64)
        object.__setattr__(self, "weights", w / w.sum())

    @property
    def digest(self) -> str:
        """A short hash of the draws, part of the hash of a run that uses them."""
        h = hashlib.sha256(np.ascontiguousarray(self.values).tobytes())
        h.update(self.weights.tobytes())
        h.update(",".join(self.names).encode())
        return h.hexdigest()[:16]

    def draw(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """`n` parameter sets drawn with replacement in proportion to the weights."""
        index = rng.choice(len(self.weights), size=n, p=self.weights)
        return {name: self.values[index, j] for j, name in enumerate(self.names)}

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.values, columns=list(self.names))
        frame[WEIGHT] = self.weights
        return frame

    def describe(self) -> pd.DataFrame:
        """Weighted mean and 5%, 50%, 95% quantiles of each parameter."""
        rows = []
        for j, name in enumerate(self.names):
            order = np.argsort(self.values[:, j])
            cdf = np.cumsum(self.weights[order])
            q = [self.values[order, j][np.searchsorted(cdf, p)] for p in (0.05, 0.5, 0.95)]
            mean = float(self.weights @ self.values[:, j])
            rows.append((name, mean, *q))
        return pd.DataFrame(rows, columns=["parameter", "mean", "q05", "q50", "q95"])


def write(posterior: Posterior, path: Path) -> None:
    """Write the draws and their weights, with the calibration's metadata, to `path` (the
    caller makes it atomic: `store.write_atomic`)."""
    table = pa.Table.from_pandas(posterior.frame(), preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[META_KEY] = json.dumps(posterior.meta).encode()
    pq.write_table(table.replace_schema_metadata(meta), path)


def load(path: Path | str) -> Posterior:
    """Read a posterior file; a clear error if it is not one."""
    path = Path(path)
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise ResurgenceError(f"{path}: not a posterior file ({exc})") from None
    frame = table.to_pandas()
    names = tuple(c for c in frame.columns if c != WEIGHT)
    if WEIGHT not in frame.columns or not names or frame.empty:
        raise ResurgenceError(
            f"{path}: not a posterior file: it needs a '{WEIGHT}' column and parameter columns"
        )
    numbers = frame.apply(pd.to_numeric, errors="coerce")
    for column in frame.columns:
        if not np.isfinite(numbers[column].to_numpy(dtype=np.float64)).all():
            raise ResurgenceError(f"{path}: column {column!r} holds values that are not numbers")
    weights = numbers[WEIGHT].to_numpy(dtype=np.float64)
    if not ((weights >= 0).all() and weights.sum() > 0):
        raise ResurgenceError(f"{path}: the weights must be >= 0 and not all 0")
    raw = (table.schema.metadata or {}).get(META_KEY)
    meta = json.loads(raw) if raw else {}
    values = numbers[list(names)].to_numpy(dtype=np.float64)
    return Posterior(names, values, weights, meta, str(path))


def choose(scenario: str, given: str | None) -> tuple[Posterior | None, str]:
    """The posterior a command uses (the option's file, 'none', or the builtin scenario's
    own) and a sentence saying which, for the command's output and manifest."""
    if given is not None and given.lower() == "none":
        return None, "parameters: the scenario's values (no posterior)"
    path = Path(given) if given is not None else builtin_posterior(scenario)
    if path is None:
        return None, "parameters: the scenario's values (no posterior)"
    posterior = load(path)
    until = posterior.meta.get("until", "?")
    where = "the builtin posterior" if given is None else f"posterior {path}"
    sentence = (
        f"parameters: {where}, calibrated on evidence to {until} "
        f"({len(posterior.weights):,} draws of {', '.join(posterior.names)})"
    )
    return posterior, sentence


def builtin_posterior(scenario: str) -> Path | None:
    """The posterior shipped with a builtin scenario, if any."""
    builtin = resources.files("resurgence.scenarios") / "builtin" / "posteriors"
    path = Path(str(builtin / f"{scenario}.parquet"))
    return path if path.is_file() else None
