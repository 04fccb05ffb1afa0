"""Read scenario and policy TOML files into validated models, or one clear error.

Every problem a file can have (not UTF-8, TOML syntax, a missing or unknown field, a wrong
type, a reference to an unknown actor, a value outside its range, dates out of order)
becomes a `ResurgenceError` whose message reads `FILE:LINE: FIELD: what is expected`.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from resurgence.errors import ResurgenceError
from resurgence.months import add_months, month_offset, parse_month
from resurgence.scenarios.locate import format_loc, key_lines, line_of
from resurgence.scenarios.references import Problem, _Checker, check_references
from resurgence.scenarios.schema import Policy, PolicyFile, Scenario

BUILTIN = resources.files("resurgence.scenarios") / "builtin"
MAX_BYTES = 5_000_000
MAX_NESTING = 64

# Strings and comments are skipped; what is left of a bracket or brace opens or closes a level.
_TOKENS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]'
)


def builtin_scenarios() -> dict[str, Path]:
    """Builtin scenario names and their files (a name has no dot: `isk.mapping.toml` and
    other files beside a scenario are not scenarios)."""
    return {
        Path(p.name).stem: Path(str(p))
        for p in BUILTIN.iterdir()
        if p.name.endswith(".toml") and p.name.count(".") == 1
    }


def resolve_scenario_path(name_or_path: str) -> Path:
    """A builtin scenario's name, or a path to a scenario file."""
    builtins = builtin_scenarios()
    if name_or_path in builtins:
        return builtins[name_or_path]
    path = Path(name_or_path)
    if path.is_file():
        return path
    raise ResurgenceError(
        f"{name_or_path}: no such scenario file, and not a builtin scenario; "
        f"builtin scenarios are: {', '.join(sorted(builtins))}"
    )


def _read(path: Path) -> tuple[str, dict]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResurgenceError(f"{path}: cannot read the file ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise ResurgenceError(
            f"{path}: file is {len(data)} bytes; a scenario is at most {MAX_BYTES} bytes"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ResurgenceError(
            f"{path}:{line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8 TOML"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        # Python 3.14 gives exc.lineno; earlier versions only put it in the message.
        line = getattr(exc, "lineno", None)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        if line is None and found:
            line = int(found.group(1))
        where = f"{path}:{line}" if line else str(path)
        raise ResurgenceError(f"{where}: TOML syntax error: {message}") from None
    except ValueError:  # tomllib's int() meets Python's limit of 4300 digits
        found = re.search(r"[0-9_]{4301,}", text)
        where = f"{path}:{text.count(chr(10), 0, found.start()) + 1}" if found else str(path)
        raise ResurgenceError(
            f"{where}: TOML syntax error: a number with more than 4300 digits; "
            "write numbers of a sensible size"
        ) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise _too_deep(path, text) from None
    if _nesting(text) > MAX_NESTING:
        raise _too_deep(path, text)
    return text, data


def _nesting(text: str) -> int:
    """The deepest nesting of arrays and inline tables. Whether tomllib's recursion runs out
    depends on how deep the caller's stack already is, so a fixed limit decides instead:
    the same file gets the same answer from every command."""
    depth = deepest = 0
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif mark in "]}":
            depth -= 1
    return deepest


def _too_deep(path: Path, text: str) -> ResurgenceError:
    lines = text.splitlines() or [""]
    deepest = max(range(len(lines)), key=lambda i: sum(map(lines[i].count, "[{")))
    return ResurgenceError(
        f"{path}:{deepest + 1}: TOML syntax error: arrays or inline tables nested too "
        f"deep; a scenario nests them a few levels at most ({MAX_NESTING} at the very most)"
    )


def _describe(error: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return "this field is required but missing"
    if kind == "extra_forbidden":
        return "unknown field; check its spelling against the scenario reference (docs/model.md)"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    inp = error.get("input")
    if not isinstance(inp, dict | list) and inp is not None and "got" not in message:
        shown = repr(inp)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        message += f" (got {shown})"
    return message


def _fail(path: Path, text: str, problems: list[tuple[tuple, str]]) -> ResurgenceError:
    lines = key_lines(text)
    loc, message = problems[0]
    line = line_of(lines, loc)
    where = f"{path}:{line}" if line else str(path)
    more = len(problems) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return ResurgenceError(f"{where}: {format_loc(loc)}: {message}{suffix}")


def _validation_problems(exc: ValidationError) -> list[tuple[tuple, str]]:
    problems = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
        problems.append((loc, _describe(error)))
    return problems


def _is_union_tag(part) -> bool:
    """Pydantic adds the member type's name (e.g. 'float') to a union field's location."""
    return isinstance(part, str) and part in {"float", "int", "str", "none", "function-after"}


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and fully validate a scenario: a builtin name or a file path."""
    path = resolve_scenario_path(str(name_or_path))
    text, data = _read(path)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _fail(path, text, _validation_problems(exc)) from None
    problems = check_references(scenario)
    if problems:
        raise _fail(path, text, [(p.loc, p.message) for p in problems])
    return scenario


def builtin_policies(scenario: str) -> dict[str, Path]:
    """The builtin policy files of a builtin scenario, by name."""
    folder = BUILTIN / "policies" / scenario
    if not folder.is_dir():
        return {}
    return {Path(p.name).stem: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml")}


def policy_names(scenario: Scenario) -> list[str]:
    """Policies available by name: the scenario's own, then its builtin policy files."""
    names = [p.name for p in scenario.policies]
    names += [n for n in sorted(builtin_policies(scenario.scenario.name)) if n not in names]
    return names


def load_policy(name_or_path: str, scenario: Scenario) -> Policy:
    """A policy named in the scenario or among its builtin policy files, or a policy TOML
    file; either way checked against the scenario. `NAME@YYYY-MM` is that policy started
    in another month: every event moves by the same number of months, so the policy keeps
    its shape and its durations (`starting`)."""
    found = re.fullmatch(r"(.+)@(\d{4}-\d{2})", name_or_path)
    if found and not _is_policy(name_or_path, scenario):
        return starting(_load_policy(found.group(1), scenario), found.group(2), scenario)
    return _load_policy(name_or_path, scenario)


def _is_policy(name_or_path: str, scenario: Scenario) -> bool:
    return name_or_path in policy_names(scenario) or Path(name_or_path).is_file()


def starting(policy: Policy, month: str, scenario: Scenario) -> Policy:
    """`policy` with its first event in `month` and every other event moved with it; named
    `NAME@YYYY-MM`, which is how runs and their manifests record it."""
    name = f"{policy.name}@{month}"
    try:
        parse_month(month)
    except ValueError as exc:
        raise ResurgenceError(f"{name}: {exc}") from None
    if not policy.events:
        raise ResurgenceError(f"{name}: policy {policy.name!r} has no events to start")
    shift = month_offset(min(e.month for e in policy.events), month)
    events = [
        e.model_copy(
            update={
                "month": add_months(e.month, shift),
                "until": add_months(e.until, shift) if e.until else None,
            }
        )
        for e in policy.events
    ]
    checker = _Checker(scenario)
    checker.check_events(events, ("events",))
    if checker.problems:
        info = scenario.scenario
        raise ResurgenceError(
            f"{name}: started in {month}, the policy runs outside the scenario "
            f"({info.start} to {info.end}): {checker.problems[0].message}"
        )
    return policy.model_copy(update={"name": name, "events": events})


def _load_policy(name_or_path: str, scenario: Scenario) -> Policy:
    for policy in scenario.policies:
        if policy.name == name_or_path:
            return policy
    path = builtin_policies(scenario.scenario.name).get(name_or_path, Path(name_or_path))
    if not path.is_file():
        named = ", ".join(policy_names(scenario)) or "none"
        raise ResurgenceError(
            f"{name_or_path}: no such policy file, and not a policy of scenario "
            f"{scenario.scenario.name!r} (its policies: {named})"
        )
    text, data = _read(path)
    try:
        parsed = PolicyFile.model_validate(data)
    except ValidationError as exc:
        raise _fail(path, text, _validation_problems(exc)) from None
    policy = parsed.policy.model_copy(update={"events": parsed.policy.events + parsed.events})
    checker = _Checker(scenario)
    checker.check_events(parsed.events, ("events",))
    checker.check_events(parsed.policy.events, ("policy", "events"))
    problems: list[Problem] = checker.problems
    if problems:
        raise _fail(path, text, [(p.loc, p.message) for p in problems])
    return policy
