"""Sensitivity analysis: the indices through `run_sensitivity`, and the CLI command.

The analytic cases run through `resurgence.analysis.sensitivity.run_sensitivity`, the
function `resurgence sensitivity` calls with the engine as its evaluator; here the
evaluator is a test function, deterministic or with replicas. Each evaluator reads its
columns by parameter name, since a problem orders its parameters condition by condition.
(The estimator itself against known indices: tests/test_stochastic_sobol.py.)
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami
from typer.testing import CliRunner

from resurgence.analysis.resurgence import Definition
from resurgence.analysis.sensitivity import (
    COLUMNS,
    MORRIS_LEVELS,
    OUTPUTS,
    Precision,
    analyse,
    convergence,
    define_problem,
    engine_evaluator,
    run_sensitivity,
    sample,
)
from resurgence.cli import app
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.errors import ResurgenceError
from resurgence.posterior import builtin_posterior
from resurgence.posterior import load as load_posterior
from resurgence.report import build_report
from resurgence.scenarios import load_scenario

PI = math.pi
ISHIGAMI_BOUNDS = {name: (-PI, PI) for name in ("x1", "x2", "x3")}
# Ishigami with a = 7, b = 0.1: the only interaction is between x1 and x3.
S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
# Sobol' at N = 8192 base samples (scrambled, seed 1). Over 20 seeds the largest error of
# these six indices was 0.0034 (standard deviation at most 0.0008), and SALib's bootstrap
# half-widths are 0.01-0.03 (they assume independent draws, so overstate a Sobol'
# sequence's error). A tolerance of 0.01 is three times the worst error seen, while a
# wrong estimator or a mislabelled column misses by 0.1 or more.
N_SOBOL = 8192
TOLERANCE = 0.01
CONDITIONS = (
    "funding_alignment",
    "organisational_decay",
    "host_unity",
    "host_weak_spots",
    "windfalls",
)
PARAMETERS = 24
"""Parameters the flagship's five conditions list (isk.toml, [conditions.*])."""


def ishigami(names):
    """An evaluator of the Ishigami function (a = 7, b = 0.1) on columns named x1..x3."""
    order = [names.index(x) for x in ("x1", "x2", "x3")]

    def evaluate(sets: np.ndarray) -> dict[str, np.ndarray]:
        return {"y": Ishigami.evaluate(sets[:, order], A=7.0, B=0.1)}

    return evaluate


def rows(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    return frame[frame["level"] == level].set_index("name")


def test_sobol_ishigami_one_parameter_per_condition():
    problem = define_problem({"c1": ["x1"], "c2": ["x2"], "c3": ["x3"]}, ISHIGAMI_BOUNDS)
    result = run_sensitivity(problem, "sobol", N_SOBOL, ishigami(problem.names), seed=1)
    frame = result.indices
    assert list(frame.columns) == COLUMNS["sobol"]
    params = rows(frame, "parameter")
    for name in ("x1", "x2", "x3"):
        assert params.loc[name, "S1"] == pytest.approx(S1[name], abs=TOLERANCE), name
        assert params.loc[name, "ST"] == pytest.approx(ST[name], abs=TOLERANCE), name
        assert 0 < params.loc[name, "S1_conf"] < 0.05
        assert 0 < params.loc[name, "ST_conf"] < 0.05
    # A condition of one parameter is that parameter: same design rows, same indices.
    conditions = rows(frame, "condition")
    assert list(conditions.index) == ["c1", "c2", "c3"]
    np.testing.assert_array_equal(conditions[["S1", "ST"]].values, params[["S1", "ST"]].values)
    assert result.design.n_sets == N_SOBOL * (3 + 2)  # every per-condition row shared


def test_sobol_ishigami_grouped():
    conditions = {"a": ["x1", "x3"], "b": ["x2"]}
    problem = define_problem(conditions, ISHIGAMI_BOUNDS)
    assert problem.names == ("x1", "x3", "x2")
    result = run_sensitivity(problem, "sobol", N_SOBOL, ishigami(problem.names), seed=1)
    groups = rows(result.indices, "condition")
    # {x1, x3} holds everything but x2's share: closed and total index 1 - S1(x2).
    assert groups.loc["a", "S1"] == pytest.approx(1 - S1["x2"], abs=TOLERANCE)
    assert groups.loc["a", "ST"] == pytest.approx(1 - S1["x2"], abs=TOLERANCE)
    assert groups.loc["b", "S1"] == pytest.approx(S1["x2"], abs=TOLERANCE)
    assert groups.loc["b", "ST"] == pytest.approx(ST["x2"], abs=TOLERANCE)
    params = rows(result.indices, "parameter")
    assert params.loc["x3", "condition"] == "a" and params.loc["x2", "condition"] == "b"
    for name in ("x1", "x2", "x3"):
        assert params.loc[name, "ST"] == pytest.approx(ST[name], abs=TOLERANCE), name
    # The two designs share their A and B matrices, and condition b (x2 alone) its rows
    # with x2's: N(D + 2) + N(G + 2) rows, N(D + 2) + N distinct sets.
    assert result.design.n_rows == N_SOBOL * (5 + 4)
    assert result.design.n_sets == N_SOBOL * (3 + 2 + 1)


def test_morris_ranks_x3_below_x1():
    problem = define_problem({"c1": ["x1"], "c2": ["x2"], "c3": ["x3"]}, ISHIGAMI_BOUNDS)
    result = run_sensitivity(problem, "morris", 1024, ishigami(problem.names), seed=3)
    assert list(result.indices.columns) == COLUMNS["morris"]
    params = rows(result.indices, "parameter")
    gap = params.loc["x1", "mu_star"] - params.loc["x3", "mu_star"]
    assert gap > params.loc["x1", "mu_star_conf"] + params.loc["x3", "mu_star_conf"]


@pytest.mark.parametrize(("method", "key", "n"), [("sobol", "ST", 512), ("morris", "mu_star", 64)])
def test_the_condition_holding_the_only_influential_parameter_ranks_first(method, key, n):
    conditions = {"first": ["p0", "p1"], "second": ["p2", "p3"], "third": ["p4", "p5"]}
    bounds = {f"p{i}": (0.0, 1.0) for i in range(6)}
    problem = define_problem(conditions, bounds)
    j = problem.names.index("p3")

    def evaluate(sets):
        return {"y": np.exp(3 * sets[:, j])}

    result = run_sensitivity(problem, method, n, evaluate, seed=11)
    groups = rows(result.indices, "condition")[key]
    assert groups.idxmax() == "second"
    params = rows(result.indices, "parameter")[key]
    assert params.idxmax() == "p3"
    if method == "sobol":
        assert groups["second"] > 0.9
        assert groups.drop("second").abs().max() < 0.05
    else:
        assert groups.drop("second").max() == 0.0


def test_replica_noise_is_not_an_effect():
    """Only p3 matters, and each set's output is a mean of 8 noisy replicas with more noise
    variance per replica (36) than the signal has (26.6): the other conditions' total
    indices stay at 0, where treating the means as exact gives each of them the noise's
    share of the variance (about 0.14). Tolerances: two half-widths (about 4 standard
    errors)."""
    conditions = {"first": ["p0", "p1"], "second": ["p2", "p3"], "third": ["p4", "p5"]}
    problem = define_problem(conditions, {f"p{i}": (0.0, 1.0) for i in range(6)})
    j = problem.names.index("p3")
    rng = np.random.default_rng(4)

    def evaluate(sets):
        signal = np.exp(3 * sets[:, j])[:, None]  # variance (e^6 - 1)/6 - ((e^3 - 1)/3)^2
        return {"y": signal + 6 * rng.standard_normal((len(sets), 8))}

    result = run_sensitivity(problem, "sobol", 1024, evaluate, seed=11)
    groups = rows(result.indices, "condition")
    second = groups.loc["second"]
    assert second["ST"] == pytest.approx(1, abs=2 * second["ST_conf"])
    others = groups.drop("second")
    assert (others["ST"].abs() <= 2 * others["ST_conf"]).all(), others
    assert (others["ST_conf"] < 0.03).all()
    assert result.noise_shares["y"] == pytest.approx(4.5 / (26.6 + 4.5), abs=0.03)
    naive = analyse(problem, result.design, result.outputs)  # the means, taken as exact
    assert rows(naive, "condition").drop("second")["ST"].min() > 0.1


def test_convergence_ends_at_the_analysis():
    """The convergence table redoes the analysis on the first N/8, N/4, N/2 and N base
    samples; its rows at N are the indices."""
    problem = define_problem({"c1": ["x1", "x3"], "c2": ["x2"]}, ISHIGAMI_BOUNDS)
    result = run_sensitivity(problem, "sobol", 256, ishigami(problem.names), seed=2)
    table = result.convergence
    assert list(table.columns) == [*COLUMNS["sobol"], "samples"]
    assert sorted(set(table["samples"])) == [32, 64, 128, 256]
    last = table[table["samples"] == 256].drop(columns="samples").reset_index(drop=True)
    pd.testing.assert_frame_equal(last, result.indices)
    raw = {"y": ishigami(problem.names)(result.design.sets)["y"]}
    pd.testing.assert_frame_equal(convergence(problem, result.design, raw), table)


def test_the_seed_reproduces_the_design_and_the_intervals():
    problem = define_problem({"c1": ["x1"], "c2": ["x2"], "c3": ["x3"]}, ISHIGAMI_BOUNDS)
    f = ishigami(problem.names)
    a = run_sensitivity(problem, "sobol", 256, f, seed=5)
    b = run_sensitivity(problem, "sobol", 256, f, seed=5)
    c = run_sensitivity(problem, "sobol", 256, f, seed=6)
    pd.testing.assert_frame_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.design.sets, b.design.sets)
    assert not np.array_equal(a.design.sets, c.design.sets)


# ---------------------------------------------------------------------------- the CLI


# The adaptive design on a probability observed through 16 Bernoulli replicas, p(x) = 0.05 +
# 0.4 x1 + 0.2 x2 + 0.3 x2 x3 (tests/test_stochastic_sobol.py: ST = 0.512, 0.416, 0.096)
# with three parameters that do nothing. Each set's replicas are seeded by its parameters,
# so a set gives the same replicas whichever evaluation it falls in.
ADAPTIVE = {"strong": ["x1"], "pair": ["x2", "x3"], "idle": ["x4", "x5", "x6"]}
ADAPTIVE_ST = {"x1": 0.512, "x2": 0.416, "x3": 0.096, "x4": 0.0, "x5": 0.0, "x6": 0.0}


def bernoulli(names, replicas: int = 16):
    order = [names.index(f"x{i}") for i in range(1, 4)]
    calls = []

    def evaluate(sets: np.ndarray) -> dict[str, np.ndarray]:
        calls.append(len(sets))
        x1, x2, x3 = sets[:, order].T
        p = 0.05 + 0.4 * x1 + 0.2 * x2 + 0.3 * x2 * x3
        hits = np.empty((len(sets), replicas))
        for i, row in enumerate(sets):
            hits[i] = np.random.default_rng(row.view(np.uint64).tolist()).random(replicas) < p[i]
        return {"probability": hits}

    evaluate.calls = calls
    return evaluate


def adaptive_problem():
    return define_problem(ADAPTIVE, {f"x{i}": (0.0, 1.0) for i in range(1, 7)})


def test_the_adaptive_design_refines_only_the_indices_short_of_precision():
    problem = adaptive_problem()
    precision = Precision(first=64, half_width=0.1)
    evaluate = bernoulli(problem.names)
    result = run_sensitivity(problem, "sobol", 1024, evaluate, seed=4, precision=precision)
    depths = result.depths()
    indices = result.indices.set_index(["level", "name"])
    for level, names in (("condition", list(ADAPTIVE)), ("parameter", problem.names)):
        for name in names:
            st, half = indices.loc[(level, name), ["ST", "ST_conf"]]
            # The stopping rule: precise enough, or at the design's N.
            assert half <= 0.1 or depths[level][name] == 1024, (level, name, st, half)
            if level == "parameter":
                assert abs(st - ADAPTIVE_ST[name]) <= 2 * half + 0.01, (name, st, half)
    # The dominant parameter needed more base samples than the idle ones, and the design
    # was evaluated in stages, not all of it.
    assert depths["parameter"]["x1"] > min(depths["parameter"][x] for x in ("x4", "x5", "x6"))
    assert len(evaluate.calls) == len(result.stages) > 1
    assert sum(evaluate.calls) == result.evaluated.sum() < result.design.n_sets
    assert [stage["sets"] for stage in result.stages] == evaluate.calls


def test_an_index_of_the_adaptive_design_is_the_full_design_at_its_depth():
    """A group refined to n base samples has the indices SALib's design at N = n gives:
    the Sobol' sequence's prefix is balanced and V comes from the same rows."""
    problem = adaptive_problem()
    precision = Precision(first=64, half_width=0.1)
    adaptive = run_sensitivity(
        problem, "sobol", 1024, bernoulli(problem.names), seed=4, precision=precision
    )
    frame = adaptive.indices.set_index(["output", "level", "name"])
    for level, depth in adaptive.depths().items():
        for name, n in depth.items():
            full = run_sensitivity(problem, "sobol", n, bernoulli(problem.names), seed=4)
            expected = full.indices.set_index(["output", "level", "name"])
            key = ("probability", level, name)
            pd.testing.assert_series_equal(frame.loc[key], expected.loc[key])


def test_a_precise_start_evaluates_only_the_first_rows():
    problem = adaptive_problem()
    loose = Precision(first=64, half_width=1.0)
    result = run_sensitivity(
        problem, "sobol", 1024, bernoulli(problem.names), seed=4, precision=loose
    )
    assert len(result.stages) == 1
    head = run_sensitivity(problem, "sobol", 64, bernoulli(problem.names), seed=4)
    assert result.evaluated.sum() == head.design.n_sets
    pd.testing.assert_frame_equal(result.indices, head.indices)
    assert set(result.samples()["row"]) == set(head.samples()["row"])


def test_a_half_width_of_zero_evaluates_the_whole_design_at_once():
    problem = adaptive_problem()
    evaluate = bernoulli(problem.names)
    zero = Precision(first=64, half_width=0.0)
    result = run_sensitivity(problem, "sobol", 256, evaluate, seed=4, precision=zero)
    assert evaluate.calls == [result.design.n_sets]
    whole = run_sensitivity(problem, "sobol", 256, bernoulli(problem.names), seed=4)
    pd.testing.assert_frame_equal(result.indices, whole.indices)


def test_the_adaptive_design_refuses_a_start_that_breaks_the_balance():
    problem = adaptive_problem()
    with pytest.raises(ResurgenceError, match="--first-samples: 6 is not a power of 2"):
        run_sensitivity(
            problem, "sobol", 64, bernoulli(problem.names), seed=4, precision=Precision(first=6)
        )


def test_a_partly_missing_set_is_an_error_not_a_set_left_out():
    """NaN in every replica of a set marks it as not evaluated; a NaN among values is an
    evaluation that failed and must not shorten the analysis silently."""
    problem = adaptive_problem()
    design = sample(problem, "sobol", 16, 4)
    values = bernoulli(problem.names)(design.sets)["probability"]
    values[3, 5] = np.nan
    with pytest.raises(ResurgenceError, match="non-finite"):
        analyse(problem, design, {"probability": values})


def test_the_engine_evaluator_draws_new_replicas_on_each_call():
    """An adaptive design's later stages must not reuse the replicas of the first."""
    spec = load_scenario("isk")
    definition = Definition.from_scenario(spec, horizon=2)
    model = compile_model(spec, n_months=31)
    problem = define_problem({"c": ["sponsor.decline_rate"]}, {"sponsor.decline_rate": (0, 0.1)})
    sets = np.full((4, 1), 0.05)
    first = engine_evaluator(model, problem, replicas=200, seed=3, definition=definition)
    once, twice = first(sets)["attacks"], first(sets)["attacks"]
    again = engine_evaluator(model, problem, replicas=200, seed=3, definition=definition)
    np.testing.assert_array_equal(again(sets)["attacks"], once)
    assert not np.array_equal(once, twice)


def invoke(args: list[str]):
    result = CliRunner().invoke(app, ["sensitivity", *args], env={"COLUMNS": "250"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def check_run(out: Path, method: str, samples: int, replicas: int) -> tuple[pd.DataFrame, dict]:
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "samples.parquet",
        "sensitivity.parquet",
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert (manifest["method"], manifest["samples"], manifest["replicas"]) == (
        method,
        samples,
        replicas,
    )
    assert manifest["command"].startswith("resurgence ")
    assert list(manifest["conditions"]) == list(CONDITIONS)
    frame = pd.read_parquet(out / "sensitivity.parquet")
    assert list(frame.columns) == COLUMNS[method]
    for output in ("probability", "attacks"):
        conditions = frame[(frame["output"] == output) & (frame["level"] == "condition")]
        assert sorted(conditions["name"]) == sorted(CONDITIONS)
        assert (
            len(frame[(frame["output"] == output) & (frame["level"] == "parameter")]) == PARAMETERS
        )
    sets = pd.read_parquet(out / "samples.parquet")
    assert len(sets) == manifest["design_rows"]
    assert sets["set"].nunique() == manifest["parameter_sets"]
    assert {"design", "row", "set", "probability", "attacks"} <= set(sets.columns)
    assert sets["probability"].between(0, 1).all()
    # Rows sharing a set are the same parameters with the same outputs.
    assert (sets.groupby("set").nunique(dropna=False).drop(columns=["design", "row"]) == 1).all(
        axis=None
    )
    return frame, manifest


def check_design(out: Path, manifest: dict) -> tuple:
    """The sets written are the design the seed gives. Returns the problem, the design and
    the outputs (per distinct set: the replicas' means) read back."""
    problem = define_problem(manifest["conditions"], manifest["bounds"], manifest["how"])
    design = sample(problem, manifest["method"], manifest["samples"], manifest["seed"])
    sets = pd.read_parquet(out / "samples.parquet")
    for level, index in (
        ("parameter", design.parameter_index),
        ("condition", design.condition_index),
    ):
        rows = sets[sets["design"] == level].sort_values("row")
        np.testing.assert_array_equal(rows["set"], index)
        np.testing.assert_array_equal(rows[list(problem.names)], design.sets[index])
    first = sets.drop_duplicates("set").sort_values("set")
    outputs = {name: first[name].to_numpy() for name in OUTPUTS}
    for name in OUTPUTS:  # an output that never varies has no indices to give
        assert (name in manifest["constant_outputs"]) == (np.ptp(outputs[name]) == 0), name
    return problem, design, outputs


def engine_again(manifest: dict, problem, design, definition: Definition | None = None):
    """The engine's replicas of every set of the design again, on the run's seed, each
    replica drawing its free parameters from the builtin posterior as `run` does."""
    spec = load_scenario("isk")
    definition = definition or Definition.from_scenario(spec)
    model = compile_model(spec, n_months=manifest["months"])
    model = with_posterior(model, load_posterior(builtin_posterior("isk")))
    evaluate = engine_evaluator(
        model, problem, replicas=manifest["replicas"], seed=manifest["seed"], definition=definition
    )
    return evaluate(design.sets)


def test_cli_morris_end_to_end(tmp_path):
    out = tmp_path / "morris"
    args = ["isk", "--method", "morris", "--samples", "4", "--replicas", "16"]
    result = invoke([*args, "--workers", "1", "--seed", "9", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    frame, manifest = check_run(out, "morris", 4, 16)
    assert manifest["design_rows"] == 4 * (PARAMETERS + 1) + 4 * (5 + 1)
    assert manifest["resurgence"]["horizon"] == 36
    problem, design, outputs = check_design(out, manifest)
    pd.testing.assert_frame_equal(frame, analyse(problem, design, outputs), check_exact=True)
    # Elementary effects are changes of the output over a step of 2/3 of a parameter's
    # range (4 levels), so a probability's mu* lies in [0, 1.5].
    step = MORRIS_LEVELS / (2 * (MORRIS_LEVELS - 1))
    for output, most in (("probability", 1 / step), ("attacks", np.inf)):
        mu_star = frame.loc[frame["output"] == output, "mu_star"]
        assert mu_star.between(0, most).all(), (output, mu_star.max())
    assert (frame["mu_star_conf"] >= 0).all()
    # The outputs written are the means of the engine's replicas of those sets.
    assert "builtin posterior" in manifest["parameters"]
    definition = Definition.from_scenario(load_scenario("isk"))
    written = {k: v for k, v in manifest["resurgence"].items() if k != "text"}
    assert json.loads(json.dumps(definition.as_dict())) == written
    again = engine_again(manifest, problem, design)
    for output in OUTPUTS:
        assert again[output].shape == (design.n_sets, 16)
        np.testing.assert_array_equal(again[output].mean(axis=1), outputs[output], output)
    assert manifest["convergence"] == [] and manifest["noise_share"] == {}
    assert "Conditions ranked by mean absolute elementary effect" in result.stdout
    for condition in CONDITIONS:
        assert condition in result.stdout
    assert str(out) in result.stdout


def test_cli_sobol_end_to_end(tmp_path):
    out = tmp_path / "sobol"
    args = ["isk", "--samples", "8", "--replicas", "16", "--horizon", "6", "--workers", "2"]
    result = invoke([*args, "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    frame, manifest = check_run(out, "sobol", 8, 16)
    assert manifest["design_rows"] == 8 * (PARAMETERS + 2) + 8 * (5 + 2)
    assert manifest["parameter_sets"] == 8 * (PARAMETERS + 5 + 2)
    assert manifest["resurgence"]["horizon"] == 6
    assert manifest["months"] == 35  # 2021-08 to the horizon's end, 2024-06
    problem, design, outputs = check_design(out, manifest)
    # The indices are the noise-corrected analysis of the engine's replicas of the design.
    definition = Definition.from_scenario(load_scenario("isk"), horizon=6)
    again = engine_again(manifest, problem, design, definition)
    for output in OUTPUTS:
        np.testing.assert_array_equal(again[output].mean(axis=1), outputs[output], output)
    pd.testing.assert_frame_equal(frame, analyse(problem, design, again), check_exact=True)
    steps = pd.DataFrame(manifest["convergence"])
    assert sorted(set(steps["samples"])) == [4, 8]  # N/8 and N/4 are below 4 base samples
    pd.testing.assert_frame_equal(
        steps, convergence(problem, design, again), check_dtype=False, check_exact=False
    )
    assert set(manifest["noise_share"]) <= set(OUTPUTS)
    # The report charts the convergence next to the indices.
    report = build_report(out)
    assert report.charts == [
        "chart-sensitivity-conditions",
        "chart-sensitivity-parameters",
        "chart-sensitivity-convergence",
    ]
    assert "Convergence of the total-order indices" in report.html
    for output in OUTPUTS:
        indices = frame.loc[frame["output"] == output, ["S1", "S1_conf", "ST", "ST_conf"]]
        if output in manifest["constant_outputs"] + manifest["noise_only_outputs"]:
            assert indices.isna().all(axis=None), output
        else:
            assert np.isfinite(indices.to_numpy()).all(), output
    assert "Conditions ranked by total-order index (ST)" in result.stdout
    # The condition table lists the conditions by decreasing ST of the probability.
    table = frame[(frame["output"] == "probability") & (frame["level"] == "condition")]
    ranked = list(table.sort_values("ST", ascending=False, na_position="last")["name"])
    positions = [result.stdout.index(f" {name} ") for name in ranked]
    assert positions == sorted(positions)


def test_cli_help_has_examples():
    result = invoke(["--help"])
    assert result.exit_code == 0
    assert "resurgence sensitivity isk --samples 1024 --half-width 0" in result.stdout


def test_cli_and_api_share_the_default_size():
    """`resurgence sensitivity isk` and `rs.sensitivity("isk")` run the same design: the
    size the precision target was met with (benchmarks/RESULTS_sensitivity.md)."""
    import inspect

    from resurgence.commands.sensitivity import sensitivity_command
    from resurgence.workflows import sensitivity as workflow

    options = inspect.signature(sensitivity_command).parameters
    assert options["samples"].default.default is None  # the method's default
    assert inspect.signature(workflow.sensitivity).parameters["samples"].default is None
    assert options["replicas"].default.default == workflow.REPLICAS
    assert workflow.SAMPLES == {"sobol": 4096, "morris": 256}
    assert "default 4096" in options["samples"].default.help
    assert "default 256" in options["samples"].default.help
    # The adaptive design's start and target: the same from the CLI and from Python.
    adaptive = inspect.signature(workflow.sensitivity).parameters["precision"].default
    assert adaptive == Precision()
    assert options["first_samples"].default.default == adaptive.first
    assert options["half_width"].default.default == adaptive.half_width


def test_the_module_entry_point_loads_the_command(tmp_path):
    """`python -m resurgence.cli` runs cli.py as __main__; the command must still load."""
    proc = subprocess.run(
        [sys.executable, "-m", "resurgence.cli", "sensitivity", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--samples" in proc.stdout


def scenario_without_conditions(tmp_path: Path) -> Path:
    text = (resources.files("resurgence") / "scenarios/builtin/isk.toml").read_text("utf-8")
    head, sep, tail = text.partition("\n[conditions.")
    assert sep and "\n[[" not in tail  # the conditions close the file
    path = tmp_path / "bare.toml"
    path.write_text(head + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--method", "fast"], ["--method", "'fast'", "sobol, morris"]),
        (["--samples", "100"], ["--samples", "power of 2", "64", "128"]),
        (["--samples", "1"], ["--samples", "at least 2"]),
        (["--first-samples", "100"], ["--first-samples", "power of 2", "64", "128"]),
        (["--half-width", "-0.1"], ["--half-width", ">= 0"]),
        (["--method", "morris", "--samples", "0"], ["--samples", "at least 2"]),
        (["--from", "2024-13"], ["--from", "YYYY-MM"]),
        (["--from", "2019-01"], ["--from", "before the scenario's start"]),
        (["--measure", "deaths"], ["--measure", "deaths"]),
        (["--horizon", "0"], ["--horizon"]),
        ("no conditions", ["declares no conditions", "conditions.NAME"]),
    ],
)
def test_cli_bad_input_exits_2_naming_the_option(tmp_path, args, expected):
    out = tmp_path / "out"
    if args == "no conditions":
        scenario, args = str(scenario_without_conditions(tmp_path)), []
    else:
        scenario = "isk"
    result = invoke([scenario, *args, "--replicas", "2", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error:"), result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr, (text, result.stderr)
    assert not (out / "manifest.json").exists()
