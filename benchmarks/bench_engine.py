"""Benchmark the simulation engine on the flagship scenario.

Measures the wall time of `resurgence.engine.run.run` for the `isk` scenario at 60 months,
1,000 and 10,000 replicas, 1 and 2 workers. Every timing runs in a fresh Python process
(this script with a hidden flag) so that each configuration's peak memory is its own. Then
profiles one 1,000-replica chunk process by process (`simulate_chunk`'s own timings), and
writes the results to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SCENARIO = "isk"
MONTHS = 60
CHUNK = 1000
SEED = 20240601
CONFIGS: tuple[tuple[int, int], ...] = ((1_000, 1), (1_000, 2), (10_000, 1), (10_000, 2))
REFERENCE = (1_000, 1)
TARGET = (10_000, 2, 5.0)  # replicas, workers, seconds
CHILD_FLAG = "--_child"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

EXAMPLE = """\
example:
  python benchmarks/bench_engine.py           # 3 repeats per configuration (a few minutes)
  python benchmarks/bench_engine.py --quick   # 1 repeat per configuration
"""


# --------------------------------------------------------------------------- child side


def _vm_hwm_kib() -> int:
    """Peak resident set size of this process (VmHWM), in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(replicas: int, workers: int) -> None:
    """Time one `run` call and print a JSON line with the time and peak memory."""
    from resurgence.engine.compile import compile_model
    from resurgence.engine.run import run
    from resurgence.scenario import load_scenario

    model = compile_model(load_scenario(SCENARIO), n_months=MONTHS)
    start = time.perf_counter()
    ds = run(model, replicas, SEED, workers=workers, chunk_size=CHUNK)
    seconds = time.perf_counter() - start
    assert ds.sizes["replica"] == replicas and ds.sizes["month"] == MONTHS
    result = {
        "seconds": seconds,
        "main_kib": _vm_hwm_kib(),
        # Largest pool worker (all are joined when `run` returns); 0 when serial.
        "worker_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }
    print(json.dumps(result))


# -------------------------------------------------------------------------- parent side


@dataclass
class Timing:
    replicas: int
    workers: int
    times: list[float]
    main_mib: float
    worker_mib: float

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def throughput(self) -> float:
        """Replica-months per second, from the best time."""
        return self.replicas * MONTHS / self.best


def measure(replicas: int, workers: int, repeats: int) -> Timing:
    """Run one configuration `repeats` times, each in a fresh process."""
    times, main_kib, worker_kib = [], 0, 0
    for _ in range(repeats):
        cmd = [sys.executable, str(Path(__file__).resolve()), CHILD_FLAG, str(replicas)]
        cmd.append(str(workers))
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            raise SystemExit(f"benchmark child failed: {shlex.join(cmd)}")
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        times.append(out["seconds"])
        main_kib = max(main_kib, out["main_kib"])
        worker_kib = max(worker_kib, out["worker_kib"])
        print(f"  {replicas:>6} replicas, {workers} worker(s): {out['seconds']:.3f} s", flush=True)
    return Timing(replicas, workers, times, main_kib / 1024, worker_kib / 1024)


def profile_processes(repeats: int) -> tuple[list[tuple[str, float]], float]:
    """Seconds per process (plus events, recording, observation) for one chunk, as
    `simulate_chunk` measures them, summed over `repeats` runs of the chunk."""
    from resurgence.engine.compile import compile_model
    from resurgence.engine.run import simulate_chunk
    from resurgence.processes import PROCESSES
    from resurgence.scenario import load_scenario

    model = compile_model(load_scenario(SCENARIO), n_months=MONTHS)
    names = ["(events)", *(p.name for p in PROCESSES), "(recording)", "(observation)"]
    spent = dict.fromkeys(names, 0.0)
    total = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        simulate_chunk(model, 0, CHUNK, SEED, 0, timings=spent)
        total += time.perf_counter() - start
    return list(spent.items()), total


def machine() -> dict[str, str]:
    import numpy as np
    import xarray as xr

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    return {
        "CPU": cpu,
        "Cores": f"{os.cpu_count()} logical, {usable} usable by this process",
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "numpy": np.__version__,
        "xarray": xr.__version__,
        "OS": platform.platform(),
    }


def table(rows: list[list[str]], header: list[str]) -> list[str]:
    """A Markdown table (also readable as plain text): first column left, others right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w + 1) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)]
    return [line(header), "|:" + "|".join(rule) + "|", *(line(r) for r in rows)]


def report(
    timings: list[Timing],
    profile: tuple[list[tuple[str, float]], float, bool],
    info: dict[str, str],
    command: str,
    repeats: int,
) -> list[str]:
    ref = next(t for t in timings if (t.replicas, t.workers) == REFERENCE)
    header = [
        "replicas",
        "workers",
        "best (s)",
        "median (s)",
        "replica-months/s",
        "peak RSS main (MiB)",
        "peak RSS worker (MiB)",
        "throughput vs ref",
    ]
    rows = [
        [
            f"{t.replicas:,}",
            str(t.workers),
            f"{t.best:.3f}",
            f"{t.median:.3f}",
            f"{t.throughput:,.0f}",
            f"{t.main_mib:,.0f}",
            f"{t.worker_mib:,.0f}" if t.worker_mib else "-",
            f"{t.throughput / ref.throughput:.2f}x",
        ]
        for t in timings
    ]
    replicas, workers, limit = TARGET
    target = next(t for t in timings if (t.replicas, t.workers) == (replicas, workers))
    verdict = "MET" if target.best <= limit else "NOT MET"
    spent, total = profile
    prof_rows = [[name, f"{sec:.3f}", f"{sec / total:.1%}"] for name, sec in spent]
    prof_rows.append(["total (chunk)", f"{total:.3f}", f"{sum(s for _, s in spent) / total:.1%}"])

    lines = [
        "# Engine benchmark",
        "",
        f"- Date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Command: `{command}`",
        *(f"- {k}: {v}" for k, v in info.items()),
        "",
        f"## Wall time of `run(...)`: scenario `{SCENARIO}`, {MONTHS} months, "
        f"chunk size {CHUNK:,}, seed {SEED}",
        "",
        f"Each configuration ran {repeats} time(s), each in a fresh process; the best time "
        "gives the throughput. Peak RSS is VmHWM of the process that called `run`, and with "
        "2 workers the largest pool worker's ru_maxrss (add them for the total). Reference: "
        f"{REFERENCE[0]:,} replicas, {REFERENCE[1]} worker. With a single chunk "
        f"({CHUNK:,} replicas) `run` stays serial whatever `workers` says, so no pool "
        "worker is started.",
        "",
        *table(rows, header),
        "",
        f'Target "{replicas:,} replicas x {MONTHS} months within {limit:g} s on {workers} '
        f'cores": {verdict} (best {target.best:.2f} s; time/{limit:g} s = '
        f"{target.best / limit:.2f})",
        "",
        f"## Time by process: one {CHUNK:,}-replica chunk, {MONTHS} months",
        "",
        f"Each process's `step` timed by `simulate_chunk(..., timings=...)`, summed over "
        f"{repeats} chunk(s); rows in parentheses are not processes.",
        "",
        *table(prof_rows, ["process", "seconds", "share"]),
    ]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="one repeat per configuration instead of three"
    )
    parser.add_argument(
        CHILD_FLAG, nargs=2, type=int, metavar=("REPLICAS", "WORKERS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args._child:
        child(*args._child)
        return

    repeats = 1 if args.quick else 3
    command = shlex.join(getattr(sys, "orig_argv", [sys.executable, *sys.argv]))
    print(f"Timing {len(CONFIGS)} configurations x {repeats} repeat(s)...", flush=True)
    timings = [measure(r, w, repeats) for r, w in CONFIGS]
    print("Profiling processes...", flush=True)
    profile = profile_processes(repeats)
    lines = report(timings, profile, machine(), command, repeats)
    text = "\n".join(lines) + "\n"
    print()
    print(text, end="")
    RESULTS.write_text(text)
    print(f"\nWrote {RESULTS}")


if __name__ == "__main__":
    main()
