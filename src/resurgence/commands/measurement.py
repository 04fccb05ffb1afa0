"""`resurgence nowcast`, `forecast` and `backtest`: the model read against evidence.

Thin: parses, calls `resurgence.workflows.measurement`, writes the run directory, prints.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from resurgence.commands.common import console, default_out, errors, handles_errors, typed_command
from resurgence.commands.evidence_options import EvidenceFile, print_skipped, say_parameters
from resurgence.commands.options import (
    DEFAULT_WORKERS,
    Posterior,
    ScenarioName,
    Workers,
    out_option,
    seed_option,
)
from resurgence.commands.progress import staged

Particles = typer.Option(
    2000, "--particles", "-n", min=50, max=1_000_000, help="Particles of the filter."
)
SEED_HELP = "Seed; the same seed, the same result."


@handles_errors
def nowcast_command(
    scenario: ScenarioName,
    evidence: EvidenceFile = None,
    until: str | None = typer.Option(
        None, "--until", help="Last month to estimate (default: the evidence's last month)."
    ),
    posterior: Posterior = None,
    particles: int = Particles,
    seed: int = seed_option(help=SEED_HELP),
    workers: Workers = DEFAULT_WORKERS,
    out: Path | None = out_option("nowcast"),
) -> None:
    """Estimate the group's latent strength month by month from evidence (particle filter).

    Prints members, treasury, posture and cohesion with 80% bands, and splits each change
    in expected attacks into lost capability (members), money, posture, cohesion and the
    rest, so a fall in attacks can be read as one or another. Writes nowcast.parquet
    (bands), decomposition.parquet and manifest.json to --out.

    Examples:

      resurgence nowcast isk

      resurgence nowcast isk --evidence isk_ged.csv --until 2023-06 --particles 10000
    """
    from resurgence.store import hold_run_dir
    from resurgence.workflows.measurement import UnusableEvidence, nowcast
    from resurgence.workflows.settings import Settings

    out = out or default_out(scenario, "nowcast")
    with hold_run_dir(out):  # from before the work, so a directory in use stops at once
        try:
            with staged("months") as bar:
                result = nowcast(
                    scenario,
                    Settings(seed=seed, posterior=posterior, workers=workers, progress=bar.advance),
                    evidence=evidence,
                    until=until,
                    particles=particles,
                    on_stage=bar.stage,
                    command=typed_command("nowcast"),
                )
        except UnusableEvidence as exc:
            print_skipped(exc.skipped)
            raise
        result.write(out)
        print_nowcast(result)


def print_nowcast(result) -> None:
    """The filtered bands and the split of each change in expected attacks."""
    from resurgence import store

    m = result.manifest
    console.print(
        f"Nowcast of {m['scenario']} from {result.rows} evidence rows of {m['evidence']}, "
        f"{m['start']} to {m['until']}, {m['particles']:,} particles, seed {m['seed']}"
    )
    say_parameters(m["parameters"])
    print_skipped(result.skipped)
    _print_bands(result.bands)
    _print_decomposition(result.decomposition)
    console.print(f"Written to {result.out}/ ({store.NOWCAST}, {store.DECOMPOSITION})")


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
    scenario: ScenarioName,
    origin: str = typer.Option(..., "--from", help="Origin: the last month of evidence used."),
    months: int = typer.Option(12, "--months", "-m", min=1, max=600, help="Months ahead."),
    evidence: EvidenceFile = None,
    posterior: Posterior = None,
    particles: int = Particles,
    seed: int = seed_option(help=SEED_HELP),
    workers: Workers = DEFAULT_WORKERS,
    out: Path | None = out_option("forecast"),
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
    from resurgence.store import hold_run_dir
    from resurgence.workflows.measurement import forecast
    from resurgence.workflows.settings import Settings

    out = out or default_out(scenario, "forecast")
    with hold_run_dir(out):  # from before the work, so a directory in use stops at once
        with staged("months") as bar:
            result = forecast(
                scenario,
                Settings(
                    seed=seed,
                    months=months,
                    posterior=posterior,
                    workers=workers,
                    progress=bar.advance,
                ),
                origin=origin,
                evidence=evidence,
                particles=particles,
                on_stage=bar.stage,
                command=typed_command("forecast"),
            )
        result.write(out)
        print_forecast(result)


def print_forecast(result) -> None:
    """The focal group's forecast, month by month (at most about twelve months shown)."""
    from resurgence import store

    m = result.manifest
    console.print(
        f"Forecast of {m['scenario']} from {m['origin']}, {m['months']} months, conditioned on "
        f"{result.rows} evidence rows of {m['evidence']}; {m['particles']:,} particles, "
        f"seed {m['seed']}"
    )
    say_parameters(m["parameters"])
    _print_forecast(result.summary, result.focal)
    console.print(f"Written to {result.out}/ ({store.SUMMARY}, {store.MANIFEST})")


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
    scenario: ScenarioName,
    train_until: str = typer.Option(
        ..., "--train-until", help="Last training month: the first forecast origin."
    ),
    horizon: int = typer.Option(12, "--horizon", min=1, max=240, help="Months ahead scored."),
    step: int = typer.Option(1, "--step", min=1, max=120, help="Months between origins."),
    evidence: EvidenceFile = None,
    posterior: Posterior = None,
    particles: int = Particles,
    seed: int = seed_option(help=SEED_HELP),
    workers: Workers = DEFAULT_WORKERS,
    out: Path | None = out_option("backtest"),
) -> None:
    """Score forecasts from rolling origins against the evidence, with baselines.

    From --train-until, every --step months, the model forecasts each later evidence row
    that ends within --horizon; so do three baselines fitted on the rows printed by then
    (persistence of the last rate, a rolling mean, a negative binomial). Prints CRPS (lower
    is better), skill against persistence and the coverage of 50% and 80% intervals, and
    writes backtest.parquet (every score), backtest_summary.parquet, backtest.json and
    manifest.json to --out.

    Examples:

      resurgence backtest isk --train-until 2021-12 --horizon 12

      resurgence backtest my.toml -e monthly.csv --posterior post.parquet --train-until 2022-06
    """
    from resurgence.store import hold_run_dir
    from resurgence.workflows.measurement import backtest
    from resurgence.workflows.settings import Settings

    out = out or default_out(scenario, "backtest")
    with hold_run_dir(out):  # from before the work, so a directory in use stops at once
        with staged("months") as bar:
            result = backtest(
                scenario,
                Settings(seed=seed, posterior=posterior, workers=workers, progress=bar.advance),
                train_until=train_until,
                horizon=horizon,
                step=step,
                evidence=evidence,
                particles=particles,
                on_stage=bar.stage,
                command=typed_command("backtest"),
            )
        result.write(out)
        print_backtest(result)


def print_backtest(result) -> None:
    """Mean CRPS, skill and coverage per method and measure; a warning on stderr when
    the posterior saw evidence after the first origin."""
    from resurgence import store

    m = result.manifest
    console.print(
        f"Backtest of {m['scenario']}: origins from {m['train_until']} every {m['step']} "
        f"months, horizon {m['horizon']}, {result.rows} evidence rows of {m['evidence']}; "
        f"{m['particles']:,} particles"
    )
    say_parameters(m["parameters"])
    if result.lookahead:
        errors.print(
            f"[yellow]warning:[/] the posterior was calibrated on evidence to "
            f"{result.lookahead}, after --train-until {m['train_until']}: the model's scores "
            "see the future"
        )
    _print_backtest(result.table)
    if not result.unscored.empty:
        console.print(f"{len(result.unscored)} targets not scored (no earlier figure to fit).")
    console.print(f"Written to {result.out}/ ({store.BACKTEST}, {store.BACKTEST_SUMMARY})")


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
