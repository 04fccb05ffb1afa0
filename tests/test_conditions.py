"""Conditions of resurgence: the `[conditions.NAME]` tables (which end favours the group,
regional parameters as a level or a scale, narrowed ranges), the space and the engine
overrides they give, sensitivity and discovery over regional parameters, and
`resurgence conditions` end to end."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from resurgence.analysis.condition_ends import COLUMNS, condition_ends, model_and_space
from resurgence.analysis.conditions import condition_space, end_values, overrides
from resurgence.analysis.resurgence import Definition
from resurgence.cli import app
from resurgence.engine.compile import compile_model
from resurgence.errors import ResurgenceError
from resurgence.scenarios import load_scenario

WIDE = {"COLUMNS": "250"}
REGIONAL = """
[conditions.pools]
description = "Recruitment pools and the host's reconciliation deals."
scale = { "recruitment.pool" = [0.5, 1.5] }
ranges = { "recruitment.reconciliation" = [0.0, 0.6] }

[conditions.pools.group_favours]
"recruitment.pool" = "high"
"recruitment.reconciliation" = "low"

[conditions.funding]
description = "Funding."
parameters = ["sponsor.decline_rate", "funding.hub_interdiction"]
group_favours = { "sponsor.decline_rate" = "low", "funding.hub_interdiction" = "low" }
"""


def invoke(args: list[str]):
    result = CliRunner().invoke(app, args, env=WIDE)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def isk_with(tmp_path: Path, conditions: str, name: str = "custom.toml") -> Path:
    """The flagship scenario with its conditions replaced by `conditions`."""
    text = (resources.files("resurgence") / "scenarios/builtin/isk.toml").read_text("utf-8")
    head, sep, tail = text.partition("\n[conditions.")
    assert sep and "\n[[" not in tail  # the conditions close the file
    path = tmp_path / name
    path.write_text(head + "\n" + conditions, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def regional(tmp_path_factory) -> Path:
    return isk_with(tmp_path_factory.mktemp("regional"), REGIONAL)


def test_isk_says_which_end_favours_the_group_for_every_parameter(isk, model):
    space = condition_space(isk, model)
    assert list(space.columns) == [
        "parameter",
        "condition",
        "low",
        "high",
        "default",
        "favours",
        "how",
    ]
    assert set(space["favours"]) <= {"high", "low"} and space["favours"].notna().all()
    assert len(space) == sum(len(c.parameters) for c in isk.conditions.values())
    assert space.set_index("parameter").loc["sponsor.decline_rate", "favours"] == "low"
    assert space.set_index("parameter").loc["shocks.windfall_rate", "favours"] == "high"


def test_regional_parameters_are_a_level_or_a_scale(regional):
    scenario = load_scenario(str(regional))
    model = compile_model(scenario)
    space = condition_space(scenario, model).set_index("parameter")
    pool, recon = space.loc["recruitment.pool"], space.loc["recruitment.reconciliation"]
    assert (pool["how"], pool["low"], pool["high"], pool["default"]) == ("scale", 0.5, 1.5, 1.0)
    assert (recon["how"], recon["low"], recon["high"]) == ("level", 0.0, 0.6)
    assert space.loc["sponsor.decline_rate", "how"] == "value"

    how = dict(zip(space.index, space["how"], strict=True))
    values = {
        "recruitment.pool": np.array([0.5, 2.0]),
        "recruitment.reconciliation": np.array([0.1, 0.3]),
        "sponsor.decline_rate": np.array([0.01, 0.02]),
    }
    got = overrides(model, values, how)
    K = len(model.regions)
    base = model.values["recruitment.pool"]
    assert got["recruitment.pool"].shape == (2, K)
    np.testing.assert_allclose(got["recruitment.pool"], [0.5 * base, 2.0 * base])
    np.testing.assert_array_equal(got["recruitment.reconciliation"], [[0.1] * K, [0.3] * K])
    np.testing.assert_array_equal(got["sponsor.decline_rate"], [0.01, 0.02])
    with pytest.raises(ResurgenceError, match="regional parameter"):
        overrides(model, {"recruitment.pool": np.ones(2)})  # a regional one is not a value

    ends = end_values(space.reset_index(), favour=True)
    assert ends["recruitment.pool"] == 1.5 and ends["recruitment.reconciliation"] == 0.0
    against = end_values(space.reset_index(), favour=False)
    assert against["recruitment.pool"] == 0.5 and against["recruitment.reconciliation"] == 0.6


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            '[conditions.c]\nparameters = ["sponsor.decline_rate", "shocks.windfall_rate"]\n'
            'group_favours = { "sponsor.decline_rate" = "low" }\n',
            ["conditions.c.group_favours", "shocks.windfall_rate", '"high" or "low"'],
        ),
        (
            '[conditions.c]\nparameters = ["sponsor.decline_rate"]\n'
            'group_favours = { "sponsor.decline_rate" = "low", "shocks.windfall_rate" = "high" }\n',
            ['conditions.c.group_favours."shocks.windfall_rate"', "not among the condition's"],
        ),
        (
            '[conditions.c.group_favours]\n"sponsor.decline_rate" = "up"\n',
            ['conditions.c.group_favours."sponsor.decline_rate"', "'high' or 'low'"],
        ),
        (
            "[conditions.c]\ndescription = 'none listed'\n",
            ["conditions.c", "group_favours"],
        ),
        (
            '[conditions.c]\nscale = { "sponsor.decline_rate" = [0.5, 2] }\n'
            '[conditions.c.group_favours]\n"sponsor.decline_rate" = "low"\n',
            ['conditions.c.scale."sponsor.decline_rate"', "not regional"],
        ),
        (
            '[conditions.c]\nscale = { "recruitment.pool" = [0.5, 100] }\n'
            '[conditions.c.group_favours]\n"recruitment.pool" = "high"\n',
            ['conditions.c.scale."recruitment.pool"', "outside its range"],
        ),
        (
            '[conditions.c]\nranges = { "shocks.windfall_rate" = [0.1, 0.9] }\n'
            '[conditions.c.group_favours]\n"shocks.windfall_rate" = "high"\n',
            ['conditions.c.ranges."shocks.windfall_rate"', "within [0, 0.2]"],
        ),
        (
            '[conditions.c.group_favours]\n"no.such" = "high"\n',
            ["conditions.c.parameters", "unknown parameter 'no.such'"],
        ),
    ],
)
def test_bad_conditions_are_clear_scenario_errors(tmp_path, table, expected):
    path = isk_with(tmp_path, table)
    with pytest.raises(ResurgenceError) as caught:
        load_scenario(str(path))
    message = str(caught.value)
    assert message.startswith(f"{path}:"), message  # the file and the line
    for text in expected:
        assert text in message, (text, message)


def test_identical_ends_differ_by_exactly_zero(isk):
    definition = Definition.from_scenario(isk, horizon=4)
    model, space = model_and_space(isk, definition)
    flat = space.assign(high=space["low"])  # both ends the same
    table = condition_ends(model, flat, definition, replicas=12, seed=5)
    assert list(table.columns) == COLUMNS
    assert (table["diff"] == 0.0).all()
    assert (table["favour"] == table["against"]).all()
    assert not table["agrees"].any() and set(table["verdict"]) == {"unclear"}


def test_the_ends_are_paired_replica_by_replica(isk):
    """With a condition's ends swapped, its difference changes sign exactly."""
    definition = Definition.from_scenario(isk, horizon=6, threshold=2)
    model, space = model_and_space(isk, definition)
    space = space[space["condition"] == space["condition"].iloc[0]]
    flipped = space.assign(favours=space["favours"].map({"high": "low", "low": "high"}))
    one = condition_ends(model, space, definition, replicas=16, seed=3)
    two = condition_ends(model, flipped, definition, replicas=16, seed=3)
    assert one["diff"].iloc[0] == -two["diff"].iloc[0]
    assert one["favour"].iloc[0] == two["against"].iloc[0]


def test_cli_end_to_end(tmp_path):
    out = tmp_path / "ends"
    args = ["conditions", "isk", "--replicas", "20", "--horizon", "6", "--workers", "1"]
    result = invoke([*args, "--seed", "4", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "Resurgence: at least 7 claimed attacks a month in Afghanistan" in text
    assert "analysis argues" in text and "interval agrees" in text
    for condition in load_scenario("isk").conditions:
        assert condition in text
    assert f"Written to {out}/" in text
    assert sorted(p.name for p in out.iterdir()) == [
        "conditions.csv",
        "conditions.json",
        "manifest.json",
    ]
    table = pd.read_csv(out / "conditions.csv")
    isk = load_scenario("isk")
    assert list(table.columns) == COLUMNS
    assert list(table["condition"]) == list(isk.conditions)
    assert (table["replicas"] == 20).all()
    for side in ("favour", "against"):
        assert table[side].between(0, 1).all()
        assert (table[f"{side}_low"] <= table[side]).all()
        assert (table[side] <= table[f"{side}_high"]).all()
    assert np.allclose(table["diff"], table["favour"] - table["against"])
    assert (table["diff_low"] <= table["diff"]).all()
    assert (table["diff"] <= table["diff_high"]).all()
    assert (table["agrees"] == (table["diff_low"] > 0)).all()
    assert (table["argued"] == "higher in the group's favour").all()
    records = json.loads((out / "conditions.json").read_text())
    assert [r["condition"] for r in records] == list(table["condition"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["kind"] == "conditions"
    assert manifest["command"].startswith("resurgence ")  # sys.argv, as `run` records it
    assert (manifest["seed"], manifest["replicas"]) == (4, 20)
    assert manifest["resurgence"]["horizon"] == 6
    assert manifest["resurgence"]["area"] == ["Afghanistan"]
    assert manifest["posterior"].endswith("isk.parquet")


def test_cli_regional_conditions_without_posterior(tmp_path, regional):
    out = tmp_path / "regional"
    args = ["conditions", str(regional), "--replicas", "8", "--horizon", "3", "--workers", "2"]
    result = invoke([*args, "--posterior", "none", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "the scenario's values (no posterior)" in result.stdout
    table = pd.read_csv(out / "conditions.csv")
    assert list(table["condition"]) == ["pools", "funding"]
    assert table.loc[0, "parameters"] == "recruitment.pool, recruitment.reconciliation"


def test_sensitivity_and_discovery_vary_regional_parameters(tmp_path, regional):
    out = tmp_path / "sa"
    args = ["sensitivity", str(regional), "--method", "morris", "--samples", "2"]
    result = invoke([*args, "--replicas", "2", "--horizon", "3", "--workers", "1", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["how"]["recruitment.pool"] == "scale"
    assert manifest["bounds"]["recruitment.pool"] == [0.5, 1.5]
    samples = pd.read_parquet(out / "samples.parquet")
    assert samples["recruitment.pool"].between(0.5, 1.5).all()

    out = tmp_path / "discover"
    args = ["discover", str(regional), "--samples", "10", "--replicas", "1"]
    result = invoke([*args, "--horizon", "3", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    samples = pd.read_parquet(out / "samples.parquet")
    assert samples["recruitment.reconciliation"].between(0.0, 0.6).all()
    space = json.loads((out / "manifest.json").read_text())["space"]
    assert {p["parameter"]: p["how"] for p in space}["recruitment.pool"] == "scale"


def test_a_scenario_without_conditions_fails_clearly(tmp_path):
    result = invoke(["conditions", "generic", "--replicas", "4", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr
    assert "declares no conditions" in result.stderr and "conditions.NAME" in result.stderr
    assert not (tmp_path / "x" / "manifest.json").exists()


def test_cli_help_has_an_example():
    result = invoke(["conditions", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "resurgence conditions isk" in result.stdout
