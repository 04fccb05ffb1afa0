"""The HTML report: the builder, the `report` command and `--report`, bad input, and the
page in a real browser (headless Chromium through Selenium).

The browser tests need Debian's `chromium` and `chromium-driver` (/usr/bin/chromium and
/usr/bin/chromedriver) and the `selenium` package; without them they skip, except under CI
(the CI environment variable set), where they fail: `.ci/run` installs the browser.
With RESURGENCE_UPDATE_SCREENSHOT=1 the flagship's screenshot is also written to
docs/report-screenshot.png for the README; otherwise it stays in the test's directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers.browser import chromium, console_errors, screenshot
from helpers.evil import EVIL_LABEL, EVIL_REGION, EVIL_TITLE, IMG, SCRIPT, evil_scenario
from resurgence.cli import app
from resurgence.report import build_report, write_report
from resurgence.report.events import EventMark
from resurgence.report.fans import Fan, fan_chart, fan_panels
from resurgence.workflows.run import run

ROOT = Path(__file__).resolve().parents[1]
RUN_CHARTS = [
    "chart-probability",
    "chart-members",
    "chart-treasury",
    "chart-attacks",
    "chart-reported",
    "chart-actors",
    "chart-members-regions",
    "chart-attacks-regions",
    "chart-reported-regions",
]


def small_run(out: Path, scenario: str = "isk", replicas: int = 50, months: int = 36) -> Path:
    run(
        scenario,
        replicas=replicas,
        seed=7,
        out=out,
        months=months,
        workers=1,
        catalog=out.parent / "catalog.duckdb",
        command=f"resurgence run {scenario} --replicas {replicas} --months {months} --seed 7",
    )
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return small_run(tmp_path_factory.mktemp("small") / "run")


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("evil")
    scenario = evil_scenario(base / "evil.toml")
    return small_run(base / "run", str(scenario))


def invoke(args: list[str]):
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


# ----------------------------------------------------------------------- the builder


def test_the_report_of_a_run_holds_its_charts_and_header(run_dir):
    report = build_report(run_dir)
    assert report.kind == "run"
    assert report.charts == RUN_CHARTS
    page = report.html
    for chart in report.charts:
        assert f'id="{chart}"' in page
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["scenario_source"] == "isk"
    for text in (
        manifest["title"].replace("'", "&#39;"),
        manifest["command"],
        manifest["scenario_hash"],
        manifest["created"],
        str(manifest["seed"]),
        f"resurgence {manifest['version']}",
        manifest["resurgence"]["definition_text"],
        "the builtin posterior, calibrated on evidence to 2022-12",  # which parameters
    ):
        assert text in page, text
    assert "Prison releases at the takeover" in page  # the events, marked and listed
    assert report.notes == []


def test_the_page_is_self_contained(run_dir):
    page = build_report(run_dir).html
    # plotly.js once, inline; nothing is fetched: no script src, stylesheet link or image
    assert page.count("Plotly.newPlot(") == len(RUN_CHARTS)
    assert len(re.findall(r"<script\b", page)) == 1 + len(RUN_CHARTS)
    assert not re.search(r"<script[^>]*\bsrc\s*=", page)
    assert not re.search(r"<link\b", page)
    assert not re.search(r"<img\b", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "connect-src 'none'" in page
    assert 4_000_000 < len(page.encode()) < 8_000_000  # plotly.js is most of it


def test_scenario_text_is_escaped_everywhere(evil_run):
    report = build_report(evil_run)
    page = report.html
    for raw in (SCRIPT, IMG, "<img", "<b onmouseover", EVIL_TITLE, EVIL_LABEL, EVIL_REGION):
        assert raw not in page, raw
    assert "Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;&gt;&lt;img" in page
    # in the charts' JSON the text is entity-escaped (and Plotly \\u-escapes "/", "<", ">")
    assert "&lt;script&gt;alert(1)&lt;\\u002fscript&gt;" in page
    assert report.charts == RUN_CHARTS


def test_chart_text_is_escaped_for_plotly():
    fan = Fan(["2021-08", "2021-09"], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5])
    marks = [EventMark("2021-09", ((EVIL_LABEL, f"source {SCRIPT}"),))]
    fig = fan_chart(fan, title=EVIL_TITLE, y_title=f"y {SCRIPT}", subtitle=IMG, events=marks)
    texts = [fig.layout.title.text, fig.layout.yaxis.title.text]
    texts += [t.hovertext[0] for t in fig.data if t.hovertext is not None]
    for text in texts:
        assert "<script" not in text and "<img" not in text
        assert "&lt;" in text
    panels = fan_panels([(EVIL_REGION, fan)], title="t", y_title="y", events=marks, columns=1)
    assert all("<b onmouseover" not in a.text for a in panels.layout.annotations)


def test_a_missing_scenario_file_leaves_a_note_and_no_markers(tmp_path):
    scenario = evil_scenario(tmp_path / "gone.toml")
    out = small_run(tmp_path / "run", str(scenario), replicas=20, months=30)
    kept = tmp_path / "kept.toml"
    shutil.copy(scenario, kept)
    scenario.unlink()
    report = build_report(out)
    assert len(report.notes) == 1 and "could not be read" in report.notes[0]
    assert "gone.toml" in report.notes[0]
    assert "scenario event" not in report.html  # no marker trace
    assert report.charts == RUN_CHARTS
    # naming the file restores the events
    found = build_report(out, scenario_source=str(kept))
    assert found.notes == [] and "scenario event" in found.html


def test_without_scenario_source_the_command_names_the_scenario(evil_run, tmp_path):
    copy = tmp_path / "older"
    shutil.copytree(evil_run, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["scenario_source"]  # as written before the field existed, or by `compare`
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert manifest["command"].startswith("resurgence run /")
    report = build_report(copy)
    assert report.notes == []
    assert "Prison releases &lt;script&gt;" in report.html  # the file's events, escaped


def test_a_policy_run_marks_the_policy_events_too(tmp_path):
    out = tmp_path / "run"
    run(
        "isk",
        replicas=20,
        seed=1,
        out=out,
        months=30,
        workers=1,
        policies=["no_funding"],
        catalog=tmp_path / "catalog.duckdb",
    )
    report = build_report(out)
    assert report.notes == []  # the scenario and policy found match the run's hash
    assert "policy no_funding: " in report.html
    assert "no_funding" in report.html.split('id="command"')[0]  # policies in the header


def test_large_runs_are_read_from_their_first_replicas(run_dir, monkeypatch):
    import resurgence.report.run as run_report

    monkeypatch.setattr(run_report, "MAX_REPLICAS", 20)
    report = build_report(run_dir)
    assert any("first 20 of the run's 50 replicas" in note for note in report.notes)
    assert report.charts == RUN_CHARTS


# ---------------------------------------------------------------------- the commands


def test_run_with_report_then_the_report_command(tmp_path):
    out = tmp_path / "run"
    result = invoke(
        [
            "run",
            "isk",
            "--replicas",
            "50",
            "--months",
            "36",
            "--out",
            str(out),
            "--workers",
            "1",
            "--report",
        ]
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    assert "Report:" in result.stdout and "report.html" in result.stdout
    target = tmp_path / "elsewhere.html"
    result = invoke(["report", str(out), "-o", str(target)])
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert all(f'id="{chart}"' in page for chart in RUN_CHARTS)
    assert not list(tmp_path.glob("**/.*.partial"))


def test_compare_with_report(tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", "isk", "-p", "no_funding", "--replicas", "20", "--months", "40"]
    result = invoke([*args, "--workers", "1", "--horizon", "12", "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    for chart in ("chart-compare", "chart-compare-trajectories"):
        assert f'id="{chart}"' in page
    assert "no_funding" in page and "Policy comparison" in page


def test_sensitivity_with_report(tmp_path):
    out = tmp_path / "sa"
    args = ["sensitivity", "isk", "--method", "morris", "--samples", "2", "--replicas", "4"]
    result = invoke([*args, "--horizon", "6", "--workers", "1", "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    report = build_report(out)
    assert report.kind == "sensitivity"
    assert report.charts == ["chart-sensitivity-conditions", "chart-sensitivity-parameters"]
    for condition in ("funding_alignment", "windfalls"):
        assert condition in report.html


def test_report_of_a_discovery(tmp_path):
    out = tmp_path / "disc"
    args = ["discover", "isk", "--samples", "60", "--replicas", "4", "--likely", "0.25"]
    result = invoke([*args, "--horizon", "12", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = invoke(["report", str(out)])
    assert result.exit_code == 0, result.output
    report = build_report(out)
    assert report.kind == "discover"
    manifest = json.loads((out / "manifest.json").read_text())
    # with --likely 0.25, enough sets are likely resurgences for PRIM to find a box
    assert manifest["prim"]["ran"] and manifest["boxes"], manifest["outcome"]
    assert report.charts == ["chart-prim-boxes", "chart-prim-tradeoff"]
    assert "Scenario discovery (PRIM)" in report.html
    assert "The boxes in numbers" in report.html and "No box:" not in report.html


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d, "not a complete run (no manifest.json)"),
        (lambda d: d / "nowhere", "no such directory"),
        (lambda d: (d / "file.txt").write_text("x") and d / "file.txt", "not a directory"),
        (
            lambda d: (d / "manifest.json").write_text("{not json") and d,
            "not a readable manifest",
        ),
        (
            lambda d: (d / "manifest.json").write_text('{"complete": false}') and d,
            "does not mark a complete run",
        ),
        (
            lambda d: (
                (d / "manifest.json").write_text(
                    '{"complete": true, "outputs": ["ensemble.zarr", "manifest.json"]}'
                )
                and d
            ),
            "missing ensemble.zarr",
        ),
    ],
    ids=["empty", "absent", "a-file", "bad-json", "incomplete", "no-ensemble"],
)
def test_bad_input_exits_2_with_one_message(tmp_path, make, expected):
    target = make(tmp_path)
    result = invoke(["report", str(target)])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "report.html").exists()


# ------------------------------------------------------------------------ the browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from chromium(tmp_path_factory.mktemp("chromium-profile"))


RENDERED = """
return Array.from(document.querySelectorAll('.js-plotly-plot')).filter(el => {
  const n = v => (v && typeof v.length === 'number') ? v.length : 0;
  const data = Array.isArray(el.data) ? el.data : [];
  const drawn = el.querySelectorAll('.scatterlayer .trace, .barlayer .trace').length;
  return drawn > 0 && data.some(t => Math.max(n(t.x), n(t.y)) > 0);
}).map(el => el.id);
"""


def _open(driver, page: Path, expected: int) -> list[str]:
    """Load the page, wait until `expected` plots have rendered, return their ids."""
    driver.set_window_size(1280, 900)
    driver.get(page.resolve().as_uri())
    deadline = time.monotonic() + 60
    rendered: list[str] = []
    while time.monotonic() < deadline:
        rendered = driver.execute_script(RENDERED)
        if len(rendered) >= expected:
            break
        time.sleep(0.25)
    return rendered


def test_the_flagship_report_renders_in_chromium(browser, tmp_path):
    out = tmp_path / "isk"
    run(
        "isk",
        replicas=1000,
        seed=20240101,
        out=out,
        workers=1,
        catalog=tmp_path / "catalog.duckdb",
        command="resurgence run isk --report",
    )
    path, report = write_report(out)
    assert report.charts == RUN_CHARTS
    rendered = _open(browser, path, len(report.charts))
    assert rendered == report.charts
    assert console_errors(browser) == []
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert [u for u in fetched if not u.startswith(("file:", "data:", "blob:"))] == []
    title = browser.find_element("id", "title").text
    assert title == "IS-K under the Taliban's counter-terrorism, 2021-2026"
    screenshot(browser, tmp_path / "report.png")
    assert (tmp_path / "report.png").stat().st_size > 50_000
    if os.environ.get("RESURGENCE_UPDATE_SCREENSHOT"):  # refresh the README's picture
        shutil.copy(tmp_path / "report.png", ROOT / "docs" / "report-screenshot.png")


def test_markup_in_a_scenario_shows_as_text_and_runs_nothing(browser, evil_run, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException

    path, report = write_report(evil_run, tmp_path / "evil.html")
    rendered = _open(browser, path, len(report.charts))
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert  # noqa: B018 - the property raises when no alert is open
    assert rendered == report.charts
    assert console_errors(browser) == []
    assert browser.find_element("id", "title").text == EVIL_TITLE
    assert EVIL_TITLE in browser.find_element("tag name", "body").text
    assert browser.title.startswith(EVIL_TITLE)
    injected = browser.execute_script(
        "return document.querySelectorAll('img, [onerror], [onmouseover], [onload]').length"
    )
    assert injected == 0
    page_text = browser.execute_script("return document.body.textContent")
    assert EVIL_LABEL in page_text  # the events table
    panels = browser.execute_script(
        "return document.getElementById('chart-members-regions').textContent"
    )
    assert EVIL_REGION in panels  # a panel's title, drawn as SVG text
    screenshot(browser, tmp_path / "evil.png")


def test_an_adaptive_sensitivity_charts_every_index_to_its_own_depth():
    """An adaptive design refines some indices further than others: the convergence chart
    keeps every condition (and each parameter above 0.05) up to its own N, and the
    header says where the design started and how far it went."""
    from resurgence.report.sensitivity import _convergence, design_size

    def row(level, name, samples, st):
        return {
            "output": "probability",
            "level": level,
            "name": name,
            "samples": samples,
            "ST": st,
            "ST_conf": 0.04,
            "S1": st,
            "S1_conf": 0.04,
        }

    records = [row("condition", "deep", n, 0.9) for n in (256, 512, 1024, 2048)]
    records += [row("condition", "shallow", n, 0.1) for n in (128, 256, 512, 1024)]
    records += [row("parameter", "strong", n, 0.8) for n in (512, 1024, 2048, 4096)]
    records += [row("parameter", "weak", n, 0.01) for n in (128, 256, 512, 1024)]
    _, panels = _convergence(records)
    conditions, parameters = dict(panels)["conditions"], panels[1][1]
    assert [n for n, *_ in conditions["deep"]] == [256, 512, 1024, 2048]
    assert [n for n, *_ in conditions["shallow"]] == [128, 256, 512, 1024]
    assert list(parameters) == ["strong"]
    manifest = {
        "samples": 4096,
        "precision": {"first_samples": 1024, "half_width": 0.05},
        "base_samples": {
            "condition": {"deep": 2048, "shallow": 1024},
            "parameter": {"strong": 4096, "weak": 1024},
        },
    }
    assert design_size(manifest) == (
        "N=1024 base samples, up to 4096 for the indices wider than ±0.05"
    )
    assert design_size({"samples": 8, "precision": {"first_samples": 1024}}) == "N=8"
    manifest["base_samples"] = {"condition": {"deep": 1024}, "parameter": {"strong": 1024}}
    assert design_size(manifest) == (
        "N=1024 base samples (every index within ±0.05; up to 4096 were allowed)"
    )
