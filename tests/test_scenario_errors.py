"""Bad scenario and policy files: one clear `FILE:LINE: FIELD: what is expected` message.

Each bad file is the builtin isk.toml with one small edit (or a small document of its own),
written to tmp_path. The expected line is computed from the text written, so the tests
follow the builtin file as it changes. Most cases run in-process (typer's CliRunner and the
library); a few go through a real subprocess to prove the exit code and that no traceback
is printed.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resurgence.catalogue import parameter_catalogue
from resurgence.cli import app
from resurgence.errors import ResurgenceError
from resurgence.months import add_months
from resurgence.scenarios import load_policy, load_scenario
from resurgence.scenarios.load import builtin_scenarios

ISK_PATH = builtin_scenarios()["isk"]
SOURCE = ISK_PATH.read_text(encoding="utf-8")
DATA = tomllib.loads(SOURCE)
INFO = DATA["scenario"]
START, END = INFO["start"], INFO["end"]
FOCAL, HOST = INFO["focal"], INFO["host"]
REGIONS = [r["name"] for r in DATA["regions"]]
ACTOR_KINDS = {a["name"]: a["kind"] for a in DATA["actors"]}
N_EVENTS = len(DATA["events"])


# ---------------------------------------------------------------- building bad files


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the text"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """1-based line where `needle` (which must occur once) starts."""
    assert text.count(needle) == 1, f"{needle!r} occurs {text.count(needle)} times"
    return text[: text.index(needle)].count("\n") + 1


def first_line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def appended(block: str) -> tuple[str, Callable[[str], int]]:
    """The builtin with `block` appended; and a function giving the line of one of the
    block's lines in the result."""
    text = SOURCE.rstrip("\n") + "\n\n" + block
    start = text.count("\n", 0, len(text) - len(block)) + 1

    def line(key_line: str) -> int:
        lines = block.splitlines()
        assert lines.count(key_line) == 1, key_line
        return start + lines.index(key_line)

    return text, line


def event_block(label: str, **fields) -> str:
    body = "".join(
        f"{k} = {v!r}\n" if isinstance(v, int | float) else f'{k} = "{v}"\n'
        for k, v in fields.items()
    )
    return f'[[events]]\nlabel = "{label}"\n{body}'


@dataclass(frozen=True)
class Expect:
    text: str | bytes
    lines: tuple[int, ...]  # where the message may point (usually one line)
    fields: tuple[str, ...]  # the field path the message may name (usually one)
    hints: tuple[str, ...]  # words of what is expected
    policy: bool = False  # a policy file, checked against the builtin isk


def expect(text, line, field, *hints, policy=False) -> Expect:
    return Expect(text, (line,), (field,), hints, policy)


CASES: dict[str, Callable[[], Expect]] = {}


def case(func: Callable[[], Expect]) -> Callable[[], Expect]:
    CASES[func.__name__] = func
    return func


@case
def missing_required_field() -> Expect:
    text = replace_once(SOURCE, f'focal = "{FOCAL}"\n', "")
    # A missing field has no line of its own: the message points at its table.
    return expect(text, line_of(text, "[scenario]"), "scenario.focal", "required")


@case
def unknown_field() -> Expect:
    index = list(ACTOR_KINDS).index(FOCAL)
    header = f'[[actors]]\nname = "{FOCAL}"\n'
    text = replace_once(SOURCE, header, header + 'colour = "red"\n')
    return expect(text, line_of(text, 'colour = "red"'), f"actors[{index}].colour", "unknown field")


@case
def wrong_type() -> Expect:
    block = event_block(
        "test: a string for a number",
        month=END,
        parameter="funding.transfer_scale",
        op="set",
        value="high",
    )
    text, line = appended(block)
    return expect(text, line('value = "high"'), f"events[{N_EVENTS}].value", "valid number")


@case
def event_unknown_actor() -> Expect:
    block = event_block(
        "test: unknown actor",
        month=END,
        state="members",
        actor="daesh",
        region=REGIONS[0],
        op="add",
        value=10,
    )
    text, line = appended(block)
    return expect(
        text,
        line('actor = "daesh"'),
        f"events[{N_EVENTS}].actor",
        "unknown group or faction 'daesh'",
        "expected one of",
        FOCAL,
    )


@case
def event_unknown_region() -> Expect:
    block = event_block(
        "test: unknown region",
        month=END,
        state="members",
        actor=FOCAL,
        region="mars",
        op="add",
        value=10,
    )
    text, line = appended(block)
    return expect(
        text,
        line('region = "mars"'),
        f"events[{N_EVENTS}].region",
        "unknown region 'mars'",
        REGIONS[0],
    )


@case
def unknown_parameter() -> Expect:
    block = '[parameters."funding.nonsense"]\nvalue = 1.0\n'
    text, line = appended(block)
    return expect(
        text,
        line('[parameters."funding.nonsense"]'),
        'parameters."funding.nonsense"',
        "unknown parameter 'funding.nonsense'",
        "expected one of",
    )


@case
def parameter_out_of_range() -> Expect:
    name = "payroll.salary"
    assert name not in DATA["parameters"]
    spec = parameter_catalogue()[name]
    bad = spec.high * 4 + 1
    block = f'[parameters."{name}"]\nvalue = {bad!r}\n'
    text, line = appended(block)
    return expect(
        text,
        line(f"value = {bad!r}"),
        f'parameters."{name}".value',
        "outside its range",
        f"{spec.high:g}",
    )


@case
def events_out_of_order() -> Expect:
    assert DATA["events"][-1]["month"] > START
    block = event_block(
        "test: out of order",
        month=START,
        parameter="funding.transfer_scale",
        op="set",
        value=1.0,
    )
    text, line = appended(block)
    return expect(text, line(f'month = "{START}"'), f"events[{N_EVENTS}].month", "date order")


@case
def event_outside_scenario() -> Expect:
    late = add_months(END, 3)
    block = event_block(
        "test: after the end",
        month=late,
        parameter="funding.transfer_scale",
        op="set",
        value=1.0,
    )
    text, line = appended(block)
    return expect(
        text,
        line(f'month = "{late}"'),
        f"events[{N_EVENTS}].month",
        "outside the scenario",
        f"{START} to {END}",
    )


@case
def until_before_month() -> Expect:
    until = add_months(END, -6)
    block = event_block(
        "test: until before month",
        month=END,
        parameter="funding.transfer_scale",
        op="set",
        value=1.0,
        until=until,
    )
    text, line = appended(block)
    return expect(
        text, line(f'until = "{until}"'), f"events[{N_EVENTS}].until", "must come after month"
    )


@case
def end_before_start() -> Expect:
    early = add_months(START, -8)
    text = replace_once(SOURCE, f'end = "{END}"', f'end = "{early}"')
    return expect(text, line_of(text, f'end = "{early}"'), "scenario.end", "must come after start")


@case
def channel_hub_cycle() -> Expect:
    sponsor = next(a for a, k in ACTOR_KINDS.items() if k == "sponsor")
    states = [a for a, k in ACTOR_KINDS.items() if k == "state"]
    index = len(DATA.get("channels", []))
    alternatives = f'alternatives = ["{states[1]}", "{states[1]}"]'
    block = (
        f'[[channels]]\nname = "test_cycle"\nsource = "{sponsor}"\nhub = "{states[0]}"\n'
        f'{alternatives}\nrecipient = "{FOCAL}"\n'
    )
    text, line = appended(block)
    return expect(
        text, line(alternatives), f"channels[{index}].alternatives", "appears twice", "cycle"
    )


@case
def duplicated_region() -> Expect:
    block = f'[[regions]]\nname = "{REGIONS[0]}"\nlabel = "test duplicate"\n'
    text, line = appended(block)
    return expect(
        text,
        line(f'name = "{REGIONS[0]}"'),
        f"regions[{len(REGIONS)}].name",
        f"duplicated name '{REGIONS[0]}'",
    )


@case
def relation_sign_contradicts_type() -> Expect:
    index = len(DATA["relations"])
    block = f'[[relations]]\nfrom = "{HOST}"\nto = "{FOCAL}"\ntype = "hostility"\nvalue = 0.5\n'
    text, line = appended(block)
    # The loader points at the relation's table (the sign is a rule across `type` and
    # `value`); test_relation_sign_error_points_at_the_value pins the value's own line.
    return Expect(
        text,
        tuple(range(line("[[relations]]"), line("value = 0.5") + 1)),
        (f"relations[{index}]", f"relations[{index}].value"),
        ("hostility", "-1 to 0"),
    )


@case
def attack_type_shares_do_not_add_up() -> Expect:
    block = '[[attack_types]]\nname = "test_extra"\nshare = 0.5\ncost = 1.0\nvisibility = 1.0\n'
    text, _ = appended(block)
    # A rule on the whole list: the message points at its first entry.
    return expect(text, first_line_of(text, "[[attack_types]]"), "attack_types", "add up to 1")


@case
def policy_event_unknown_actor() -> Expect:
    text = (
        '[policy]\nname = "test_policy"\ntitle = "A policy naming an unknown actor"\n\n'
        + event_block(
            "test: unknown actor",
            month=END,
            state="members",
            actor="daesh",
            region=REGIONS[0],
            op="add",
            value=10,
        )
    )
    return expect(
        text,
        line_of(text, 'actor = "daesh"'),
        "events[0].actor",
        "unknown group or faction 'daesh'",
        policy=True,
    )


@case
def policy_table_event_out_of_range() -> Expect:
    block = event_block(
        "test: out of range",
        month=END,
        parameter="funding.transfer_scale",
        op="set",
        value=99.0,
    )
    text = '[policy]\nname = "test_policy"\n\n' + block.replace("[[events]]", "[[policy.events]]")
    return expect(
        text,
        line_of(text, "value = 99.0"),
        "policy.events[0].value",
        "outside its range",
        policy=True,
    )


@case
def policies_event_in_scenario_out_of_range() -> Expect:
    index = len(DATA.get("policies", []))
    block = (
        '[[policies]]\nname = "test_policy"\n\n[[policies.events]]\nlabel = "test"\n'
        f'month = "{END}"\nparameter = "funding.transfer_scale"\nop = "set"\nvalue = 99.0\n'
    )
    text, line = appended(block)
    return expect(
        text, line("value = 99.0"), f"policies[{index}].events[0].value", "outside its range"
    )


@case
def inline_table_value_out_of_range() -> Expect:
    region = next(iter(DATA["initial"]["members"][FOCAL]))
    old = f"{FOCAL} = {{ {region} = "
    text = replace_once(SOURCE, old, old + "-")
    return expect(
        text,
        line_of(text, old + "-"),
        f"initial.members.{FOCAL}.{region}",
        "greater than or equal to 0",
    )


POLICY_CASES = {"policy_event_unknown_actor", "policy_table_event_out_of_range"}


# ---------------------------------------------------------------- checking messages


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / f"{name}.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def check_message(message: str, path: Path, e: Expect) -> None:
    """`FILE:LINE: FIELD: what is expected`, with the line, field and hints of `e`."""
    assert str(path) in message, message
    match = re.search(re.escape(path.name) + r":(\d+): (\S+): (.*)", message)
    assert match, f"no FILE:LINE: FIELD: in {message!r}"
    line, field, rest = int(match[1]), match[2], match[3]
    assert line in e.lines, f"line {line}, expected {e.lines}: {message}"
    assert field in e.fields, f"field {field}, expected {e.fields}: {message}"
    for hint in e.hints:
        assert hint in rest, f"{hint!r} not in {message!r}"


def validate_args(path: Path, e: Expect) -> list[str]:
    return ["validate", str(path), *(["--scenario", "isk"] if e.policy else [])]


def invoke(args: list[str]):
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def subprocess_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "resurgence.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_builtin_is_valid():
    """The bad files are edits of this one; it must itself be clean."""
    result = invoke(["validate", str(ISK_PATH)])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("name", list(CASES))
def test_validate_reports_file_line_and_field(name, tmp_path):
    e = CASES[name]()
    path = write(tmp_path, name, e.text)
    result = invoke(validate_args(path, e))
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.count("error: ") == 1, result.stderr
    check_message(result.stderr, path, e)


@pytest.mark.parametrize("name", [n for n in CASES if n not in POLICY_CASES])
def test_load_scenario_raises(name, tmp_path):
    e = CASES[name]()
    assert not e.policy
    path = write(tmp_path, name, e.text)
    with pytest.raises(ResurgenceError) as info:
        load_scenario(path)
    check_message(str(info.value), path, e)


@pytest.mark.parametrize("name", sorted(POLICY_CASES))
def test_load_policy_raises(name, tmp_path):
    e = CASES[name]()
    assert e.policy
    path = write(tmp_path, name, e.text)
    with pytest.raises(ResurgenceError) as info:
        load_policy(str(path), load_scenario("isk"))
    check_message(str(info.value), path, e)


@pytest.mark.parametrize("name", ["event_unknown_actor", "policy_event_unknown_actor"])
def test_validate_subprocess(name, tmp_path):
    """The real entry point: exit code 2, one message, no traceback."""
    e = CASES[name]()
    path = write(tmp_path, name, e.text)
    proc = subprocess_cli(validate_args(path, e), tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert re.search(r"^error: ", proc.stderr, re.MULTILINE), proc.stderr
    check_message(proc.stderr, path, e)


# ---------------------------------------------------------------- files that are not TOML


def toml_syntax_error() -> tuple[str, int]:
    text = replace_once(SOURCE, f'focal = "{FOCAL}"\n', f'focal = "{FOCAL}\n')
    return text, line_of(text, f'focal = "{FOCAL}\n')


def test_toml_syntax_error_subprocess(tmp_path):
    text, line = toml_syntax_error()
    path = write(tmp_path, "syntax", text)
    proc = subprocess_cli(["validate", str(path)], tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert str(path) in proc.stderr
    assert "TOML syntax error" in proc.stderr
    assert f"line {line}," in proc.stderr  # tomllib's own "(at line N, column M)"


def test_toml_syntax_error_library(tmp_path):
    text, line = toml_syntax_error()
    path = write(tmp_path, "syntax", text)
    with pytest.raises(ResurgenceError, match="TOML syntax error") as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    assert f"line {line}," in str(info.value)


def test_toml_syntax_error_has_file_line_prefix(tmp_path):
    text, line = toml_syntax_error()
    path = write(tmp_path, "syntax", text)
    with pytest.raises(ResurgenceError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_empty_file(tmp_path):
    path = write(tmp_path, "empty", "")
    result = invoke(["validate", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    # An empty file has no line to point at: FILE: FIELD: what is expected.
    assert f"{path}: scenario: this field is required" in result.stderr
    with pytest.raises(ResurgenceError, match="scenario: this field is required"):
        load_scenario(path)


def test_binary_file_subprocess(tmp_path):
    path = write(tmp_path, "binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe\x80")
    proc = subprocess_cli(["validate", str(path)], tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert str(path) in proc.stderr
    assert "not UTF-8" in proc.stderr
    with pytest.raises(ResurgenceError, match="not UTF-8"):
        load_scenario(path)


def latin1_file(tmp_path: Path) -> tuple[Path, int]:
    """The builtin saved as Latin-1 with one accented letter in its title, and the line of
    its first byte that is not UTF-8 (the first letter beyond ASCII)."""
    old = f'title = "{INFO["title"]}"'
    text = replace_once(SOURCE, old, old[:-1] + ' (caf\u00e9)"')
    path = tmp_path / "latin1.toml"
    path.write_bytes(text.encode("latin-1"))
    first = next(i for i, ch in enumerate(text) if ord(ch) > 127)
    return path, text.count("\n", 0, first) + 1


def test_non_utf8_file(tmp_path):
    path, _ = latin1_file(tmp_path)
    result = invoke(["validate", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr
    assert "not UTF-8" in result.stderr and "save the file as UTF-8" in result.stderr


def test_non_utf8_file_names_the_line(tmp_path):
    path, line = latin1_file(tmp_path)
    with pytest.raises(ResurgenceError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}:{line}: ")


# ---------------------------------------------------------------- several files at once


def test_validate_reports_each_bad_file(tmp_path):
    bad_actor = CASES["event_unknown_actor"]()
    bad_region = CASES["event_unknown_region"]()
    first = write(tmp_path, "first", bad_actor.text)
    second = write(tmp_path, "second", bad_region.text)
    result = invoke(["validate", str(first), str(ISK_PATH), str(second)])
    assert result.exit_code == 2
    assert f"ok: {ISK_PATH}" in result.stdout
    assert result.stderr.count("error: ") == 2, result.stderr
    check_message(result.stderr.splitlines()[0], first, bad_actor)
    check_message(result.stderr.splitlines()[1], second, bad_region)


# ---------------------------------------------------------------- known defects


def test_relation_sign_error_points_at_the_value(tmp_path):
    e = CASES["relation_sign_contradicts_type"]()
    path = write(tmp_path, "sign", e.text)
    with pytest.raises(ResurgenceError) as info:
        load_scenario(path)
    check_message(str(info.value), path, expect(e.text, e.lines[-1], e.fields[-1]))


def test_three_quotes_inside_a_one_line_string(tmp_path):
    e = CASES["event_unknown_actor"]()
    old = f'title = "{INFO["title"]}"'
    text = replace_once(e.text, old, old[:-1] + " (draft ''')\"")
    path = write(tmp_path, "quotes", text)
    with pytest.raises(ResurgenceError) as info:
        load_scenario(path)
    check_message(str(info.value), path, expect(text, e.lines[0], e.fields[0]))


def test_bad_month_shows_the_value_once(tmp_path):
    block = event_block(
        "test: month 13",
        month="2022-13",
        parameter="funding.transfer_scale",
        op="set",
        value=1.0,
    )
    text, _ = appended(block)
    path = write(tmp_path, "month13", text)
    with pytest.raises(ResurgenceError) as info:
        load_scenario(path)
    assert "YYYY-MM" in str(info.value)
    assert str(info.value).count("2022-13") == 1, str(info.value)
