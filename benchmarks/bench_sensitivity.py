"""Benchmark the Sobol' sensitivity analysis of the flagship scenario against its targets.

Runs what `resurgence sensitivity isk` runs by default (24 parameters in 5 conditions,
per-condition and per-parameter indices, the shipped posterior, the scenario's resurgence
definition: 65 months from 2021-08 to the horizon's end; the adaptive design, every index
starting at 1,024 base samples and refined up to N = 4,096 while its half-width exceeds
0.05) on 2 workers, and prints the targets: the wall time against 10 minutes, and the
largest 95% half-width of the resurgence probability's total-order index (ST) among the
conditions and among the parameters whose ST exceeds 0.05, against 0.05. Other sizes
(`--samples`, `--first-samples`) are measured and printed, but the targets are judged at
the defaults only.

Reference, measured in the same run: plain `resurgence.engine.run.run` of the same model
with the same workers, 4,096 replicas in chunks of 1,000, so the ratio shows what the
analysis costs on top of the engine; and the size of SALib's whole design at N, which the
adaptive design would otherwise evaluate.

Writes the printed report to benchmarks/RESULTS_sensitivity.md (`--results` to change,
`--results -` for none).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from machine import header_lines

SCENARIO = "isk"
WORKERS = 2
SEED = 20240601
TARGET_S = 600.0  # 10 minutes
TARGET_HALF_WIDTH = 0.05
MATTERS = 0.05  # parameters whose ST exceeds this must meet the half-width target
REFERENCE_REPLICAS = 4096
RESULTS = Path(__file__).resolve().parent / "RESULTS_sensitivity.md"

EXAMPLE = """\
example:
  python benchmarks/bench_sensitivity.py --samples 256 --first-samples 64   # a few minutes
  python benchmarks/bench_sensitivity.py                  # the defaults (about 10 minutes)
"""


def machine() -> list[str]:
    from importlib.metadata import version

    import numpy as np

    return header_lines(f"numpy {np.__version__}; SALib {version('SALib')}")


def reference(model) -> tuple[float, float]:
    """Seconds and replica-months per second of one plain `run` (chunks of 1,000)."""
    from resurgence.engine.run import run

    start = time.perf_counter()
    run(model, REFERENCE_REPLICAS, SEED, workers=WORKERS)
    seconds = time.perf_counter() - start
    return seconds, REFERENCE_REPLICAS * model.n_months / seconds


def widest(indices, level: str) -> tuple[str, float, float]:
    """The name, ST and half-width of the widest interval of the probability's ST at
    `level`, among the conditions or among the parameters whose ST exceeds 0.05."""
    rows = indices.query("output == 'probability' and level == @level")
    if level == "parameter":
        rows = rows[rows["ST"] > MATTERS]
    row = rows.sort_values("ST_conf", ascending=False).iloc[0]
    return row["name"], row["ST"], row["ST_conf"]


def main(argv: list[str] | None = None) -> None:
    from resurgence.analysis import sensitivity as sa
    from resurgence.workflows import sensitivity as workflow

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--samples", type=int, default=workflow.SAMPLES["sobol"], help="N (a power of 2)"
    )
    parser.add_argument(
        "--first-samples",
        type=int,
        default=sa.Precision.first,
        help="base samples every index starts with",
    )
    parser.add_argument("--replicas", type=int, default=workflow.REPLICAS, help="per set")
    parser.add_argument("--results", default=str(RESULTS), help="Markdown file, or - for none")
    args = parser.parse_args(argv)

    from resurgence.engine.compile import compile_model, with_posterior
    from resurgence.workflows.api import resolve
    from resurgence.workflows.prepare import definition_of, months_to_horizon

    lines = ["# Sensitivity benchmark", "", *machine(), ""]
    argument = resolve(SCENARIO)
    spec = argument.spec
    definition = definition_of(spec, {})
    drawn, _ = argument.posterior(None)
    model = with_posterior(compile_model(spec, n_months=months_to_horizon(spec, definition)), drawn)
    problem = sa.problem_from_scenario(spec, model)
    n, replicas = args.samples, args.replicas
    precision = sa.Precision(first=args.first_samples)
    defaults = (n, precision, replicas) == (
        workflow.SAMPLES["sobol"],
        sa.Precision(),
        workflow.REPLICAS,
    )
    design = sa.sample(problem, "sobol", n, SEED)

    lines += [
        f"## Sobol' analysis of `{SCENARIO}`: {precision.first:,} base samples, up to N = "
        f"{n:,} for the indices wider than ±{precision.half_width}; {replicas} replicas per "
        f"set, {WORKERS} workers, {'the shipped posterior' if drawn else 'no posterior'}",
        "",
        f"- {len(problem.names)} parameters in {len(problem.condition_names)} conditions; "
        "per-condition and per-parameter indices for 2 outputs",
        f"- SALib's whole design at N = {n:,}: {design.n_sets:,} distinct parameter sets "
        f"({design.n_sets / n:g} N), {model.n_months} months each",
    ]
    print("\n".join(lines), flush=True)

    start = time.perf_counter()
    evaluate = sa.engine_evaluator(
        model, problem, replicas=replicas, seed=SEED, definition=definition, workers=WORKERS
    )
    analysis = sa.run_sensitivity(
        problem, "sobol", n, evaluate, seed=SEED, design=design, precision=precision
    )
    elapsed = time.perf_counter() - start
    t = analysis.timings
    sets = int(analysis.evaluated.sum())
    replica_months = sets * replicas * model.n_months
    throughput = replica_months / t["evaluate_s"]
    ref = reference(model)
    cond, param = widest(analysis.indices, "condition"), widest(analysis.indices, "parameter")
    ranked = analysis.indices.query("output == 'probability' and level == 'condition'")
    ranked = ranked.sort_values("ST", ascending=False)
    ranking = "; ".join(f"{r.name} {r.ST:.2f} ± {r.ST_conf:.2f}" for r in ranked.itertuples())
    noise = analysis.noise_shares.get("probability", float("nan"))
    depths = analysis.depths()
    deep = [
        f"{name} {depth:,}"
        for level in depths.values()
        for name, depth in level.items()
        if depth > precision.first
    ]
    stages = "; ".join(
        f"N = {st['samples']:,}: {st['sets']:,} sets"
        + (f" ({', '.join(st['refined'])})" if st["refined"] else "")
        for st in analysis.stages
    )

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    out = [
        "",
        "| measure | value |",
        "|:--|--:|",
        f"| wall time (s) | {elapsed:.1f} |",
        f"| of which sampling / evaluation / analysis (s) | {t['sample_s']:.2f} / "
        f"{t['evaluate_s']:.1f} / {t['analyse_s']:.2f} |",
        f"| stages | {stages} |",
        f"| parameter sets evaluated / SALib's whole design at N = {n:,} | {sets:,} / "
        f"{design.n_sets:,} ({sets / design.n_sets:.0%}) |",
        f"| replica-months | {replica_months:,} |",
        f"| indices refined past {precision.first:,} base samples | {', '.join(deep) or 'none'} |",
        f"| replica-months per second (evaluation) | {throughput:,.0f} |",
        f"| reference: plain `run`, {REFERENCE_REPLICAS:,} replicas, chunks of 1,000, "
        f"{WORKERS} workers (replica-months/s) | {ref[1]:,.0f} ({ref[0]:.1f} s) |",
        f"| analysis throughput / reference | {throughput / ref[1]:.2f}x |",
        f"| wall time / 10-minute target | {elapsed / TARGET_S:.2f} |",
        f"| largest ST half-width, conditions | {cond[2]:.3f} ({cond[0]}, ST {cond[1]:.2f}) |",
        f"| largest ST half-width, parameters with ST > {MATTERS} | {param[2]:.3f} "
        f"({param[0]}, ST {param[1]:.2f}) |",
        f"| replica noise, share of the probability's variance (removed) | {noise:.1%} |",
        f"| conditions by ST of the probability | {ranking} |",
    ]
    verdicts = (
        f"wall time {elapsed:.0f} s of {TARGET_S:.0f} ({verdict(elapsed <= TARGET_S)}); "
        f"half-widths {cond[2]:.3f} and {param[2]:.3f} of {TARGET_HALF_WIDTH} "
        f"({verdict(max(cond[2], param[2]) <= TARGET_HALF_WIDTH)})"
    )
    out += [
        "",
        f"Targets at the defaults: {verdicts}."
        if defaults
        else (f"Not the defaults, so the targets are not judged (at this size: {verdicts})."),
    ]
    print("\n".join(out), flush=True)
    if args.results != "-":
        Path(args.results).write_text("\n".join(lines + out) + "\n", encoding="utf-8")
        print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
