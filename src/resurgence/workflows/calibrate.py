"""`rs.calibrate`: fit a scenario's free parameters to evidence by ABC-SMC.

The calibration itself is `resurgence.calibration.smc`; this workflow reads the scenario
and the evidence as the other evidence workflows do, runs it, records what it was fitted
on, and checks the posterior against every evidence row it used (a posterior predictive
check), so a row the calibrated model cannot reproduce shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from resurgence import posterior as posteriors
from resurgence import store
from resurgence.calibration.free import FreeParameter, free_parameters
from resurgence.calibration.simulator import simulate_rows
from resurgence.calibration.smc import POPULATIONS, Round
from resurgence.calibration.smc import calibrate as abc_smc
from resurgence.core.model import Model
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.engine.run import posterior_draws
from resurgence.errors import ResurgenceError
from resurgence.evidence.load import Row, resolve
from resurgence.posterior import Posterior
from resurgence.scenarios import Scenario
from resurgence.workflows.api import resolve as resolve_scenario
from resurgence.workflows.measurement import (
    Evidence,
    UnusableEvidence,
    check_month,
    read_evidence_input,
)
from resurgence.workflows.prepare import command_line, refuse_unused
from resurgence.workflows.result import Result
from resurgence.workflows.settings import Settings, settings_of

CHECK_DRAWS = 1000  # posterior draws of the predictive check
# Settings a calibration has no use for (it starts from the priors, not a posterior).
UNUSED = (
    "replicas",
    "months",
    "policies",
    "conditions",
    "definition",
    "posterior",
    "chunk_size",
    "dask_local",
    "progress",
)


@dataclass
class CalibrationResult(Result):
    """A posterior: weighted draws of the scenario's free parameters, and how it came.

    `posterior`: the `Posterior` (`.frame()`, `.describe()`); `draws`: its draws as a
    DataFrame, one column per parameter and `weight`. `summary`: per parameter, the
    prior (`prior`, `prior_low`, `prior_high`, its 90% interval `prior_q05`-`prior_q95`)
    against the weighted posterior (`mean`, `q05`, `q50`, `q95`). `populations`: one row
    per ABC-SMC population (tolerance, simulations, accepted, acceptance). `check`: per
    evidence row, the printed range (`low`, `high`) against the calibrated model's 10%,
    50% and 90% quantiles, and whether the 80% band meets it (`inside`). `skipped`: the
    evidence rows not used, with the reason. `manifest` is the posterior's own record,
    saved inside its file.
    """

    posterior: Posterior
    summary: pd.DataFrame
    populations: pd.DataFrame
    check: pd.DataFrame
    skipped: pd.DataFrame
    seconds: float

    @property
    def draws(self) -> pd.DataFrame:
        return self.posterior.frame()

    def write(self, out: str | Path) -> Path:
        """Write the posterior file (Parquet, with the manifest in its metadata): a
        calibration is one file, not a run directory, and `rs.run(posterior=FILE)` and
        every `--posterior FILE` read it."""
        path = Path(out)
        p = self.posterior
        self.posterior = Posterior(p.names, p.values, p.weights, self.manifest, str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        store.write_atomic(path, lambda tmp: posteriors.write(self.posterior, tmp))
        self.out = path
        return path

    def report(self, out: str | Path | None = None) -> Path:
        """A calibration has no HTML report of its own: its tables are this result's,
        and a run with its posterior (`rs.run(posterior=FILE)`) has one."""
        raise ResurgenceError(
            "a calibration has no HTML report; write the posterior and report a run that "
            "uses it (rs.run(..., posterior=FILE).report())"
        )


def calibrate(
    scenario: str | Path | Scenario,
    settings: Settings | None = None,
    *,
    until: str,
    evidence: Evidence = None,
    samples: int = 1000,
    populations: int = POPULATIONS,
    quantile: float = 0.5,
    batch_size: int = 1000,
    on_round: Callable[[Round], None] | None = None,
    command: str | None = None,
    **changes,
) -> CalibrationResult:
    """Which values of the scenario's free parameters (those with a prior) reproduce the
    evidence?

    ABC-SMC (ELFI's SMC): the first population keeps the best tenth of prior draws, and
    each later one proposes around the previous one and accepts below the `quantile` of
    its distances. The distance compares each evidence row with the model's figure for
    the same measure, period and area (docs/calibration.md).

    Arguments: `scenario` is a builtin name, a scenario TOML file or a loaded scenario;
    `until` the last month of evidence used, YYYY-MM; `evidence` an evidence CSV or
    DataFrame (default: the builtin scenario's own); `samples` the particles of each
    population, `populations` the rounds, `batch_size` the parameter sets per simulator
    call. Of the `settings` (or keyword `changes`), `seed`, `workers` and `dask_address`
    are used; others given are an error. `on_round(round)` is called as the calibration
    proceeds, with where it stands (a `resurgence.calibration.smc.Round`); `command` is
    the command line the posterior records (default: the equivalent one).

    Returns a `CalibrationResult`: `.posterior`, `.draws`, `.summary`, `.populations`,
    `.check`, `.skipped`, `.manifest`, and `.write(path)`, which writes the posterior
    file that `rs.run(posterior=path)` and `--posterior path` read. Raises
    `UnusableEvidence` (a `ResurgenceError`) when no evidence row up to `until` can be
    used.

    Example::

        result = rs.calibrate("isk", until="2022-12", samples=2000, seed=7, workers=4)
        result.summary[["parameter", "q05", "q50", "q95"]]
        result.write("posterior-isk.parquet")
    """
    settings = settings_of(settings, **changes)
    refuse_unused(settings, "calibrate", *UNUSED)
    check_month("--until", until)
    if samples < 1 or populations < 1 or batch_size < 1 or not 0 < quantile < 1:
        raise ResurgenceError(
            "samples, populations and batch_size must be at least 1 and quantile within (0, 1)"
        )
    argument = resolve_scenario(scenario)
    spec = argument.spec
    free = free_parameters(spec)
    table, source = read_evidence_input(evidence, scenario, argument)
    resolved = resolve(table, spec, compile_model(spec), until=until)
    if not resolved.rows:
        raise UnusableEvidence(
            f"{source}: no evidence row the model can use up to {until}", resolved.skipped
        )
    model = compile_model(spec, n_months=resolved.last_month + 1)
    started = time.perf_counter()
    posterior, records = abc_smc(
        model,
        resolved.rows,
        free,
        samples=samples,
        populations=populations,
        quantile=quantile,
        batch_size=batch_size,
        seed=settings.seed,
        workers=settings.workers,
        dask_address=settings.dask_address,
        progress=on_round,
    )
    seconds = time.perf_counter() - started
    posterior.meta.update(
        scenario=model.name,
        scenario_hash=compile_model(spec).scenario_hash,
        evidence=source,
        until=until,
        seconds=round(seconds, 1),
        command=command
        or command_line(
            "calibrate",
            argument.source or spec.scenario.name,
            evidence=None if evidence is None else str(source),
            until=until,
            samples=samples,
            populations=populations,
            quantile=quantile,
            batch_size=batch_size,
            seed=settings.seed,
        ),
    )
    return CalibrationResult(
        posterior.meta,
        posterior,
        _against_prior(posterior, free),
        pd.DataFrame([{**r.__dict__, "acceptance": r.acceptance} for r in records]),
        _predictive_check(model, resolved.rows, posterior, settings.seed),
        resolved.skipped,
        seconds,
    )


def _against_prior(posterior: Posterior, free: list[FreeParameter]) -> pd.DataFrame:
    described = posterior.describe().set_index("parameter")
    rows = []
    for p in free:
        low, high = p.interval(0.9)
        d = described.loc[p.name]
        rows.append(
            {
                "parameter": p.name,
                "prior": p.dist,
                "prior_low": p.low,
                "prior_high": p.high,
                "prior_q05": low,
                "prior_q95": high,
                "mean": d["mean"],
                "q05": d["q05"],
                "q50": d["q50"],
                "q95": d["q95"],
            }
        )
    return pd.DataFrame(rows)


def _predictive_check(model: Model, rows: list[Row], posterior: Posterior, seed: int):
    """Each row's printed figure against the model's figures under the posterior, the
    parameter sets drawn as a run draws them."""
    draws = posterior_draws(with_posterior(model, posterior), CHECK_DRAWS, seed, "run", 0)
    values = simulate_rows(model, rows, draws, seed)
    q10, q50, q90 = np.quantile(values, [0.1, 0.5, 0.9], axis=0)
    low = np.array([r.low for r in rows])
    high = np.array([r.high for r in rows])
    return pd.DataFrame(
        {
            "row": [r.label for r in rows],
            "low": low,
            "high": high,
            "q10": q10,
            "q50": q50,
            "q90": q90,
            "inside": (q10 <= high) & (q90 >= low),
        }
    )
