"""Checking that a bad input is rejected as promised: a `ResurgenceError` whose message
names the file and the place, and through the CLI exit code 2 with that message on one
`error:` line."""

from __future__ import annotations

import io
import re
import tomllib
import zlib
from pathlib import Path

import pytest
from rich.console import Console
from rich.markup import escape
from typer.testing import CliRunner

from helpers.bad_file import BadFile
from helpers.flagship_files import ISK
from resurgence.cli import app
from resurgence.errors import ResurgenceError
from resurgence.scenarios import load_policy, load_scenario
from resurgence.scenarios.locate import format_loc

CLI_EVERY = 25  # one input in this many also goes through the CLI

QUOTED = r'"(?:[^"\\\n]|\\.)*"'
FIELD_PATH = rf"(?:[A-Za-z0-9_]+|{QUOTED})(?:\.(?:[A-Za-z0-9_]+|{QUOTED})|\[\d+\])*"
WHOLE_LINE = re.compile(rf"^({FIELD_PATH}|\(top level\)): (.+)$", re.S)


def field_names(field: str) -> list[str]:
    field = re.sub(r"\[\d+\]", "", field)
    return [q or b for q, b in re.findall(r'"((?:[^"\\\n]|\\.)*)"|([A-Za-z0-9_]+)', field)]


def check_names_place(message: str, path: Path, bad: BadFile) -> str:
    """`FILE:LINE: FIELD: ...` with LINE holding FIELD, `FILE:LINE: ...` for a file that is
    not UTF-8 TOML, or `FILE: FIELD: ...` for a top-level table the document lacks.
    Returns what kind of place was named."""
    assert message.startswith(f"{path}:"), message
    found = re.match(r":(\d+)?:? ?(.*)", message[len(str(path)) :], re.S)
    assert found, message
    line = int(found[1]) if found[1] else None
    body = found[2]
    if body.startswith(("TOML syntax error", "not UTF-8")):
        assert line is not None or "end of document" in body, message
        assert line is None or 1 <= line <= bad.content.count(b"\n") + 1, message
        return "line"
    whole = WHOLE_LINE.match(body)
    assert whole, f"no FIELD: in {message!r}"
    field, names = whole[1], field_names(whole[1])
    text = bad.content.decode("utf-8")
    if line is None:
        document = tomllib.loads(text)
        assert names[0] not in document, f"{message!r}: {names[0]} is written; give its line"
        place = "field"
    else:
        lines = text.splitlines()
        assert 1 <= line <= len(lines), message
        assert any(name in lines[line - 1] for name in names), (
            f"line {line} is {lines[line - 1]!r}, which does not hold {field}: {message}"
        )
        place = "line and field"
    if bad.expect is not None:
        wanted = format_loc(bad.expect)
        assert field == wanted or field.startswith((wanted + ".", wanted + "[")), (
            f"the first problem should be at {wanted}: {message}"
        )
    return place


def load(path: Path, bad: BadFile):
    return load_policy(str(path), ISK) if bad.policy else load_scenario(path)


def rejected_message(path: Path, bad: BadFile) -> str:
    with pytest.raises(ResurgenceError) as info:  # any other exception fails the test
        load(path, bad)
    return str(info.value)


def cli_args(path: Path, bad: BadFile, out: Path) -> list[str]:
    """`validate` for most inputs; `run` for a third of them and for the text tomllib
    raises on (`validate` on such text: test_validate_rejects_text_tomllib_cannot_read)."""
    use_run = bad.tomllib_raises or zlib.crc32(bad.content) // CLI_EVERY % 3 == 0
    run = ["run", "--replicas", "2", "--workers", "1", "--out", str(out)]
    if not use_run:
        return ["validate", str(path)]
    if bad.policy:
        return [*run[:1], "isk", *run[1:], "--policy", str(path)]
    return [*run[:1], str(path), *run[1:]]


def cli_message(args: list[str], path: Path, bad: BadFile) -> str:
    """The library's message for the loader the command uses: `run --policy` the policy
    loader, `run FILE` the scenario loader, `validate` the policy loader for a TOML file
    with a [policy] table and the scenario loader otherwise (cli.py _is_policy_file)."""
    as_policy = "--policy" in args
    if args[0] == "validate":
        try:
            as_policy = "policy" in tomllib.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            as_policy = False
    message = rejected_message(path, BadFile(bad.kind, bad.content, as_policy))
    check_names_place(message, path, BadFile(bad.kind, bad.content, as_policy))
    return message


def printed(message: str) -> str:
    """The line the CLI prints for a message, as rich renders it with the CLI's consoles
    (commands/common.py: no emoji codes, so an error on line 100 reads 'FILE:100: ...';
    test_an_error_on_line_100_is_printed_as_written checks that)."""
    console = Console(file=io.StringIO(), width=120, emoji=False)
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return console.file.getvalue().rstrip("\n")


def check_cli(path: Path, bad: BadFile, out: Path) -> None:
    """Exit code 2, no traceback, one `error:` line: the library's message."""
    args = cli_args(path, bad, out)
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")]
    assert errors == [printed(cli_message(args, path, bad))], result.stderr
    assert not out.exists(), "a rejected run wrote output"
