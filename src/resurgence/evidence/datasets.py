"""The event datasets ingest reads (UCDP GED, ACLED) and the rules that decide each event's fate.

GED and ACLED record the same kind of event under different column names, date formats and
location-precision codes; a `Dataset` holds those differences, so reading and counting are
written once. The rules are listed here, with the datasets, because which of them apply
depends on what a dataset records (ACLED's event types, GED's end dates and precision
codes).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dataset:
    """What differs between event datasets: column names, date formats, precision codes."""

    key: str
    title: str
    reference: str
    start: str  # the event's (first) date
    end: str | None  # its last date, if the dataset has one
    sides: tuple[str, str]
    country: str
    admin: str
    deaths: str
    precision: str
    precision_codes: tuple[int, int]  # lowest and highest valid code
    imprecise_from: int | None  # codes from here on place the event in no admin-1 unit
    date_formats: tuple[str, ...]
    date_help: str  # the formats as a user reads them
    event_type: str | None = None
    violent_types: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns ingest reads; a file without one of them is malformed."""
        names = (self.start, self.end, *self.sides, self.country, self.admin, self.deaths)
        return tuple(c for c in (*names, self.precision, self.event_type) if c)


GED = Dataset(
    key="ged",
    title="UCDP GED",
    reference="https://ucdp.uu.se/downloads/ (UCDP Georeferenced Event Dataset, CC BY 4.0)",
    start="date_start",
    end="date_end",
    sides=("side_a", "side_b"),
    country="country",
    admin="adm_1",
    deaths="best",
    precision="where_prec",
    precision_codes=(1, 7),
    imprecise_from=6,  # 6: the country only; 7: international waters or airspace
    date_formats=("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"),
    date_help="YYYY-MM-DD, optionally with a time as in 2022-03-15 00:00:00.000",
)
ACLED = Dataset(
    key="acled",
    title="ACLED",
    reference="https://acleddata.com/ (ACLED export)",
    start="event_date",
    end=None,
    sides=("actor1", "actor2"),
    country="country",
    admin="admin1",
    deaths="fatalities",
    precision="geo_precision",
    precision_codes=(1, 3),
    imprecise_from=None,  # 3 is a provincial capital or region: admin-1 is still known
    date_formats=("%Y-%m-%d", "%d %B %Y"),
    date_help="YYYY-MM-DD or a day as in 15 March 2022",
    event_type="event_type",
    violent_types=("Battles", "Explosions/Remote violence", "Violence against civilians"),
)
DATASETS = {d.key: d for d in (GED, ACLED)}

# Each event gets the first fate whose test it meets; `counted` is the default.
RULES = {
    "outside_period": (False, "start month before --from or after --until"),
    "outside_countries": (False, "country is not one of the scenario's regions' countries"),
    "not_political_violence": (
        False,
        "ACLED event type other than Battles, Explosions/Remote violence and Violence "
        "against civilians (protests, riots, strategic developments)",
    ),
    "unmapped_actors": (False, "neither side maps to a scenario actor (in that month)"),
    "imprecise_location": (
        False,
        "GED where_prec 6-7 (country only, international waters or airspace) or no admin-1 "
        "name: the region is unknown",
    ),
    "unmapped_admin_units": (
        False,
        "admin-1 unit not in [regions], in a country without a [countries] catch-all",
    ),
    "counted": (True, "counted in a region, once for each scenario actor on either side"),
    "catch_all_region": (True, "admin-1 unit not in [regions]: counted in its country's region"),
    "spanning_months": (True, "GED date_start and date_end in different months: start month"),
    "admin1_precision": (True, "ACLED geo_precision 3 (provincial capital or region): counted"),
}
