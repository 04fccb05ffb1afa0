"""Benchmark the explorer's answer: how long a policy team waits after moving a lever.

Times `resurgence.explore.runner.Runner.answer` on the flagship, 1,000 replicas (the
page's default) to the scenario's end: the first answer (the baseline and the levers' run)
and the answer to a lever moved once the baseline is kept (one run: the case of every
change after the first, and of the first when the page has run its baseline as it
started, which it does). The target: a lever's answer within 3 s on 2 cores. The page's
runs use one process and chunks of 250 replicas, so that a newer change can stop an older
run between chunks.

Reference, measured in the same run: `rs.run` of the same replicas kept in memory with the
command's default chunks of 1,000 on one process, so the ratio says what the page's
smaller chunks and its comparison cost beyond one plain run.

Writes the printed report to benchmarks/RESULTS_explore.md (`--results -` for none).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from machine import header_lines

SCENARIO = "isk"
REPLICAS = 1_000
TARGET_S = 3.0
LEVERS = {  # one lever moved at a time, as a user would
    "policy on": {"policies": ("reconciliation_deals@2024-01",)},
    "condition slider": {"conditions": (("host_unity", -0.5),)},
    "both": {
        "policies": ("reconciliation_deals@2024-01",),
        "conditions": (("host_unity", -0.5),),
    },
}
RESULTS = Path(__file__).resolve().parent / "RESULTS_explore.md"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="example:\n  python benchmarks/bench_explore.py --repeat 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each")
    parser.add_argument("--results", default=str(RESULTS), help="Markdown file, or - for none")
    args = parser.parse_args(argv)

    import numpy as np

    import resurgence as rs
    from resurgence.explore.levers import Levers
    from resurgence.explore.runner import Runner

    rs.run(SCENARIO, replicas=50)  # imports and the scenario's first read, untimed
    lines = ["# Explorer benchmark", "", *header_lines(f"numpy {np.__version__}"), ""]
    lines += [
        f"## `resurgence explore {SCENARIO}`: {REPLICAS:,} replicas to the scenario's end",
        "",
        f"Best of {args.repeat} run(s) each, seconds.",
        "",
        "| answer | best (s) | reference `rs.run` (s) | answer / reference | target |",
        "|:--|--:|--:|--:|:--|",
    ]
    reference = min(_timed(lambda: rs.run(SCENARIO, replicas=REPLICAS)) for _ in range(args.repeat))
    cold, warm = [], []
    for _ in range(args.repeat):
        runner = Runner(SCENARIO)
        cold.append(_timed(lambda r=runner: r.answer(Levers(), r.ticket())))
        runner = Runner(SCENARIO)
        runner.prepare(Levers())  # what the page does as it starts
        warm.append(_timed(lambda r=runner: r.answer(Levers(), r.ticket())))
    lines.append(_row("first, baseline not yet run (two runs)", min(cold), reference, None))
    lines.append(_row("first, baseline run as the page started", min(warm), reference, TARGET_S))
    worst = min(warm)
    for name, changes in LEVERS.items():
        best = min(
            _timed(lambda r=runner, c=changes: r.answer(Levers(**c), r.ticket()))
            for _ in range(args.repeat)
        )
        worst = max(worst, best)
        lines.append(_row(f"lever moved: {name}", best, reference, TARGET_S))
    met = "MET" if worst <= TARGET_S else "NOT MET"
    lines += [
        "",
        f"Target \"a lever's answer for {REPLICAS:,} replicas within {TARGET_S:g} s on 2 "
        f'cores": {met} (slowest lever {worst:.2f} s).',
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.results != "-":
        Path(args.results).write_text(text, encoding="utf-8")
        print(f"written to {args.results}")


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _row(name: str, best: float, reference: float, target: float | None) -> str:
    verdict = "-" if target is None else ("met" if best <= target else "not met")
    return f"| {name} | {best:.2f} | {reference:.2f} | {best / reference:.2f}x | {verdict} |"


if __name__ == "__main__":
    main()
