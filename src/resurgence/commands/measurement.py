"""`resurgence nowcast`, `forecast` and `backtest`: the model read against evidence."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from resurgence import store
from resurgence.commands.common import console, default_out, errors, handles_errors
from resurgence.commands.evidence_options import (
    EvidenceFile,
    PosteriorFile,
    attach_posterior,
    check_month,
    evidence_path,
    print_skipped,
    say_parameters,
)
from resurgence.engine.compile import compile_model
from resurgence.errors import ResurgenceError
from resurgence.evidence.load import read_evidence, resolve
from resurgence.months import month_offset
from resurgence.scenario import load_scenario

Particles = typer.Option(
    2000, "--particles", "-n", min=50, max=1_000_000, help="Particles of the filter."
)
Seed = typer.Option(20240101, "--seed", "-s", min=0, help="Seed; the same seed, the same result.")


@contextmanager
def _months_bar(what: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar over months; yields the callback that advances it."""
    with Progress(
        TextColumn(f"[bold]{what}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("months"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=total)
        yield lambda k: bar.advance(task, k)


def _prepare(scenario: str, evidence: Path | None, posterior: str | None, months: int | None):
    spec = load_scenario(scenario)
    model, parameters = attach_posterior(compile_model(spec, n_months=months), scenario, posterior)
    path = evidence_path(scenario, evidence)
    return spec, model, parameters, path, read_evidence(path)


def _offset(model, option: str, month: str) -> int:
    check_month(option, month)
    offset = month_offset(model.start, month)
    if not 0 <= offset < model.n_months:
        raise ResurgenceError(
            f"{option}: {month} is outside the scenario's months "
            f"({model.start} to {model.months[-1]})"
        )
    return offset


@handles_errors
def nowcast_command(
    scenario: str = typer.Argument(..., help="A builtin scenario name or a scenario file."),
    evidence: EvidenceFile = None,
    until: str = typer.Option(
        None, "--until", help="Last month to estimate (default: the evidence's last month)."
    ),
    posterior: PosteriorFile = None,
    particles: int = Particles,
    seed: int = Seed,
    out: Path = typer.Option(None, "--out", "-o", help="Output directory."),
) -> None:
    """Estimate the group's latent strength month by month from evidence (particle filter).

    Prints members, treasury, posture and cohesion with 80% bands, and splits each change
    in expected attacks into lost capability (members), money, posture, cohesion and the
    rest, so a fall in attacks can be read as one or another. Writes nowcast.parquet
    (bands) and decomposition.parquet to --out.

    Examples:

      resurgence nowcast isk

      resurgence nowcast isk --evidence isk_ged.csv --until 2023-06 --particles 10000
    """
    from resurgence.analysis.nowcast import nowcast

    check_month("--until", until)
    spec, model, parameters, path, table = _prepare(scenario, evidence, posterior, None)
    resolved = resolve(table, spec, model, until=until)
    if not resolved.rows:
        print_skipped(resolved.skipped)
        raise ResurgenceError(f"{path}: no evidence row the model can use")
    last = _offset(model, "--until", until) if until else resolved.last_month
    out = out or default_out(scenario, "nowcast")
    console.print(
        f"Nowcast of {model.name} from {len(resolved.rows)} evidence rows of {path}, "
        f"{model.start} to {model.months[last]}, {particles:,} particles, seed {seed}"
    )
    say_parameters(parameters)
    print_skipped(resolved.skipped)
    with _months_bar("filtering", last + 1) as advance:
        result = nowcast(
            model,
            resolved.rows,
            particles,
            seed,
            months=last + 1,
            progress=advance,
        )
    _print_bands(result.bands)
    _print_decomposition(result.decomposition)
    out.mkdir(parents=True, exist_ok=True)
    result.bands.to_parquet(out / "nowcast.parquet", index=False)
    result.decomposition.to_parquet(out / "decomposition.parquet", index=False)
    console.print(f"Written to {out}/ (nowcast.parquet, decomposition.parquet)")


def _print_bands(bands) -> None:
    table = Table(title="Latent state: filtered median and 80% band", title_justify="left")
    table.add_column("month")
    variables = ["members", "treasury", "posture", "cohesion", "expected_attacks"]
    for v in variables:
        table.add_column(v.replace("_", " "), justify="right")
    wide = bands.set_index(["month", "variable"])
    months = list(dict.fromkeys(bands["month"]))
    for month in dict.fromkeys(months[:: max(1, len(months) // 12)] + months[-1:]):
        cells = []
        for v in variables:
            r = wide.loc[(month, v)]
            fmt = "{:,.0f}" if v in ("members", "treasury", "expected_attacks") else "{:.2f}"
            cells.append(f"{fmt.format(r['q50'])}\n{fmt.format(r['q10'])}-{fmt.format(r['q90'])}")
        table.add_row(month, *cells)
    console.print(table)


def _print_decomposition(split) -> None:
    if split.empty:  # one month: no change to split
        return
    table = Table(
        title="Change in expected attacks a month, by cause (LMDI; revision = evidence)",
        title_justify="left",
    )
    columns = ["month", "expected", "change", "members", "money", "posture", "cohesion"]
    for c in [*columns, "other", "revision"]:
        table.add_column(c, justify="right")
    step = max(1, len(split) // 12)
    for _, r in split.iloc[::step].iterrows():
        table.add_row(
            r["month"],
            *(f"{r[c]:+.1f}" if c != "expected" else f"{r[c]:.1f}" for c in columns[1:]),
            f"{r['other']:+.1f}",
            f"{r['revision']:+.1f}",
        )
    total = split[["change", "members", "money", "posture", "cohesion", "other", "revision"]]
    sums = total.sum()
    table.add_row(
        "total",
        "",
        *(f"{sums[c]:+.1f}" for c in ["change", "members", "money", "posture", "cohesion"]),
        f"{sums['other']:+.1f}",
        f"{sums['revision']:+.1f}",
    )
    console.print(table)


@handles_errors
def forecast_command(
    scenario: str = typer.Argument(..., help="A builtin scenario name or a scenario file."),
    origin: str = typer.Option(..., "--from", help="Origin: the last month of evidence used."),
    months: int = typer.Option(12, "--months", "-m", min=1, max=600, help="Months ahead."),
    evidence: EvidenceFile = None,
    posterior: PosteriorFile = None,
    particles: int = Particles,
    seed: int = Seed,
    out: Path = typer.Option(None, "--out", "-o", help="Output directory."),
) -> None:
    """Forecast from an origin month: filter the evidence up to it, then project.

    The scenario's events before and after the origin apply; months past the scenario's
    end keep its last conditions, as `run --months` does. Writes summary.parquet (the
    schema of `resurgence run`, for the forecast months, with attacks_claimed,
    attacks_recorded and fighters among its variables) and manifest.json to --out.

    Examples:

      resurgence forecast isk --from 2022-12 --months 24

      resurgence forecast isk --posterior posterior-isk.parquet --from 2022-06 --months 12
    """
    from resurgence.analysis.forecast import forecast

    spec, model, parameters, path, table = _prepare(scenario, evidence, posterior, None)
    at = _offset(model, "--from", origin)
    if at + months >= model.n_months:  # past the scenario's end: its last conditions hold
        spec, model, parameters, path, table = _prepare(
            scenario, evidence, posterior, at + months + 1
        )
    resolved = resolve(table, spec, model, until=origin)
    out = out or default_out(scenario, "forecast")
    console.print(
        f"Forecast of {model.name} from {origin}, {months} months, conditioned on "
        f"{len(resolved.rows)} evidence rows of {path}; {particles:,} particles, seed {seed}"
    )
    say_parameters(parameters)
    last = min(at + months, model.n_months - 1)
    with _months_bar("forecasting", last + 1) as advance:
        summary = forecast(
            model,
            resolved.rows,
            at,
            months,
            particles,
            seed,
            progress=advance,
        )
    out.mkdir(parents=True, exist_ok=True)
    store.write_summary(out, summary)
    manifest = {
        "kind": "forecast",
        "scenario": model.name,
        "origin": origin,
        "months": months,
        "evidence": str(path),
        "parameters": parameters,
        "particles": particles,
        "seed": seed,
        "command": "resurgence " + " ".join(sys.argv[1:]),
    }
    store.write_json_atomic(out / store.MANIFEST, manifest)
    _print_forecast(summary, model.units[0])
    console.print(f"Written to {out}/ ({store.SUMMARY}, {store.MANIFEST})")


def _print_forecast(summary, focal) -> None:
    table = Table(title="Forecast: median and 80% band (10%-90%)", title_justify="left")
    variables = ["members", "attacks", "attacks_claimed", "attacks_recorded", "fighters"]
    table.add_column("month")
    for v in variables:
        table.add_column(v.replace("_", " "), justify="right")
    rows = summary[(summary["region"] == "all") & (summary["actor"] == focal)]
    wide = rows.set_index(["month", "variable"])
    months = list(dict.fromkeys(rows["month"]))
    for month in months[:: max(1, len(months) // 12)]:
        cells = []
        for v in variables:
            r = wide.loc[(month, v)]
            cells.append(f"{r['q50']:,.0f}\n{r['q10']:,.0f}-{r['q90']:,.0f}")
        table.add_row(month, *cells)
    console.print(table)


@handles_errors
def backtest_command(
    scenario: str = typer.Argument(..., help="A builtin scenario name or a scenario file."),
    train_until: str = typer.Option(
        ..., "--train-until", help="Last training month: the first forecast origin."
    ),
    horizon: int = typer.Option(12, "--horizon", min=1, max=240, help="Months ahead scored."),
    step: int = typer.Option(1, "--step", min=1, max=120, help="Months between origins."),
    evidence: EvidenceFile = None,
    posterior: PosteriorFile = None,
    particles: int = Particles,
    seed: int = Seed,
    out: Path = typer.Option(None, "--out", "-o", help="Output directory."),
) -> None:
    """Score forecasts from rolling origins against the evidence, with baselines.

    From --train-until, every --step months, the model forecasts each later evidence row
    that ends within --horizon; so do three baselines fitted on the rows printed by then
    (persistence of the last rate, a rolling mean, a negative binomial). Prints CRPS (lower
    is better), skill against persistence and the coverage of 50% and 80% intervals, and
    writes backtest.parquet (every score) and backtest_summary.parquet to --out.

    Examples:

      resurgence backtest isk --train-until 2021-12 --horizon 12

      resurgence backtest my.toml -e monthly.csv --posterior post.parquet --train-until 2022-06
    """
    from resurgence.analysis.backtest import backtest

    spec, model, parameters, path, table = _prepare(scenario, evidence, posterior, None)
    at = _offset(model, "--train-until", train_until)
    if model.posterior is not None:
        fitted = model.posterior.meta.get("until")
        if fitted and month_offset(train_until, fitted) > 0:
            errors.print(
                f"[yellow]warning:[/] the posterior was calibrated on evidence to {fitted}, "
                f"after --train-until {train_until}: the model's scores see the future"
            )
    resolved = resolve(table, spec, model)
    if not resolved.rows or resolved.last_month <= at:
        raise ResurgenceError(f"{path}: no evidence row ends after --train-until {train_until}")
    out = out or default_out(scenario, "backtest")
    console.print(
        f"Backtest of {model.name}: origins from {train_until} every {step} months, horizon "
        f"{horizon}, {len(resolved.rows)} evidence rows of {path}; {particles:,} particles"
    )
    say_parameters(parameters)
    with _months_bar("backtesting", resolved.last_month) as advance:
        result = backtest(
            model,
            table,
            resolved.rows,
            at,
            horizon,
            particles,
            seed,
            step=step,
            progress=advance,
        )
    if result.scores.empty:
        raise ResurgenceError(
            "no target could be scored: no single-figure count row starts after an origin "
            "and ends within the horizon with an earlier figure of its measure and area"
        )
    _print_backtest(result.table)
    if not result.unscored.empty:
        console.print(f"{len(result.unscored)} targets not scored (no earlier figure to fit).")
    out.mkdir(parents=True, exist_ok=True)
    result.scores.to_parquet(out / "backtest.parquet", index=False)
    result.table.to_parquet(out / "backtest_summary.parquet", index=False)
    (out / "backtest.json").write_text(
        json.dumps({"command": "resurgence " + " ".join(sys.argv[1:]), "seed": seed}, indent=1)
    )
    console.print(f"Written to {out}/ (backtest.parquet, backtest_summary.parquet)")


def _print_backtest(summary) -> None:
    table = Table(title="Backtest: mean CRPS (lower is better)", title_justify="left")
    for c in ("method", "measure", "targets", "CRPS", "skill vs persistence", "50% cov", "80% cov"):
        table.add_column(c, justify="left" if c in ("method", "measure") else "right")
    for _, r in summary.iterrows():
        table.add_row(
            r["method"],
            r["measure"],
            str(int(r["n"])),
            f"{r['crps']:.2f}",
            f"{r['skill']:+.2f}",
            f"{r['cover50']:.0%}",
            f"{r['cover80']:.0%}",
        )
    console.print(table)
