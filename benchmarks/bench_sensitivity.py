"""Benchmark the Sobol' sensitivity analysis of the flagship scenario against its targets.

Runs what `resurgence sensitivity isk` runs by default (24 parameters in 5 conditions,
per-condition and per-parameter indices, the shipped posterior, the scenario's resurgence
definition: 65 months from 2021-08 to the horizon's end) at N base samples and the
replicas per set given, on 2 workers, and prints the targets: the wall time against 10
minutes, and the largest 95% half-width of the resurgence probability's total-order index
(ST) among the conditions and among the parameters whose ST exceeds 0.05, against 0.05.

Reference, measured in the same run: plain `resurgence.engine.run.run` of the same model
with the same workers, 4,096 replicas in chunks of 1,000, so the ratio shows what the
analysis costs on top of the engine. When N is below the default, the wall time at the
default N is extrapolated (linearly: sets, sampling and bootstrap grow with N) and the
half-widths scaled by sqrt(N / default), both labelled as such.

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
  python benchmarks/bench_sensitivity.py --samples 128    # about 1.5 minutes on 2 idle cores
  python benchmarks/bench_sensitivity.py                  # the default size
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
    from resurgence.workflows import sensitivity as workflow

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--samples", type=int, default=workflow.SAMPLES["sobol"], help="N (a power of 2)"
    )
    parser.add_argument("--replicas", type=int, default=workflow.REPLICAS, help="per set")
    parser.add_argument("--results", default=str(RESULTS), help="Markdown file, or - for none")
    args = parser.parse_args(argv)

    from resurgence.analysis import sensitivity as sa
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
    n, replicas, default_n = args.samples, args.replicas, workflow.SAMPLES["sobol"]
    design = sa.sample(problem, "sobol", n, SEED)
    sets = design.n_sets
    replica_months = sets * replicas * model.n_months

    lines += [
        f"## Sobol' analysis of `{SCENARIO}`: N = {n}, {replicas} replicas per set, "
        f"{WORKERS} workers, {'the shipped posterior' if drawn else 'no posterior'}",
        "",
        f"- {len(problem.names)} parameters in {len(problem.condition_names)} conditions; "
        "per-condition and per-parameter indices for 2 outputs",
        f"- {design.n_rows:,} design rows, {sets:,} distinct parameter sets "
        f"({sets / n:g} N), {model.n_months} months each",
        f"- {replica_months:,} replica-months",
    ]
    print("\n".join(lines), flush=True)

    start = time.perf_counter()
    evaluate = sa.engine_evaluator(
        model, problem, replicas=replicas, seed=SEED, definition=definition, workers=WORKERS
    )
    analysis = sa.run_sensitivity(problem, "sobol", n, evaluate, seed=SEED, design=design)
    elapsed = time.perf_counter() - start
    t = analysis.timings
    throughput = replica_months / elapsed
    ref = reference(model)
    cond, param = widest(analysis.indices, "condition"), widest(analysis.indices, "parameter")
    ranked = analysis.indices.query("output == 'probability' and level == 'condition'")
    ranked = ranked.sort_values("ST", ascending=False)
    ranking = "; ".join(f"{r.name} {r.ST:.2f} ± {r.ST_conf:.2f}" for r in ranked.itertuples())
    noise = analysis.noise_shares.get("probability", float("nan"))

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    out = [
        "",
        "| measure | value |",
        "|:--|--:|",
        f"| wall time (s) | {elapsed:.1f} |",
        f"| of which sampling / evaluation / analysis (s) | {t['sample_s']:.2f} / "
        f"{t['evaluate_s']:.1f} / {t['analyse_s']:.2f} |",
        f"| replica-months per second | {throughput:,.0f} |",
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
    if n == default_n:
        out += [
            "",
            f"Targets at the default size: wall time {elapsed:.0f} s of {TARGET_S:.0f} "
            f"({verdict(elapsed <= TARGET_S)}); half-widths {cond[2]:.3f} and "
            f"{param[2]:.3f} of {TARGET_HALF_WIDTH} "
            f"({verdict(max(cond[2], param[2]) <= TARGET_HALF_WIDTH)}).",
        ]
    else:
        scale = default_n / n
        projected = elapsed * scale
        shrink = (n / default_n) ** 0.5
        out += [
            "",
            f"EXTRAPOLATION (not measured) to the default N = {default_n} at "
            f"{replicas} replicas: {sets * scale:,.0f} sets, "
            f"{replica_months * scale:,.0f} replica-months, about {projected:,.0f} s "
            f"({projected / 60:.1f} min) on {WORKERS} workers at this throughput "
            f"({verdict(projected <= TARGET_S)}); half-widths scaled by sqrt(N / {default_n})"
            f": {cond[2] * shrink:.3f} (conditions) and {param[2] * shrink:.3f} (parameters)"
            f" ({verdict(max(cond[2], param[2]) * shrink <= TARGET_HALF_WIDTH)}).",
        ]
    print("\n".join(out), flush=True)
    if args.results != "-":
        Path(args.results).write_text("\n".join(lines + out) + "\n", encoding="utf-8")
        print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
