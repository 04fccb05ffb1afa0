"""`rs.nowcast`, `rs.forecast` and `rs.backtest`: the model read against evidence.

Each takes a scenario (a builtin name, a scenario file or a loaded scenario) and evidence:
the builtin scenario's own attack series, an evidence CSV, or a DataFrame with the columns
of one (docs/calibration.md). It compiles the scenario with its posterior, runs the
particle filter through the evidence and returns a result holding its tables, which
writes the same files as the command of the same name. How evidence is read and checked
is shared with `rs.calibrate`, so every workflow accepts it in the same forms.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from resurgence import store
from resurgence.analysis.backtest import backtest as score_forecasts
from resurgence.analysis.forecast import forecast as project
from resurgence.analysis.nowcast import nowcast as filter_evidence
from resurgence.core.model import Model
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.errors import ResurgenceError
from resurgence.evidence.load import Resolved, builtin_evidence, read_evidence, resolve
from resurgence.months import month_offset, parse_month
from resurgence.scenarios import Scenario
from resurgence.workflows import api
from resurgence.workflows.api import ScenarioArgument
from resurgence.workflows.prepare import command_line, refuse_unused
from resurgence.workflows.result import Result, manifest_header
from resurgence.workflows.settings import Settings, settings_of

Evidence = str | Path | pd.DataFrame | None
OnStage = Callable[[str, int | None], None] | None

DATAFRAME = "<DataFrame>"  # what evidence given as a DataFrame is called in messages
DEFAULT_PARTICLES = 2000
DEFAULT_FORECAST_MONTHS = 12
# Settings no measurement uses (`months` is the forecast's): refused rather than ignored.
UNUSED = (
    "replicas",
    "policies",
    "conditions",
    "definition",
    "chunk_size",
    "dask_address",
    "dask_local",
)


class UnusableEvidence(ResurgenceError):
    """No evidence row the model can use. `skipped` holds every row left out with its
    reason, so the caller can show what was left out and why."""

    def __init__(self, message: str, skipped: pd.DataFrame):
        super().__init__(message)
        self.skipped = skipped


def check_month(option: str, value: str | None) -> None:
    """A month given as YYYY-MM (or not given), else one error naming the option."""
    if value is None:
        return
    try:
        parse_month(value)
    except ValueError as exc:
        raise ResurgenceError(f"{option}: {exc}") from None


def read_evidence_input(
    given: Evidence, scenario: str | Path | Scenario, argument: ScenarioArgument
) -> tuple[pd.DataFrame, str]:
    """The evidence table, checked, and what to call it: `given` as a file or a
    DataFrame, or by default the builtin scenario's own file, named by its place in the
    package so that a record of it reads the same on every machine (`scenario` as given
    names the scenario when it ships none)."""
    if isinstance(given, pd.DataFrame):
        return _read_frame(given), DATAFRAME
    if given is not None:
        return read_evidence(given), str(given)
    builtin = builtin_evidence(argument.builtin) if argument.builtin else None
    if builtin is None:
        named = argument.spec.scenario.name if isinstance(scenario, Scenario) else scenario
        raise ResurgenceError(f"scenario {str(named)!r} ships no evidence; give --evidence FILE")
    return read_evidence(builtin), f"resurgence/evidence/builtin/{builtin.name}"


def _read_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A DataFrame of evidence, checked by the rules and with the messages of a file: it
    is written as CSV and read back, so its line numbers are those of that CSV (the
    header is line 1, the frame's first row line 2)."""
    with tempfile.TemporaryDirectory(prefix="resurgence-evidence-") as tmp:
        path = Path(tmp) / "evidence.csv"
        frame.to_csv(path, index=False)
        try:
            return read_evidence(path)
        except ResurgenceError as exc:
            raise ResurgenceError(str(exc).replace(str(path), DATAFRAME)) from None


@dataclass(frozen=True)
class _Reading:
    """A scenario compiled with its posterior, and the evidence it is read against."""

    argument: ScenarioArgument
    model: Model
    parameters: str  # which parameters the particles draw, as a sentence
    evidence: pd.DataFrame
    source: str  # the evidence file, or DATAFRAME

    @property
    def scenario_source(self) -> str:
        """Where the scenario can be read again, for the manifest's command line."""
        return self.argument.source or self.argument.spec.scenario.name

    def resolve(self, *, until: str | None = None) -> Resolved:
        return resolve(self.evidence, self.argument.spec, self.model, until=until)

    def offset(self, option: str, month: str) -> int:
        """The month's offset into the model, which must simulate it."""
        check_month(option, month)
        offset = month_offset(self.model.start, month)
        if not 0 <= offset < self.model.n_months:
            raise ResurgenceError(
                f"{option}: {month} is outside the scenario's months "
                f"({self.model.start} to {self.model.months[-1]})"
            )
        return offset

    def lengthened(self, n_months: int, posterior: str | None) -> _Reading:
        """The same reading of a model run for `n_months` (past the scenario's end, its
        last conditions hold)."""
        model, _ = _compiled(self.argument, posterior, n_months)
        return replace(self, model=model)


def _compiled(
    argument: ScenarioArgument, posterior: str | None, n_months: int | None
) -> tuple[Model, str]:
    drawn, parameters = argument.posterior(posterior)
    model = compile_model(argument.spec, n_months=n_months)
    return (model if drawn is None else with_posterior(model, drawn)), parameters


def _read(scenario: str | Path | Scenario, evidence: Evidence, settings: Settings) -> _Reading:
    argument = api.resolve(scenario)
    model, parameters = _compiled(argument, settings.posterior, None)
    table, source = read_evidence_input(evidence, scenario, argument)
    return _Reading(argument, model, parameters, table, source)


def _settings(settings: Settings | None, workflow: str, changes: dict, *unused: str) -> Settings:
    settings = settings_of(settings, **changes)
    refuse_unused(settings, workflow, *UNUSED, *unused)
    return settings


def _check_particles(particles: int) -> None:
    if particles < 2:
        raise ResurgenceError(f"--particles: at least 2 particles, not {particles}")


@dataclass
class NowcastResult(Result):
    """The group's latent strength month by month, as the evidence reveals it.

    `bands`: per month and variable (members, treasury, posture, cohesion,
    expected_attacks), the filtered mean and the 10%, 50% and 90% quantiles.
    `decomposition`: per month from the second, the change in expected attacks split by
    cause (members, money, posture, cohesion, other) plus the `revision` the evidence
    made. `ess`: the filter's effective sample size after each month's evidence. `rows`:
    how many evidence rows were used; `skipped`: the others, with the reason.
    """

    bands: pd.DataFrame
    decomposition: pd.DataFrame
    ess: pd.Series
    rows: int
    skipped: pd.DataFrame

    def _write_tables(self, out: Path) -> None:
        store.write_parquet(out / store.NOWCAST, self.bands)
        store.write_parquet(out / store.DECOMPOSITION, self.decomposition)


@dataclass
class ForecastResult(Result):
    """The months after an origin, projected from the state the evidence up to it
    reveals.

    `summary`: the schema of `rs.run`'s summary (month, variable, actor, region, mean and
    quantiles) for the forecast months, with the evidence's measures (attacks_claimed,
    attacks_recorded, fighters, fatalities) among its variables. `focal`: the scenario's
    focal group, whose rows over all regions (`region == "all"`) are the headline.
    `rows`: how many evidence rows conditioned the forecast; `skipped`: the others.
    """

    summary: pd.DataFrame
    focal: str
    rows: int
    skipped: pd.DataFrame

    def _write_tables(self, out: Path) -> None:
        store.write_summary(out, self.summary)


@dataclass
class BacktestResult(Result):
    """Forecasts from rolling origins scored against what was printed afterwards.

    `scores`: one row per origin, target and method (the model and the baselines
    persistence, rolling_mean and negative_binomial) with its CRPS and interval coverage.
    `table`: per method and measure, the number of targets, mean CRPS (lower is
    better), skill against persistence and the coverage of the 50% and 80% intervals.
    `unscored`: targets no baseline could be fitted for, with the reason. `lookahead`:
    the last month of evidence the posterior was calibrated on, when it is after the
    first origin (the model's scores then saw the future), else None. `rows` and
    `skipped` as for a nowcast.
    """

    scores: pd.DataFrame
    table: pd.DataFrame
    unscored: pd.DataFrame
    lookahead: str | None
    rows: int
    skipped: pd.DataFrame

    def _write_tables(self, out: Path) -> None:
        store.write_parquet(out / store.BACKTEST, self.scores)
        store.write_parquet(out / store.BACKTEST_SUMMARY, self.table)
        record = {"command": self.manifest["command"], "seed": self.manifest["seed"]}
        store.write_text(out / store.BACKTEST_JSON, json.dumps(record, indent=1))


def nowcast(
    scenario: str | Path | Scenario,
    settings: Settings | None = None,
    *,
    evidence: Evidence = None,
    until: str | None = None,
    particles: int = DEFAULT_PARTICLES,
    on_stage: OnStage = None,
    command: str | None = None,
    **changes,
) -> NowcastResult:
    """How strong is the group, month by month, given the evidence, and why did its
    expected attacks change?

    A particle filter runs from the scenario's start to `until`, weighing each month's
    particles by the evidence; each change in expected attacks is split into lost
    capability (members), money, posture, cohesion and the rest, so that a fall in
    attacks can be read as one or another.

    Arguments: `scenario` is a builtin name, a scenario TOML file or a loaded scenario;
    `evidence` an evidence CSV or DataFrame (default: the builtin scenario's own);
    `until` the last month to estimate, YYYY-MM (default: the evidence's last month);
    `particles` the filter's size. Of the `settings` (or keyword `changes` to them),
    `seed`, `posterior` (as in `rs.run`), `workers` (processes that step the particles;
    the result does not depend on it) and `progress` (called once per month filtered)
    are used; others given are an error. `on_stage(label, months)` is called when the
    filter starts; `command` is the command line the manifest records (default: the
    equivalent one).

    Returns a `NowcastResult`: `.bands`, `.decomposition`, `.ess`, `.skipped`,
    `.manifest`, `.write(dir)` (nowcast.parquet, decomposition.parquet, manifest.json).
    Raises `UnusableEvidence` (a `ResurgenceError`) when no evidence row can be used.

    Example::

        result = rs.nowcast("isk", until="2022-12", particles=5000, seed=7)
        result.bands.query("variable == 'members'")
    """
    settings = _settings(settings, "nowcast", changes, "months")
    check_month("--until", until)
    _check_particles(particles)
    reading = _read(scenario, evidence, settings)
    resolved = reading.resolve(until=until)
    if not resolved.rows:
        raise UnusableEvidence(
            f"{reading.source}: no evidence row the model can use", resolved.skipped
        )
    last = reading.offset("--until", until) if until else resolved.last_month
    model = reading.model
    if on_stage is not None:
        on_stage("filtering", last + 1)
    filtered = filter_evidence(
        model,
        resolved.rows,
        particles,
        settings.seed,
        months=last + 1,
        progress=settings.progress,
        workers=settings.workers,
    )
    months = pd.Index(model.months[: last + 1], name="month")
    command = command or command_line(
        "nowcast",
        reading.scenario_source,
        evidence=_named(evidence),
        until=until,
        posterior=settings.posterior,
        particles=particles,
        seed=settings.seed,
    )
    manifest = manifest_header("nowcast", command, dated=False) | {
        "scenario": model.name,
        "start": model.start,
        "until": model.months[last],
        "evidence": reading.source,
        "parameters": reading.parameters,
        "particles": particles,
        "seed": settings.seed,
    }
    return NowcastResult(
        manifest,
        filtered.bands,
        filtered.decomposition,
        pd.Series(filtered.ess, index=months, name="ess"),
        len(resolved.rows),
        resolved.skipped,
    )


def forecast(
    scenario: str | Path | Scenario,
    settings: Settings | None = None,
    *,
    origin: str,
    evidence: Evidence = None,
    particles: int = DEFAULT_PARTICLES,
    on_stage: OnStage = None,
    command: str | None = None,
    **changes,
) -> ForecastResult:
    """What comes after `origin`, given the evidence up to it?

    The particle filter weighs the evidence that ends at or before the origin, then the
    particles are projected `months` ahead. The scenario's events before and after the
    origin apply; months past the scenario's end keep its last conditions, as a run's
    `months` does. Without evidence up to the origin, the forecast is the model's own.

    Arguments: `scenario` and `evidence` as in `rs.nowcast`; `origin` the last month of
    evidence used, YYYY-MM; `particles` the filter's size. Of the `settings` (or keyword
    `changes`), `months` (how many months ahead, default 12), `seed`, `posterior`,
    `workers` (as in `rs.nowcast`) and `progress` (once per month filtered or projected)
    are used; others given are an error. `on_stage(label, months)` is called when the
    work starts; `command` as in `rs.nowcast`.

    Returns a `ForecastResult`: `.summary`, `.skipped`, `.manifest`, `.write(dir)`
    (summary.parquet, manifest.json).

    Example::

        result = rs.forecast("isk", origin="2022-12", months=24, seed=7)
        result.summary.query("variable == 'attacks_claimed' and region == 'all'")
    """
    settings = _settings(settings, "forecast", changes)
    months = DEFAULT_FORECAST_MONTHS if settings.months is None else settings.months
    if months < 1:
        raise ResurgenceError(f"--months: at least 1 month ahead, not {months}")
    _check_particles(particles)
    reading = _read(scenario, evidence, settings)
    at = reading.offset("--from", origin)
    if at + months >= reading.model.n_months:  # past the scenario's end
        reading = reading.lengthened(at + months + 1, settings.posterior)
    model = reading.model
    resolved = reading.resolve(until=origin)
    if on_stage is not None:
        on_stage("forecasting", at + months + 1)
    summary = project(
        model,
        resolved.rows,
        at,
        months,
        particles,
        settings.seed,
        progress=settings.progress,
        workers=settings.workers,
    )
    command = command or command_line(
        "forecast",
        reading.scenario_source,
        **{"from": origin},
        months=months,
        evidence=_named(evidence),
        posterior=settings.posterior,
        particles=particles,
        seed=settings.seed,
    )
    manifest = manifest_header("forecast", command, dated=False) | {
        "scenario": model.name,
        "origin": origin,
        "months": months,
        "evidence": reading.source,
        "parameters": reading.parameters,
        "particles": particles,
        "seed": settings.seed,
    }
    return ForecastResult(manifest, summary, model.units[0], len(resolved.rows), resolved.skipped)


def backtest(
    scenario: str | Path | Scenario,
    settings: Settings | None = None,
    *,
    train_until: str,
    horizon: int = 12,
    step: int = 1,
    evidence: Evidence = None,
    particles: int = DEFAULT_PARTICLES,
    on_stage: OnStage = None,
    command: str | None = None,
    **changes,
) -> BacktestResult:
    """Would the model have forecast the evidence better than simple baselines?

    From `train_until`, every `step` months, the model forecasts each later evidence row
    that ends within `horizon` months; so do three baselines fitted on the rows printed
    by then (persistence of the last rate, a rolling mean, a negative binomial). Each
    forecast is scored by its CRPS and the coverage of its 50% and 80% intervals.

    Arguments: `scenario` and `evidence` as in `rs.nowcast`; `train_until` the last
    training month (the first origin), YYYY-MM; `horizon` the months ahead scored;
    `step` the months between origins; `particles` the filter's size. Of the `settings`
    (or keyword `changes`), `seed`, `posterior`, `workers` (as in `rs.nowcast`) and
    `progress` (once per month filtered) are used; others given are an error.
    `on_stage(label, months)` is called when the filter starts; `command` as in
    `rs.nowcast`.

    Returns a `BacktestResult`: `.scores`, `.table`, `.unscored`, `.lookahead`,
    `.manifest`, `.write(dir)` (backtest.parquet, backtest_summary.parquet,
    backtest.json, manifest.json). Raises `ResurgenceError` when no target can be
    scored.

    Example::

        result = rs.backtest("isk", train_until="2021-12", horizon=12, posterior="none")
        result.table[["method", "measure", "crps", "skill"]]
    """
    settings = _settings(settings, "backtest", changes, "months")
    if horizon < 1 or step < 1:
        raise ResurgenceError(f"--horizon and --step: at least 1 month, not {horizon}, {step}")
    _check_particles(particles)
    reading = _read(scenario, evidence, settings)
    model = reading.model
    at = reading.offset("--train-until", train_until)
    resolved = reading.resolve()
    if not resolved.rows or resolved.last_month <= at:
        raise ResurgenceError(
            f"{reading.source}: no evidence row ends after --train-until {train_until}"
        )
    if on_stage is not None:
        on_stage("backtesting", resolved.last_month)
    scored = score_forecasts(
        model,
        reading.evidence,
        resolved.rows,
        at,
        horizon,
        particles,
        settings.seed,
        step=step,
        progress=settings.progress,
        workers=settings.workers,
    )
    if scored.scores.empty:
        raise ResurgenceError(
            "no target could be scored: no single-figure count row starts after an origin "
            "and ends within the horizon with an earlier figure of its measure and area"
        )
    command = command or command_line(
        "backtest",
        reading.scenario_source,
        train_until=train_until,
        horizon=horizon,
        step=step,
        evidence=_named(evidence),
        posterior=settings.posterior,
        particles=particles,
        seed=settings.seed,
    )
    manifest = manifest_header("backtest", command, dated=False) | {
        "scenario": model.name,
        "train_until": train_until,
        "horizon": horizon,
        "step": step,
        "evidence": reading.source,
        "parameters": reading.parameters,
        "particles": particles,
        "seed": settings.seed,
    }
    return BacktestResult(
        manifest,
        scored.scores,
        scored.table,
        scored.unscored,
        _lookahead(model, train_until),
        len(resolved.rows),
        resolved.skipped,
    )


def _lookahead(model: Model, train_until: str) -> str | None:
    """The month the posterior's evidence ends, when after the first origin."""
    fitted = model.posterior.meta.get("until") if model.posterior is not None else None
    return fitted if fitted and month_offset(train_until, fitted) > 0 else None


def _named(evidence: Evidence) -> str | None:
    """Evidence as a command line names it."""
    if isinstance(evidence, pd.DataFrame):
        return DATAFRAME
    return None if evidence is None else str(evidence)
