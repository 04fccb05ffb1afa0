"""The page of a simulation run (`resurgence run`).

It shows the probability of resurgence against the horizon (`probability`), then fan
charts (median, 50% and 80% bands over replicas) of the focal group's members, cash,
latent and reported attacks; members of every actor (up to `MAX_ACTORS`); and the focal
group's members, latent and reported attacks by region (the total and the `MAX_REGIONS`
regions with the largest mean, so that the page stays small whatever the number of regions;
the page names the regions left out). Quantiles are computed from the ensemble
(`xarray.open_zarr`) over `replica`, from at most its first `MAX_REPLICAS` replicas (a note
says so), so that the memory needed does not grow with the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from resurgence import observe, store
from resurgence.errors import ResurgenceError
from resurgence.report.context import Context
from resurgence.report.fans import QUANTILES, Fan, fan_chart, fan_panels
from resurgence.report.probability import probability_section
from resurgence.report.section import Chart, Kind, Section

MAX_REGIONS = 5  # regions shown beside the total, by largest mean
MAX_ACTORS = 9  # actors shown in the members-by-actor panels, by largest mean
MAX_REPLICAS = 20_000  # replicas read for the fan charts, so memory stays bounded
VARIABLES = ("members", "treasury", "attacks", "reported_attacks")


@dataclass
class Ensemble:
    """What the fan charts draw, read from the run's ensemble; arrays are (replica, month,
    ...)."""

    months: list[str]
    replicas: int
    focal: str
    actors: list[str]
    regions: list[str]
    by_actor: np.ndarray  # members (replica, month, actor), summed over regions
    focal_regions: np.ndarray  # the focal group's members (replica, month, region)
    treasury: np.ndarray  # (replica, month)
    attacks: dict[str, np.ndarray]  # latent and reported (replica, month, region)
    descriptions: dict[str, str]  # of each variable, ending with its unit in brackets
    reported: observe.Channel  # the channel the run's reported attacks came through

    @property
    def band(self) -> str:
        return f"Median and 50% and 80% bands over {self.replicas:,} replicas."

    def unit(self, variable: str, default: str) -> str:
        found = re.search(r"\(([^()]*)\)\s*$", self.descriptions[variable] or "")
        return found.group(1) if found else default


def _read_ensemble(ctx: Context) -> Ensemble:
    """The ensemble's arrays, from its first `MAX_REPLICAS` replicas (with a note when the
    run has more)."""
    import xarray as xr

    path = ctx.run_dir / store.ENSEMBLE
    try:
        ds = xr.open_zarr(path)
    except Exception as exc:  # zarr raises several kinds for a damaged store
        raise ResurgenceError(f"{path}: cannot read the ensemble ({exc})") from None
    if not set(VARIABLES) <= set(ds.data_vars):
        lacking = sorted(set(VARIABLES) - set(ds.data_vars))
        raise ResurgenceError(f"{path}: the ensemble lacks {', '.join(lacking)}")
    total = ds.sizes["replica"]
    if total > MAX_REPLICAS:  # replicas are exchangeable: the first ones are a fair sample
        ds = ds.isel(replica=slice(0, MAX_REPLICAS))
        ctx.notes.append(
            f"The fan charts use the first {MAX_REPLICAS:,} of the run's {total:,} replicas "
            "(their quantiles differ from the whole run's by far less than the bands' width); "
            "the probability of resurgence uses them all."
        )
    focal = str(ds.attrs.get("focal") or ds["actor"].values[0])
    ensemble = Ensemble(
        months=[str(m) for m in ds["month"].values],
        replicas=ds.sizes["replica"],
        focal=focal,
        actors=[str(a) for a in ds["actor"].values],
        regions=[str(r) for r in ds["region"].values],
        by_actor=ds["members"].sum("region").transpose("replica", "month", "actor").values,
        focal_regions=ds["members"].sel(actor=focal).transpose("replica", "month", "region").values,
        treasury=ds["treasury"].transpose("replica", "month").values,
        attacks={
            v: ds[v].sum("attack_type").transpose("replica", "month", "region").values
            for v in ("attacks", "reported_attacks")
        },
        descriptions={v: ds[v].attrs.get("description", "") for v in VARIABLES},
        # runs from before the channel was recorded: the generic dataset
        reported=observe.CHANNELS.get(str(ds.attrs.get("reported")), observe.CHANNELS["reporting"]),
    )
    ds.close()
    return ensemble


def _quantiles(values: np.ndarray) -> np.ndarray:
    """(replica, month, ...) -> (5 quantiles, month, ...)."""
    return np.quantile(values.astype(np.float64), QUANTILES, axis=0)


def _trajectories(e: Ensemble, ctx: Context) -> Section:
    focal = ctx.actor_label(e.focal)
    cash = e.descriptions["treasury"]
    reported = e.reported
    overview = [
        Chart(
            "chart-members",
            fan_chart(
                Fan.from_quantiles(e.months, _quantiles(e.focal_regions.sum(axis=2))),
                title=f"Members of {focal}",
                subtitle=f"All regions. {e.band}",
                y_title=f"members ({e.unit('members', 'persons')})",
                unit="",
                colour=0,
                events=ctx.events,
            ),
            "Members of the focal group, summed over regions.",
        ),
        Chart(
            "chart-treasury",
            fan_chart(
                Fan.from_quantiles(e.months, _quantiles(e.treasury)),
                title=f"Cash of {focal}",
                subtitle=f"At the end of each month. {e.band}",
                y_title=f"cash ({e.unit('treasury', 'USD thousand')})",
                colour=2,
                events=ctx.events,
            ),
            (cash[:1].upper() + cash[1:] + ".") if cash else "The focal group's cash.",
        ),
        Chart(
            "chart-attacks",
            fan_chart(
                Fan.from_quantiles(e.months, _quantiles(e.attacks["attacks"].sum(axis=2))),
                title="Latent attacks a month",
                subtitle=f"What the group does, all regions. {e.band}",
                y_title="attacks a month",
                colour=1,
                events=ctx.events,
            ),
            "Latent attacks: every attack the group carries out, reported or not.",
        ),
        Chart(
            "chart-reported",
            fan_chart(
                Fan.from_quantiles(e.months, _quantiles(e.attacks["reported_attacks"].sum(axis=2))),
                title=f"{reported.adjective.capitalize()} attacks a month",
                subtitle=f"The {reported.description}, all regions. {e.band}",
                y_title=f"{reported.adjective} attacks a month",
                colour=3,
                events=ctx.events,
            ),
            f"The {reported.description} (reported_attacks): the latent attacks through the "
            "observation model (under-reporting, claims). No observed series is overlaid: the "
            "run holds none.",
        ),
    ]
    return Section(
        "trajectories",
        "The focal group month by month",
        [
            {
                "kind": "text",
                "text": f"Fan charts over {e.replicas:,} replicas: the line is the median, the "
                "dark band holds the middle 50% of replicas (25th to 75th percentile) and the "
                "light band the middle 80% (10th to 90th). "
                + (
                    "Dotted vertical lines and the triangles above them mark the scenario's "
                    "dated events; hover a triangle for their text."
                    if ctx.events
                    else "No event is marked: see the note at the top."
                ),
            },
            {"kind": "grid", "charts": overview},
        ],
    )


def _actors(e: Ensemble, ctx: Context) -> Section:
    means = e.by_actor.mean(axis=(0, 1))
    order = [i for i in np.argsort(-means, kind="stable") if means[i] > 0]
    if e.focal in e.actors:  # the focal group first, then the others by size
        f = e.actors.index(e.focal)
        order = [f] + [i for i in order if i != f]
    shown = order[:MAX_ACTORS]
    q = _quantiles(e.by_actor[:, :, shown])
    chart = Chart(
        "chart-actors",
        fan_panels(
            [
                (ctx.actor_label(e.actors[a]), Fan.from_quantiles(e.months, q[:, :, k]))
                for k, a in enumerate(shown)
            ],
            title="Members by group and faction",
            subtitle=f"Summed over regions; each panel has its own scale. {e.band}",
            y_title=f"members ({e.unit('members', 'persons')})",
            colour=0,
            events=ctx.events,
        ),
        "Members move between groups and factions through defections (which conserve "
        "members); recruitment and losses change each group's size.",
    )
    section = Section("actors", "Groups and factions", [{"kind": "chart", "chart": chart}])
    left_out = [e.actors[a] for a in order[MAX_ACTORS:]]
    if left_out:
        section.blocks.append(
            {"kind": "text", "text": f"Not shown (fewest members): {', '.join(left_out)}."}
        )
    return section


def _by_region(
    e: Ensemble,
    ctx: Context,
    values: np.ndarray,
    chart_id: str,
    what: str,
    y_title: str,
    colour: int,
) -> Chart:
    """The total of `values` (replica, month, region) and its `MAX_REGIONS` largest regions."""
    means = values.mean(axis=(0, 1))
    top = [k for k in np.argsort(-means, kind="stable") if means[k] > 0][:MAX_REGIONS]
    q_total = _quantiles(values.sum(axis=2))
    q_regions = _quantiles(values[:, :, top]) if top else None
    panels = [("Total (all regions)", Fan.from_quantiles(e.months, q_total))]
    panels += [
        (ctx.region_label(e.regions[k]), Fan.from_quantiles(e.months, q_regions[:, :, i]))
        for i, k in enumerate(top)
    ]
    others = [ctx.region_label(e.regions[k]) for k in range(len(e.regions)) if k not in top]
    caption = f"The total and the {len(top)} regions with the most {what} on average" + (
        f"; not shown: {', '.join(others)} (all regions are in {store.SUMMARY})." if others else "."
    )
    return Chart(
        chart_id,
        fan_panels(
            panels,
            title=f"{what[:1].upper()}{what[1:]} by region",
            subtitle=f"Each panel has its own scale. {e.band}",
            y_title=y_title,
            colour=colour,
            events=ctx.events,
        ),
        caption,
    )


def _regions(e: Ensemble, ctx: Context) -> Section:
    adjective = e.reported.adjective
    charts = [
        _by_region(
            e,
            ctx,
            e.focal_regions,
            "chart-members-regions",
            f"members of {ctx.actor_label(e.focal)}",
            f"members ({e.unit('members', 'persons')})",
            0,
        ),
        _by_region(
            e,
            ctx,
            e.attacks["attacks"],
            "chart-attacks-regions",
            "latent attacks",
            "attacks a month",
            1,
        ),
        _by_region(
            e,
            ctx,
            e.attacks["reported_attacks"],
            "chart-reported-regions",
            f"{adjective} attacks",
            f"{adjective} attacks a month",
            3,
        ),
    ]
    return Section("regions", "By region", [{"kind": "chart", "chart": c} for c in charts])


def sections(ctx: Context) -> list[Section]:
    probability = probability_section(ctx)
    e = _read_ensemble(ctx)
    found = [_trajectories(e, ctx), _actors(e, ctx), _regions(e, ctx)]
    return [probability, *found] if probability else found


KIND = Kind(
    "simulation run",
    files=(store.ENSEMBLE,),
    sections=sections,
    replicas=lambda manifest: f"{manifest.get('replicas', 0):,}",
    timed=True,
)
