"""Regenerate section 10 of docs/model.md: the default run beside the published figures.

The script runs the default flagship run (scenario `isk`, no policy, 2,000 replicas, seed 1),
prints the figures that section 10 compares with the published ones, and rewrites the text
between the marker lines

    <!-- comparison -->
    <!-- /comparison -->

of docs/model.md with the command, the printed figures, the table "published figure |
default run" and a table of medians of latent variables. The run is seeded and its chunks
have a fixed size, so running the script twice gives the same file.

The published figures are read from the flagship's evidence CSV,
src/resurgence/evidence/builtin/isk.csv (docs/background.md §10), or the file given with
--evidence; for a missing file or row, the constants of `PUBLISHED`, which copy its rows,
are used.

The paragraphs after the block ("What this shows ...") are written by hand: when the figures
change, re-read them.

Usage:
    python docs/make_comparison.py           # run, print the figures, rewrite docs/model.md
    python docs/make_comparison.py --check   # exit 1 if docs/model.md would change
"""

from __future__ import annotations

import argparse
import calendar
import csv
import re
import sys
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import xarray as xr

from resurgence import observe
from resurgence.core.model import Model
from resurgence.engine.compile import compile_model, with_posterior
from resurgence.engine.run import DEFAULT_CHUNK, chunk_bounds, chunk_params, posterior_draws, run
from resurgence.posterior import builtin_posterior, load
from resurgence.scenarios import load_scenario

DOC = Path(__file__).with_name("model.md")
EVIDENCE = Path(__file__).resolve().parents[1] / "src/resurgence/evidence/builtin/isk.csv"
WIDTH = 90  # the doc's prose wraps at about 90 characters
MARKER = re.compile(
    r"^<!-- comparison -->\n.*?^<!-- /comparison -->$",
    re.DOTALL | re.MULTILINE,
)

SCENARIO = "isk"
REPLICAS = 2000
SEED = 1
WORKERS = 2

LATE_2021 = ("2021-08", "2021-12")  # the UN's record: 19 Aug to 31 Dec 2021
UN_FIRST_DAY = 19  # of August 2021
YEAR_2022 = ("2022-01", "2022-11")  # the claims compared: January to November 2022
MEMBER_MONTHS = ("2021-08", "2022-01", "2022-07", "2023-07")
LATENT_MONTHS = (
    "2021-08",
    "2021-12",
    "2022-06",
    "2022-11",
    "2023-01",
    "2023-03",
    "2023-07",
    "2023-12",
)


@dataclass(frozen=True)
class Published:
    """One row of the evidence CSV: its key columns and the figure (low to high)."""

    period_start: str
    period_end: str
    country: str
    measure: str
    low: float
    high: float

    def key(self) -> tuple[str, str, str, str]:
        return (self.period_start, self.period_end, self.country, self.measure)


PUBLISHED = {
    # "UN SG report 'The situation in Afghanistan...' (Jan/Feb 2022), via Daily Excelsior
    # 4 Feb 2022; period 19 Aug-31 Dec 2021"
    "recorded_2021": Published("2021-08", "2021-12", "Afghanistan", "attacks_recorded", 152, 152),
    # "Afghanistan Tops 2021 Global Survey of Islamic State Casualties (VOA repost, Jan 2022,
    # citing Meir Amit ITIC; based on IS claims)"
    "claimed_2021": Published("2021-01", "2021-12", "Afghanistan", "attacks_claimed", 365, 365),
    # "ISIS Attacks Down Globally in 2023 (Atlas News, 27 Dec 2023, citing BBC Monitoring;
    # comparison period Jan-Nov 2022 per araew.com description of same BBC data)"
    "claimed_2022": Published("2022-01", "2022-11", "Afghanistan", "attacks_claimed", 145, 145),
    # "Medcom.id (Indonesian) on UN Monitoring Team report, early Feb 2022 (29th report) -
    # 'from 2,200 to nearly 4,000'"
    "fighters_2021": Published(
        "2021-08", "2022-01", "Afghanistan", "fighters_estimate", 2200, 4000
    ),
    # "ISIS-K nearly doubled in size following Taliban prison releases: United Nations
    # (Washington Examiner repost, 13 Feb 2022, on SG 14th strategic-level report, late Jan 2022)"
    "fighters_2022": Published(
        "2022-01", "2022-01", "Afghanistan", "fighters_estimate", 2200, 4000
    ),
}


def published(path: Path) -> tuple[dict[str, Published], str]:
    """The published figures, from the evidence CSV if it exists, and where they came from."""
    if not path.is_file():
        return dict(PUBLISHED), "constants of docs/make_comparison.py (evidence CSV not found)"
    with path.open(newline="", encoding="utf-8") as f:
        rows = {
            (r["period_start"], r["period_end"], r["country"], r["measure"]): r
            for r in csv.DictReader(f)
        }
    figures = {}
    for name, fallback in PUBLISHED.items():
        row = rows.get(fallback.key())
        if row is None:
            print(f"make_comparison: no row {fallback.key()} in {path}; using the constant")
            figures[name] = fallback
            continue
        high = float(row["value_high"])
        low = float(row["value_low"]) if row["value_low"] else high
        figures[name] = replace(fallback, low=low, high=high)
    return figures, str(path)


# ---------------------------------------------------------------- formatting


def n(x: float, digits: int = 0) -> str:
    """A figure as the doc prints it: 3,842, 38.4."""
    return f"{x:,.{digits}f}"


def interval(x: xr.DataArray) -> tuple[float, float]:
    """The 90% interval over replicas."""
    low, high = np.percentile(x.values, [5, 95])
    return float(low), float(high)


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- the run and its figures


@dataclass
class Comparison:
    """The run's figures, printed and tabled."""

    lines: list[str]
    rows: list[tuple[str, str]]
    latent: str


def observed(ds: xr.Dataset, model: Model, measure: str) -> xr.DataArray:
    """The run's latent attacks as the evidence `measure` (attacks_recorded,
    attacks_claimed) would report them, (replica, month, region): each replica thinned
    with its own parameters (the posterior draw the run gave it), as calibration does."""
    spec = observe.MEASURES[measure]
    latent = ds["attacks"].sum("attack_type").values
    rng = np.random.default_rng(SEED)
    parts = []
    for index, (lo, hi) in enumerate(chunk_bounds(latent.shape[0], DEFAULT_CHUNK)):
        draws = posterior_draws(model, hi - lo, SEED, "run", index)
        params = chunk_params(model, lo, hi, None, draws)
        parts.append(
            observe.thin(latent[lo:hi], params[spec.rate], params[spec.concentration], rng)
        )
    return xr.DataArray(
        np.concatenate(parts), dims=("replica", "month", "region"), coords=ds["losses"].coords
    )


def compare(
    ds: xr.Dataset,
    recorded: xr.DataArray,
    claimed: xr.DataArray,
    afghan: list[str],
    pub: dict[str, Published],
) -> Comparison:
    rec_2021 = pub["recorded_2021"].high
    claim_2021 = pub["claimed_2021"].high
    claim_2022 = pub["claimed_2022"].high
    fighters = pub["fighters_2021"]
    if (fighters.low, fighters.high) != (pub["fighters_2022"].low, pub["fighters_2022"].high):
        print("make_comparison: the two UN fighter estimates differ; the table shows the first")

    # (a) late 2021, against the UN's record, which starts on day UN_FIRST_DAY of the first
    # month: the monitor's records
    a = recorded.sum("region").sel(month=slice(*LATE_2021))
    year, first = (int(part) for part in LATE_2021[0].split("-"))
    days = calendar.monthrange(year, first)[1]
    weight = xr.ones_like(a.month, dtype=float)
    weight[0] = (days - UN_FIRST_DAY + 1) / days
    un_months = float(weight.sum())
    ta = a.sum("month")
    a_low, a_high = interval(ta)
    a_share = float((ta <= rec_2021).mean())
    a_prorated = float((a.mean("replica") * weight).sum())
    a_afg = recorded.sel(region=afghan).sum("region").sel(month=slice(*LATE_2021))
    ta_afg = a_afg.sum("month")
    a_afg_prorated = float((a_afg.mean("replica") * weight).sum())
    a_afg_share = float((ta_afg <= rec_2021).mean())
    a_month = float(a.mean())

    # (b) January to November 2022, against the claims: the group's claims
    tb = claimed.sum("region").sel(month=slice(*YEAR_2022)).sum("month")
    b_low, b_high = interval(tb)
    b_share = float((tb <= claim_2022).mean())
    tb_afg = claimed.sel(region=afghan).sum("region").sel(month=slice(*YEAR_2022)).sum("month")
    b_afg_share = float((tb_afg <= claim_2022).mean())

    lines = [
        f"(a) {LATE_2021[0]}..{LATE_2021[1]}: mean recorded attacks a month {n(a_month, 1)}",
        f"    total of the 5 months: mean {n(float(ta.mean()), 1)}, median "
        f"{n(float(ta.median()))}, 90% interval {n(a_low)} to {n(a_high)}",
        f"    share of replicas with a total <= {n(rec_2021)}: {a_share:.3f}",
        f"    mean total pro-rated to {UN_FIRST_DAY} Aug-31 Dec ({un_months:.2f} months): "
        f"{n(a_prorated, 1)}",
        f"    Afghan regions only: mean total {n(float(ta_afg.mean()), 1)}, pro-rated "
        f"{n(a_afg_prorated, 1)}, share of replicas <= {n(rec_2021)}: {a_afg_share:.3f}",
        f"(b) {YEAR_2022[0]}..{YEAR_2022[1]}: total claimed attacks: mean "
        f"{n(float(tb.mean()), 1)}, median {n(float(tb.median()))}, 90% interval "
        f"{n(b_low)} to {n(b_high)}",
        f"    share of replicas with a total <= {n(claim_2022)}: {b_share:.3f}",
        f"    mean total / {n(claim_2022)}: {float(tb.mean()) / claim_2022:.2f}",
        f"    Afghan regions only: mean total {n(float(tb_afg.mean()), 1)}, share of replicas "
        f"<= {n(claim_2022)}: {b_afg_share:.3f}",
    ]

    # (c) members of the focal group
    members = ds["members"].sel(actor=ds.attrs["focal"]).sum("region")
    medians: dict[str, float] = {}
    cells: dict[str, str] = {}
    for month in MEMBER_MONTHS:
        x = members.sel(month=month)
        low, high = interval(x)
        medians[month] = float(x.median())
        line = (
            f"(c) {ds.attrs['focal']} members {month}: median {n(medians[month])}, "
            f"90% interval {n(low)} to {n(high)}"
        )
        cell = f"{n(medians[month])} at {month} (90%: {n(low)} to {n(high)})"
        if fighters.period_start <= month <= fighters.period_end:
            inside = float(((x >= fighters.low) & (x <= fighters.high)).mean())
            line += f", share in {n(fighters.low)}..{n(fighters.high)}: {inside:.3f}"
            cell += f", {inside:.1%} of replicas within {n(fighters.low)} to {n(fighters.high)}"
        if month == MEMBER_MONTHS[-1]:
            change = medians[month] / medians[MEMBER_MONTHS[-2]] - 1
            since = f", {abs(change):.0%} {'below' if change < 0 else 'above'} {MEMBER_MONTHS[-2]}"
            line += since
            cell += since
        lines.append(line)
        cells[month] = cell

    # (d) money: when the salaries stop being paid in full
    paid = ds["paid_fraction"].median("replica")
    short = paid.month.values[paid.values < 1.0]
    first_short = str(short[0]) if len(short) else "never"
    lines.append(
        f"(d) first month in which the median paid share of salaries is below 1: {first_short}"
    )

    rows = [
        (
            f"UN recorded **{n(rec_2021)}** attacks from {UN_FIRST_DAY} Aug to 31 Dec 2021 "
            f"(about {un_months:.1f} months, {n(rec_2021 / un_months, 1)} a month)",
            f"{n(a_month, 1)} recorded attacks a month over {LATE_2021[0]}..{LATE_2021[1]}; "
            f"5-month total mean {n(float(ta.mean()), 1)} (median {n(float(ta.median()))}, "
            f"90% interval {n(a_low)} to {n(a_high)}); pro-rated to {UN_FIRST_DAY} Aug-31 Dec, "
            f"{n(a_prorated, 1)}; {a_share:.1%} of replicas at or below {n(rec_2021)}. Afghan "
            f"regions only: mean {n(float(ta_afg.mean()), 1)}, pro-rated "
            f"{n(a_afg_prorated, 1)}; {a_afg_share:.1%} of replicas at or below {n(rec_2021)}",
        ),
        (
            f"IS claimed **{n(claim_2021)}** attacks in 2021 (about "
            f"{n(claim_2021 / 12, 1)} a month over the year)",
            f"{n(a_month, 1)} recorded attacks a month from August; the run does not cover "
            "January to July",
        ),
        (
            f"IS claimed **{n(claim_2022)}** attacks from Jan to Nov 2022",
            f"total mean {n(float(tb.mean()), 1)} (median {n(float(tb.median()))}, 90% interval "
            f"{n(b_low)} to {n(b_high)}), {float(tb.mean()) / claim_2022:.2f} times "
            f"{n(claim_2022)}; {b_share:.1%} of replicas at or below {n(claim_2022)} "
            f"({b_afg_share:.1%} over the Afghan regions only)",
        ),
        (
            f"UN: IS-K grew **from {n(fighters.low)} to nearly {n(fighters.high)}** after the "
            "prison releases (Aug 2021 to Jan 2022; Jan 2022)",
            f"{cells[MEMBER_MONTHS[0]]}; {cells[MEMBER_MONTHS[1]]}",
        ),
        ("no estimate in the CSV for mid-2022", cells[MEMBER_MONTHS[2]]),
        (
            "no estimate in the CSV (it ends in 2022); `docs/background.md` §4: \u201cmembership "
            "fell somewhat between the second half of 2022 and the second half of 2023\u201d",
            cells[MEMBER_MONTHS[3]],
        ),
    ]
    return Comparison(lines, rows, latent_table(ds, claimed, members))


def latent_table(ds: xr.Dataset, claimed: xr.DataArray, members: xr.DataArray) -> str:
    """Medians over replicas of some latent variables, at `LATENT_MONTHS`."""
    series = {
        "attacks": (ds["attacks"].sum(["region", "attack_type"]), 0),
        "claimed": (claimed.sum("region"), 0),
        "members": (members, 0),
        "income": (ds["income"], 0),
        "treasury": (ds["treasury"], 0),
        "paid": (ds["paid_fraction"], 2),
        "cohesion": (ds["cohesion"], 2),
        "posture": (ds["posture"], 2),
        "visibility": (ds["visibility"], 2),
        "losses": (ds["losses"].sum("region"), 0),
        "left": (ds["attrition"].sum("region"), 0),
        "recruits": (ds["recruits"].sum("region"), 0),
        "joined": (ds["defections"].sum("actor"), 0),
    }
    medians = {
        name: x.sel(month=list(LATENT_MONTHS)).median("replica") for name, (x, _) in series.items()
    }
    rows = [
        [month]
        + [n(float(medians[name].sel(month=month)), digits) for name, (_, digits) in series.items()]
        for month in LATENT_MONTHS
    ]
    return table(["month", *series], rows)


def block(comparison: Comparison, scenario_hash: str) -> str:
    """The text between the markers."""

    def para(text: str) -> str:
        return textwrap.fill(text, WIDTH, break_long_words=False, break_on_hyphens=False)

    return "\n".join(
        [
            para(
                f"The default run: the flagship scenario `{SCENARIO}` (scenario hash "
                f"`{scenario_hash}`) with no policy, {n(REPLICAS)} replicas, seed {SEED}. "
                "`docs/make_comparison.py` runs it, computes the figures below and writes "
                "them here; to regenerate them, run from the repository root:"
            ),
            "",
            "```",
            "python docs/make_comparison.py",
            "```",
            "",
            para(
                "Its output (each published figure against the run's latent attacks through "
                "the same evidence measure's observation model, with each replica's own "
                "rates: the UN's record against `attacks_recorded`, IS claims against "
                "`attacks_claimed`; 90% intervals run from the 5th to the 95th percentile "
                "over replicas):"
            ),
            "",
            "```",
            *comparison.lines,
            "```",
            "",
            "Beside the published figures (rows of the evidence CSV, section 9):",
            "",
            table(("published figure", "default run"), comparison.rows),
            "",
            para(
                "For context, the medians over replicas of some latent variables of the same "
                "run (income in USD thousand a month; treasury in USD thousand at the end of "
                "the month; attacks are latent, claimed through the claims channel; paid is "
                "the share of the month's payroll paid; losses, left, "
                "recruits and joined are members a month):"
            ),
            "",
            comparison.latent,
        ]
    )


def render(text: str, body: str) -> str:
    """The document with the comparison block replaced by `body`."""
    matches = MARKER.findall(text)
    if len(matches) != 1:
        raise SystemExit(
            "make_comparison: docs/model.md needs exactly one <!-- comparison --> ... "
            f"<!-- /comparison --> block; found {len(matches)}"
        )
    return MARKER.sub(lambda _: f"<!-- comparison -->\n\n{body}\n\n<!-- /comparison -->", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("doc", nargs="?", type=Path, default=DOC, help="default: docs/model.md")
    parser.add_argument("--check", action="store_true", help="only check that it is up to date")
    parser.add_argument(
        "--evidence", type=Path, default=EVIDENCE, help="the evidence CSV, if not the default"
    )
    args = parser.parse_args(argv)
    text = args.doc.read_text(encoding="utf-8")

    scenario = load_scenario(SCENARIO)
    # The default run: with the posterior `resurgence run isk` uses.
    model = with_posterior(compile_model(scenario), load(builtin_posterior("isk")))
    ds = run(model, REPLICAS, seed=SEED, workers=WORKERS)
    afghan = [r.name for r in scenario.regions if r.country == "Afghanistan"]
    pub, source = published(args.evidence)
    recorded = observed(ds, model, "attacks_recorded")
    claimed = observed(ds, model, "attacks_claimed")
    comparison = compare(ds, recorded, claimed, afghan, pub)
    print(f"published figures from {source}")
    print("\n".join(comparison.lines))

    new = render(text, block(comparison, model.scenario_hash))
    if args.check:
        if new != text:
            print(f"{args.doc} is out of date; run python docs/make_comparison.py")
            return 1
        return 0
    if new != text:
        tmp = args.doc.with_suffix(".md.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(args.doc)
        print(
            f"{args.doc}: section 10 rewritten; re-read its hand-written paragraphs "
            '("What this shows ...") against the figures above'
        )
    else:
        print(f"{args.doc}: section 10 up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
