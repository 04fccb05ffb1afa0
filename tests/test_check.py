"""`resurgence check` runs end to end on a small budget and writes its Markdown table."""

from __future__ import annotations

import time

from typer.testing import CliRunner

from resurgence.analysis.stylized_check import FAMILY, RELIGIOUS, family_overrides
from resurgence.cli import app
from resurgence.engine.compile import compile_model
from resurgence.scenarios import load_scenario

FACTS = (
    "tail exponent of deaths per attack (insurgency)",
    "tail exponent of deaths per attack (terrorism)",
    "share of events due to self-excitation",
    "decay of self-excitation",
    "groups ending by politics",
    "groups ending by policing",
    "groups ending by victory",
    "groups ending by military",
    "share of religious groups that ended",
    "groups that end within their first year",
    "attack frequency grows with group size",
    "severity independent of group size",
    "progress curve of fatal days",
    "b rises with log10 tau_1",
)


def test_check_runs_end_to_end_and_writes_the_table(tmp_path):
    out = tmp_path / "validation.md"
    start = time.perf_counter()
    result = CliRunner().invoke(
        app,
        ["check", "--replicas", "30", "--sample", "8", "--workers", "1", "--out", str(out)],
        env={"COLUMNS": "250"},
    )
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    assert elapsed < 30
    text = out.read_text()
    for fact in FACTS:
        assert fact in text, fact
    for source in (
        "Bohorquez",
        "Clauset, Young & Gleditsch",
        "Lewis et al. 2012",
        "Jones & Libicki",
        "Phillips 2017",
        "Clauset & Gleditsch",
        "Johnson et al.",
    ):
        assert source in text, source
    assert "resurgence check" in text and "Seed 1" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "**" in line]
    assert len(rows) >= len(FACTS)
    assert all(("**pass**" in r) or ("**FAIL**" in r) or ("**n/a**" in r) for r in rows)
    assert "pass" in result.output and "generic family" in result.output


def test_family_draws_cover_the_declared_ranges_and_the_religious_variant():
    model = compile_model(load_scenario("generic"))
    over = family_overrides(model, 50, seed=3)
    for name in FAMILY:
        spec = model.parameters[name]
        assert over[name].min() >= spec.low and over[name].max() <= spec.high
        # a Latin hypercube puts one draw in each fiftieth of the range
        cells = ((over[name] - spec.low) / (spec.high - spec.low) * 50).astype(int)
        assert len(set(cells.clip(0, 49))) == 50
    rel = family_overrides(model, 50, seed=3, religious=True)
    assert (rel["recruitment.reconciliation_exit"] == 0).all()
    assert (rel["payroll.attrition_base"] == 0.5 * over["payroll.attrition_base"]).all()
    assert set(RELIGIOUS) <= set(rel)
