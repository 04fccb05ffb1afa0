"""Benchmark the simulation engine on the flagship scenario.

Measures the wall time of `resurgence.engine.run.run` for the `isk` scenario at 60 months,
1,000 and 10,000 replicas, 1 and 2 workers, and of the yardstick (`yardstick_numpy.py`, a
deliberately simple plain-numpy armed-group model) for the same 10,000 replicas x 60
months, in the same run. Every timing runs in a fresh Python process (this script with a
hidden flag) so that each configuration's peak memory is its own. The target: the
flagship's 10,000 x 60 within 2 s on 2 cores, i.e. within twice the yardstick's time (the
yardstick makes the target independent of the machine). Then profiles one 1,000-replica
chunk process by process (`simulate_chunk`'s own timings), and writes the results to
benchmarks/RESULTS.md.

The peer section runs a reduced flagship model (payroll, counter-terrorism, operations,
defection and recruitment; see `peer_mesa.py`) in the engine and as a Mesa 3 model with one
agent per member, prints replica-months per second for each and their ratio, and checks that
both give the same monthly means within Monte-Carlo error; it exits non-zero when they differ.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from machine import cores, cpu_name

SCENARIO = "isk"
MONTHS = 60
CHUNK = 1000
SEED = 20240601
CONFIGS: tuple[tuple[int, int], ...] = ((1_000, 1), (1_000, 2), (10_000, 1), (10_000, 2))
REFERENCE = (1_000, 1)
TARGET = (10_000, 2, 2.0)  # replicas, workers, seconds
YARDSTICK_FACTOR = 2.0  # the target's time as a multiple of the yardstick's
YARDSTICK = {"n_members": 1000, "replicas": 10_000, "months": MONTHS, "regions": 8}
CHILD_FLAG = "--_child"
YARDSTICK_FLAG = "--_yardstick"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

BOOKKEEPING = ("(recording)", "(observation)")  # profile rows that are not processes

PEER_MONTHS = 24
PEER_ENGINE_REPLICAS = 1_000
PEER_MESA_REPLICAS = 10
PEER_TARGET = 1_000.0  # engine throughput / Mesa throughput
PEER_LIMIT = 4.0  # |difference of means| < PEER_LIMIT standard errors of the difference
PEER_HEADING = "## Peer: the reduced flagship model in the engine and in Mesa"

EXAMPLE = """\
example:
  python benchmarks/bench_engine.py           # 3 repeats per configuration (a few minutes)
  python benchmarks/bench_engine.py --quick   # 1 repeat per configuration
  python benchmarks/bench_engine.py --peer-only   # only the engine-vs-Mesa peer (needs .[bench])
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
    from resurgence.scenarios import load_scenario

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


def yardstick_child() -> None:
    """Time one run of the yardstick and print a JSON line with the time."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import yardstick_numpy

    start = time.perf_counter()
    yardstick_numpy.run(**YARDSTICK)
    print(json.dumps({"seconds": time.perf_counter() - start}))


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


def _in_child(*args: str) -> dict:
    """Run this script with the hidden `args` in a fresh process; its JSON line."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark child failed: {shlex.join(cmd)}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(replicas: int, workers: int, repeats: int) -> Timing:
    """Run one configuration `repeats` times, each in a fresh process."""
    times, main_kib, worker_kib = [], 0, 0
    for _ in range(repeats):
        out = _in_child(CHILD_FLAG, str(replicas), str(workers))
        times.append(out["seconds"])
        main_kib = max(main_kib, out["main_kib"])
        worker_kib = max(worker_kib, out["worker_kib"])
        print(f"  {replicas:>6} replicas, {workers} worker(s): {out['seconds']:.3f} s", flush=True)
    return Timing(replicas, workers, times, main_kib / 1024, worker_kib / 1024)


def measure_yardstick(repeats: int) -> list[float]:
    """Time the yardstick `repeats` times, each in a fresh process."""
    times = []
    for _ in range(repeats):
        times.append(_in_child(YARDSTICK_FLAG)["seconds"])
        print(f"  yardstick, {YARDSTICK['replicas']:,} replicas: {times[-1]:.3f} s", flush=True)
    return times


def profile_processes(repeats: int) -> tuple[list[tuple[str, float]], float]:
    """Seconds per process (plus events, recording, observation) for one chunk, as
    `simulate_chunk` measures them, summed over `repeats` runs of the chunk."""
    from resurgence.catalogue import PROCESSES
    from resurgence.engine.compile import compile_model
    from resurgence.engine.run import simulate_chunk
    from resurgence.scenarios import load_scenario

    model = compile_model(load_scenario(SCENARIO), n_months=MONTHS)
    names = ["(events)", *(p.name for p in PROCESSES), "(recording)", "(observation)"]
    spent = dict.fromkeys(names, 0.0)
    total = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        simulate_chunk(model, 0, CHUNK, SEED, 0, timings=spent)
        total += time.perf_counter() - start
    return list(spent.items()), total


class _TimedSampler:
    """A random generator that times its binomial and Poisson draws and counts them."""

    def __init__(self, rng, tally: dict[str, float]):
        self._rng, self._tally = rng, tally

    def _timed(self, method: str, *args):
        start = time.perf_counter()
        drawn = getattr(self._rng, method)(*args)
        self._tally["seconds"] += time.perf_counter() - start
        self._tally["draws"] += drawn.size
        return drawn

    def binomial(self, n, p):
        return self._timed("binomial", n, p)

    def poisson(self, lam):
        return self._timed("poisson", lam)

    def __getattr__(self, name):
        return getattr(self._rng, name)


def sampler_time(repeats: int) -> tuple[float, float]:
    """Seconds inside numpy's binomial and Poisson samplers per chunk (the least over
    `repeats` chunks) and the draws per replica-month: the floor of the engine's time
    that drawing fewer or faster numbers alone could lower. The processes' generators
    are wrapped in `_TimedSampler` (which adds its own overhead outside the draws)."""
    import resurgence.engine.run as engine_run
    from resurgence.engine.compile import compile_model
    from resurgence.scenarios import load_scenario

    model = compile_model(load_scenario(SCENARIO), n_months=MONTHS)
    streams = engine_run.chunk_streams
    best = None
    for i in range(repeats):
        tally = {"seconds": 0.0, "draws": 0}

        def timed_streams(*args, tally=tally):
            events, observe, processes = streams(*args)
            return events, observe, [_TimedSampler(rng, tally) for rng in processes]

        engine_run.chunk_streams = timed_streams
        try:
            engine_run.simulate_chunk(model, 0, CHUNK, SEED, i)
        finally:
            engine_run.chunk_streams = streams
        if best is None or tally["seconds"] < best["seconds"]:
            best = tally
    return best["seconds"], best["draws"] / (CHUNK * MONTHS)


# -------------------------------------------------------------------------------- peer


@dataclass
class Peer:
    engine_replicas: int
    engine_times: list[float]
    mesa_replicas: int
    mesa_seconds: float
    agents: int
    checks: list[tuple[str, float, float, float, float, float]]
    """Per output: engine mean, its SE, Mesa mean, its SE, difference / pooled SE of the
    difference."""

    @property
    def engine_throughput(self) -> float:
        return self.engine_replicas * PEER_MONTHS / min(self.engine_times)

    @property
    def mesa_throughput(self) -> float:
        return self.mesa_replicas * PEER_MONTHS / self.mesa_seconds

    @property
    def ratio(self) -> float:
        return self.engine_throughput / self.mesa_throughput

    @property
    def same(self) -> bool:
        return all(abs(z) < PEER_LIMIT for *_, z in self.checks)


def _peer_module():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import peer_mesa
    finally:
        sys.path.pop(0)
    return peer_mesa


def require_mesa() -> None:
    try:
        import mesa  # noqa: F401
    except ImportError:
        raise SystemExit("the peer benchmark needs Mesa 3: pip install -e '.[bench]'") from None


def peer(repeats: int, mesa_replicas: int) -> Peer:
    """Run the reduced model in the engine (best of `repeats`) and in Mesa (once), and
    compare each output's mean per month, replica by replica."""
    import numpy as np

    pm = _peer_module()
    model = pm.reduced_model(PEER_MONTHS)
    engine_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        engine = pm.engine_run(model, PEER_ENGINE_REPLICAS, SEED)
        engine_times.append(time.perf_counter() - start)
        print(
            f"  engine: {PEER_ENGINE_REPLICAS:,} replicas x {PEER_MONTHS} months: "
            f"{engine_times[-1]:.3f} s",
            flush=True,
        )
    start = time.perf_counter()
    agent_based = pm.mesa_run(model, mesa_replicas, SEED)
    mesa_seconds = time.perf_counter() - start
    print(
        f"  Mesa: {mesa_replicas} replicas x {PEER_MONTHS} months: {mesa_seconds:.1f} s",
        flush=True,
    )
    checks = []
    for name in pm.OUTPUTS:
        a, b = engine[name].mean(axis=1), agent_based[name].mean(axis=1)
        se_a, se_b = a.std(ddof=1) / np.sqrt(a.size), b.std(ddof=1) / np.sqrt(b.size)
        # Two-sample test under "same model" (same law, so the same spread): the pooled
        # spread, which the engine's many replicas pin down, rather than the few Mesa
        # replicas' own spread alone (two replicas can agree by chance, and their spread
        # would then be zero).
        pooled = np.sqrt(
            ((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2)
        )
        se = float(pooled * np.sqrt(1 / a.size + 1 / b.size))
        z = (b.mean() - a.mean()) / se if se > 0 else (0.0 if b.mean() == a.mean() else np.inf)
        checks.append((name, float(a.mean()), float(se_a), float(b.mean()), float(se_b), z))
    agents = int(model.initial["members"].sum())
    return Peer(PEER_ENGINE_REPLICAS, engine_times, mesa_replicas, mesa_seconds, agents, checks)


def peer_report(result: Peer, command: str, repeats: int) -> list[str]:
    import mesa
    import numpy as np

    speed = [
        [
            "engine (numpy)",
            f"{result.engine_replicas:,}",
            f"{min(result.engine_times):.3f}",
            f"{result.engine_throughput:,.1f}",
        ],
        [
            f"Mesa {mesa.__version__} (one agent per member)",
            f"{result.mesa_replicas:,}",
            f"{result.mesa_seconds:.3f}",
            f"{result.mesa_throughput:,.2f}",
        ],
    ]
    verdict = "MET" if result.ratio >= PEER_TARGET else "NOT MET"
    rows = [
        [
            name,
            f"{ea:,.2f} +- {sa:.2f}",
            f"{eb:,.2f} +- {sb:.2f}",
            f"{eb - ea:+,.2f}",
            f"{z:+.2f}",
            "ok" if abs(z) < PEER_LIMIT else "DIFFERENT",
        ]
        for name, ea, sa, eb, sb, z in result.checks
    ]
    same = "SAME MODEL" if result.same else "MEANS DIFFER"
    return [
        PEER_HEADING,
        "",
        f"- Date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Command: `{command}`",
        f"- numpy {np.__version__}, Mesa {mesa.__version__}, one core each (serial)",
        "",
        "Both run the same reduced flagship model, defined in `benchmarks/peer_mesa.py`: the "
        "scenario's parameters and initial members (with the first month's prison releases: "
        f"{result.agents:,} members of all groups and factions, 3,800 of them IS-K), and "
        "each month payroll attrition, counter-terrorism losses, attacks, defection and "
        "recruitment, with cohesion, posture, visibility, propaganda, host unity, capacity, "
        "the intelligence-led share and relations held at their initial values and money "
        "that never runs short. The engine runs the real `step` of those five processes "
        "over arrays of replicas; the Mesa model has one agent per member and per region "
        f"(`shuffle_do`, `DataCollector`). {PEER_MONTHS} months, seed {SEED}; the engine's "
        f"time is the best of {repeats} run(s), Mesa's one run of all its replicas, both "
        "including the set-up of the initial state (the agents for Mesa).",
        "",
        *table(speed, ["implementation", "replicas", "seconds", "replica-months/s"]),
        "",
        f'Ratio engine / Mesa: {result.ratio:,.0f}x. Target "the engine at least '
        f'{PEER_TARGET:,.0f}x Mesa": {verdict}.',
        "",
        "Same model? Each output's mean per month, averaged over replicas (+- its standard "
        "error from the spread between that side's replicas); z is the difference over the "
        "standard error of the difference, from the spread between replicas pooled over "
        "both sides (a two-sample t statistic: under the same model both sides have the same "
        f"spread), and the means agree when |z| < {PEER_LIMIT:g}. "
        "Outputs are IS-K totals over regions: members at the end of the month, raid "
        "losses, attrition (leavers and members who defected to the TTP), recruits, "
        "attacks, and defectors who joined IS-K.",
        "",
        *table(rows, ["output (per month)", "engine", "Mesa", "Mesa - engine", "z", "check"]),
        "",
        f"Check: {same}",
    ]


def write_results(main_lines: list[str] | None, peer_lines: list[str]) -> None:
    """Write RESULTS.md: the whole file, or only its peer section (kept after the rest)."""
    if main_lines is None:
        old = RESULTS.read_text().splitlines() if RESULTS.exists() else ["# Engine benchmark"]
        cut = next((i for i, line in enumerate(old) if line == PEER_HEADING), len(old))
        main_lines = old[:cut]
        while main_lines and not main_lines[-1].strip():
            main_lines.pop()
    RESULTS.write_text("\n".join([*main_lines, "", *peer_lines]) + "\n")


def machine() -> dict[str, str]:
    import numpy as np
    import xarray as xr

    return {
        "CPU": cpu_name(),
        "Cores": cores(),
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
    yardstick: list[float],
    profile: tuple[list[tuple[str, float]], float],
    sampling: tuple[float, float],
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
    yard = min(yardstick)
    ratio = target.best / yard
    relative = "MET" if ratio <= YARDSTICK_FACTOR else "NOT MET"
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
        "## The target, against the yardstick timed in the same run",
        "",
        f"The yardstick (`benchmarks/yardstick_numpy.py`, a deliberately simple plain-numpy "
        f"armed-group model: five binomial draws per (replica, region) and month) ran "
        f"{YARDSTICK['replicas']:,} replicas x {YARDSTICK['months']} months over "
        f"{YARDSTICK['regions']} regions in one process, {len(yardstick)} time(s), each in a "
        f"fresh process: best {yard:.3f} s (median {statistics.median(yardstick):.3f} s).",
        "",
        *table(
            [
                [
                    f"flagship `{SCENARIO}`, {workers} workers",
                    f"{target.best:.3f}",
                    f"{target.best / yard:.2f}",
                ],
                ["yardstick, 1 process", f"{yard:.3f}", "1.00"],
            ],
            [f"{replicas:,} replicas x {MONTHS} months", "best (s)", "/ yardstick"],
        ),
        "",
        f'Target "{replicas:,} replicas x {MONTHS} months within {limit:g} s on {workers} '
        f'cores": {verdict} (best {target.best:.2f} s; time/{limit:g} s = '
        f"{target.best / limit:.2f})",
        "",
        f'Target "within {YARDSTICK_FACTOR:g}x the yardstick timed in the same run": '
        f"{relative} (flagship / yardstick = {ratio:.2f})",
        "",
        f"## Time by process: one {CHUNK:,}-replica chunk, {MONTHS} months",
        "",
        f"Each process's `step` timed by `simulate_chunk(..., timings=...)`, summed over "
        f"{repeats} chunk(s); rows in parentheses are not processes.",
        "",
        *table(prof_rows, ["process", "seconds", "share"]),
        "",
        _sampling_line(sampling, profile, repeats, target, yard),
    ]
    return lines


def _sampling_line(
    sampling: tuple[float, float],
    profile: tuple[list[tuple[str, float]], float],
    repeats: int,
    target: Timing,
    yard: float,
) -> str:
    """What drawing alone costs the target run, against the yardstick: what it leaves of
    the target's budget for everything else, and what everything else takes."""
    seconds, per_month = sampling
    spent, total = profile
    chunk_s = total / repeats
    chunks = target.replicas / CHUNK / target.workers
    floor = seconds * chunks
    budget = YARDSTICK_FACTOR * yard
    bookkeeping = sum(s for name, s in spent if name in BOOKKEEPING) / repeats * chunks
    return (
        f"Inside numpy's samplers (`Generator.binomial` and `.poisson`, timed around each "
        f"call): {seconds:.3f} s of a chunk's {chunk_s:.3f} s ({seconds / chunk_s:.0%}), "
        f"{per_month:.0f} draws per replica-month. At that rate the {target.replicas:,} x "
        f"{MONTHS} run spends at least {floor:.2f} s drawing on {target.workers} workers, "
        f"before any other work: {floor / yard:.2f} times the yardstick's whole run. Within "
        f"the target of {YARDSTICK_FACTOR:g}x the yardstick ({budget:.2f} s), everything "
        f"else would have to fit in {budget - floor:.2f} s: in this run it took "
        f"{target.best - floor:.2f} s, and recording and the observation model alone take "
        f"{bookkeeping:.2f} s at the profile's rate."
    )


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
        "--peer-only",
        action="store_true",
        help="run only the engine-vs-Mesa peer and update only its section of RESULTS.md",
    )
    parser.add_argument(
        "--mesa-replicas",
        type=int,
        default=PEER_MESA_REPLICAS,
        metavar="N",
        help=f"replicas of the Mesa peer (default {PEER_MESA_REPLICAS})",
    )
    parser.add_argument(
        CHILD_FLAG, nargs=2, type=int, metavar=("REPLICAS", "WORKERS"), help=argparse.SUPPRESS
    )
    parser.add_argument(YARDSTICK_FLAG, action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        child(*args._child)
        return
    if args._yardstick:
        yardstick_child()
        return

    if args.mesa_replicas < 2:
        parser.error("--mesa-replicas must be at least 2 (the check needs their spread)")
    require_mesa()
    repeats = 1 if args.quick else 3
    command = shlex.join(getattr(sys, "orig_argv", [sys.executable, *sys.argv]))
    lines = None
    if not args.peer_only:
        print(f"Timing {len(CONFIGS)} configurations x {repeats} repeat(s)...", flush=True)
        timings = [measure(r, w, repeats) for r, w in CONFIGS]
        print("Timing the yardstick...", flush=True)
        yardstick = measure_yardstick(repeats)
        print("Profiling processes...", flush=True)
        profile = profile_processes(repeats)
        sampling = sampler_time(repeats)
        lines = report(timings, yardstick, profile, sampling, machine(), command, repeats)
        print()
        print("\n".join(lines))
    print("Peer: the reduced model in the engine and in Mesa...", flush=True)
    result = peer(repeats, args.mesa_replicas)
    peer_lines = peer_report(result, command, repeats)
    print()
    print("\n".join(peer_lines))
    write_results(lines, peer_lines)
    print(f"\nWrote {RESULTS}")
    if not result.same:
        bad = ", ".join(name for name, *_, z in result.checks if abs(z) >= PEER_LIMIT)
        raise SystemExit(
            f"peer check FAILED: the engine and Mesa means differ ({bad}): not the same model"
        )


if __name__ == "__main__":
    main()
