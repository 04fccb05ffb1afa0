"""The settings a workflow runs with, in one object instead of long argument lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

DEFAULT_SEED = 20240101


@dataclass(frozen=True, kw_only=True)
class Settings:
    """How to run a scenario: how many replicas, from which seed, for how long, with which
    policies, parameters and resurgence definition, and on which workers.

    `definition` overrides fields of the scenario's `[resurgence]` table (`measure`,
    `threshold`, `consecutive`, `start`, `horizon`, `regions`). `conditions` turns the
    scenario's conditions of resurgence, by name, to a level in [-1, 1]: -1 against the
    group, 0 the scenario's values, +1 in its favour (`analysis.conditions.at_levels`).
    `posterior` is None for the scenario's shipped posterior when it has one, "none" for
    the scenario's own values, or a posterior file. `progress(n)` is called as units of
    work complete. Results depend on the seed and the chunk size, never on the workers or
    the executor.
    """

    replicas: int = 1000
    seed: int = DEFAULT_SEED
    months: int | None = None
    policies: tuple[str, ...] = ()
    definition: dict = field(default_factory=dict)
    conditions: dict = field(default_factory=dict)
    posterior: str | None = None
    workers: int = 1
    chunk_size: int = 1000
    dask_address: str | None = None
    dask_local: int | None = None
    progress: Callable[[int], None] | None = field(default=None, compare=False)

    def but(self, **changes) -> Settings:
        """A copy with some settings changed (`None` values leave a setting as it is)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def settings_of(settings: Settings | None, **changes) -> Settings:
    """`settings` (or the defaults) with keyword changes applied; unknown names are an
    error, so a typo never passes silently."""
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise TypeError(
            f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    if "policies" in changes and isinstance(changes["policies"], str):
        changes["policies"] = (changes["policies"],)
    if changes.get("policies") is not None:
        changes["policies"] = tuple(changes["policies"])
    return (settings or Settings()).but(**changes)
