"""`resurgence explore`: the levers' check, the runner on common random numbers, the files
the app serves, and the page in a real browser (headless Chromium through Selenium).

With RESURGENCE_UPDATE_SCREENSHOT=1 the page's screenshot is also written to
docs/explore-screenshot.png for the README; otherwise it stays in the test's directory.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpers.browser import chromium, console_errors
from helpers.evil import EVIL_CONDITION, EVIL_LABEL, EVIL_TITLE, evil_scenario
from resurgence.explore.app import create_app
from resurgence.explore.levers import Choices, Levers, Raw, read_levers
from resurgence.explore.runner import Runner, Superseded
from resurgence.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[1]
ISK = load_scenario("isk")
CHOICES = Choices.of("isk", ISK)


# ---------------------------------------------------------------------- the levers' check


def test_levers_at_their_defaults_are_the_baseline():
    levers, problems = read_levers(Raw(levels={c.name: 0 for c in CHOICES.conditions}), CHOICES)
    assert problems == []
    assert levers == Levers() == levers.baseline()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (Raw(replicas=5), "replicas must be a whole number from 100"),
        (Raw(replicas="1e9"), "replicas must be a whole number"),
        (Raw(replicas=250.5), "replicas must be a whole number"),
        (Raw(seed=-1), "seed must be a whole number of at least 0"),
        (Raw(levels={"host_unity": 1.5}), "host_unity: level must be a number from -1 to 1"),
        (Raw(levels={"host_unity": "nan"}), "host_unity: level must be a number"),
        (Raw(levels={"no_such": 0.5}), "unknown condition 'no_such'"),
        (Raw(policies_on={"../../etc/passwd": True}), "unknown policy '../../etc/passwd'"),
        (
            Raw(policies_on={"no_funding": True}, policy_starts={"no_funding": "2031-01"}),
            "no_funding: start month '2031-01' is not a month of the scenario",
        ),
        (Raw(threshold=-1), "threshold must be a number of at least 0"),
        (Raw(measure="rm -rf /"), "measure must be one of"),
        (Raw(horizon=60), "past the scenario's end (2026-12)"),
        (Raw(start="2026-06", horizon=12), "ends in 2027-05, past the scenario's end"),
        (Raw(consecutive=0), "consecutive months must be a whole number from 1 to 120"),
    ],
)
def test_bad_values_are_refused_with_a_message(raw, says):
    levers, problems = read_levers(raw, CHOICES)
    assert levers is None
    assert any(says in p for p in problems), problems


def test_a_policy_from_another_month_moves_all_its_events():
    raw = Raw(
        policies_on={"reconciliation_deals": True},
        policy_starts={"reconciliation_deals": "2025-06"},
    )
    levers, problems = read_levers(raw, CHOICES)
    assert problems == [] and levers.policies == ("reconciliation_deals@2025-06",)
    from resurgence.scenarios import load_policy

    moved = load_policy("reconciliation_deals@2025-06", ISK)
    assert {e.month for e in moved.events} == {"2025-06"}
    assert moved.name == "reconciliation_deals@2025-06"


# --------------------------------------------------------------------------- the runner


def test_the_runner_pairs_the_levers_with_the_baseline_on_the_same_random_numbers():
    runner = Runner("isk")
    same = runner.answer(Levers(replicas=200, seed=3), runner.ticket())
    assert same.difference[0] == 0.0
    assert same.base_p == same.lever_p
    assert (
        same.result.ensemble["members"].values == same.baseline.ensemble["members"].values
    ).all()
    turned = Levers(
        policies=("no_funding@2022-01",), conditions=(("windfalls", 1.0),), replicas=200, seed=3
    )
    moved = runner.answer(turned, runner.ticket())
    assert moved.baseline is same.baseline  # the baseline is kept, not run again
    assert moved.lever_p != moved.base_p
    assert moved.difference[0] == pytest.approx(moved.lever_p[0] - moved.base_p[0])
    assert "--policy no_funding@2022-01" in moved.result.manifest["command"]
    assert "--condition windfalls=1" in moved.result.manifest["command"]


def test_the_baseline_run_as_the_page_starts_is_not_run_again():
    runner = Runner("isk")
    levers = Levers(replicas=120, seed=5)
    started = threading.Thread(target=runner.prepare, args=(levers,))
    started.start()
    first = runner.answer(levers, runner.ticket())  # asked while the baseline still runs
    started.join()
    progress = runner.progress()
    assert progress.total == progress.done == levers.replicas  # the levers' run alone
    again = runner.answer(
        Levers(conditions=(("windfalls", -1.0),), replicas=120, seed=5), runner.ticket()
    )
    assert again.baseline is first.baseline


def test_one_baseline_serves_every_definition():
    runner = Runner("isk")
    first = runner.answer(Levers(replicas=150, seed=9), runner.ticket())
    stricter = Levers(definition=(("threshold", 3.0),), replicas=150, seed=9)
    moved = runner.answer(stricter, runner.ticket())
    assert moved.baseline is first.baseline
    assert moved.difference[0] == 0.0  # the same replicas, read by the same definition
    assert moved.base_p[0] >= first.base_p[0]  # a lower threshold is reached more often
    assert moved.result.probability.definition.threshold == 3.0


def test_a_newer_request_stops_an_older_run():
    runner = Runner("isk")
    older = runner.ticket()
    runner.ticket()  # a newer change arrives before the older run's first chunk ends
    with pytest.raises(Superseded):
        runner.answer(Levers(replicas=300, seed=1), older)
    assert runner.last is None


# ---------------------------------------------------------------------- files it serves


def test_the_app_serves_saved_runs_and_nothing_outside_them(tmp_path):
    root = tmp_path / "saves"
    (root / "isk-run").mkdir(parents=True)
    (root / "isk-run" / "report.html").write_text("<p>saved</p>")
    (tmp_path / "secret.txt").write_text("not for the browser")
    client = create_app("isk", ISK, root).server.test_client()
    assert client.get("/saved/isk-run/report.html").status_code == 200
    for path in (
        "/saved/../secret.txt",
        "/saved/..%2Fsecret.txt",
        "/saved/isk-run/../../secret.txt",
        f"/saved/{tmp_path}/secret.txt",
        "/saved/%2Fetc%2Fpasswd",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"not for the browser" not in response.data


# ------------------------------------------------------------------------ the browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from chromium(tmp_path_factory.mktemp("chromium-profile"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _serving(scenario: str, saves: Path):
    """`resurgence explore SCENARIO` in its own process, on a free port; its address."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "resurgence.cli",
            "explore",
            scenario,
            "--port",
            str(port),
            "--no-browser",
            "--save-dir",
            str(saves),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The flagship's page: its address and save folder."""
    saves = tmp_path_factory.mktemp("saves")
    with _serving("isk", saves) as url:
        yield url, saves


def _text(driver, element_id: str) -> str:
    found = driver.find_elements("id", element_id)
    return found[0].text if found else ""


def _wait(predicate, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


FANS = """
const el = document.querySelector('#fans .js-plotly-plot');
if (!el || !Array.isArray(el.data)) return null;
return JSON.stringify(el.data.map(t => [t.name, t.y]));
"""

RESOURCES = "return performance.getEntriesByType('resource').map(e => e.name);"


def test_the_page_answers_each_lever_against_the_baseline(browser, page, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, saves = page
    browser.get(url)
    first = _wait(lambda: _text(browser, "difference"), "the first answer")
    # Every lever at the baseline: the same run twice, so exactly no difference.
    assert first == "+0.000"
    assert _text(browser, "levers-p") == _text(browser, "baseline-p")
    fans = _wait(lambda: browser.execute_script(FANS), "the fan charts")

    # A policy switched on: the probability and the fans move.
    box = browser.find_element(
        By.CSS_SELECTOR, "[id*='\"name\":\"no_funding\"'][id*='policy-on'] input"
    )
    box.click()
    _wait(lambda: _text(browser, "difference") not in ("", "+0.000"), "the policy's answer")
    with_policy = _text(browser, "levers-p")
    assert with_policy != _text(browser, "baseline-p")
    fans_policy = _wait(lambda: (f := browser.execute_script(FANS)) != fans and f, "new fans")

    # A condition's slider moved to the group's favour: the answer moves again.
    handle = browser.find_element(By.CSS_SELECTOR, "[id*='\"name\":\"windfalls\"'] [role='slider']")
    handle.click()
    handle.send_keys(Keys.END)
    _wait(lambda: _text(browser, "levers-p") not in ("", with_policy), "the slider's answer")
    _wait(lambda: (f := browser.execute_script(FANS)) != fans_policy and f, "newer fans")

    # An out-of-range value is refused on the page, and nothing runs.
    answered = _text(browser, "levers-p")
    replicas = browser.find_element(By.ID, "replicas")
    replicas.clear()
    replicas.send_keys("5", Keys.ENTER)
    refusal = _wait(lambda: _text(browser, "refused"), "the refusal")
    assert "replicas must be a whole number from 100" in refusal
    assert _text(browser, "levers-p") == answered

    # Every script and style came from the app itself.
    resources = browser.execute_script(RESOURCES)
    assert resources and all(r.startswith(url) for r in resources), resources
    assert console_errors(browser) == []

    # Save this run: the run directory of `resurgence run`, its report and the command.
    replicas.clear()
    replicas.send_keys("1000", Keys.ENTER)
    _wait(lambda: not _text(browser, "refused"), "the refusal to clear")
    _wait(lambda: _text(browser, "levers-p") == answered, "the answer for 1,000 replicas")
    browser.find_element(By.ID, "save").click()
    _wait(lambda: _text(browser, "saved"), "the saved run")
    (folder,) = [p for p in saves.iterdir() if p.is_dir()]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (folder / "ensemble.zarr").is_dir() and (folder / "report.html").is_file()
    assert "--policy no_funding@" in manifest["command"]
    assert "--condition windfalls=1" in manifest["command"]
    assert manifest["command"] in _text(browser, "saved")

    shot = tmp_path / "explore.png"
    browser.set_window_size(1280, 1000)
    browser.execute_script("window.scrollTo(0, 0)")
    assert browser.save_screenshot(str(shot))
    if os.environ.get("RESURGENCE_UPDATE_SCREENSHOT"):
        shutil.copy(shot, ROOT / "docs" / "explore-screenshot.png")


def test_text_from_the_scenario_is_shown_as_text(browser, tmp_path):
    """Markup in a scenario's title, a condition's description and an event's label is
    shown as written: no script runs, no element is injected."""
    from selenium.common.exceptions import NoAlertPresentException

    scenario = evil_scenario(tmp_path / "evil.toml")
    with _serving(str(scenario), tmp_path / "saves") as url:
        browser.get(url)
        _wait(lambda: _text(browser, "difference"), "the first answer")
        assert browser.find_element("tag name", "h1").text == EVIL_TITLE
        assert EVIL_CONDITION in browser.find_element("tag name", "body").text
        hover = browser.execute_script(
            "return JSON.stringify(document.querySelector('#fans .js-plotly-plot').data"
            ".map(t => t.hovertext || ''));"
        )
        assert "Prison releases" in hover and EVIL_LABEL not in hover  # escaped for Plotly
        assert browser.execute_script("return document.querySelectorAll('img[src=x]').length") == 0
        with pytest.raises(NoAlertPresentException):
            _ = browser.switch_to.alert.text
        assert console_errors(browser) == []
