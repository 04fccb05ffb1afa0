"""Peak memory of a streamed run against the number of replicas.

A run writes its replicas chunk by chunk into Zarr and summarises them online, so its
peak memory should not grow with the number of replicas. This runs the flagship scenario
(60 months, chunks of 1,000, 2 workers) at 10,000 and 100,000 replicas (and 1,000,000
with --million: about a quarter of an hour and 7.5 GB of disk), each in a fresh
process, and prints the peak resident memory of the process that runs it and of its
largest worker, the wall time and replica-months per second; the reference is the
10,000-replica run of the same invocation. It writes benchmarks/RESULTS_memory.md.

    python benchmarks/bench_memory.py             # 10,000 and 100,000 replicas
    python benchmarks/bench_memory.py --million   # and 1,000,000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS_memory.md")
MONTHS = 60
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from resurgence.workflows.run import run
replicas, out, catalog = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
t = time.perf_counter()
run("isk", replicas=replicas, seed=1, out=out, months=60, workers=2, chunk_size=1000,
        catalog=catalog)
seconds = time.perf_counter() - t
status = Path("/proc/self/status").read_text().split("\n")
main_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
worker_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "main_kib": main_kib, "worker_kib": worker_kib}))
"""


def measure(replicas: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="resurgence-memory-") as tmp:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(replicas), f"{tmp}/run", f"{tmp}/catalog.duckdb"],
            capture_output=True,
            text=True,
            check=True,
        )
        disk = sum(f.stat().st_size for f in Path(tmp, "run").rglob("*") if f.is_file())
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["replicas"] = replicas
    result["disk_mib"] = disk / 2**20
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 replicas")
    args = parser.parse_args(argv)
    sizes = [10_000, 100_000] + ([1_000_000] if args.million else [])
    rows = []
    for n in sizes:
        print(f"{n:,} replicas...", flush=True)
        rows.append(measure(n))
    ref = rows[0]
    header = (
        "| replicas | wall time (s) | replica-months/s | peak RSS main (MiB) | "
        "peak RSS largest worker (MiB) | main peak vs 10,000 | store on disk (MiB) |"
    )
    lines = [
        "# Memory of a streamed run",
        "",
        f"- Date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Command: `{shlex.join([Path(sys.executable).name, *sys.argv])}`",
        f"- Scenario `isk`, {MONTHS} months, chunks of 1,000 replicas, 2 workers, seed 1",
        "",
        header,
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['replicas']:,} | {r['seconds']:.1f} | "
            f"{r['replicas'] * MONTHS / r['seconds']:,.0f} | {r['main_kib'] / 1024:,.0f} | "
            f"{r['worker_kib'] / 1024:,.0f} | {r['main_kib'] / ref['main_kib']:.2f}x | "
            f"{r['disk_mib']:,.0f} |"
        )
    lines += [
        "",
        "Peak RSS is VmHWM of the process that ran `run` and, for the workers, the",
        "largest `ru_maxrss` among its finished children. Summaries are exact histograms",
        "for counts and exact values, then 0.1% log bins, for the treasury, merged chunk by",
        "chunk.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
