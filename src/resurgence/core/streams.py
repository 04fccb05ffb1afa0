"""Every random stream the toolkit draws from, keyed by name, in one registry.

A stream is `SeedSequence(seed, spawn_key=(purpose, *key))`: the purpose says which
workflow draws (a run's chunk, calibration, the particle filter, a forecast, a
backtest, a sampling design, the stylized check), and the key says which stream within
it, by numbers (a chunk's index, a row) and names (a process, "events", "observe"). A name
becomes a number through a stable hash (`name_key`), so a process's stream follows its
name, not its place in the month: a process can be inserted anywhere without moving the
random numbers of the others (common random numbers across policies rely on that).

Purposes never share a stream, since the first element of the key differs; within a
purpose, names are checked for hash collisions by the tests. `SCHEME` numbers the scheme:
a run records it, and `--resume` refuses a run written under another.
"""

from __future__ import annotations

import hashlib

import numpy as np

SCHEME = 2

PURPOSES: dict[str, int] = {
    "run": 0,  # a chunk of replicas: (chunk index, sub-stream name)
    "calibration": 1,  # the figures evidence rows would print: ("measure", ...), ("row", i)
    "filter": 2,  # the particle filter: its engine's sub-streams, "rows", "resample"
    "forecast": 3,  # a projection from a month: (first month, sub-stream name), "origin"
    "backtest": 4,  # a backtest's ancestors and baseline samples
    "design": 5,  # sampling designs: "discover" (Latin hypercube), "sensitivity" (seeds)
    "check": 6,  # the stylized check's synthetic event series
}

CHUNK_STREAMS = ("events", "observe", "posterior")
"""A chunk's sub-streams besides one per process (named after the process): scheduled
events, the observation model, and the chunk's parameter sets from a posterior."""


def name_key(name: str) -> int:
    """A stable 32-bit number for a stream's name."""
    return int.from_bytes(hashlib.blake2s(name.encode(), digest_size=4).digest(), "big")


def spawn_key(purpose: str, *key: int | str) -> tuple[int, ...]:
    """The spawn key of the stream `key` of `purpose` (names hashed with `name_key`)."""
    if purpose not in PURPOSES:
        raise KeyError(f"unknown stream purpose {purpose!r}; one of {', '.join(PURPOSES)}")
    return (PURPOSES[purpose], *(name_key(k) if isinstance(k, str) else int(k) for k in key))


def seed_sequence(seed: int, purpose: str, *key: int | str) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=spawn_key(purpose, *key))


def stream(seed: int, purpose: str, *key: int | str) -> np.random.Generator:
    """The generator of stream `key` of `purpose` for a run seeded with `seed`."""
    return np.random.default_rng(seed_sequence(seed, purpose, *key))
