"""Turn a run directory into one self-contained HTML page.

`build_report(run_dir)` reads what a run directory holds and returns the page as a string
(with the ids of the charts it made); `write_report` writes it (under a temporary name,
then renamed). What the page shows depends on the files present:

* `ensemble.zarr` (`resurgence run`): fan charts (median, 50% and 80% bands over replicas)
  of the focal group's members, cash, latent and reported attacks; members of every actor
  (up to `MAX_ACTORS`); the focal group's members, latent and reported attacks by region
  (the total and the `MAX_REGIONS` regions with the largest mean, so that the page stays
  small whatever the number of regions; the page names the regions left out); and the
  probability of resurgence against the horizon (`manifest.json`) with a Wilson 95% band.
  Quantiles are computed from the ensemble (`xarray.open_zarr`) over `replica`, from at
  most its first `MAX_REPLICAS` replicas (a note says so), so that the memory needed does
  not grow with the run.
* `arms.parquet` and `trajectories.parquet` (`resurgence compare`): the probability of
  each arm and its paired difference from the baseline; the paired differences over time.
* `sensitivity.parquet` (`resurgence sensitivity`): the indices by condition and by
  parameter, grouped by condition.
* `boxes.parquet` and `trajectory.parquet` (`resurgence discover`): the PRIM boxes and the
  coverage-density trade-off.

Time axes mark the scenario's dated events (and those of the run's policies): the
scenario is loaded from the `scenario_source` argument, else the manifest's
`scenario_source`, else the scenario argument of the manifest's `command`, else the
builtin scenario of the manifest's name; when it cannot be read the page says so and marks
no event, and when the manifest has the scenario's hash and the file no longer matches it,
the page says that too.

Observed data: runs carry none yet; `charts.fan_chart` takes an optional observed series
and the report overlays nothing until a run records one (nothing is made up).

Escaping: the page is a Jinja2 template with autoescape on (`template.py`); the charts'
text is escaped with `html.escape` in `charts.py`. Text from a scenario or a data file
never reaches the page unescaped.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import plotly
import plotly.io as pio
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from resurgence import __version__, observe, store
from resurgence.analysis.resurgence import wilson_interval
from resurgence.errors import ResurgenceError
from resurgence.months import month_range
from resurgence.report import charts
from resurgence.report.charts import QUANTILES, EventMark, Fan
from resurgence.report.template import render

REPORT = "report.html"
MAX_REGIONS = 5  # regions shown beside the total, by largest mean
METHOD_NAMES = {"sobol": "Sobol'", "morris": "Morris"}
MAX_ACTORS = 9  # actors shown in the members-by-actor panels, by largest mean
MAX_REPLICAS = 20_000  # replicas read for the fan charts, so memory stays bounded
KINDS = {
    "run": "simulation run",
    "compare": "policy comparison",
    "sensitivity": "sensitivity analysis",
    "discover": "scenario discovery",
}
CONFIG = {
    "displaylogo": False,
    "displayModeBar": "hover",
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


@dataclass
class Chart:
    id: str
    figure: object  # plotly.graph_objects.Figure
    caption: str = ""
    html: Markup | None = None


@dataclass
class Section:
    id: str
    title: str
    blocks: list[dict] = field(default_factory=list)


@dataclass
class Report:
    """The page, the ids of the charts it holds (one Plotly plot each) and its notes."""

    html: str
    charts: list[str]
    notes: list[str]
    kind: str


# ------------------------------------------------------------------------- reading


def _manifest(run_dir: Path) -> dict:
    if not run_dir.exists():
        raise ResurgenceError(f"{run_dir}: no such directory")
    if not run_dir.is_dir():
        raise ResurgenceError(f"{run_dir}: not a directory; give the output directory of a run")
    path = run_dir / store.MANIFEST
    if not path.is_file():
        raise ResurgenceError(
            f"{run_dir}: not a complete run (no {store.MANIFEST}); give a directory written by "
            "`resurgence run`, `compare`, `sensitivity` or `discover`, after it finished"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResurgenceError(f"{path}: not a readable manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("complete") is not True:
        raise ResurgenceError(f"{path}: the manifest does not mark a complete run")
    missing = [name for name in manifest.get("outputs", []) if not (run_dir / name).exists()]
    if missing:
        raise ResurgenceError(
            f"{run_dir}: not a complete run; missing {', '.join(missing)} "
            f"(listed in {store.MANIFEST})"
        )
    return manifest


def _parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        raise ResurgenceError(f"{path}: cannot read the table ({exc})") from None


def _definition_text(manifest: dict) -> str:
    r = manifest.get("resurgence") or {}
    return str(r.get("definition_text") or r.get("text") or "")


@dataclass
class Context:
    """The scenario behind a run, as far as it can be found."""

    spec: object | None  # resurgence.scenario.Scenario
    events: list[EventMark]
    event_rows: list[tuple[str, str, str, str]]
    notes: list[str]

    def actor_label(self, name: str) -> str:
        if self.spec is None:
            return name
        base, _, faction = name.partition(".")
        for actor in self.spec.actors:
            if actor.name == base:
                if not faction:
                    return actor.label or name
                for f in actor.factions:
                    if f.name == faction:
                        return f"{actor.label or base}: {f.label or faction}"
        return name

    def region_label(self, name: str) -> str:
        if self.spec is None:
            return name
        for region in self.spec.regions:
            if region.name == name:
                return region.label or name
        return name


def _scenario_in_command(manifest: dict) -> str | None:
    """The scenario argument of the recorded command (`resurgence compare FILE ...`), for
    manifests that do not record `scenario_source`."""
    try:
        tokens = shlex.split(str(manifest.get("command") or ""))
    except ValueError:
        return None
    commands = ("run", "compare", "sensitivity", "discover")
    if len(tokens) >= 3 and tokens[:1] == ["resurgence"] and tokens[1] in commands:
        return None if tokens[2].startswith("-") else tokens[2]
    return None


def _scenario(manifest: dict, source: str | None) -> Context:
    from resurgence.scenario import load_policy, load_scenario

    source = (
        source
        or manifest.get("scenario_source")
        or _scenario_in_command(manifest)
        or manifest.get("scenario")
    )
    if not source:
        return Context(None, [], [], ["The manifest names no scenario: no event is marked."])
    try:
        spec = load_scenario(str(source))
    except ResurgenceError as exc:
        return Context(
            None,
            [],
            [],
            [
                f"The scenario could not be read, so its events are not marked on the time "
                f"axes: {exc}. Pass its file with `resurgence report RUN_DIR --scenario FILE`."
            ],
        )
    notes = []
    if spec.scenario.name != manifest.get("scenario", spec.scenario.name):
        notes.append(
            f"The scenario found ({source}) is named {spec.scenario.name!r}, not "
            f"{manifest.get('scenario')!r} as in the run; its events are marked all the same."
        )
    timeline = [(e, "") for e in spec.events]
    policies = manifest.get("policies") or []
    layered = []
    for name in policies:
        try:
            layered.append(load_policy(name, spec))
        except ResurgenceError:
            notes.append(
                f"The run's policy {name!r} could not be found; its events are not marked."
            )
    timeline += [(e, p.name) for p in layered for e in p.events]
    expected = manifest.get("scenario_hash")
    if expected and len(layered) == len(policies):
        from resurgence.engine.compile import compile_model

        try:
            found = compile_model(spec, layered).scenario_hash
        except ResurgenceError:
            found = expected
        if found != expected:
            notes.append(
                f"The scenario file ({source}) has changed since the run (hash {found}, the "
                f"run's {expected}); the events marked are the file's current ones."
            )
    by_month: dict[str, list[tuple[str, str]]] = {}
    rows = []
    for e, policy in sorted(timeline, key=lambda item: item[0].month):
        label = f"policy {policy}: {e.label}" if policy else e.label
        by_month.setdefault(e.month, []).append((label, e.source))
        rows.append((e.month, label, e.source, e.assumption))
    marks = [EventMark(month, tuple(items)) for month, items in by_month.items()]
    return Context(spec, marks, rows, notes)


# --------------------------------------------------------------------- the ensemble


def _unit(description: str, default: str) -> str:
    found = re.search(r"\(([^()]*)\)\s*$", description or "")
    return found.group(1) if found else default


def _quantiles(values: np.ndarray) -> np.ndarray:
    """(replica, month, ...) -> (5 quantiles, month, ...)."""
    return np.quantile(values.astype(np.float64), QUANTILES, axis=0)


def _ensemble_sections(
    run_dir: Path, manifest: dict, ctx: Context, out: list[Chart], notes: list[str]
) -> list:
    import xarray as xr

    path = run_dir / store.ENSEMBLE
    try:
        ds = xr.open_zarr(path)
    except Exception as exc:  # zarr raises several kinds for a damaged store
        raise ResurgenceError(f"{path}: cannot read the ensemble ({exc})") from None
    needed = {"members", "treasury", "attacks", "reported_attacks"}
    if not needed <= set(ds.data_vars):
        raise ResurgenceError(
            f"{path}: the ensemble lacks {', '.join(sorted(needed - set(ds.data_vars)))}"
        )
    months = [str(m) for m in ds["month"].values]
    focal = str(ds.attrs.get("focal") or ds["actor"].values[0])
    focal_label = ctx.actor_label(focal)
    total = ds.sizes["replica"]
    if total > MAX_REPLICAS:  # replicas are exchangeable: the first ones are a fair sample
        ds = ds.isel(replica=slice(0, MAX_REPLICAS))
        notes.append(
            f"The fan charts use the first {MAX_REPLICAS:,} of the run's {total:,} replicas "
            "(their quantiles differ from the whole run's by far less than the bands' width); "
            "the probability of resurgence uses them all."
        )
    replicas = ds.sizes["replica"]
    regions = [str(r) for r in ds["region"].values]
    actors = [str(a) for a in ds["actor"].values]
    band = f"Median and 50% and 80% bands over {replicas:,} replicas."

    by_actor = ds["members"].sum("region").transpose("replica", "month", "actor").values
    focal_regions = ds["members"].sel(actor=focal).transpose("replica", "month", "region").values
    treasury = ds["treasury"].transpose("replica", "month").values
    attacks = {
        v: ds[v].sum("attack_type").transpose("replica", "month", "region").values
        for v in ("attacks", "reported_attacks")
    }
    units = {v: ds[v].attrs.get("description", "") for v in needed}
    # the channel the run's reported attacks came through (runs before it was recorded:
    # the generic dataset)
    reported = observe.CHANNELS.get(str(ds.attrs.get("reported")), observe.CHANNELS["reporting"])
    ds.close()

    events = ctx.events
    members_unit = _unit(units["members"], "persons")
    cash_unit = _unit(units["treasury"], "USD thousand")
    overview = [
        Chart(
            "chart-members",
            charts.fan_chart(
                Fan.from_quantiles(months, _quantiles(focal_regions.sum(axis=2))),
                title=f"Members of {focal_label}",
                subtitle=f"All regions. {band}",
                y_title=f"members ({members_unit})",
                unit="",
                colour=0,
                events=events,
            ),
            "Members of the focal group, summed over regions.",
        ),
        Chart(
            "chart-treasury",
            charts.fan_chart(
                Fan.from_quantiles(months, _quantiles(treasury)),
                title=f"Cash of {focal_label}",
                subtitle=f"At the end of each month. {band}",
                y_title=f"cash ({cash_unit})",
                colour=2,
                events=events,
            ),
            (units["treasury"][:1].upper() + units["treasury"][1:] + ".")
            if units["treasury"]
            else "The focal group's cash.",
        ),
        Chart(
            "chart-attacks",
            charts.fan_chart(
                Fan.from_quantiles(months, _quantiles(attacks["attacks"].sum(axis=2))),
                title="Latent attacks a month",
                subtitle=f"What the group does, all regions. {band}",
                y_title="attacks a month",
                colour=1,
                events=events,
            ),
            "Latent attacks: every attack the group carries out, reported or not.",
        ),
        Chart(
            "chart-reported",
            charts.fan_chart(
                Fan.from_quantiles(months, _quantiles(attacks["reported_attacks"].sum(axis=2))),
                title=f"{reported.adjective.capitalize()} attacks a month",
                subtitle=f"The {reported.description}, all regions. {band}",
                y_title=f"{reported.adjective} attacks a month",
                colour=3,
                events=events,
            ),
            f"The {reported.description} (reported_attacks): the latent attacks through the "
            "observation model (under-reporting, claims). No observed series is overlaid: the "
            "run holds none.",
        ),
    ]

    means = by_actor.mean(axis=(0, 1))
    order = [i for i in np.argsort(-means, kind="stable") if means[i] > 0]
    if focal in actors:  # the focal group first, then the others by size
        f = actors.index(focal)
        order = [f] + [i for i in order if i != f]
    shown_actors = order[:MAX_ACTORS]
    q_actors = _quantiles(by_actor[:, :, shown_actors])
    actor_chart = Chart(
        "chart-actors",
        charts.fan_panels(
            [
                (ctx.actor_label(actors[a]), Fan.from_quantiles(months, q_actors[:, :, k]))
                for k, a in enumerate(shown_actors)
            ],
            title="Members by group and faction",
            subtitle=f"Summed over regions; each panel has its own scale. {band}",
            y_title=f"members ({members_unit})",
            colour=0,
            events=events,
        ),
        "Members move between groups and factions through defections (which conserve "
        "members); recruitment and losses change each group's size.",
    )
    left_out_actors = [actors[a] for a in order[MAX_ACTORS:]]

    def regional(values: np.ndarray, chart_id: str, what: str, y_title: str, colour: int):
        region_means = values.mean(axis=(0, 1))
        ranked = [k for k in np.argsort(-region_means, kind="stable") if region_means[k] > 0]
        top = ranked[:MAX_REGIONS]
        q_total = _quantiles(values.sum(axis=2))
        q_regions = _quantiles(values[:, :, top]) if top else None
        panels = [("Total (all regions)", Fan.from_quantiles(months, q_total))]
        panels += [
            (ctx.region_label(regions[k]), Fan.from_quantiles(months, q_regions[:, :, i]))
            for i, k in enumerate(top)
        ]
        others = [ctx.region_label(regions[k]) for k in range(len(regions)) if k not in top]
        caption = f"The total and the {len(top)} regions with the most {what} on average" + (
            f"; not shown: {', '.join(others)} (all regions are in summary.parquet)."
            if others
            else "."
        )
        return Chart(
            chart_id,
            charts.fan_panels(
                panels,
                title=f"{what[:1].upper()}{what[1:]} by region",
                subtitle=f"Each panel has its own scale. {band}",
                y_title=y_title,
                colour=colour,
                events=events,
            ),
            caption,
        )

    region_charts = [
        regional(
            focal_regions,
            "chart-members-regions",
            f"members of {focal_label}",
            f"members ({members_unit})",
            0,
        ),
        regional(
            attacks["attacks"], "chart-attacks-regions", "latent attacks", "attacks a month", 1
        ),
        regional(
            attacks["reported_attacks"],
            "chart-reported-regions",
            f"{reported.adjective} attacks",
            f"{reported.adjective} attacks a month",
            3,
        ),
    ]
    out += [*overview, actor_chart, *region_charts]
    trajectories = Section(
        "trajectories",
        "The focal group month by month",
        [
            {
                "kind": "text",
                "text": f"Fan charts over {replicas:,} replicas: the line is the median, the "
                "dark band holds the middle 50% of replicas (25th to 75th percentile) and the "
                "light band the middle 80% (10th to 90th). "
                + (
                    "Dotted vertical lines and the triangles above them mark the scenario's "
                    "dated events; hover a triangle for their text."
                    if events
                    else "No event is marked: see the note at the top."
                ),
            },
            {"kind": "grid", "charts": overview},
        ],
    )
    actors_section = Section(
        "actors", "Groups and factions", [{"kind": "chart", "chart": actor_chart}]
    )
    if left_out_actors:
        actors_section.blocks.append(
            {"kind": "text", "text": f"Not shown (fewest members): {', '.join(left_out_actors)}."}
        )
    regions_section = Section(
        "regions", "By region", [{"kind": "chart", "chart": c} for c in region_charts]
    )
    return [trajectories, actors_section, regions_section]


def _probability_section(manifest: dict, out: list[Chart]) -> Section | None:
    r = manifest.get("resurgence") or {}
    curve = manifest.get("resurgence_by_horizon")
    if "probability" not in r or not curve:
        return None
    n = int(r.get("replicas") or manifest.get("replicas") or 0)
    definition = r.get("definition") or {}
    start = definition.get("start") or manifest.get("start")
    bounds = [wilson_interval(round(p * n), n) for p in curve]
    calendar = month_range(start, len(curve)) if start else [""] * len(curve)
    p, lo, hi = float(r["probability"]), float(r["ci_low"]), float(r["ci_high"])
    chart = Chart(
        "chart-probability",
        charts.probability_chart(
            list(range(1, len(curve) + 1)),
            curve,
            [b[0] for b in bounds],
            [b[1] for b in bounds],
            calendar=calendar,
            final=(p, lo, hi),
            definition=_definition_text(manifest),
            replicas=n,
        ),
        "Cumulative: the share of replicas in which a resurgence has completed by each month "
        "of the horizon. The band is the Wilson 95% interval of that share (Monte-Carlo "
        "error of a finite number of replicas), month by month.",
    )
    out.append(chart)
    blocks = [
        {
            "kind": "callout",
            "big": f"P(resurgence) = {p:.3f}  (95% interval {lo:.3f} to {hi:.3f})",
            "text": f"{r.get('hits', round(p * n)):,} of {n:,} replicas. Resurgence: "
            f"{_definition_text(manifest)}.",
        },
        {"kind": "chart", "chart": chart},
    ]
    covered = r.get("months_covered")
    if covered is not None and covered < definition.get("horizon", covered):
        blocks.append(
            {
                "kind": "text",
                "text": f"The run ends {covered} months into the {definition['horizon']}-month "
                "horizon; the probability covers those months only.",
            }
        )
    return Section("resurgence", "Probability of resurgence", blocks)


# ----------------------------------------------------------------- other analyses


def _compare_section(run_dir: Path, manifest: dict, ctx: Context, out: list[Chart]) -> Section:
    arms = _parquet(run_dir / "arms.parquet")
    traj = _parquet(run_dir / "trajectories.parquet")
    definition = _definition_text(manifest)
    replicas = int(manifest.get("replicas") or (arms["replicas"].iloc[0] if len(arms) else 0))
    chart = Chart(
        "chart-compare",
        charts.comparison_chart(
            [str(a) for a in arms["arm"]],
            arms["probability"].tolist(),
            list(zip(arms["ci_low"], arms["ci_high"], strict=True)),
            arms["diff"].tolist(),
            list(zip(arms["diff_low"], arms["diff_high"], strict=True)),
            definition=definition,
            replicas=replicas,
        ),
        "Left: each arm's probability of resurgence with its Wilson 95% interval. Right: its "
        "difference from the baseline, replica by replica on the same random numbers, with "
        "Newcombe's paired 95% interval; an interval that crosses the dashed line at zero "
        "does not tell the policy from the baseline.",
    )
    out.append(chart)
    months = list(dict.fromkeys(str(m) for m in traj["month"]))
    titles = {
        "members": ("Members of the focal group", "members (persons)"),
        "treasury": ("Cash of the focal group", "cash (USD thousand)"),
        "reported_attacks": ("Reported attacks a month", "reported attacks a month"),
    }
    panels = []
    for variable in dict.fromkeys(traj["variable"]):
        frame = traj[(traj["variable"] == variable) & (traj["arm"] != arms["arm"].iloc[0])]
        by_arm = {}
        for arm, rows in frame.groupby("arm", sort=False):
            rows = rows.set_index("month").reindex(months)
            by_arm[str(arm)] = (
                rows["diff_mean"].tolist(),
                rows["diff_low"].tolist(),
                rows["diff_high"].tolist(),
            )
        name, y_title = titles.get(variable, (str(variable), str(variable)))
        panels.append((name, f"difference, {y_title}", by_arm))
    blocks = [
        {
            "kind": "text",
            "text": f"Every arm runs the same {replicas:,} replicas with the same seed; until a "
            f"policy acts, the arms are identical. Resurgence: {definition}.",
        },
        {"kind": "chart", "chart": chart},
    ]
    if panels and any(by for _, _, by in panels):
        diff_chart = Chart(
            "chart-compare-trajectories",
            charts.difference_panels(panels, months, events=ctx.events, replicas=replicas),
            "Mean over replicas of (arm - baseline), month by month, with the 95% interval of "
            "that mean. Above zero: the policy leaves the group stronger than the baseline.",
        )
        out.append(diff_chart)
        blocks.append({"kind": "chart", "chart": diff_chart})
    blocks.append(
        {
            "kind": "table",
            "open": True,
            "summary": "The arms in numbers",
            "columns": [
                "arm",
                "P(resurgence)",
                "95% interval",
                "difference",
                "paired 95% interval",
            ],
            "numeric": ["P(resurgence)", "95% interval", "difference", "paired 95% interval"],
            "rows": [
                (
                    str(row.arm),
                    f"{row.probability:.3f}",
                    f"{row.ci_low:.3f} to {row.ci_high:.3f}",
                    f"{row.diff:+.3f}",
                    f"{row.diff_low:+.3f} to {row.diff_high:+.3f}",
                )
                for row in arms.itertuples()
            ],
        }
    )
    return Section("comparison", "Policy comparison", blocks)


def _finite(x) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return math.nan
    return x


def _sensitivity_section(run_dir: Path, manifest: dict, out: list[Chart]) -> Section:
    frame = _parquet(run_dir / "sensitivity.parquet")
    method = str(manifest.get("method") or ("sobol" if "ST" in frame.columns else "morris"))
    conditions = [str(c) for c in (manifest.get("conditions") or {})] or list(
        dict.fromkeys(str(c) for c in frame.loc[frame["level"] == "condition", "name"])
    )
    outputs = manifest.get("outputs_analysed") or {}
    titles = {
        "probability": "probability of resurgence",
        "attacks": "reported attacks in the horizon's last month",
    }
    indices = (
        [("ST", "ST_conf"), ("S1", "S1_conf")]
        if method == "sobol"
        else [("mu_star", "mu_star_conf")]
    )
    names = {"ST": "total order ST", "S1": "first order S1", "mu_star": "mu*"}
    by_output = []
    param_rows = []
    for output in dict.fromkeys(frame["output"]):
        title = titles.get(output, str(outputs.get(output, output)))
        rows = frame[frame["output"] == output]
        cond = rows[rows["level"] == "condition"].set_index("name")
        by_output.append(
            (
                title,
                {
                    names[v]: {
                        str(c): (_finite(cond.at[c, v]), _finite(cond.at[c, conf]))
                        for c in cond.index
                    }
                    for v, conf in indices
                },
            )
        )
        params = rows[rows["level"] == "parameter"]
        key, conf = indices[0]
        ranked = []
        for c in conditions:
            mine = params[params["condition"] == c].sort_values(key, ascending=False)
            ranked += [
                (str(r["name"]), c, _finite(r[key]), _finite(r[conf])) for _, r in mine.iterrows()
            ]
        param_rows.append((title, ranked))
    samples = int(manifest.get("samples") or 0)
    replicas = int(manifest.get("replicas") or 0)
    c1 = Chart(
        "chart-sensitivity-conditions",
        charts.condition_indices_chart(
            by_output, conditions, method=method, samples=samples, replicas=replicas
        ),
        "Sobol' indices: the share of the output's variance due to a condition alone (S1) "
        "and with its interactions (ST). With few replicas per set the Monte-Carlo noise "
        "inflates weak indices a little and S1 can come out slightly negative."
        if method == "sobol"
        else "Morris screening: the mean absolute elementary effect of each condition (mu*), "
        "in the output's units; larger means more influential.",
    )
    c2 = Chart(
        "chart-sensitivity-parameters",
        charts.parameter_indices_chart(param_rows, conditions, index=names[indices[0][0]]),
        "The same analysis parameter by parameter, grouped by the condition each expresses.",
    )
    out += [c1, c2]
    blocks = [
        {
            "kind": "text",
            "text": f"{METHOD_NAMES.get(method, method)} analysis (SALib) of "
            f"{len(conditions)} conditions of resurgence, N={samples}, "
            f"{manifest.get('parameter_sets', 0):,} parameter sets x {replicas:,} replicas. "
            f"Resurgence: {_definition_text(manifest)}.",
        },
        {"kind": "chart", "chart": c1},
        {"kind": "chart", "chart": c2},
    ]
    constant = manifest.get("constant_outputs") or []
    if constant:
        blocks.append(
            {
                "kind": "text",
                "text": f"No variance to apportion for: {', '.join(map(str, constant))} (it "
                "took the same value in every parameter set); its indices are empty.",
            }
        )
    groups = manifest.get("conditions") or {}
    if groups:
        blocks.append(
            {
                "kind": "table",
                "open": False,
                "summary": "The conditions and their parameters",
                "columns": ["condition", "parameters"],
                "numeric": [],
                "rows": [(str(c), ", ".join(map(str, ps))) for c, ps in groups.items()],
            }
        )
    return Section("sensitivity", "Sensitivity by condition", blocks)


def _discover_section(run_dir: Path, manifest: dict, out: list[Chart]) -> Section:
    boxes = _parquet(run_dir / "boxes.parquet")
    traj = _parquet(run_dir / "trajectory.parquet")
    prim = manifest.get("prim") or {}
    outcome = manifest.get("outcome") or {}
    density = float(prim.get("density_threshold", 0.8))
    blocks: list[dict] = [
        {
            "kind": "text",
            "text": f"{outcome.get('likely_sets', '?')} of {outcome.get('sets', '?')} parameter "
            f"sets are likely resurgences (probability at least {manifest.get('likely', '?')}); "
            f"PRIM ({prim.get('implementation', 'EMA Workbench')}) looks for boxes of parameter "
            f"limits where they are dense (density threshold {density:g}). Resurgence: "
            f"{_definition_text(manifest)}.",
        }
    ]
    restricted = boxes[boxes["parameter"].notna()] if len(boxes) else boxes
    if len(restricted):
        rows = [
            (
                int(r["box"]),
                str(r["parameter"]),
                "" if pd.isna(r["condition"]) else str(r["condition"]),
                float(r["low"]),
                float(r["high"]),
                float(r["range_low"]),
                float(r["range_high"]),
            )
            for _, r in restricted.iterrows()
        ]
        chart = Chart(
            "chart-prim-boxes",
            charts.box_limits_chart(rows),
            "A box is the set of parameter values inside all its limits; parameters not listed "
            "are free over their whole range.",
        )
        out.append(chart)
        blocks.append({"kind": "chart", "chart": chart})

        def p(x) -> str:
            return "-" if pd.isna(x) else f"{x:.2g}"

        blocks.append(
            {
                "kind": "table",
                "open": True,
                "summary": "The boxes in numbers",
                "columns": [
                    "box",
                    "parameter",
                    "condition",
                    "low",
                    "high",
                    "plausible range",
                    "quasi-p low / high",
                    "coverage",
                    "density",
                ],
                "numeric": ["box", "low", "high", "coverage", "density"],
                "rows": [
                    (
                        int(r["box"]),
                        str(r["parameter"]),
                        "" if pd.isna(r["condition"]) else str(r["condition"]),
                        f"{r['low']:.3g}" if r["low_restricted"] else "-",
                        f"{r['high']:.3g}" if r["high_restricted"] else "-",
                        f"[{r['range_low']:.3g}, {r['range_high']:.3g}]",
                        f"{p(r['qp_low'])} / {p(r['qp_high'])}",
                        f"{r['coverage']:.2f}",
                        f"{r['density']:.2f}",
                    )
                    for _, r in restricted.iterrows()
                ],
            }
        )
    else:
        blocks.append(
            {
                "kind": "text",
                "text": "No box: "
                + (
                    "PRIM did not run (every set, or none, is a likely resurgence)."
                    if not prim.get("ran", True)
                    else f"no step of PRIM's trajectory reaches density {density:g}."
                ),
            }
        )
    if len(traj):
        per_box = []
        for number, rows in traj.groupby("box", sort=True):
            per_box.append(
                (
                    int(number),
                    {
                        c: rows[c].tolist()
                        for c in ("step", "phase", "coverage", "density", "mass", "restricted")
                    }
                    | {"chosen": [bool(x) for x in rows["chosen"]]},
                )
            )
        chart = Chart(
            "chart-prim-tradeoff",
            charts.tradeoff_chart(per_box, density_threshold=density),
            "Each peeling step removes a thin slice of the space: coverage falls and density "
            "rises. The star is the step chosen: the highest coverage whose density reaches "
            "the threshold.",
        )
        out.append(chart)
        blocks.append({"kind": "chart", "chart": chart})
    return Section("discovery", "Scenario discovery (PRIM)", blocks)


# --------------------------------------------------------------------------- the page


def _meta(manifest: dict, kind: str, ctx: Context) -> list[tuple[str, str]]:
    meta = [("scenario", str(manifest.get("scenario", "?")))]
    if kind == "compare":
        arms = [str(a.get("name")) for a in manifest.get("arms", [])]
        meta.append(("arms", ", ".join(arms) or "-"))
    else:
        meta.append(("policies", ", ".join(map(str, manifest.get("policies") or [])) or "none"))
    meta.append(("seed", str(manifest.get("seed", "?"))))
    if kind == "run":
        meta.append(("replicas", f"{manifest.get('replicas', 0):,}"))
    elif kind == "compare":
        meta.append(("replicas", f"{manifest.get('replicas', 0):,} per arm"))
    elif kind == "sensitivity":
        meta.append(
            (
                "replicas",
                f"{manifest.get('replicas', 0):,} per set x "
                f"{manifest.get('parameter_sets', 0):,} sets",
            )
        )
    elif kind == "discover":
        budget = manifest.get("budget") or {}
        meta.append(
            (
                "replicas",
                f"{budget.get('replicas', 0):,} per set x {budget.get('samples', 0):,} sets",
            )
        )
    months = manifest.get("months") or (manifest.get("budget") or {}).get("months")
    if manifest.get("start") and manifest.get("end"):
        meta.append(("months", f"{manifest['start']} to {manifest['end']} ({months})"))
    elif ctx.spec is not None and months:
        start = ctx.spec.scenario.start
        meta.append(("months", f"{start} to {month_range(start, int(months))[-1]} ({months})"))
    meta.append(("version", f"resurgence {manifest.get('version', '?')}"))
    meta.append(("date", str(manifest.get("created", "?"))))
    if manifest.get("scenario_hash"):
        meta.append(("scenario hash", str(manifest["scenario_hash"])))
    if manifest.get("parameters"):
        meta.append(("parameters", str(manifest["parameters"]).removeprefix("parameters: ")))
    if kind == "sensitivity":
        meta.append(("method", str(manifest.get("method", "?"))))
    return meta


def _kind(manifest: dict, run_dir: Path) -> str:
    kind = str(manifest.get("kind") or "run")
    if kind not in KINDS:
        raise ResurgenceError(f"{run_dir / store.MANIFEST}: unknown kind of run {kind!r}")
    return kind


def build_report(
    run_dir: str | Path,
    *,
    scenario_source: str | None = None,
    generated: datetime | None = None,
) -> Report:
    """The report of a complete run directory as one HTML string.

    `scenario_source` (a builtin name or a scenario file) overrides where the scenario's
    events are read from. Raises `ResurgenceError` for a directory that is not a complete
    run."""
    run_dir = Path(run_dir)
    manifest = _manifest(run_dir)
    kind = _kind(manifest, run_dir)
    ctx = _scenario(manifest, scenario_source)
    made: list[Chart] = []
    sections: list[Section] = []
    notes = list(ctx.notes)

    present = {
        "ensemble": (run_dir / store.ENSEMBLE).is_dir(),
        "compare": (run_dir / "arms.parquet").is_file()
        and (run_dir / "trajectories.parquet").is_file(),
        "sensitivity": (run_dir / "sensitivity.parquet").is_file(),
        "discover": (run_dir / "boxes.parquet").is_file()
        and (run_dir / "trajectory.parquet").is_file(),
    }
    if kind == "run" and not present["ensemble"]:
        raise ResurgenceError(f"{run_dir}: not a complete run (no {store.ENSEMBLE})")
    probability = _probability_section(manifest, made) if kind == "run" else None
    if probability:
        sections.append(probability)
    if present["ensemble"]:
        sections += _ensemble_sections(run_dir, manifest, ctx, made, notes)
    if present["compare"]:
        sections.append(_compare_section(run_dir, manifest, ctx, made))
    if present["sensitivity"]:
        sections.append(_sensitivity_section(run_dir, manifest, made))
    if present["discover"]:
        sections.append(_discover_section(run_dir, manifest, made))
    if not sections:
        raise ResurgenceError(
            f"{run_dir}: nothing to report; the directory holds none of ensemble.zarr, "
            "arms.parquet, sensitivity.parquet or boxes.parquet"
        )
    if ctx.event_rows and (present["ensemble"] or present["compare"]):
        sections.append(
            Section(
                "events",
                "The scenario's dated events",
                [
                    {
                        "kind": "table",
                        "open": False,
                        "summary": f"{len(ctx.event_rows)} events, with their sources and "
                        "assumptions (marked on the time axes above)",
                        "columns": ["month", "event", "source", "assumption"],
                        "numeric": [],
                        "rows": ctx.event_rows,
                    }
                ],
            )
        )

    ids = [c.id for c in made]
    if len(set(ids)) != len(ids):  # a programming error, not a user's
        raise AssertionError(f"duplicate chart ids: {ids}")
    for chart in made:
        height = chart.figure.layout.height or 420
        chart.html = Markup(
            pio.to_html(
                chart.figure,
                full_html=False,
                include_plotlyjs=False,
                div_id=chart.id,
                config=CONFIG,
                default_width="100%",
                default_height=f"{height}px",
                validate=False,
            )
        )
    generated = generated or datetime.now(UTC)
    title = str(manifest.get("title") or (ctx.spec.scenario.title if ctx.spec else "") or "")
    title = title or str(manifest.get("scenario", run_dir.name))
    page = render(
        {
            "page_title": f"{title}: {KINDS[kind]}",
            "kind_label": KINDS[kind],
            "title": title,
            "description": ctx.spec.scenario.description if ctx.spec else "",
            "meta": _meta(manifest, kind, ctx),
            "command": str(manifest.get("command", "")),
            "notes": notes,
            "sections": sections,
            "plotlyjs": Markup(get_plotlyjs()),
            "generator_version": __version__,
            "plotly_version": plotly.__version__,
            "generated": generated.isoformat(timespec="seconds"),
            "run_dir": str(run_dir),
        }
    )
    return Report(page, ids, notes, kind)


def write_report(
    run_dir: str | Path,
    out: str | Path | None = None,
    *,
    scenario_source: str | None = None,
) -> tuple[Path, Report]:
    """Build the report of `run_dir` and write it to `out` (default RUN_DIR/report.html),
    under a temporary name first, then renamed."""
    run_dir = Path(run_dir)
    report = build_report(run_dir, scenario_source=scenario_source)
    path = Path(out) if out is not None else run_dir / REPORT
    if path.is_dir():
        path = path / REPORT
    tmp = path.with_name(f".{path.name}.partial")
    try:
        tmp.write_text(report.html, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ResurgenceError(f"{path}: cannot write the report ({exc.strerror})") from None
    return path, report
