"""Turn a run directory into one self-contained HTML page.

`build_report(run_dir)` reads the manifest, looks up the kind of run it names in `KINDS`,
lets that kind build its sections from the run's files, and renders the page (with the ids
of the charts it made); `write_report` writes it (under a temporary name, then renamed).

Time axes mark the scenario's dated events (and those of the run's policies), found as
`context` explains; a page whose charts have time axes also lists the events in a table.

Escaping: the page is a Jinja2 template with autoescape on (`template`); the charts' text
is escaped with `html.escape` (`style.escape`). Text from a scenario or a data file never
reaches the page unescaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import plotly
import plotly.io as pio
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from resurgence import __version__, store
from resurgence.errors import ResurgenceError
from resurgence.months import month_range
from resurgence.report import compare, discover, run, sensitivity
from resurgence.report.context import Context, load_context, read_manifest
from resurgence.report.section import Chart, Kind, Section
from resurgence.report.template import render

KINDS: dict[str, Kind] = {  # the manifest's `kind` (also the command that wrote the run)
    "run": run.KIND,
    "compare": compare.KIND,
    "sensitivity": sensitivity.KIND,
    "discover": discover.KIND,
}
CONFIG = {
    "displaylogo": False,
    "displayModeBar": "hover",
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


@dataclass
class Report:
    """The page, the ids of the charts it holds (one Plotly plot each) and its notes."""

    html: str
    charts: list[str]
    notes: list[str]
    kind: str


def _kind(manifest: dict, run_dir: Path) -> str:
    kind = str(manifest.get("kind") or "run")
    if kind not in KINDS:
        raise ResurgenceError(f"{run_dir / store.MANIFEST}: unknown kind of run {kind!r}")
    for name in KINDS[kind].files:
        if not (run_dir / name).exists():
            raise ResurgenceError(f"{run_dir}: not a complete run (no {name})")
    return kind


def _meta(kind: Kind, ctx: Context) -> list[tuple[str, str]]:
    """The header's entries: what ran, how, when, and with which version."""
    manifest = ctx.manifest
    meta = [("scenario", str(manifest.get("scenario", "?")))]
    if "arms" in manifest:  # a comparison's arms, instead of the policies of one run
        arms = [str(a.get("name")) for a in manifest["arms"]]
        meta.append(("arms", ", ".join(arms) or "-"))
    else:
        meta.append(("policies", ", ".join(map(str, manifest.get("policies") or [])) or "none"))
    meta.append(("seed", str(manifest.get("seed", "?"))))
    meta.append(("replicas", kind.replicas(manifest)))
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
    return meta + kind.details(manifest)


def _events(ctx: Context) -> Section:
    return Section(
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


def _embed(charts: list[Chart]) -> None:
    """Each chart's Plotly snippet (its figure as JSON and the call that draws it)."""
    ids = [c.id for c in charts]
    if len(set(ids)) != len(ids):  # a programming error, not a user's
        raise AssertionError(f"duplicate chart ids: {ids}")
    for chart in charts:
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
    manifest = read_manifest(run_dir, list(KINDS))
    name = _kind(manifest, run_dir)
    kind = KINDS[name]
    ctx = load_context(run_dir, manifest, scenario_source)
    sections = kind.sections(ctx)
    if kind.timed and ctx.event_rows:
        sections.append(_events(ctx))
    charts = [chart for section in sections for chart in section.charts]
    _embed(charts)
    generated = generated or datetime.now(UTC)
    title = str(manifest.get("title") or (ctx.spec.scenario.title if ctx.spec else "") or "")
    title = title or str(manifest.get("scenario", run_dir.name))
    page = render(
        {
            "page_title": f"{title}: {kind.label}",
            "kind_label": kind.label,
            "title": title,
            "description": ctx.spec.scenario.description if ctx.spec else "",
            "meta": _meta(kind, ctx),
            "command": str(manifest.get("command", "")),
            "notes": ctx.notes,
            "sections": sections,
            "plotlyjs": Markup(get_plotlyjs()),
            "generator_version": __version__,
            "plotly_version": plotly.__version__,
            "generated": generated.isoformat(timespec="seconds"),
            "run_dir": str(run_dir),
        }
    )
    return Report(page, [c.id for c in charts], ctx.notes, name)


def write_report(
    run_dir: str | Path,
    out: str | Path | None = None,
    *,
    scenario_source: str | None = None,
) -> tuple[Path, Report]:
    """Build the report of `run_dir` and write it to `out` (default: `store.REPORT` in
    `run_dir`), under a temporary name first, then renamed."""
    run_dir = Path(run_dir)
    report = build_report(run_dir, scenario_source=scenario_source)
    path = Path(out) if out is not None else run_dir / store.REPORT
    if path.is_dir():
        path = path / store.REPORT

    try:
        store.write_text(path, report.html)
    except OSError as exc:
        raise ResurgenceError(f"{path}: cannot write the report ({exc.strerror})") from None
    return path, report
