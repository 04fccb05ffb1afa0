"""The columns of an evidence file and the measures it may hold.

One row is one figure as it was printed: `period_start`..`period_end` (YYYY-MM,
inclusive), the area it covers (`region`: scenario region names joined by '+', or, when
empty, `country`: country names joined by '+', matched against the scenario's regions),
the actor (`actor`: a scenario actor; empty means the scenario's focal group), the
`measure`, and `value_low`..`value_high` (equal for a single figure; an empty low means
"at most high", an empty high "at least low"). `source_title`, `source_url_or_ref` and
`verified` say where the figure comes from.
"""

COLUMNS = (
    "period_start",
    "period_end",
    "country",
    "region",
    "actor",
    "measure",
    "value_low",
    "value_high",
    "source_title",
    "source_url_or_ref",
    "verified",
)

REQUIRED = ("period_start", "period_end", "measure", "value_low", "value_high")

MEASURES = {
    "attacks_claimed": "attacks the group claimed",
    "attacks_recorded": "attacks a monitor (the UN, a dataset) recorded",
    "fatalities": "deaths in the group's attacks",
    "casualties": "deaths and injuries in the group's attacks",
    "fighters_estimate": "estimated members of the group (a range)",
    "isk_losses_killed": "the group's members killed",
    "isk_losses_captured": "the group's members captured",
}
