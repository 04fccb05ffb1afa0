"""Bad input never crashes: every invalid scenario or policy file ends in a
`ResurgenceError` that names the file and the place.

Hypothesis mutates the flagship scenario (builtin isk.toml, parsed, changed, written back by
helpers/toml_writer.py) and small policy files: a required field dropped, an unknown field,
a wrong type, an unknown or wrong-kind actor, region or parameter, a value out of range,
NaN, infinite or huge, dates out of order or outside the scenario, a duplicated name, a
funding channel that repeats a hub or names a hub that is no state, a malformed event
(helpers/mutations.py); and it corrupts their bytes: truncated, binary bytes inserted, a
binary file, UTF-16/UTF-32/Latin-1/cp1252/BOM encodings, a duplicated key or table, a
broken line, a 5,000-digit number, arrays nested thousands deep (helpers/corruptions.py).
Each input must end in a `ResurgenceError` whose message starts with the file's path and
names the place: `FILE:LINE: FIELD: ...` (the line holding that field), `FILE:LINE:` for
text that is not TOML, `FILE: FIELD: ...` only for a top-level table the file lacks
(helpers/rejection.py). About one input in 25 (picked by checksum, so a replay picks the
same) also goes through the CLI (`validate`, `run FILE` or `run isk --policy FILE`; exit
code 2, one `error:` line, no traceback) and batches go through a real subprocess. The
`default` profile tries a few hundred inputs; `.ci/run` selects the `ci` profile
(HYPOTHESIS_PROFILE=ci, tests/conftest.py), which tries over 10,000. The figures are
printed at the end of the session (conftest.py, pytest_terminal_summary).
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from helpers.bad_file import BadFile
from helpers.commands import subprocess_cli
from helpers.corruptions import RAW_POLICY, RAW_SCENARIO, corrupted
from helpers.flagship_files import ISK, POLICY_BASE_LIST, SCENARIO_BASE
from helpers.hypothesis_profile import CI
from helpers.mutations import mutated
from helpers.rejection import (
    CLI_EVERY,
    check_cli,
    check_names_place,
    cli_message,
    printed,
    rejected_message,
)
from helpers.schema_walk import get
from resurgence.cli import app
from resurgence.errors import ResurgenceError
from resurgence.scenarios import load_policy, load_scenario
from resurgence.scenarios.load import MAX_NESTING
from resurgence.scenarios.schema import Scenario

BAD_INPUT = settings(
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # conftest's autouse catalog fixture
    ],
)


class Tally:
    """How many invalid inputs were tried, by kind, and how each was rejected."""

    def __init__(self, figures: dict):
        self.figures = figures
        self.kinds: Counter = Counter()
        self.places: Counter = Counter()
        self.tried = self.rejected = self.cli = self.subprocess = 0

    def report(self) -> None:
        kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(self.kinds.items()))
        places = ", ".join(f"{k} {n:,}" for k, n in sorted(self.places.items()))
        self.figures["bad inputs"] = (
            f"reliability: {self.tried:,} invalid inputs tried, {self.rejected:,} rejected "
            f"cleanly (ResurgenceError naming FILE and place: {places}); {self.cli:,} also "
            f"through the CLI and {self.subprocess:,} through a real subprocess, each exit "
            f"code 2, no traceback"
        )
        self.figures["bad input kinds"] = f"reliability: invalid inputs by kind: {kinds}"


@pytest.fixture(scope="module")
def tally(reliability) -> Tally:
    return Tally(reliability)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bad-inputs")


def try_bad_input(bad: BadFile, workdir: Path, tally: Tally) -> None:
    path = workdir / ("policy.toml" if bad.policy else "scenario.toml")
    path.write_bytes(bad.content)
    tally.tried += 1
    tally.kinds[("policy: " if bad.policy else "scenario: ") + bad.kind] += 1
    message = rejected_message(path, bad)
    tally.places[check_names_place(message, path, bad)] += 1
    if zlib.crc32(bad.content) % CLI_EVERY == 0:  # the same inputs on every replay
        check_cli(path, bad, workdir / f"run-{tally.tried}")
        tally.cli += 1
    tally.rejected += 1
    tally.report()


@pytest.mark.parametrize("base", [SCENARIO_BASE, *POLICY_BASE_LIST], ids=lambda b: b.root.__name__)
def test_the_bases_are_valid_as_written(base, tmp_path):
    """Each mutation starts from a valid file, so the mutation alone makes it invalid."""
    path = tmp_path / "base.toml"
    path.write_text(base.text, encoding="utf-8")
    if base.root is Scenario:
        assert load_scenario(path).model_dump() == ISK.model_dump()
    else:
        load_policy(str(path), ISK)
    for slot in base.required:
        assert get(base.doc, slot.path) is not None


@BAD_INPUT
@given(bad=mutated(policy=False))
def test_invalid_scenarios_are_rejected_cleanly(bad, workdir, tally):
    try_bad_input(bad, workdir, tally)


@BAD_INPUT
@given(bad=mutated(policy=True))
def test_invalid_policies_are_rejected_cleanly(bad, workdir, tally):
    try_bad_input(bad, workdir, tally)


@BAD_INPUT
@given(bad=corrupted(policy=False))
def test_corrupt_scenario_files_are_rejected_cleanly(bad, workdir, tally):
    try_bad_input(bad, workdir, tally)


@BAD_INPUT
@given(bad=corrupted(policy=True))
def test_corrupt_policy_files_are_rejected_cleanly(bad, workdir, tally):
    try_bad_input(bad, workdir, tally)


ANY_BAD = st.one_of(
    mutated(policy=False), mutated(policy=True), corrupted(policy=False), corrupted(policy=True)
)


@settings(BAD_INPUT, max_examples=8 if CI else 1)
@given(batch=st.lists(ANY_BAD, min_size=25, max_size=25), pick=st.integers(0, 24))
def test_bad_files_through_the_real_command(batch, pick, workdir, tally):
    """One `resurgence validate` process over 25 bad files: one `error:` line for each, in
    order, exit code 2, no traceback; and one `resurgence run isk --policy FILE`."""
    folder = workdir / "batch"
    folder.mkdir(exist_ok=True)
    paths = []
    for i, bad in enumerate(batch):
        paths.append(folder / f"{i:02d}-{'policy' if bad.policy else 'scenario'}.toml")
        paths[-1].write_bytes(bad.content)
    validated = [(p, b) for p, b in zip(paths, batch, strict=True) if not b.tomllib_raises]
    proc = subprocess_cli(["validate", *(str(p) for p, _ in validated)], folder)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert errors == [printed(cli_message(["validate"], p, b)) for p, b in validated]
    path, bad = paths[pick], batch[pick]
    out = folder / "run"
    command = ["run", "isk", "--policy"] if bad.policy else ["run"]
    proc = subprocess_cli([*command, str(path), "--replicas", "2", "--out", str(out)], folder)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert errors == [printed(cli_message(command, path, bad))], proc.stderr
    assert not out.exists()
    tally.tried += len(batch)
    tally.rejected += len(batch)
    tally.subprocess += len(validated) + 1
    for bad in batch:
        tally.kinds[("policy: " if bad.policy else "scenario: ") + bad.kind] += 1
    tally.report()


CRASHING_TEXT = {
    "5,000-digit number": 'title = "x"\nvalue = ' + "9" * 5000 + "\n",
    "arrays nested 5,000 deep": "value = " + "[" * 5000 + "]" * 5000 + "\n",
}


@pytest.mark.parametrize("text", CRASHING_TEXT.values(), ids=CRASHING_TEXT.keys())
def test_the_loader_reports_text_tomllib_cannot_read(text, tmp_path):
    """tomllib raises ValueError (over 4,300 digits) and RecursionError (deep nesting),
    not TOMLDecodeError; the loader reports both with the file and line."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    for loader in (lambda: load_scenario(path), lambda: load_policy(str(path), ISK)):
        with pytest.raises(ResurgenceError, match=r"TOML syntax error") as info:
            loader()
        assert str(info.value).startswith(f"{path}:")
        assert re.match(r":\d+: ", str(info.value)[len(str(path)) :]), str(info.value)


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 140, 300])
def test_deep_nesting_gets_one_answer_at_any_stack_depth(depth, tmp_path):
    """Nesting past the limit is refused the same way whether the loader is called from a
    shallow stack or from one already deep (as a command's is), where tomllib's recursion
    would run out at a different depth; within the limit, the file reads at any depth."""
    path = tmp_path / "deep.toml"
    path.write_text("value = " + "[" * depth + "1" + "]" * depth + "\n", encoding="utf-8")
    shallow = pytest.raises(ResurgenceError, match="nested too deep")
    with shallow:
        load_scenario(path)

    def nested(levels):
        if levels:
            return nested(levels - 1)
        with pytest.raises(ResurgenceError, match="nested too deep"):
            load_scenario(path)

    nested(700)
    inside = tmp_path / "inside.toml"
    inside.write_text("value = " + "[" * MAX_NESTING + "1" + "]" * MAX_NESTING + "\n")
    with pytest.raises(ResurgenceError) as info:
        load_scenario(inside)
    assert "nested too deep" not in str(info.value)


@pytest.mark.parametrize("text", CRASHING_TEXT.values(), ids=CRASHING_TEXT.keys())
def test_validate_rejects_text_tomllib_cannot_read(text, tmp_path):
    """`resurgence validate` rejects it like any other bad file: exit code 2, nothing raised."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2


@pytest.mark.parametrize("policy", [False, True], ids=["scenario", "policy"])
def test_truncation_stops_where_the_file_becomes_valid(policy, tmp_path):
    """Cut one character later than any truncation the tests make, each text is valid: the
    truncated inputs are invalid because of the cut alone, up to its last byte."""
    for i, (text, last) in enumerate(RAW_POLICY if policy else RAW_SCENARIO):
        path = tmp_path / f"{i}.toml"
        path.write_text(text[: last + 1], encoding="utf-8")
        if policy:
            load_policy(str(path), ISK)
        else:
            load_scenario(path)


def test_an_error_on_line_100_is_printed_as_written(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("#\n" * 99 + "this is not TOML\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"error: {path}:100: TOML syntax error" in result.stderr, result.stderr
