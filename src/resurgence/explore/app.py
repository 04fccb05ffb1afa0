"""The explorer's web app: a Dash page over the Python API, served on the local machine.

Dash, because the project's charts are Plotly figures already and Dash serves them, with
its own scripts, from the package itself (no network needed), and because its callbacks
are plain Python calling `resurgence.workflows.run`. The page has the scenario's levers on
the left and the answer on the right; every change of a lever sends one request, and the
newest request is answered first (`runner.Runner`).

What the browser sends is checked by `levers.read_levers` before any run; the only files
the app writes are the run directories "Save this run" creates, under the save folder,
with names the app makes; the only files it serves are those, through `/saved/`, which
refuses any path outside the folder. Text from the scenario is shown as text, never as
HTML.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from pathlib import Path

import dash
from dash import ALL, Dash, Input, Output, dcc, html
from flask import abort, request, send_from_directory

from resurgence.errors import ResurgenceError
from resurgence.explore import charts
from resurgence.explore.levers import (
    DEFAULT_REPLICAS,
    LEVEL_STEP,
    REPLICAS,
    Choices,
    Levers,
    Raw,
    read_levers,
)
from resurgence.explore.runner import Answer, Runner, Superseded
from resurgence.scenarios import Scenario
from resurgence.workflows.settings import DEFAULT_SEED

POLL_MS = 300
SAVED = "/saved/"
_saved = itertools.count(1)


def create_app(source: str, spec: Scenario, save_root: Path) -> Dash:
    """The page for scenario `spec` (`source`: its builtin name or file), saving runs
    under `save_root`."""
    choices = Choices.of(source, spec)
    runner = Runner(source)
    threading.Thread(target=runner.prepare, args=(Levers(),), daemon=True).start()
    save_root = Path(save_root).resolve()
    app = Dash(__name__, title=f"resurgence explore: {spec.scenario.name}")
    app.layout = _layout(choices)
    _serve_saved(app, save_root)

    @app.callback(
        Output("answer", "children"),
        Output("fans", "figure"),
        Output("fans", "style"),
        Output("refused", "children"),
        Input({"type": "policy-on", "name": ALL}, "value"),
        Input({"type": "policy-start", "name": ALL}, "value"),
        Input({"type": "condition", "name": ALL}, "value"),
        Input("measure", "value"),
        Input("threshold", "value"),
        Input("consecutive", "value"),
        Input("start", "value"),
        Input("horizon", "value"),
        Input("replicas", "value"),
        Input("seed", "value"),
    )
    def answer(on, starts, levels, measure, threshold, consecutive, start, horizon, n, seed):
        raw = _raw(choices, on, starts, levels)
        raw.measure, raw.threshold, raw.consecutive = measure, threshold, consecutive
        raw.start, raw.horizon, raw.replicas, raw.seed = start, horizon, n, seed
        levers, problems = read_levers(raw, choices)
        if levers is None:
            return dash.no_update, dash.no_update, dash.no_update, _refusals(problems)
        ticket = runner.ticket()
        try:
            result = runner.answer(levers, ticket)
        except Superseded:
            raise dash.exceptions.PreventUpdate from None
        except ResurgenceError as exc:
            return dash.no_update, dash.no_update, dash.no_update, _refusals([str(exc)])
        return _summary(result), charts.fans(result, spec), {"width": "100%"}, []

    @app.callback(
        Output("progress", "value"),
        Output("progress", "max"),
        Output("progress", "style"),
        Output("progress-text", "children"),
        Input("poll", "n_intervals"),
    )
    def progress(_):
        p = runner.progress()
        if not p.running:
            return 0, 1, {"visibility": "hidden"}, ""
        text = f"simulating: {p.done:,} of {p.total:,} replicas"
        return p.done, max(p.total, 1), {}, text

    @app.callback(
        Output("saved", "children"),
        Input("save", "n_clicks"),
        prevent_initial_call=True,
    )
    def save(_):
        answer = runner.last
        if answer is None:
            return "Nothing to save yet: wait for the first answer."
        return _save(answer, save_root, spec.scenario.name)

    return app


def _raw(choices: Choices, on: list, starts: list, levels: list) -> Raw:
    """The pattern-matched controls, in the order the layout made them, by name."""
    names = [p.name for p in choices.policies]
    conditions = [c.name for c in choices.conditions]
    return Raw(
        policies_on=dict(zip(names, (bool(v) for v in on), strict=True)),
        policy_starts=dict(zip(names, starts, strict=True)),
        levels=dict(zip(conditions, levels, strict=True)),
    )


def _save(answer: Answer, save_root: Path, name: str) -> list:
    """Write the levers' run as `resurgence run` writes it, and its report; a new folder
    each time, named by the app."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = save_root / f"{name}-{stamp}-{next(_saved)}"
    answer.result.write(folder)
    report = answer.result.report()
    href = f"{SAVED}{folder.name}/{report.name}"
    return [
        html.Span(f"Saved to {folder}. "),
        html.A("Open its report", href=href, target="_blank", id="saved-report"),
        html.Div(["Reproduce it with: ", html.Code(answer.result.manifest["command"])]),
    ]


def _serve_saved(app: Dash, save_root: Path) -> None:
    """Serve saved runs' files under `/saved/`; anything else there, a path that leaves
    the save folder included, is refused (404). Handled before routing, so that no path
    under `/saved/` falls through to the page's own catch-all route."""

    @app.server.before_request
    def saved():
        if not request.path.startswith(SAVED):
            return None
        if not save_root.is_dir():
            abort(404)
        return send_from_directory(save_root, request.path[len(SAVED) :])


def _summary(answer: Answer) -> list:
    base, lever, diff = answer.base_p, answer.lever_p, answer.difference
    definition = answer.result.probability.definition
    return [
        html.P(f"Resurgence: {definition.describe()}.", className="definition"),
        html.Table(
            [
                html.Tr([html.Th(""), html.Th("probability"), html.Th("95% interval")]),
                _row("baseline", base, "baseline-p"),
                _row("your levers", lever, "levers-p"),
                _row("difference (paired)", diff, "difference", signed=True),
            ],
            className="probabilities",
        ),
        html.P(
            f"{answer.levers.replicas:,} replicas, seed {answer.levers.seed}; both runs use "
            "the same random numbers, replica by replica, so the difference is the levers' "
            "effect alone."
        ),
    ]


def _row(label: str, values: tuple[float, float, float], id_: str, signed: bool = False):
    estimate, low, high = values
    fmt = "{:+.3f}" if signed else "{:.3f}"
    return html.Tr(
        [
            html.Td(label),
            html.Td(fmt.format(estimate), id=id_),
            html.Td(f"[{fmt.format(low)}, {fmt.format(high)}]", id=f"{id_}-interval"),
        ]
    )


def _refusals(problems: list[str]) -> list:
    return [html.Div("Not run: " + p, className="refusal") for p in problems]


def _number(id_: str, value: float) -> dcc.Input:
    """A number field the browser does not bound: whatever is typed reaches the server's
    check (`read_levers`), which refuses it with a message rather than silently."""
    return dcc.Input(id=id_, type="number", value=value, debounce=True)


def _layout(choices: Choices) -> html.Div:
    months = [{"label": m, "value": m} for m in choices.months]
    policies = [
        html.Div(
            [
                dcc.Checklist(
                    id={"type": "policy-on", "name": p.name},
                    options=[{"label": f" {p.title or p.name}", "value": "on"}],
                    value=[],
                ),
                html.Details([html.Summary("what it does"), p.description], className="help"),
                html.Label(
                    [
                        "from ",
                        dcc.Dropdown(
                            id={"type": "policy-start", "name": p.name},
                            options=months,
                            value=p.start,
                            clearable=False,
                            className="month",
                        ),
                    ]
                ),
            ],
            className="lever",
        )
        for p in choices.policies
    ]
    conditions = [
        html.Div(
            [
                html.Div(c.name.replace("_", " "), className="lever-name"),
                html.Div(c.description, className="help"),
                html.Div(
                    dcc.Slider(
                        id={"type": "condition", "name": c.name},
                        min=-1,
                        max=1,
                        step=LEVEL_STEP,
                        value=0,
                        marks={-1: "against", 0: "scenario", 1: "favour"},
                    ),
                    className="slider",
                ),
            ],
            className="lever",
        )
        for c in choices.conditions
    ]
    definition = html.Div(
        [
            html.Label(
                [
                    "measure ",
                    dcc.Dropdown(
                        id="measure",
                        options=["reported_attacks", "attacks", "members"],
                        value=choices.measure,
                        clearable=False,
                    ),
                ]
            ),
            html.Label(["threshold ", _number("threshold", choices.threshold)]),
            html.Label(["consecutive months ", _number("consecutive", choices.consecutive)]),
            html.Label(
                [
                    "horizon from ",
                    dcc.Dropdown(id="start", options=months, value=choices.start, clearable=False),
                ]
            ),
            html.Label(["horizon (months) ", _number("horizon", choices.horizon)]),
        ],
        className="lever",
    )
    run = html.Div(
        [
            html.Label(
                [
                    f"replicas ({REPLICAS[0]:,} to {REPLICAS[1]:,}) ",
                    _number("replicas", DEFAULT_REPLICAS),
                ]
            ),
            html.Label(["seed ", _number("seed", DEFAULT_SEED)]),
        ],
        className="lever",
    )
    controls = html.Div(
        [
            html.H2("Conditions of resurgence"),
            html.P(
                "Each from -1, against the group, through 0, the scenario's values, to +1, "
                "in its favour.",
                className="help",
            ),
            *conditions,
            html.H2("Policies"),
            *policies,
            html.H2("Resurgence definition"),
            definition,
            html.H2("Run"),
            run,
        ],
        className="controls",
    )
    answer = html.Div(
        [
            html.Div(id="refused", role="alert"),
            html.Div(
                [
                    html.Progress(id="progress", value=0, max=1, style={"visibility": "hidden"}),
                    html.Span(id="progress-text"),
                ],
                className="progress",
            ),
            dcc.Loading(html.Div(id="answer"), type="dot"),
            dcc.Graph(
                id="fans",
                style={"visibility": "hidden"},
                config={"displaylogo": False, "responsive": True},
            ),
            html.Button("Save this run", id="save"),
            html.Div(id="saved"),
            dcc.Interval(id="poll", interval=POLL_MS),
        ],
        className="answer",
    )
    return html.Div(
        [
            html.H1(choices.title),
            html.P(
                "Turn the host's and third parties' levers and see what changes against the "
                "baseline, on the same random numbers. Everything runs on this computer."
            ),
            html.Div([controls, answer], className="columns"),
        ]
    )
