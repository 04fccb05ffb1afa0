"""Regenerate the tables of docs/model.md from the code, so they cannot drift from it.

docs/model.md holds pairs of marker lines; everything between a pair is rewritten:

    <!-- parameters:PROCESS -->             parameters of a process (or `observe`)
    <!-- /parameters:PROCESS -->
    <!-- scenario-parameters:SCENARIO -->   a scenario's parameter values and defection routes
    <!-- /scenario-parameters:SCENARIO -->
    <!-- timeline:SCENARIO -->              a scenario's dated events, with sources
    <!-- /timeline:SCENARIO -->
    <!-- policies:SCENARIO -->              the scenario's policies and builtin policy files
    <!-- /policies:SCENARIO -->
    <!-- conditions:SCENARIO -->            the scenario's conditions of resurgence and the
    <!-- /conditions:SCENARIO -->           parameter space they span
    <!-- state:State -->                    the state variables, as core/state.py declares
    <!-- /state:State -->                   them, and the processes that write each

Every process of `resurgence.processes.PROCESSES` and the observation model must have its
`parameters` markers. Running the script twice gives the same file.

Usage:
    python docs/make_model_tables.py           # rewrite docs/model.md
    python docs/make_model_tables.py --check   # exit 1 if docs/model.md is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from resurgence import observe
from resurgence.analysis.conditions import condition_space
from resurgence.analysis.stylized_check import family_overrides
from resurgence.catalogue import PROCESSES
from resurgence.core.parameters import Parameter
from resurgence.core.state import VARIABLES
from resurgence.engine.compile import compile_model
from resurgence.engine.run import chunk_params, chunk_streams, initial_state
from resurgence.engine.step import step
from resurgence.scenarios import load_policy, load_scenario, policy_names
from resurgence.scenarios.schema import Event

DOC = Path(__file__).with_name("model.md")
MARKER = re.compile(
    r"^<!-- (?P<kind>[a-z-]+):(?P<name>[A-Za-z0-9_.-]+) -->\n"
    r"(?P<body>.*?)"
    r"^<!-- /(?P=kind):(?P=name) -->$",
    re.DOTALL | re.MULTILINE,
)
OPS = {"set": "set to", "multiply": "multiplied by", "add": "+"}


def number(x: float) -> str:
    """A parameter value as a reader expects it: 0.0003, 1.5, 8,000."""
    if float(x).is_integer() and abs(x) >= 1000:
        return f"{int(x):,}"
    return f"{x:g}"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def parameter_table(parameters: Iterable[Parameter]) -> str:
    rows = [
        (
            f"`{p.name}`" + (" (per region)" if p.regional else ""),
            number(p.default),
            f"[{number(p.low)}, {number(p.high)}]",
            p.unit,
            p.reason,
        )
        for p in parameters
    ]
    return table(("name", "default", "range", "unit", "reason"), rows)


def parameter_tables() -> dict[str, Callable[[], str]]:
    tables: dict[str, Callable[[], str]] = {
        process.name: (lambda process=process: parameter_table(process.parameters))
        for process in PROCESSES
    }
    tables["observe"] = lambda: parameter_table(observe.PARAMETERS)
    return tables


def scenario_parameters(name: str) -> str:
    """The parameters a scenario sets (values, by region, the priors of free ones) and its
    defection routes (with their bloc shares)."""
    scenario = load_scenario(name)
    model = compile_model(scenario)
    routes = [route for (_, _, route) in model.routes]
    blocs = dict(zip(routes, model.route_bloc, strict=True))
    rows = []
    for pname in [*scenario.parameters, *routes]:
        spec = model.parameters[pname]
        if spec.regional:
            values = model.values[pname]
            value = ", ".join(
                f"{region} {number(v)}" for region, v in zip(model.regions, values, strict=True)
            )
        else:
            value = number(spec.default)
        if blocs.get(pname, 0) > 0:
            value += f"; bloc {number(blocs[pname])}"
        setting = scenario.parameters.get(pname)
        if setting is not None and setting.prior is not None:
            prior = setting.prior
            value += f"; free: {prior.dist} prior [{number(prior.low)}, {number(prior.high)}]"
        bounds = f"[{number(spec.low)}, {number(spec.high)}]"
        rows.append((f"`{pname}`", value, bounds, spec.unit, spec.reason))
    return table(("parameter", f"value in `{name}`", "range", "unit", "reason"), rows)


def describe_change(event: Event) -> str:
    """One event's change in words, e.g. '`funding.transfer_scale` multiplied by 0.1'."""
    value = number(event.value)
    how = f"{OPS[event.op]} {value}" if event.op in OPS else ""
    if event.parameter is not None:
        where = f" in `{event.region}`" if event.region else ""
        return f"parameter `{event.parameter}`{where} {how}"
    state = event.state
    if state == "members":
        if event.op == "move":
            return (
                f"move a share {value} of `{event.actor}` members from `{event.region}` "
                f"to `{event.to_region}`"
            )
        if event.op == "add":
            return f"members of `{event.actor}` in `{event.region}` {event.value:+g}"
        return f"members of `{event.actor}` in `{event.region}` thinned to a share {value}"
    if state == "relation":
        return f"relation `{event.actor}` -> `{event.to}` {how}"
    if state == "hub_crackdown":
        return f"crackdown at hub `{event.actor}` {how}"
    if state == "capacity" and event.region:
        return f"state `capacity` in `{event.region}` {how}"
    return f"state `{state}` {how}"


def event_lines(events: Iterable[Event]) -> list[str]:
    lines = []
    for event in events:
        until = f" until {event.until}" if event.until else ""
        line = f"* **{event.month}**{until}: {event.label}. Change: {describe_change(event)}."
        if event.source:
            line += f" Source: \u201c{event.source}\u201d"
        if event.assumption:
            line += f" Assumption: {event.assumption}"
        lines.append(line)
    return lines


def timeline(name: str) -> str:
    return "\n".join(event_lines(load_scenario(name).events))


def policies(name: str) -> str:
    scenario = load_scenario(name)
    parts = []
    for policy in (load_policy(n, scenario) for n in policy_names(scenario)):
        parts.append(f"* `{policy.name}`: {policy.title}. {policy.description}".rstrip())
        parts += ["  " + line for line in event_lines(policy.events)]
    return "\n".join(parts)


def conditions(name: str) -> str:
    """The scenario's conditions of resurgence: each one's description, then one row per
    parameter with the range explored and the end that favours the group."""
    scenario = load_scenario(name)
    space = condition_space(scenario, compile_model(scenario))
    parts = [
        f"* `{cname}`: {spec.description}".rstrip() for cname, spec in scenario.conditions.items()
    ]
    how = {
        "value": "value",
        "level": "one level in every region",
        "scale": "factor on each region's value",
    }
    rows = [
        (
            f"`{row.condition}`",
            f"`{row.parameter}`",
            f"[{number(row.low)}, {number(row.high)}]",
            how[row.how],
            row.favours,
        )
        for row in space.itertuples()
    ]
    header = ("condition", "parameter", "explored", "varied as", "end in the group's favour")
    return "\n".join(parts) + "\n\n" + table(header, rows)


def writers() -> dict[str, list[str]]:
    """What changes each state variable: the scheduled events and the processes seen
    changing it in the flagship's first 36 months and in the generic family of the
    stylized check (whose groups end), each step watched, so that a change through a local
    name counts as well."""
    found: dict[str, list[str]] = {name: [] for name in VARIABLES}
    flagship = compile_model(load_scenario("isk"), n_months=36)
    generic = compile_model(load_scenario("generic"))
    for model, over in ((flagship, None), (generic, family_overrides(generic, 200, 1))):
        _watch(model, chunk_params(model, 0, 200, over), found)
    order = ["events", *(p.name for p in PROCESSES)]
    return {name: sorted(who, key=order.index) for name, who in found.items()}


def _watch(model, params, found: dict[str, list[str]]) -> None:
    state = initial_state(model, params["operations.attack_rate"].shape[0])
    event_rng, _, process_rngs = chunk_streams(1, "run", 0)
    seen: dict[str, np.ndarray] = {}
    current = ["events"]

    def note() -> None:
        for name, before in seen.items():
            after = getattr(state, name)
            changed = not np.array_equal(before, after, equal_nan=before.dtype.kind == "f")
            if changed and current[0] not in found[name]:
                found[name].append(current[0])

    def look(who: str) -> None:
        seen.update({name: getattr(state, name).copy() for name in VARIABLES})
        current[0] = who

    saved: dict[int, np.ndarray] = {}
    for t in range(model.n_months):
        look("events")

        def before(process: str) -> None:
            note()
            look(process)

        step(state, params, t, model, event_rng, process_rngs, saved, before=before)
        note()


def bounds_text(spec) -> str:
    if spec.bounds is None:
        return ""
    low, high = spec.bounds
    return f"[{number(low)}, {number(high)}]"


def state_table(_: str) -> str:
    """The state variables as `core/state.py` declares them."""
    who = writers()
    rows = []
    for name, spec in VARIABLES.items():
        dims = ", ".join(("n", *spec.dims))
        start = (
            f"scenario `{spec.initial}`" if isinstance(spec.initial, str) else number(spec.initial)
        )
        recorded = np.dtype(spec.recorded).name if spec.recorded is not None else ""
        rows.append(
            [
                f"`{name}`",
                f"({dims}) {np.dtype(spec.dtype).name}",
                start + (" (reset monthly)" if spec.reset else ""),
                bounds_text(spec),
                recorded,
                spec.doc,
                ", ".join(who[name]),
            ]
        )
    header = [
        "variable",
        "dims, dtype",
        "initial",
        "bounds",
        "recorded as",
        "meaning",
        "written by",
    ]
    return table(header, rows)


def render(text: str) -> str:
    """The document with every marked block regenerated."""
    tables = parameter_tables()
    makers: dict[str, Callable[[str], str]] = {
        "parameters": lambda name: tables[name](),
        "scenario-parameters": scenario_parameters,
        "timeline": timeline,
        "policies": policies,
        "conditions": conditions,
        "state": state_table,
    }
    seen: set[str] = set()
    problems: list[str] = []

    def replace(match: re.Match) -> str:
        kind, name = match["kind"], match["name"]
        if kind not in makers or (kind == "parameters" and name not in tables):
            problems.append(f"unknown marker <!-- {kind}:{name} -->")
            return match[0]
        if kind == "parameters":
            seen.add(name)
        body = makers[kind](name)
        return f"<!-- {kind}:{name} -->\n\n{body}\n\n<!-- /{kind}:{name} -->"

    out = MARKER.sub(replace, text)
    missing = [name for name in tables if name not in seen]
    if missing:
        problems.append(
            "no <!-- parameters:NAME --> ... <!-- /parameters:NAME --> block for: "
            + ", ".join(missing)
        )
    if problems:
        raise SystemExit("make_model_tables: " + "; ".join(problems))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("doc", nargs="?", type=Path, default=DOC, help="default: docs/model.md")
    parser.add_argument("--check", action="store_true", help="only check that it is up to date")
    args = parser.parse_args(argv)
    text = args.doc.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print(f"{args.doc} is out of date; run python docs/make_model_tables.py")
            return 1
        return 0
    if new != text:
        tmp = args.doc.with_suffix(".md.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(args.doc)
    print(f"{args.doc}: tables up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
