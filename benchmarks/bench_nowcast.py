"""Benchmark the nowcast (bootstrap particle filter) of the flagship scenario.

Times `resurgence.analysis.nowcast.nowcast` on `isk` compiled for 60 months, with the
builtin posterior (each particle draws its free parameters from it) and the builtin
evidence's rows, at 10,000 particles: the path `resurgence nowcast isk --particles 10000`
takes (one process: the filter is serial). The target: under 10 s.

Reference, measured in the same run: plain `resurgence.engine.run.simulate_chunk` of the
same model, 10,000 replicas x 60 months as one chunk of 10,000 in this process (the
filter also moves all its particles as one array), so the ratio filter/engine says what
the filter (observation model, weighting, resampling, bands and the split of expected
attacks) costs beyond simulation.

Writes the printed report to benchmarks/RESULTS_nowcast.md (`--results` to change,
`--results -` for none).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from machine import header_lines

SCENARIO = "isk"
MONTHS = 60
PARTICLES = 10_000
SEED = 20240101  # the command's default seed
TARGET_S = 10.0
RESULTS = Path(__file__).resolve().parent / "RESULTS_nowcast.md"

EXAMPLE = """\
example:
  python benchmarks/bench_nowcast.py --quick        # 1,000 particles, once: a smoke run
  python benchmarks/bench_nowcast.py                # 10,000 particles, twice
  python benchmarks/bench_nowcast.py --repeat 3 --results -
"""


def machine() -> list[str]:
    import numpy as np

    return header_lines(f"numpy {np.__version__}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--particles", type=int, default=PARTICLES, help="particles")
    parser.add_argument("--months", type=int, default=MONTHS, help="months filtered")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each")
    parser.add_argument("--quick", action="store_true", help="1,000 particles, one run")
    parser.add_argument("--results", default=str(RESULTS), help="Markdown file, or - for none")
    args = parser.parse_args(argv)
    if args.quick:
        args.particles, args.repeat = 1000, 1

    from resurgence import posterior as posteriors
    from resurgence.analysis.nowcast import nowcast
    from resurgence.engine.compile import compile_model, with_posterior
    from resurgence.engine.run import simulate_chunk
    from resurgence.evidence.load import builtin_evidence, read_evidence, resolve
    from resurgence.scenarios import load_scenario

    spec = load_scenario(SCENARIO)
    posterior = posteriors.load(posteriors.builtin_posterior(SCENARIO))
    model = with_posterior(compile_model(spec, n_months=args.months), posterior)
    resolved = resolve(read_evidence(builtin_evidence(SCENARIO)), spec, model)
    rows = resolved.rows
    n, months = args.particles, model.n_months

    lines = ["# Nowcast benchmark", "", *machine(), ""]
    lines += [
        f"## Particle filter of `{SCENARIO}`: {n:,} particles x {months} months "
        f"({model.start} to {model.months[-1]}), one process",
        "",
        f"- builtin posterior: {len(posterior.weights):,} draws of {', '.join(posterior.names)}",
        f"- {len(rows)} builtin evidence rows within the months; seed {SEED}",
        f"- {args.repeat} timed run(s) of each, alternating filter and reference",
    ]
    print("\n".join(lines), flush=True)

    filt, ref, ess_min = [], [], []
    for i in range(args.repeat):
        start = time.perf_counter()
        result = nowcast(model, rows, n, SEED)
        filt.append(time.perf_counter() - start)
        ess_min.append(float(result.ess.min()))
        start = time.perf_counter()
        simulate_chunk(model, 0, n, SEED, 0)
        ref.append(time.perf_counter() - start)
        print(f"run {i + 1}: filter {filt[-1]:.2f} s, engine {ref[-1]:.2f} s", flush=True)

    replica_months = n * months
    best_f, best_r = min(filt), min(ref)
    out = [
        "",
        "| measure | " + " | ".join(f"run {i + 1}" for i in range(args.repeat)) + " | best |",
        "|:--|" + "--:|" * (args.repeat + 1),
        "| nowcast wall time (s) | " + " | ".join(f"{s:.2f}" for s in filt) + f" | {best_f:.2f} |",
        f"| reference: `simulate_chunk`, one chunk of {n:,} x {months} months (s) | "
        + " | ".join(f"{s:.2f}" for s in ref)
        + f" | {best_r:.2f} |",
        "| filter / engine (time ratio) | "
        + " | ".join(f"{f / r:.2f}x" for f, r in zip(filt, ref, strict=True))
        + f" | {best_f / best_r:.2f}x |",
        "| filter replica-months per second | "
        + " | ".join(f"{replica_months / s:,.0f}" for s in filt)
        + f" | {replica_months / best_f:,.0f} |",
        "| engine replica-months per second | "
        + " | ".join(f"{replica_months / s:,.0f}" for s in ref)
        + f" | {replica_months / best_r:,.0f} |",
        "| smallest effective sample size in the run | "
        + " | ".join(f"{e:,.0f}" for e in ess_min)
        + f" | {statistics.median(ess_min):,.0f} (median) |",
        "",
    ]
    if n == PARTICLES and months == MONTHS:
        verdict = "met" if best_f <= TARGET_S else "NOT met"
        out.append(
            f"Target ({PARTICLES:,} particles x {MONTHS} months within {TARGET_S:g} s): "
            f"{verdict} (best {best_f:.2f} s, {best_f / TARGET_S:.2f} of the target; "
            f"worst {max(filt):.2f} s)."
        )
    else:
        out.append(f"Not the target's size ({PARTICLES:,} x {MONTHS}): no verdict.")
    print("\n".join(out), flush=True)
    if args.results != "-":
        Path(args.results).write_text("\n".join(lines + out) + "\n", encoding="utf-8")
        print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
