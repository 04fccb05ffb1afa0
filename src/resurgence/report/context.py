"""What the sections of a page read: the run directory, its manifest and its tables, and
the scenario behind the run.

The scenario is loaded from the `source` argument, else the manifest's `scenario_source`,
else the scenario argument of the manifest's `command`, else the builtin scenario of the
manifest's name; when it cannot be read the page says so and marks no event, and when the
manifest has the scenario's hash and the file no longer matches it, the page says that too.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from resurgence import store
from resurgence.errors import ResurgenceError
from resurgence.report.events import EventMark, event_label, event_marks


def read_manifest(run_dir: Path, commands: Sequence[str]) -> dict:
    """The manifest of a complete run directory; `commands` (those that write one) are
    named when the directory is not a run's."""
    if not run_dir.exists():
        raise ResurgenceError(f"{run_dir}: no such directory")
    if not run_dir.is_dir():
        raise ResurgenceError(f"{run_dir}: not a directory; give the output directory of a run")
    path = run_dir / store.MANIFEST
    if not path.is_file():
        names = [f"`resurgence {commands[0]}`", *(f"`{c}`" for c in commands[1:])]
        raise ResurgenceError(
            f"{run_dir}: not a complete run (no {store.MANIFEST}); give a directory written by "
            f"{', '.join(names[:-1])} or {names[-1]}, after it finished"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResurgenceError(f"{path}: not a readable manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("complete") is not True:
        raise ResurgenceError(f"{path}: the manifest does not mark a complete run")
    missing = [name for name in manifest.get("outputs", []) if not (run_dir / name).exists()]
    if missing:
        raise ResurgenceError(
            f"{run_dir}: not a complete run; missing {', '.join(missing)} "
            f"(listed in {store.MANIFEST})"
        )
    return manifest


@dataclass
class Context:
    """A run directory, its manifest, and the scenario behind it as far as it can be found.
    `notes` go to the top of the page; sections add theirs."""

    run_dir: Path
    manifest: dict
    spec: object | None  # resurgence.scenarios.Scenario
    events: list[EventMark]
    event_rows: list[tuple[str, str, str, str]]
    notes: list[str]

    def table(self, name: str) -> pd.DataFrame:
        path = self.run_dir / name
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several kinds for a damaged file
            raise ResurgenceError(f"{path}: cannot read the table ({exc})") from None

    @property
    def definition(self) -> str:
        """The run's definition of resurgence, in words."""
        r = self.manifest.get("resurgence") or {}
        return str(r.get("definition_text") or r.get("text") or "")

    def actor_label(self, name: str) -> str:
        if self.spec is None:
            return name
        base, _, faction = name.partition(".")
        for actor in self.spec.actors:
            if actor.name == base:
                if not faction:
                    return actor.label or name
                for f in actor.factions:
                    if f.name == faction:
                        return f"{actor.label or base}: {f.label or faction}"
        return name

    def region_label(self, name: str) -> str:
        if self.spec is None:
            return name
        for region in self.spec.regions:
            if region.name == name:
                return region.label or name
        return name


def _scenario_in_command(manifest: dict) -> str | None:
    """The scenario argument of the recorded command (`resurgence compare FILE ...`), for
    manifests that do not record `scenario_source`."""
    try:
        tokens = shlex.split(str(manifest.get("command") or ""))
    except ValueError:
        return None
    kind = str(manifest.get("kind") or "run")  # the command that wrote the run
    if len(tokens) >= 3 and tokens[:2] == ["resurgence", kind]:
        return None if tokens[2].startswith("-") else tokens[2]
    return None


def load_context(run_dir: Path, manifest: dict, source: str | None) -> Context:
    """The context of a run, with the scenario (and the run's policies) loaded from
    `source` or from where the manifest says (see the module's docstring)."""
    from resurgence.scenarios import load_policy, load_scenario

    source = (
        source
        or manifest.get("scenario_source")
        or _scenario_in_command(manifest)
        or manifest.get("scenario")
    )
    if not source:
        note = "The manifest names no scenario: no event is marked."
        return Context(run_dir, manifest, None, [], [], [note])
    try:
        spec = load_scenario(str(source))
    except ResurgenceError as exc:
        note = (
            f"The scenario could not be read, so its events are not marked on the time "
            f"axes: {exc}. Pass its file with `resurgence report RUN_DIR --scenario FILE`."
        )
        return Context(run_dir, manifest, None, [], [], [note])
    notes = []
    if spec.scenario.name != manifest.get("scenario", spec.scenario.name):
        notes.append(
            f"The scenario found ({source}) is named {spec.scenario.name!r}, not "
            f"{manifest.get('scenario')!r} as in the run; its events are marked all the same."
        )
    timeline = [(e, "") for e in spec.events]
    policies = manifest.get("policies") or []
    layered = []
    for name in policies:
        try:
            layered.append(load_policy(name, spec))
        except ResurgenceError:
            notes.append(
                f"The run's policy {name!r} could not be found; its events are not marked."
            )
    timeline += [(e, p.name) for p in layered for e in p.events]
    expected = manifest.get("scenario_hash")
    if expected and len(layered) == len(policies):
        from resurgence.engine.compile import compile_model

        try:
            found = compile_model(spec, layered).scenario_hash
        except ResurgenceError:
            found = expected
        if found != expected:
            notes.append(
                f"The scenario file ({source}) has changed since the run (hash {found}, the "
                f"run's {expected}); the events marked are the file's current ones."
            )
    rows = [
        (e.month, event_label(e.label, policy), e.source, e.assumption)
        for e, policy in sorted(timeline, key=lambda item: item[0].month)
    ]
    return Context(run_dir, manifest, spec, event_marks(timeline), rows, notes)
