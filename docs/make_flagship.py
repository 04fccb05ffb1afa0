"""Generate docs/flagship.md: the flagship scenario's answers, from the toolkit's own output.

Every figure in the page is computed here by the library (a run, a policy comparison on
common random numbers, a Sobol' analysis by condition, a PRIM scenario discovery); none
is typed by hand. Regenerate after any change to the model or the scenario:

    python docs/make_flagship.py            # the budgets the page states (a few minutes)
    python docs/make_flagship.py --quick    # small budgets, to try the script
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from resurgence import __version__
from resurgence.analysis.batch import months_needed
from resurgence.analysis.compare import Arm, run_arm, summarise_arms
from resurgence.analysis.condition_ends import condition_ends, model_and_space
from resurgence.analysis.conditions import condition_space
from resurgence.analysis.discover import discover
from resurgence.analysis.resurgence import (
    Definition,
    first_hit,
    measure_series,
    resurgence_probability,
    wilson_interval,
)
from resurgence.analysis.sensitivity import (
    Precision,
    engine_evaluator,
    problem_from_scenario,
    run_sensitivity,
)
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.engine.run import run
from resurgence.posterior import builtin_posterior, load
from resurgence.scenarios import load_policy, load_scenario, policy_names
from resurgence.workflows.sensitivity import REPLICAS as SOBOL_REPLICAS
from resurgence.workflows.sensitivity import SAMPLES as SENSITIVITY_SAMPLES

OUT = Path(__file__).with_name("flagship.md")
SEED = 20240101
# Sections 1 and 3 use the posterior `resurgence run isk` uses; sections 2 explore the
# conditions' parameters over their ranges around the scenario's values.
POSTERIOR = load(builtin_posterior("isk"))
BUDGETS = {
    "full": {
        "run": 10000,
        "compare": 2000,
        "conditions": 4000,
        "sobol_n": SENSITIVITY_SAMPLES["sobol"],  # `resurgence sensitivity isk`'s defaults
        "sobol_replicas": SOBOL_REPLICAS,
        "discover_sets": 400,
        "discover_replicas": 8,
    },
    "quick": {
        "run": 500,
        "compare": 200,
        "conditions": 200,
        "sobol_n": 4,
        "sobol_replicas": 8,
        "discover_sets": 40,
        "discover_replicas": 4,
    },
}


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def interval(low: float, high: float) -> str:
    return f"[{pct(low)}, {pct(high)}]"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def probability_by_horizon(scenario, definition, budget) -> tuple[list[str], dict]:
    model = with_posterior(compile_model(scenario), POSTERIOR)
    ensemble = run(model, budget["run"], SEED, workers=2)
    prob, curve = resurgence_probability(ensemble, definition)
    n = prob.replicas
    rows = []
    for months in (12, 24, 36):
        if months <= len(curve):
            p = float(curve[months - 1])
            rows.append([f"{months} months", pct(p), interval(*wilson_interval(round(p * n), n))])
    lines = [
        f"From one run of {n:,} replicas (seed {SEED}), the probability that the group "
        f"resurges, by the scenario's definition ({definition.describe()}), within:",
        "",
        *table(["horizon from " + definition.start, "probability", "95% interval"], rows),
        "",
        "The answer depends on what one calls a resurgence. The same replicas under other "
        "definitions (36 months from the same start):",
        "",
    ]
    alternatives = [
        replace(definition, measure="reported_attacks", threshold=t, consecutive=3, horizon=36)
        for t in (5, 10, 15, 25)
    ] + [
        replace(definition, measure="members", threshold=m, consecutive=3, horizon=36)
        for m in (2500, 3500)
    ]
    months = list(ensemble["month"].values)
    alt_rows = []
    for d in alternatives:
        hits = first_hit(measure_series(ensemble, d), d, months) >= 0
        k = int(hits.sum())
        alt_rows.append([d.describe(), pct(k / n), interval(*wilson_interval(k, n))])
    lines += table(["definition", "probability", "95% interval"], alt_rows)
    return lines, {"probability": prob}


def policies(scenario, definition, budget) -> list[str]:
    arms = [Arm("baseline", [])] + [
        Arm(name, [load_policy(name, scenario)]) for name in policy_names(scenario)
    ]
    outcomes = [
        run_arm(scenario, arm, budget["compare"], SEED, definition, workers=2, posterior=POSTERIOR)
        for arm in arms
    ]
    months = [str(m) for m in range(outcomes[0].series["members"].shape[1])]
    comparison = summarise_arms(outcomes, months)
    end = comparison.trajectories[comparison.trajectories["month"] == months[-1]]
    end = end.set_index(["arm", "variable"])
    rows = []
    for row in comparison.arms.itertuples():
        title = "no policy" if row.arm == "baseline" else load_policy(row.arm, scenario).title
        members = end.loc[(row.arm, "members")]
        attacks = end.loc[(row.arm, "reported_attacks")]
        rows.append(
            [
                f"`{row.arm}`: {title}",
                f"{pct(row.probability)} {interval(row.ci_low, row.ci_high)}",
                f"{100 * row.diff:+.1f} [{100 * row.diff_low:+.1f}, {100 * row.diff_high:+.1f}]",
                f"{members.diff_mean:+,.0f}",
                f"{attacks.diff_mean:+.1f}",
            ]
        )
    return [
        f"Each builtin policy layered alone on the baseline, {budget['compare']:,} replicas per "
        f"arm on common random numbers (seed {SEED}); differences are paired replica by "
        "replica (Newcombe's interval for the probability; members and reported attacks a "
        "month are mean differences in the scenario's last month). Policies start in January "
        "2024 unless their file says otherwise (`resurgence show isk` and "
        "`src/resurgence/scenarios/builtin/policies/isk/`).",
        "",
        *table(
            [
                "arm",
                "P(resurgence) [95%]",
                "difference, points [paired 95%]",
                "members",
                "attacks/month",
            ],
            rows,
        ),
    ]


def conditions(scenario, definition, budget) -> list[str]:
    """Each condition at the end of its parameters' ranges in the group's favour and at
    the other end, on common random numbers (`resurgence conditions isk`)."""
    model, space = model_and_space(scenario, definition, POSTERIOR)
    replicas = budget["conditions"]
    frame = condition_ends(model, space, definition, replicas=replicas, seed=SEED, workers=2)
    lines = [
        f"`resurgence conditions isk --replicas {replicas}`: for each condition, the "
        "probability with all its parameters at the end of their ranges in the group's "
        "favour and at the other end (each replica drawing the free parameters from the "
        f"posterior, the same draw and random numbers at both ends; {replicas:,} replicas), "
        "the paired difference with Newcombe's 95% interval, and the direction the analysis "
        "argues (higher in the group's favour).",
        "",
    ]
    rows = [
        [
            f"`{r.condition}`",
            f"{pct(r.favour)} {interval(r.favour_low, r.favour_high)}",
            f"{pct(r.against)} {interval(r.against_low, r.against_high)}",
            f"{100 * r.diff:+.1f} [{100 * r.diff_low:+.1f}, {100 * r.diff_high:+.1f}] points",
            r.argued,
            "yes" if r.agrees else "no",
        ]
        for r in frame.itertuples()
    ]
    lines += table(
        ["condition", "in its favour", "against it", "difference", "analysis argues", "agrees"],
        rows,
    )
    return lines


def drivers(scenario, definition, budget, model) -> tuple[list[str], list[str]]:
    """Sobol' indices on the calibrated model (each replica draws the free parameters
    from the posterior), as `resurgence sensitivity isk` computes them by default."""
    model = with_posterior(model, POSTERIOR)
    problem = problem_from_scenario(scenario, model)
    evaluate = engine_evaluator(
        model,
        problem,
        replicas=budget["sobol_replicas"],
        seed=SEED,
        definition=definition,
        workers=2,
    )
    precision = Precision(first=min(Precision.first, budget["sobol_n"]))
    analysis = run_sensitivity(
        problem, "sobol", budget["sobol_n"], evaluate, seed=SEED, precision=precision
    )
    idx = analysis.indices
    depth = analysis.depths()
    noise = analysis.noise_shares.get("probability", float("nan"))
    refined = [
        f"`{name}` to {n:,}"
        for level in depth.values()
        for name, n in level.items()
        if n > precision.first
    ]
    lines = [
        f"Sobol' indices (SALib's Saltelli design at N = {budget['sobol_n']:,}, adaptive: every "
        f"index started with {precision.first:,} base samples and those wider than "
        f"±{precision.half_width} got more, {', '.join(refined) or 'none'}; "
        f"{budget['sobol_replicas']} independent replicas per parameter set, "
        f"{int(analysis.evaluated.sum()):,} sets) of the {len(problem.names)} parameters of the "
        f"{len(problem.condition_names)} conditions, each uniform over its plausible range "
        "(a regional one as one level in every region, or as a factor on each region's "
        "value), on the calibrated model: each replica draws the free parameters from the "
        "posterior. The indices apportion the variance of the resurgence probability as a "
        "function of the parameters; the replicas' noise "
        f"({pct(noise)} of the variance of the sets' probabilities) is removed "
        "(docs/sensitivity.md). Total-order index ST (with its 95% bootstrap half-width) of "
        "the resurgence probability and of reported attacks in the horizon's last month, "
        "by condition:",
        "",
    ]
    cond = idx[idx["level"] == "condition"]
    prob = cond[cond["output"] == "probability"].set_index("name")
    attacks = cond[cond["output"] == "attacks"].set_index("name")
    rows = []
    for name in prob.sort_values("ST", ascending=False).index:
        rows.append(
            [
                f"`{name}`: {scenario.conditions[name].description}",
                f"{prob.loc[name, 'ST']:.2f} ± {prob.loc[name, 'ST_conf']:.2f}",
                f"{prob.loc[name, 'S1']:.2f} ± {prob.loc[name, 'S1_conf']:.2f}",
                f"{attacks.loc[name, 'ST']:.2f} ± {attacks.loc[name, 'ST_conf']:.2f}",
                f"{depth['condition'][name]:,}",
            ]
        )
    heads = ["condition", "ST (probability)", "S1 (probability)", "ST (attacks)", "base samples"]
    lines += table(heads, rows)
    par = idx[(idx["level"] == "parameter") & (idx["output"] == "probability")]
    par = par.sort_values("ST", ascending=False)
    rows = [
        [
            f"`{r.name}`",
            f"`{r.condition}`",
            f"{r.ST:.2f} ± {r.ST_conf:.2f}",
            f"{r.S1:.2f} ± {r.S1_conf:.2f}",
            f"{depth['parameter'][r.name]:,}",
        ]
        for r in par.itertuples()
    ]
    lines += ["", "By parameter (resurgence probability):", ""]
    lines += table(["parameter", "condition", "ST", "S1", "base samples"], rows)
    top = list(par["name"][:5])
    return lines, top


def boxes(scenario, definition, budget, model) -> list[str]:
    space = condition_space(scenario, model)
    found = discover(
        model,
        space,
        definition,
        samples=budget["discover_sets"],
        replicas=budget["discover_replicas"],
        seed=SEED,
        workers=2,
    )
    total = len(found.samples)
    lines = [
        f"PRIM (EMA Workbench) over {total} parameter sets of the same {len(space)} "
        "parameters (Latin "
        f"hypercube, {budget['discover_replicas']} replicas each); a set counts as a likely "
        f"resurgence when its probability is at least {found.likely:g}: {found.cases} of "
        f"{total} sets.",
        "",
    ]
    if found.discovery is None or found.discovery.boxes.empty:
        return [*lines, "PRIM found no box that reaches the density threshold."]
    b = found.discovery.boxes
    first = b.iloc[0]
    lines += [
        f"The box: coverage {first.coverage:.2f} (share of the likely resurgences inside "
        f"it), density {first.density:.2f} (share of the sets inside it that are likely "
        "resurgences):",
        "",
    ]
    rows = []
    for r in b.itertuples():
        if not isinstance(r.parameter, str):
            continue
        low = f"{r.low:.4g}" if r.low_restricted else "-"
        high = f"{r.high:.4g}" if r.high_restricted else "-"
        qp = " / ".join(f"{q:.2g}" if np.isfinite(q) else "-" for q in (r.qp_low, r.qp_high))
        rows.append(
            [
                f"`{r.parameter}`",
                f"`{r.condition}`",
                low,
                high,
                f"[{r.range_low:.4g}, {r.range_high:.4g}]",
                qp,
            ]
        )
    lines += table(["parameter", "condition", "at least", "at most", "range", "quasi-p"], rows)
    traj = found.discovery.trajectory
    picks = traj.iloc[:: max(1, len(traj) // 6)]
    lines += ["", "The trade-off between coverage and density along PRIM's peeling:", ""]
    lines += table(
        ["step", "coverage", "density", "restricted parameters"],
        [
            [int(r.step), f"{r.coverage:.2f}", f"{r.density:.2f}", int(r.restricted)]
            for r in picks.itertuples()
        ],
    )
    return lines


def assumptions(scenario, model, top: list[str]) -> list[str]:
    rows = [
        [
            f"`{name}`",
            f"{float(model.values[name]):g}",
            f"[{model.parameters[name].low:g}, {model.parameters[name].high:g}]",
            model.parameters[name].unit,
            model.parameters[name].reason,
        ]
        for name in top
    ]
    return [
        "The parameters with the largest total-order indices for the resurgence "
        "probability are the assumptions that matter most: the scenario's value, its "
        "plausible range and the reason for the value (from the processes and the scenario):",
        "",
        *table(["parameter", "value", "range", "unit", "reason"], rows),
        "",
        "Two assumptions outside the parameters matter as much: the definition of a "
        "resurgence (the table of definitions above), and the model's fit to the published "
        "figures: the four free parameters are calibrated on the evidence to 2022-12, whose "
        "six usable rows leave the posterior wide (`docs/calibration.md`; `docs/model.md`, "
        "section 10 sets the default run beside the UN's and IS's counts of 2021 and 2022).",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small budgets, to try it")
    args = parser.parse_args(argv)
    budget = BUDGETS["quick" if args.quick else "full"]
    started = time.perf_counter()
    scenario = load_scenario("isk")
    definition = Definition.from_scenario(scenario)
    base = compile_model(scenario)
    horizon_model = compile_model(scenario, n_months=months_needed(base, definition))

    print("probability by horizon...", flush=True)
    q1, _ = probability_by_horizon(scenario, definition, budget)
    print("policies...", flush=True)
    q3 = policies(scenario, definition, budget)
    print("conditions...", flush=True)
    q2a = conditions(scenario, definition, budget)
    print("sensitivity...", flush=True)
    q2, top = drivers(scenario, definition, budget, horizon_model)
    print("discovery...", flush=True)
    q2b = boxes(scenario, definition, budget, horizon_model)
    command = "python docs/make_flagship.py" + (" --quick" if args.quick else "")
    lines = [
        "# The flagship scenario's answers: IS-K under the Taliban, 2021-2026",
        "",
        f"Generated by `{command}` (resurgence {__version__}, scenario `isk` "
        f"{base.scenario_hash}, seed {SEED}, {time.perf_counter() - started:.0f} s on two "
        "workers). Every figure below comes from the toolkit's own output; do not edit by hand.",
        "",
        f"**Resurgence** here means: {definition.describe()}. {scenario.resurgence.note}",
        "",
        "The scenario models the group's latent state (members, money, cohesion, posture) "
        "under the dated timeline of 2021-2024 (`resurgence show isk`); from 2024 on, the "
        "baseline holds the conditions of early 2024 constant: nothing in it assumes a "
        "policy change. Sections 1 and 3 draw each replica's free parameters from the "
        "posterior calibrated on the published evidence to 2022-12, as `resurgence run isk` "
        "does, and so do the first table of section 2 (each condition at both ends) and its "
        "Sobol' indices; its PRIM boxes vary the conditions' parameters over their ranges "
        "around the scenario's values.",
        "",
        "## 1. How likely is a resurgence?",
        "",
        *q1,
        "",
        "## 2. What drives it, and which combinations lead to it?",
        "",
        "### Each condition against the analysis's argument",
        "",
        *q2a,
        "",
        "### Which conditions and parameters drive the probability",
        "",
        *q2,
        "",
        "### Combinations of conditions in which a resurgence is likely",
        "",
        *q2b,
        "",
        "## 3. What would each policy change?",
        "",
        *q3,
        "",
        "## Which assumptions matter most",
        "",
        *assumptions(scenario, horizon_model, top),
        "",
    ]
    OUT.write_text("\n".join(lines))
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
