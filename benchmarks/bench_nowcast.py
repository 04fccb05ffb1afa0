"""Benchmark the nowcast (bootstrap particle filter) of the flagship scenario.

Times `resurgence.analysis.nowcast.nowcast` on `isk` compiled for 60 months, with the
builtin posterior (each particle draws its free parameters from it) and the builtin
evidence's rows, at 10,000 particles, on 1 and on 2 workers: the path
`resurgence nowcast isk --particles 10000 -w N` takes. The target: under 5 s on 2 workers.
The runs on 1 and 2 workers must give the same bands; the benchmark checks it.

Reference, measured in the same run: plain `resurgence.engine.run.simulate_chunk` of the
same model, 10,000 replicas x 60 months as one chunk of 10,000 in this process, so the
ratio filter/engine says what the filter (blocks of 1,000 particles, observation model,
weighting, resampling, bands and the split of expected attacks) costs beyond simulation
on one worker, and what the second worker saves.

Writes the printed report to benchmarks/RESULTS_nowcast.md (`--results` to change,
`--results -` for none).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from machine import header_lines

SCENARIO = "isk"
MONTHS = 60
PARTICLES = 10_000
SEED = 20240101  # the command's default seed
TARGET_S = 5.0
WORKERS = (1, 2)
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


def busy(t: os.times_result) -> float:
    """CPU seconds of this process and of its ended children (the pool's workers)."""
    return t.user + t.system + t.children_user + t.children_system


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
        f"({model.start} to {model.months[-1]}), on 1 and 2 workers",
        "",
        f"- builtin posterior: {len(posterior.weights):,} draws of {', '.join(posterior.names)}",
        f"- {len(rows)} builtin evidence rows within the months; seed {SEED}",
        f"- {args.repeat} timed run(s) of each, alternating reference, 1 worker and 2 workers",
    ]
    print("\n".join(lines), flush=True)

    times: dict[str, list[float]] = {"reference": [], **{f"w{w}": [] for w in WORKERS}}
    cpu: dict[str, list[float]] = {f"w{w}": [] for w in WORKERS}
    ess_min, identical, loads = [], True, []
    for i in range(args.repeat):
        start = time.perf_counter()
        simulate_chunk(model, 0, n, SEED, 0)
        times["reference"].append(time.perf_counter() - start)
        bands = []
        for w in WORKERS:
            before, start = os.times(), time.perf_counter()
            result = nowcast(model, rows, n, SEED, workers=w)
            times[f"w{w}"].append(time.perf_counter() - start)
            cpu[f"w{w}"].append(busy(os.times()) - busy(before))
            bands.append(result.bands)
        loads.append(os.getloadavg()[0])
        identical &= all(b.equals(bands[0]) for b in bands[1:])
        ess_min.append(float(result.ess.min()))
        print(
            f"run {i + 1}: engine {times['reference'][-1]:.2f} s, "
            + ", ".join(f"{w} worker(s) {times[f'w{w}'][-1]:.2f} s" for w in WORKERS),
            flush=True,
        )

    replica_months = n * months
    best = {k: min(v) for k, v in times.items()}

    def row(label: str, values: list[str], last: str) -> str:
        return f"| {label} | " + " | ".join(values) + f" | {last} |"

    out = [
        "",
        "| measure | " + " | ".join(f"run {i + 1}" for i in range(args.repeat)) + " | best |",
        "|:--|" + "--:|" * (args.repeat + 1),
        row(
            f"reference: `simulate_chunk`, one chunk of {n:,} x {months} months, 1 process (s)",
            [f"{s:.2f}" for s in times["reference"]],
            f"{best['reference']:.2f}",
        ),
    ]
    for w in WORKERS:
        key = f"w{w}"
        out.append(
            row(f"nowcast, {w} worker(s) (s)", [f"{s:.2f}" for s in times[key]], f"{best[key]:.2f}")
        )
        out.append(
            row(
                f"nowcast {w} worker(s) / engine (time ratio)",
                [f"{f / r:.2f}x" for f, r in zip(times[key], times["reference"], strict=True)],
                f"{best[key] / best['reference']:.2f}x",
            )
        )
    last = f"w{WORKERS[-1]}"
    out += [
        row(
            f"speed-up, {WORKERS[-1]} workers over 1",
            [f"{a / b:.2f}x" for a, b in zip(times["w1"], times[last], strict=True)],
            f"{best['w1'] / best[last]:.2f}x",
        ),
        row(
            f"filter replica-months per second, {WORKERS[-1]} workers",
            [f"{replica_months / s:,.0f}" for s in times[last]],
            f"{replica_months / best[last]:,.0f}",
        ),
        *(
            row(
                f"CPU time of the nowcast, {w} worker(s), all its processes (s)",
                [f"{s:.2f}" for s in cpu[f"w{w}"]],
                f"{min(cpu[f'w{w}']):.2f}",
            )
            for w in WORKERS
        ),
        row(
            "load average (1 min) after the run",
            [f"{x:.2f}" for x in loads],
            f"{statistics.median(loads):.2f} (median)",
        ),
        row(
            "smallest effective sample size in the run",
            [f"{e:,.0f}" for e in ess_min],
            f"{statistics.median(ess_min):,.0f} (median)",
        ),
        "",
        f"Bands identical on {' and '.join(map(str, WORKERS))} workers: "
        + ("yes" if identical else "NO"),
        "",
    ]
    if n == PARTICLES and months == MONTHS:
        verdict = "met" if best[last] <= TARGET_S else "NOT met"
        out.append(
            f"Target ({PARTICLES:,} particles x {MONTHS} months within {TARGET_S:g} s on "
            f"{WORKERS[-1]} workers): {verdict} (best {best[last]:.2f} s, "
            f"{best[last] / TARGET_S:.2f} of the target; worst {max(times[last]):.2f} s)."
        )
    else:
        out.append(f"Not the target's size ({PARTICLES:,} x {MONTHS}): no verdict.")
    print("\n".join(out), flush=True)
    if args.results != "-":
        Path(args.results).write_text("\n".join(lines + out) + "\n", encoding="utf-8")
        print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
