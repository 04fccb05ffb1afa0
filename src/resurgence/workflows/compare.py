"""`rs.compare`: policies against the baseline on common random numbers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from resurgence import store
from resurgence.analysis.compare import Arm, run_arm, summarise_arms
from resurgence.analysis.resurgence import Definition
from resurgence.errors import ResurgenceError
from resurgence.months import month_range
from resurgence.scenarios import Scenario, load_policy, policy_names
from resurgence.workflows.api import resolve
from resurgence.workflows.prepare import command_line, definition_of, refuse_unused
from resurgence.workflows.result import Result, manifest_header, timing_write
from resurgence.workflows.settings import Settings, settings_of


@dataclass
class Comparison(Result):
    """Every arm against the baseline, paired replica by replica.

    `arms`: one row per arm (the baseline first) with its resurgence probability and
    interval, and its paired difference from the baseline (`diff`, `diff_low`,
    `diff_high`). `trajectories`: per arm, month and variable (members, treasury,
    reported_attacks), the baseline's and the arm's means and their paired difference.
    `differences`: both kinds of difference in one table. `parameters` says which
    parameters the replicas drew (the posterior, or the scenario's values).
    """

    arms: pd.DataFrame
    trajectories: pd.DataFrame
    months: list[str]
    definition: Definition
    title: str
    parameters: str
    seconds: float = field(default=0.0, kw_only=True, repr=False)

    @property
    def differences(self) -> pd.DataFrame:
        """Each arm's paired difference from the baseline with its 95% interval, one row
        per arm and outcome: the resurgence probability, then each trajectory at the last
        month. An arm identical to the baseline differs by exactly zero."""
        probability = self.arms[["arm", "diff", "diff_low", "diff_high"]].assign(
            outcome="probability"
        )
        last = self.trajectories[self.trajectories["month"] == self.months[-1]]
        trajectories = last.rename(columns={"variable": "outcome", "diff_mean": "diff"})
        order = {name: i for i, name in enumerate(self.arms["arm"])}
        frame = pd.concat([probability, trajectories], ignore_index=True)
        frame = frame.sort_values("arm", key=lambda s: s.map(order), kind="stable")
        return frame[["arm", "outcome", "diff", "diff_low", "diff_high"]].reset_index(drop=True)

    def _write_tables(self, out: Path) -> None:
        with timing_write(self.manifest, self.seconds):
            store.write_parquet(out / store.ARMS, self.arms)
            store.write_parquet(out / store.TRAJECTORIES, self.trajectories)


def arms_of(spec: Scenario, names: list[str]) -> list[Arm]:
    """The baseline, then one arm per policy; 'A+B' layers several policies in one arm.
    No names: every policy of the scenario."""
    names = names or policy_names(spec)
    if not names:
        raise ResurgenceError(
            f"scenario {spec.scenario.name!r} has no policies; name one with --policy"
        )
    arms = [Arm("baseline", [])]
    for name in names:
        parts = [p for p in name.split("+") if p]
        if not parts:
            raise ResurgenceError(f"--policy: empty policy name in {name!r}")
        arms.append(Arm(name, [load_policy(p, spec) for p in parts]))
    return arms


def compare(
    scenario: str | Path | Scenario,
    settings: Settings | None = None,
    *,
    on_stage: Callable[[str, int | None], None] | None = None,
    command: str | None = None,
    **changes,
) -> Comparison:
    """What does each policy change, against the baseline, in the probability of
    resurgence and in the group's members, cash and attacks?

    Every arm (the baseline, then one per policy) runs the same replicas from the same
    seed; each process draws from its own stream, so the arms differ by what the policy
    changed, not by luck, and differences are paired replica by replica. With a
    posterior, replica i draws the same parameters in every arm.

    Arguments: `scenario` is a builtin name, a scenario TOML file or a loaded scenario;
    `settings` (or keyword `changes` to them, e.g. `replicas=2000`) as in `rs.run`, where
    `policies` are the arms: a policy name or file each, 'A+B' layering both in one arm
    (default: every policy of the scenario). At least 2 replicas. `on_stage(arm,
    replicas)` is called as each arm starts; `settings.progress` counts its replicas.
    `command` is the command line the manifest records (default: the equivalent one).

    Returns a `Comparison`: `.arms`, `.trajectories`, `.differences`, `.manifest`,
    `.write(dir)` (arms.parquet, trajectories.parquet, manifest.json), `.report()`.

    Example::

        result = rs.compare("isk", policies=["ttp_mediation"], replicas=2000)
        result.differences.query("outcome == 'probability'")
    """
    started = time.perf_counter()
    settings = settings_of(settings, **changes)
    refuse_unused(settings, "compare", "conditions", "dask_address", "dask_local")
    if settings.replicas < 2:
        raise ResurgenceError("--replicas: a paired comparison needs at least 2 replicas")
    argument = resolve(scenario)
    spec = argument.spec
    definition = definition_of(spec, settings.definition)
    arms = arms_of(spec, list(settings.policies))
    drawn, parameters = argument.posterior(settings.posterior)

    outcomes = []
    for arm in arms:
        if on_stage is not None:
            on_stage(arm.name, settings.replicas)
        outcomes.append(
            run_arm(
                spec,
                arm,
                settings.replicas,
                settings.seed,
                definition,
                months=settings.months,
                workers=settings.workers,
                chunk_size=settings.chunk_size,
                progress=settings.progress,
                posterior=drawn,
            )
        )
    months = month_range(spec.scenario.start, outcomes[0].series["members"].shape[1])
    summary = summarise_arms(outcomes, months)
    command = command or command_line(
        "compare",
        argument.source or spec.scenario.name,
        policy=list(settings.policies),
        replicas=settings.replicas,
        months=settings.months,
        seed=settings.seed,
        chunk_size=settings.chunk_size,
        posterior=settings.posterior,
        **settings.definition,
    )
    manifest = manifest_header("compare", command) | {
        "scenario": spec.scenario.name,
        "arms": [{"name": a.name, "policies": [p.name for p in a.policies]} for a in arms],
        "seed": settings.seed,
        "parameters": parameters,
        "posterior": drawn.source if drawn else None,
        "replicas": settings.replicas,
        "months": len(months),
        "chunk_size": settings.chunk_size,
        "resurgence": {"definition": definition.as_dict(), "text": definition.describe()},
        "results": summary.arms.to_dict(orient="records"),
        "timings": {"total_s": round(time.perf_counter() - started, 3)},
        "outputs": [store.ARMS, store.TRAJECTORIES, store.MANIFEST],
    }
    return Comparison(
        manifest,
        summary.arms,
        summary.trajectories,
        months,
        definition,
        spec.scenario.title,
        parameters,
        seconds=time.perf_counter() - started,
    )
