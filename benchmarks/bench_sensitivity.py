"""Benchmark the Sobol' sensitivity analysis of the flagship scenario.

Times `resurgence.analysis.sensitivity.run_sensitivity` on `isk` (16 parameters in 5
conditions, per-condition and per-parameter indices, the scenario's resurgence
definition: 65 months from 2021-08 to the horizon's end) at N base samples, 256 replicas
per parameter set and 2 workers: the path `resurgence sensitivity isk` takes. The issue's
target: under 10 minutes on 2 cores at N = 1024.

Reference, measured in the same run: plain `resurgence.engine.run.run` of the same model
with the same workers, 4,096 replicas (chunks of 256, the size of one parameter set, and
of 1,000, the default), so the ratio shows what the per-set batching costs or saves
against the engine's own throughput. When N is below 1024, the time at N = 1024 is
extrapolated (linearly in N: the number of sets, the sampling and the bootstrap all grow
in proportion to N; evaluation is more than 99% of the time) and labelled as such.

Writes the printed report to benchmarks/RESULTS_sensitivity.md (`--results` to change,
`--results -` for none).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from machine import header_lines

SCENARIO = "isk"
REPLICAS = 256
WORKERS = 2
SEED = 20240601
TARGET_N = 1024
TARGET_S = 600.0  # 10 minutes
REFERENCE_REPLICAS = 4096
RESULTS = Path(__file__).resolve().parent / "RESULTS_sensitivity.md"

EXAMPLE = """\
example:
  python benchmarks/bench_sensitivity.py --samples 64     # about 5 minutes on 2 cores
  python benchmarks/bench_sensitivity.py                  # N = 1024, the target's size
"""


def machine() -> list[str]:
    from importlib.metadata import version

    import numpy as np

    return header_lines(f"numpy {np.__version__}; SALib {version('SALib')}")


def reference(model, chunk: int) -> tuple[float, float]:
    """Seconds and replica-months per second of one plain `run`."""
    from resurgence.engine.run import run

    start = time.perf_counter()
    run(model, REFERENCE_REPLICAS, SEED, chunk_size=chunk, workers=WORKERS)
    seconds = time.perf_counter() - start
    return seconds, REFERENCE_REPLICAS * model.n_months / seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--samples", type=int, default=TARGET_N, help="N (a power of 2)")
    parser.add_argument("--results", default=str(RESULTS), help="Markdown file, or - for none")
    args = parser.parse_args(argv)

    from resurgence.analysis import sensitivity as sa
    from resurgence.analysis.batch import months_needed
    from resurgence.analysis.resurgence import Definition
    from resurgence.engine.compile import compile_model
    from resurgence.scenarios import load_scenario

    lines = ["# Sensitivity benchmark", "", *machine(), ""]
    spec = load_scenario(SCENARIO)
    definition = Definition.from_scenario(spec)
    model = compile_model(spec)
    model = compile_model(spec, n_months=months_needed(model, definition))
    problem = sa.problem_from_scenario(spec, model)
    n = args.samples
    design = sa.sample(problem, "sobol", n, SEED)
    sets = design.n_sets
    replica_months = sets * REPLICAS * model.n_months

    lines += [
        f"## Sobol' analysis of `{SCENARIO}`: N = {n}, {REPLICAS} replicas per set, "
        f"{WORKERS} workers",
        "",
        f"- {len(problem.names)} parameters in {len(problem.condition_names)} conditions; "
        f"per-condition and per-parameter indices for 2 outputs",
        f"- {design.n_rows:,} design rows, {sets:,} distinct parameter sets "
        f"({sets / n:g} N), {model.n_months} months each",
        f"- {replica_months:,} replica-months",
    ]
    print("\n".join(lines), flush=True)

    start = time.perf_counter()
    evaluate = sa.engine_evaluator(
        model, problem, replicas=REPLICAS, seed=SEED, definition=definition, workers=WORKERS
    )
    analysis = sa.run_sensitivity(problem, "sobol", n, evaluate, seed=SEED, design=design)
    elapsed = time.perf_counter() - start
    t = analysis.timings
    throughput = replica_months / elapsed

    ref_sets, ref_default = reference(model, REPLICAS), reference(model, 1000)
    top = analysis.indices.query("output == 'probability' and level == 'condition'")
    top = top.sort_values("ST", ascending=False).iloc[0]

    out = [
        "",
        "| measure | value |",
        "|:--|--:|",
        f"| wall time (s) | {elapsed:.1f} |",
        f"| of which sampling / evaluation / analysis (s) | {t['sample_s']:.2f} / "
        f"{t['evaluate_s']:.1f} / {t['analyse_s']:.2f} |",
        f"| replica-months per second | {throughput:,.0f} |",
        f"| reference: plain `run`, {REFERENCE_REPLICAS:,} replicas, chunks of {REPLICAS}, "
        f"{WORKERS} workers (replica-months/s) | {ref_sets[1]:,.0f} ({ref_sets[0]:.1f} s) |",
        f"| reference: plain `run`, {REFERENCE_REPLICAS:,} replicas, chunks of 1,000, "
        f"{WORKERS} workers (replica-months/s) | {ref_default[1]:,.0f} ({ref_default[0]:.1f} s) |",
        f"| analysis throughput / reference (chunks of {REPLICAS}) | "
        f"{throughput / ref_sets[1]:.2f}x |",
        f"| analysis throughput / reference (chunks of 1,000) | "
        f"{throughput / ref_default[1]:.2f}x |",
        f"| wall time / 10-minute target (at this N) | {elapsed / TARGET_S:.2f} |",
        f"| condition with the largest ST of the probability | {top['name']} "
        f"({top['ST']:.2f} ± {top['ST_conf']:.2f}) |",
    ]
    if n < TARGET_N:
        scale = TARGET_N / n
        projected = elapsed * scale
        out += [
            "",
            f"EXTRAPOLATION (not measured): N = {TARGET_N} scales this run by {scale:g}: "
            f"{sets * scale:,.0f} sets, {replica_months * scale:,.0f} replica-months, about "
            f"{projected:,.0f} s ({projected / 60:.1f} min) on {WORKERS} workers at this "
            f"throughput; {projected / TARGET_S:.2f} times the 10-minute target "
            f"({'met' if projected <= TARGET_S else 'NOT met'}).",
        ]
    elif n == TARGET_N:
        verdict = "met" if elapsed <= TARGET_S else "NOT met"
        out += ["", f"Target (N = {TARGET_N} within 10 minutes on 2 cores): {verdict}."]
    print("\n".join(out), flush=True)
    if args.results != "-":
        Path(args.results).write_text("\n".join(lines + out) + "\n", encoding="utf-8")
        print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
