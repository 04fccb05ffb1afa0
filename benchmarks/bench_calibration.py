"""Benchmark the ABC-SMC calibration of the flagship scenario, and compare ABC libraries.

Part 1, the command: `resurgence.calibration.smc.calibrate` on `isk` and its builtin
evidence to 2022-12 with the defaults of `rs.calibrate` and `resurgence calibrate` (read
from the workflow's signature; seed 20240101), on 2 workers and on 1, and the earlier
defaults (1,000 particles x 6 populations, quantile 0.5, batches of 1,000) on 2 workers.
The target: the defaults within 30 s on 2 cores. Reference, measured in the same run for
each calibration: the same number of replica-months as plain engine chunks
(`resurgence.engine.run.simulate_chunk` over the same model months, in the calibration's
batch size, parameter sets drawn from the prior, one process), so calibration time /
reference time says what the ABC machinery (ELFI, the observation model, the distance)
and the second worker change beyond simulation. The posterior medians and 90% intervals
of the defaults are printed against the earlier defaults', with the shift of each median
and the ratio of the interval widths, so a change of defaults shows what it costs.

Part 2, the library comparison: the same problem (the scenario's free parameters and
priors, the same rows, the same distance `resurgence.calibration.distance.distance`) with
500 particles x 3 populations, on one core each:

* ELFI's SMC, batched: one simulator call simulates a batch of 1,000 parameter sets;
* pyabc's ABCSMC with `SingleCoreSampler`, one model call per particle (`simulate_rows`
  with a batch of 1), pyabc's distance a callable on the summary dicts, and the tolerance
  schedule ELFI reached (`ListEpsilon`), so both target the same ABC posterior;
* sbi is not run: it needs PyTorch (see the notes it prints).

Also measured: `simulate_rows` called with one parameter set per call (what any per-particle
library pays before its own overhead). Prints time per simulation for each and the ratio
ELFI/pyabc, and the posterior medians and 90% intervals of each library.

Writes the printed report to benchmarks/RESULTS_calibration.md (`--results` to change,
`--results -` for none).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
from machine import header_lines

SCENARIO = "isk"
UNTIL = "2022-12"
SEED = 20240101  # the command's default seed
EARLIER = {"samples": 1000, "populations": 6, "quantile": 0.5, "batch_size": 1000}
COMPARE = {"samples": 500, "populations": 3, "quantile": 0.5, "batch_size": 1000}
PER_CALL = 200  # calls of simulate_rows with n = 1
TARGET_S = 30.0
RESULTS = Path(__file__).resolve().parent / "RESULTS_calibration.md"
TORCH_NOTE = (
    "sbi (0.27) is built on PyTorch: the torch 2.14.1 wheel for CPython 3.11 on Linux x86_64 "
    "is 555 MB (529 MiB), and on Linux it also requires the CUDA wheels (cuda-toolkit "
    "13.0.3, nvidia-cudnn-cu13, nvidia-cusparselt-cu13, nvidia-nccl-cu13, "
    "nvidia-nvshmem-cu13, triton), several GB more (sizes from the wheel's METADATA and "
    "the local package mirror; not installed). sbi fits a neural density estimator to "
    "simulations (NPE/NLE/NRE): a heavy dependency and a training step for 4 parameters "
    "and 6 rows, where rejection-based ABC-SMC with a batched simulator is enough."
)

EXAMPLE = """\
example:
  python benchmarks/bench_calibration.py --quick        # a smoke run, a couple of minutes
  python benchmarks/bench_calibration.py                # the defaults, each timing twice
  python benchmarks/bench_calibration.py --repeat 1 --skip-compare --results -
"""


def defaults() -> dict:
    """The settings `rs.calibrate` (and so `resurgence calibrate`) runs with by default."""
    import inspect

    from resurgence.workflows.calibrate import calibrate

    given = inspect.signature(calibrate).parameters
    return {name: given[name].default for name in EARLIER}


def machine() -> list[str]:
    import elfi
    import numpy as np
    import pandas as pd

    try:
        import pyabc

        pyabc_version = pyabc.__version__
    except Exception as exc:  # any failure to import is reported
        pyabc_version = f"not importable ({type(exc).__name__})"
    return header_lines(
        f"numpy {np.__version__}; pandas {pd.__version__}; ELFI {elfi.__version__}; "
        f"pyabc {pyabc_version}"
    )


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> list[float]:
    order = np.argsort(values)
    v, w = values[order], weights[order] / weights.sum()
    cum = np.cumsum(w) - 0.5 * w
    return [float(np.interp(q, cum, v)) for q in qs]


def summary(names, values: np.ndarray, weights: np.ndarray) -> dict[str, tuple]:
    """Each parameter's weighted median and 90% interval."""
    return {
        name: tuple(weighted_quantiles(values[:, j], weights, (0.5, 0.05, 0.95)))
        for j, name in enumerate(names)
    }


def problem(quick: bool):
    from resurgence.calibration.free import free_parameters
    from resurgence.engine.compile import compile_model
    from resurgence.evidence.load import builtin_evidence, read_evidence, resolve
    from resurgence.scenarios import load_scenario

    spec = load_scenario(SCENARIO)
    free = free_parameters(spec)
    resolved = resolve(
        read_evidence(builtin_evidence(SCENARIO)), spec, compile_model(spec), until=UNTIL
    )
    model = compile_model(spec, n_months=resolved.last_month + 1)
    return model, resolved.rows, free


_COUNTER = None


def count_simulations():
    """Count the parameter sets ELFI's simulator is given, in this process and in ELFI's
    pool workers (forked after this patch, sharing the counter's memory)."""
    global _COUNTER
    import multiprocessing

    from resurgence.calibration import smc

    if _COUNTER is not None:
        return _COUNTER
    _COUNTER = multiprocessing.Value("q", 0)
    original = smc.simulate_rows

    def counting(model, rows, overrides, seed):
        with _COUNTER.get_lock():
            _COUNTER.value += len(next(iter(overrides.values())))
        return original(model, rows, overrides, seed)

    smc.simulate_rows = counting
    return _COUNTER


def run_elfi(model, rows, free, settings: dict, workers: int) -> dict:
    from resurgence.calibration.smc import calibrate

    counter = count_simulations()
    counter.value = 0
    start = time.perf_counter()
    posterior, records = calibrate(model, rows, free, seed=SEED, workers=workers, **settings)
    seconds = time.perf_counter() - start
    sims = int(counter.value)
    earlier = [r.simulations for r in records[:-1]]
    return {
        "seconds": seconds,
        "simulations": sims,
        "tolerances": [r.tolerance for r in records],
        "per_population": [*earlier, sims - sum(earlier)],
        "posterior": summary(posterior.names, posterior.values, posterior.weights),
    }


def reference(model, rows, free, simulations: int, chunk: int, observe: bool) -> float:
    """Seconds to simulate `simulations` replicas of the model in chunks of `chunk`, with
    prior draws, one process; with `observe`, the rows' figures too (`simulate_rows`)."""
    from resurgence.calibration.simulator import simulate_rows
    from resurgence.engine.run import simulate_chunk

    rng = np.random.default_rng(SEED)
    start = time.perf_counter()
    done, index = 0, 0
    while done < simulations:
        n = min(chunk, simulations - done)
        overrides = {p.name: p.sample(n, rng) for p in free}
        if observe:
            simulate_rows(model, rows, overrides, SEED + index)
        else:
            simulate_chunk(model, 0, n, SEED, index, overrides)
        done, index = done + n, index + 1
    return time.perf_counter() - start


def per_call(model, rows, free, calls: int) -> float:
    """Seconds per `simulate_rows` call with a single parameter set."""
    from resurgence.calibration.simulator import simulate_rows

    rng = np.random.default_rng(SEED)
    draws = [{p.name: p.sample(1, rng) for p in free} for _ in range(calls)]
    start = time.perf_counter()
    for i, overrides in enumerate(draws):
        simulate_rows(model, rows, overrides, SEED + i)
    return (time.perf_counter() - start) / calls


def run_pyabc(model, rows, free, settings: dict, tolerances: list[float]) -> dict:
    """pyabc's ABCSMC on one core, one model call per particle, ELFI's tolerances."""
    import pyabc
    from pyabc.sampler import SingleCoreSampler

    from resurgence.calibration.distance import distance
    from resurgence.calibration.simulator import simulate_rows

    names = [p.name for p in free]
    keys = [f"p{j}" for j in range(len(free))]  # pyabc stores parameters by name
    prior = pyabc.Distribution(
        **{
            k: pyabc.RV(
                *(
                    ("uniform", p.low, p.high - p.low)
                    if p.dist == "uniform"
                    else ("loguniform", p.low, p.high)
                )
            )
            for k, p in zip(keys, free, strict=True)
        }
    )

    def simulator(parameter) -> dict:
        overrides = {
            name: np.array([float(parameter[k])]) for name, k in zip(names, keys, strict=True)
        }
        seed = int(np.random.randint(0, 2**31 - 1))  # pyabc seeds numpy's global state
        return {"figures": simulate_rows(model, rows, overrides, seed)[0]}

    def pyabc_distance(x, x0) -> float:
        return float(distance(np.asarray(x["figures"])[None, :], rows)[0])

    np.random.seed(SEED % 2**32)
    observed = {"figures": np.array([r.low if r.exact else 0.0 for r in rows])}
    with tempfile.TemporaryDirectory() as tmp:
        abc = pyabc.ABCSMC(
            simulator,
            prior,
            pyabc_distance,
            population_size=settings["samples"],
            sampler=SingleCoreSampler(),
            eps=pyabc.epsilon.ListEpsilon(list(tolerances)),
        )
        start = time.perf_counter()
        abc.new(f"sqlite:///{tmp}/pyabc.db", observed)
        history = abc.run(max_nr_populations=settings["populations"])
        seconds = time.perf_counter() - start
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        populations = history.get_all_populations()
        per_population = [int(x) for x in populations["samples"] if x and x > 0]
        sims = int(history.total_nr_simulations)
    values = frame[keys].to_numpy(dtype=np.float64)
    return {
        "seconds": seconds,
        "simulations": sims,
        "per_population": per_population,
        "posterior": summary(names, values, np.asarray(weights, dtype=np.float64)),
    }


def fmt_post(post: dict[str, tuple], name: str) -> str:
    q50, q05, q95 = post[name]
    return f"{q50:.4g} ({q05:.4g}-{q95:.4g})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each measurement")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 200 particles x 3 populations, then 100 x 2 for the comparison, once",
    )
    parser.add_argument(
        "--pyabc-runs",
        type=int,
        default=1,
        help="timed pyabc runs (at most --repeat; each is minutes at the default size)",
    )
    parser.add_argument("--skip-command", action="store_true", help="skip part 1")
    parser.add_argument("--skip-compare", action="store_true", help="skip part 2")
    parser.add_argument("--results", default=str(RESULTS), help="Markdown file, or - for none")
    args = parser.parse_args(argv)
    command = defaults()
    compare = dict(COMPARE)
    calls = PER_CALL
    if args.quick:
        command.update(samples=200, populations=3)
        compare.update(samples=100, populations=2)
        args.repeat, calls = 1, 50

    model, rows, free = problem(args.quick)
    lines = ["# Calibration benchmark", "", *machine(), ""]
    lines += [
        f"Problem: `{SCENARIO}` on its builtin evidence to {UNTIL}: {len(rows)} rows "
        f"({', '.join(r.label for r in rows)}), {model.n_months} model months "
        f"({model.start} to {model.months[-1]}), {len(free)} free parameters "
        f"({', '.join(f'{p.name} {p.dist} [{p.low:g}, {p.high:g}]' for p in free)}); "
        f"seed {SEED}; {args.repeat} timed run(s) of each measurement.",
    ]
    print("\n".join(lines), flush=True)
    out: list[str] = []

    if not args.skip_command:
        out += command_part(model, rows, free, command, args.repeat, not args.quick)
    if not args.skip_compare:
        out += compare_part(
            model, rows, free, compare, args.repeat, calls, min(args.pyabc_runs, args.repeat)
        )
    else:
        emit(out, "", "The library comparison (part 2) was not run (`--skip-compare`).")
    if args.results != "-":
        Path(args.results).write_text("\n".join(lines + out) + "\n", encoding="utf-8")
        print(f"\nwritten to {args.results}")


def emit(out: list[str], *new: str) -> None:
    print("\n".join(new), flush=True)
    out.extend(new)


def command_part(model, rows, free, settings: dict, repeat: int, earlier: bool) -> list[str]:
    """The command's defaults on 2 and 1 workers, the earlier defaults (`EARLIER`, with
    `earlier`) on 2 workers for their time and posterior, and the engine alone as the
    reference."""
    out: list[str] = []
    emit(
        out,
        "",
        f"## `resurgence calibrate {SCENARIO} --until {UNTIL} -w 2`: {describe(settings)}",
        "",
    )
    runs = []
    for i in range(repeat):
        for label, chosen, workers in (
            ("defaults", settings, 2),
            ("defaults", settings, 1),
            ("earlier defaults", EARLIER, 2),
        ):
            if label == "earlier defaults" and (chosen == settings or not earlier):
                continue
            r = run_elfi(model, rows, free, chosen, workers)
            sims = r["simulations"]
            engine = reference(model, rows, free, sims, chosen["batch_size"], False)
            runs.append((i + 1, label, chosen, workers, r, engine))
            print(
                f"run {i + 1}, {label}, {workers} worker(s): {r['seconds']:.1f} s, {sims:,} "
                f"simulations; engine alone {engine:.1f} s",
                flush=True,
            )
    rm = model.n_months
    emit(
        out,
        "| run | settings | workers | wall time (s) | / 30-s target | simulations | "
        "replica-months/s | reference: `simulate_chunk`, same replica-months, 1 process (s) "
        "| calibration / reference |",
        "|--:|:--|--:|--:|--:|--:|--:|--:|--:|",
        *(
            f"| {i} | {label}: {describe(chosen)} | {w} | {r['seconds']:.1f} | "
            f"{r['seconds'] / TARGET_S:.2f} | {r['simulations']:,} | "
            f"{r['simulations'] * rm / r['seconds']:,.0f} | {e:.1f} | {r['seconds'] / e:.2f}x |"
            for i, label, chosen, w, r, e in runs
        ),
        "",
    )
    for label in dict.fromkeys(label for _, label, _, _, _, _ in runs):
        last = [r for _, lab, _, w, r, _ in runs if lab == label and w == 2][-1]
        emit(
            out,
            f"Simulations per population ({label}, last run, 2 workers): "
            + ", ".join(
                f"{n:,} (tolerance {t:.3f})"
                for n, t in zip(last["per_population"], last["tolerances"], strict=True)
            ),
            "",
        )
    one = [r for _, lab, _, w, r, _ in runs if lab == "defaults" and w == 1][-1]
    two = [r for _, lab, _, w, r, _ in runs if lab == "defaults" and w == 2][-1]
    columns = [("defaults, 2 workers", two), ("defaults, 1 worker", one)]
    earlier = [r for _, lab, _, _, r, _ in runs if lab == "earlier defaults"]
    if earlier:
        columns.append((f"earlier defaults ({describe(EARLIER)}), 2 workers", earlier[-1]))
    emit(
        out,
        "| parameter | prior 90% | "
        + " | ".join(f"{name}: median (90%)" for name, _ in columns)
        + (SHIFT if earlier else " |"),
        "|:--|--:|" + "--:|" * (len(columns) + bool(earlier)),
        *(
            f"| {p.name} | {p.interval(0.9)[0]:.4g}-{p.interval(0.9)[1]:.4g} | "
            + " | ".join(fmt_post(r["posterior"], p.name) for _, r in columns)
            + (f" | {shift(two, earlier[-1], p.name)} |" if earlier else " |")
            for p in free
        ),
        "",
        "Same posterior on 1 and 2 workers: "
        + ("yes" if one["posterior"] == two["posterior"] else "NO"),
    )
    if settings == defaults():
        worst = max(r["seconds"] for _, lab, _, w, r, _ in runs if lab == "defaults" and w == 2)
        verdict = "met" if worst <= TARGET_S else "NOT met"
        emit(
            out,
            "",
            f"Target (the defaults within {TARGET_S:g} s on 2 cores): {verdict} "
            f"(slowest 2-worker run {worst:.1f} s).",
        )
    else:
        emit(out, "", "Not the command's defaults: no verdict on the target.")
    return out


SHIFT = " | shift of the median, width of the 90% interval: defaults / earlier |"


def describe(settings: dict) -> str:
    return (
        f"{settings['samples']:,} particles x {settings['populations']} populations, "
        f"quantile {settings['quantile']:g}, batches of {settings['batch_size']:,}"
    )


def shift(new: dict, old: dict, name: str) -> str:
    """How far the median moved, as a share of the earlier 90% interval's width, and the
    ratio of the two widths."""
    q50, lo, hi = new["posterior"][name]
    e50, elo, ehi = old["posterior"][name]
    return f"{(q50 - e50) / (ehi - elo):+.1%} of the width; widths {(hi - lo) / (ehi - elo):.2f}"


def compare_part(
    model, rows, free, settings: dict, repeat: int, calls: int, pyabc_runs: int
) -> list[str]:
    out: list[str] = []
    emit(
        out,
        "",
        f"## Library comparison: {settings['samples']:,} particles x "
        f"{settings['populations']} populations, one core each",
        "",
    )
    results: list[tuple[str, int, dict]] = []
    pyabc_error = None
    for i in range(repeat):
        settings_elfi = dict(settings)
        elfi_run = run_elfi(model, rows, free, settings_elfi, 1)
        results.append((f"ELFI SMC, batches of {settings['batch_size']:,}", i + 1, elfi_run))
        print(
            f"run {i + 1}: ELFI {elfi_run['seconds']:.1f} s, "
            f"{elfi_run['simulations']:,} simulations",
            flush=True,
        )
        if pyabc_error is None and i < pyabc_runs:
            try:
                p = run_pyabc(model, rows, free, settings, elfi_run["tolerances"])
                results.append(("pyabc ABCSMC, SingleCoreSampler, 1 per call", i + 1, p))
                print(
                    f"run {i + 1}: pyabc {p['seconds']:.1f} s, {p['simulations']:,} simulations",
                    flush=True,
                )
            except Exception as exc:  # the error is the result
                pyabc_error = "".join(traceback.format_exception_only(exc)).strip()
                print(traceback.format_exc(), file=sys.stderr)
        seconds = per_call(model, rows, free, calls)
        results.append(
            (
                f"`simulate_rows`, 1 per call ({calls} calls), no library",
                i + 1,
                {"seconds": seconds * calls, "simulations": calls, "posterior": None},
            )
        )
        print(f"run {i + 1}: per call {seconds * 1e3:.1f} ms", flush=True)

    def per_sim(r):
        return r["seconds"] / r["simulations"]

    emit(
        out,
        "| library | run | wall time (s) | simulations | simulations/s | ms per simulation |",
        "|:--|--:|--:|--:|--:|--:|",
        *(
            f"| {name} | {i} | {r['seconds']:.1f} | {r['simulations']:,} | "
            f"{r['simulations'] / r['seconds']:,.0f} | {per_sim(r) * 1e3:.2f} |"
            for name, i, r in results
        ),
        "| sbi | - | not run: needs PyTorch (below) | - | - | - |",
    )
    elfi_runs = [r for name, _, r in results if name.startswith("ELFI")]
    pyabc_runs = [r for name, _, r in results if name.startswith("pyabc")]
    call_runs = [r for name, _, r in results if name.startswith("`simulate_rows`")]
    best_elfi = min(per_sim(r) for r in elfi_runs)
    best_call = min(per_sim(r) for r in call_runs)
    emit(out, "")
    if pyabc_runs:
        best_pyabc = min(per_sim(r) for r in pyabc_runs)
        emit(
            out,
            f"Time per simulation, ELFI / pyabc: {best_elfi / best_pyabc:.4f} (pyabc is "
            f"{best_pyabc / best_elfi:.0f}x slower per simulation; best runs). Per run: "
            + ", ".join(
                f"{per_sim(e) / per_sim(p):.4f}"
                for e, p in zip(elfi_runs, pyabc_runs, strict=False)
            )
            + f". pyabc / one `simulate_rows` call with n = 1: {best_pyabc / best_call:.2f}x "
            f"(pyabc's own overhead per particle beyond the per-call cost).",
        )
    else:
        emit(
            out,
            f"pyabc could not run: `{pyabc_error}`. Fallback reference: one `simulate_rows` "
            f"call with n = 1, as pyabc would call it. Time per simulation, ELFI / per-call: "
            f"{best_elfi / best_call:.4f} ({best_call / best_elfi:.0f}x).",
        )
    emit(
        out,
        f"Time per simulation, ELFI / one `simulate_rows` call with n = 1: "
        f"{best_elfi / best_call:.4f} ({best_call / best_elfi:.0f}x).",
        "",
        "Tolerances (ELFI's, also given to pyabc as `ListEpsilon`), last run: "
        + ", ".join(f"{t:.3f}" for t in elfi_runs[-1]["tolerances"]),
        "; simulations per population, ELFI: "
        + ", ".join(f"{n:,}" for n in elfi_runs[-1]["per_population"])
        + (
            "; pyabc: " + ", ".join(f"{n:,}" for n in pyabc_runs[-1]["per_population"])
            if pyabc_runs
            else ""
        ),
        "",
        "| parameter | prior 90% | "
        + " | ".join(
            f"{name.split(',')[0]} run {i}: median (90%)"
            for name, i, r in results
            if r["posterior"]
        )
        + " |",
        "|:--|--:|" + "--:|" * sum(1 for _, _, r in results if r["posterior"]),
        *(
            f"| {p.name} | {p.interval(0.9)[0]:.4g}-{p.interval(0.9)[1]:.4g} | "
            + " | ".join(fmt_post(r["posterior"], p.name) for _, _, r in results if r["posterior"])
            + " |"
            for p in free
        ),
        "",
        TORCH_NOTE,
    )
    return out


if __name__ == "__main__":
    main()
