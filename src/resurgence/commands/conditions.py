"""`resurgence conditions`: does each condition of resurgence move the probability the way
the analysis argues? Thin: parses, calls `resurgence.analysis.condition_ends`, writes the
table, prints."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from resurgence import __version__, store
from resurgence import posterior as posteriors
from resurgence.commands.common import (
    Consecutive,
    From,
    Horizon,
    Measure,
    Regions,
    Threshold,
    Workers,
    console,
    default_out,
    definition_from_options,
    errors,
    handles_errors,
)
from resurgence.commands.evidence_options import PosteriorFile, say_parameters

TABLE_CSV = "conditions.csv"
TABLE_JSON = "conditions.json"


@handles_errors
def conditions_command(
    scenario: str = typer.Argument(
        ..., help="A builtin scenario name (see `resurgence scenarios`) or a scenario TOML file."
    ),
    replicas: int = typer.Option(
        1000, "--replicas", "-n", min=2, max=10_000_000, help="Replicas per arm."
    ),
    seed: int = typer.Option(
        20240101,
        "--seed",
        "-s",
        min=0,
        help="Seed of the run; both arms of every condition use it (common random numbers).",
    ),
    workers: Workers = os.cpu_count() or 1,
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Output directory (default: runs/SCENARIO-conditions-TIMESTAMP).",
    ),
    measure: Measure = None,
    threshold: Threshold = None,
    consecutive: Consecutive = None,
    start: From = None,
    horizon: Horizon = None,
    regions: Regions = None,
    posterior: PosteriorFile = None,
) -> None:
    """Check each condition of resurgence against the direction the analysis argues.

    For each [conditions.NAME] table of the scenario, runs the replicas twice, with all
    the condition's parameters at the end of their ranges in the armed group's favour
    (group_favours) and at the other end, on common random numbers: replica i has the
    same random streams and, as in `run`, the same draw of the free parameters from the
    posterior in both arms (--posterior none: the scenario's values). Prints both
    probabilities of resurgence, their paired difference (favour - against) with its 95%
    interval, the direction the analysis argues (higher in the group's favour) and
    whether the interval agrees. Writes conditions.csv, conditions.json and
    manifest.json to the output directory.

    Examples:

      resurgence conditions isk

      resurgence conditions isk --replicas 2000 --seed 7 --out runs/isk-conditions

      resurgence conditions isk --threshold 10 --regions Afghanistan,khyber_pakhtunkhwa
    """
    from resurgence.analysis.condition_ends import condition_ends, model_and_space
    from resurgence.scenario import load_scenario

    started = time.perf_counter()
    spec = load_scenario(scenario)
    definition = definition_from_options(
        spec, measure, threshold, consecutive, start, horizon, regions
    )
    drawn, parameters = posteriors.choose(scenario, posterior)
    model, space = model_and_space(spec, definition, drawn)
    out = out or default_out(scenario, "conditions")
    store.prepare_run_dir(out)

    conditions = space["condition"].nunique()
    console.print(
        f"[bold]{model.title}[/]  {conditions} conditions x 2 ends x {replicas:,} replicas "
        f"x {model.n_months} months, seed {seed}, common random numbers"
    )
    console.print(f"Resurgence: {definition.describe()}")
    with Progress(
        TextColumn("[bold]simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("replicas"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task("arms", total=2 * conditions * replicas)
        table = condition_ends(
            model,
            space,
            definition,
            replicas=replicas,
            seed=seed,
            workers=workers,
            progress=lambda n: bar.advance(task, n),
        )

    _write(out / TABLE_CSV, table.to_csv(index=False))
    _write(out / TABLE_JSON, json.dumps(table.to_dict(orient="records"), indent=2))
    store.write_json_atomic(
        out / store.MANIFEST,
        {
            "kind": "conditions",
            "complete": True,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "version": __version__,
            "command": "resurgence " + " ".join(sys.argv[1:]),
            "scenario": model.name,
            "title": model.title,
            "scenario_hash": model.scenario_hash,
            "seed": seed,
            "replicas": replicas,
            "months": model.n_months,
            "parameters": parameters,
            "posterior": drawn.source if drawn else None,
            "resurgence": definition.as_dict() | {"text": definition.describe()},
            "space": space.to_dict(orient="records"),
            "results": table.to_dict(orient="records"),
            "timings": {"total_s": round(time.perf_counter() - started, 3)},
            "outputs": [TABLE_CSV, TABLE_JSON, store.MANIFEST],
        },
    )
    _print(table)
    say_parameters(parameters)
    console.print(f"Written to {out}/ ({TABLE_CSV}, {TABLE_JSON}, {store.MANIFEST})")


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _print(table) -> None:
    shown = Table(
        title="Each condition with its parameters at the end in the group's favour and at "
        "the end against it",
        title_justify="left",
    )
    for col in (
        "condition",
        "P(favour) [95% CI]",
        "P(against) [95% CI]",
        "favour - against [paired 95% CI]",
        "analysis argues",
        "interval agrees",
    ):
        shown.add_column(col, justify="right" if col.startswith(("P(", "favour")) else "left")
    verdicts = {"agrees": "yes", "opposite": "no: reversed", "unclear": "no: it holds 0"}
    for row in table.itertuples(index=False):
        shown.add_row(
            row.condition,
            f"{row.favour:.3f} [{row.favour_low:.3f}, {row.favour_high:.3f}]",
            f"{row.against:.3f} [{row.against_low:.3f}, {row.against_high:.3f}]",
            f"{row.diff:+.3f} [{row.diff_low:+.3f}, {row.diff_high:+.3f}]",
            "higher in favour",
            verdicts[row.verdict],
        )
    console.print(shown)
