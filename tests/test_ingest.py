"""`resurgence ingest`: event files in UCDP GED's and ACLED's real column formats, counted
by hand, and every kind of malformed input ending in exit code 2 with a message that
names the problem."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from resurgence.cli import app
from resurgence.evidence.columns import COLUMNS
from resurgence.evidence.mapping import load_mapping, normalise, normalise_admin
from resurgence.scenarios.load import builtin_scenarios, load_scenario

WIDE = "250"
GED_COLUMNS = (  # noqa: SIM905 (the header as a file writes it)
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,"
    "conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,"
    "side_b_dset_id,side_b_new_id,side_b,number_of_sources,source_article,source_office,"
    "source_date,source_headline,source_original,where_prec,where_coordinates,"
    "where_description,adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,"
    "country_id,region,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,"
    "deaths_civilians,deaths_unknown,best,high,low,gwnoa,gwnob"
).split(",")
ACLED_COLUMNS = (  # noqa: SIM905
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,"
    "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,"
    "iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,"
    "source,source_scale,notes,fatalities,tags,timestamp"
).split(",")
ISK_MAPPING = builtin_scenarios()["isk"].with_name("isk.mapping.toml")


def ged(rows: list[tuple]) -> list[dict]:
    """GED rows from (date_start, date_end, side_a, side_b, country, adm_1, best,
    where_prec); the other columns get plausible values."""
    out = []
    for i, (start, end, side_a, side_b, country, adm_1, best, prec) in enumerate(rows, 1):
        row = dict.fromkeys(GED_COLUMNS, "")
        row.update(
            id=str(i),
            type_of_violence="1" if side_b != "Civilians" else "3",
            dyad_name=f"{side_a} - {side_b}",
            side_a=side_a,
            side_b=side_b,
            source_headline="Blast, in the city; 2 killed",
            country=country,
            adm_1=adm_1,
            region="Asia",
            date_start=start,
            date_end=end,
            best=str(best),
            low=str(best),
            high=str(best),
            where_prec=str(prec),
        )
        out.append(row)
    return out


def acled(rows: list[tuple]) -> list[dict]:
    """ACLED rows from (event_date, event_type, actor1, actor2, country, admin1,
    fatalities, geo_precision)."""
    out = []
    for i, (date, kind, actor1, actor2, country, admin1, deaths, prec) in enumerate(rows, 1):
        row = dict.fromkeys(ACLED_COLUMNS, "")
        row.update(
            event_id_cnty=f"AFG{i}",
            event_date=date,
            event_type=kind,
            actor1=actor1,
            actor2=actor2,
            country=country,
            admin1=admin1,
            region="Caspian",
            notes="A bomb, placed by the group, exploded.",
            fatalities=str(deaths),
            geo_precision=str(prec),
        )
        out.append(row)
    return out


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def invoke(args: list[str]):
    """The app in-process; an escaped exception (not the CLI's exit) is a crash."""
    result = CliRunner().invoke(app, ["ingest", *map(str, args)], env={"COLUMNS": WIDE})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def nonzero(out: Path) -> dict[tuple, int]:
    """(month, region, actor, measure) -> value of the rows that are not zero."""
    frame = pd.read_csv(out, dtype=str)
    assert list(frame.columns) == list(COLUMNS)
    assert (frame["period_start"] == frame["period_end"]).all()
    assert (frame["value_low"] == frame["value_high"]).all()
    assert (frame["verified"] == "ingested").all()
    kept = frame[frame["value_low"] != "0"]
    return {
        (r.period_start, r.region, r.actor, r.measure): int(r.value_low) for r in kept.itertuples()
    }


def rules(report: dict) -> dict[str, dict]:
    return {r["rule"]: r for r in report["rules"]}


# ---------------------------------------------------------------- counting


GED_EVENTS = [
    # counted: IS-K in Nangarhar, January (3 deaths) and February (2 deaths)
    ("2022-01-05", "2022-01-05", "IS", "Civilians", "Afghanistan", "Nangarhar province", 3, 1),
    ("2022-02-10", "2022-02-10", "IS", "Civilians", "Afghanistan", "Nangarhar province", 2, 1),
    # counted in its start month (January), for both sides: IS-K and the Taliban in Kabul
    (
        "2022-01-28 00:00:00.000",
        "2022-02-02 00:00:00.000",
        "Government of Afghanistan",
        "IS",
        "Afghanistan",
        "Kabul province",
        4,
        2,
    ),
    # Helmand is in no [regions] entry: Afghanistan's catch-all, `rest`
    ("2022-02-11", "2022-02-11", "IS", "Civilians", "Afghanistan", "Helmand province", 1, 3),
    # not counted: country-only precision (even with an admin-1 name); an admin unit with no
    # region and no catch-all; an unmapped actor; a country outside the scenario
    ("2022-02-12", "2022-02-12", "IS", "Civilians", "Afghanistan", "Kabul province", 7, 6),
    ("2022-02-15", "2022-02-15", "IS", "Civilians", "Pakistan", "Balochistan province", 5, 1),
    ("2022-01-20", "2022-01-20", "Hizb-i Islami", "Civilians", "Afghanistan", "Kunar", 9, 1),
    ("2022-02-20", "2022-02-20", "IS", "Civilians", "Syria", "Aleppo governorate", 6, 1),
]


def test_ged_counts_per_month_region_and_actor(tmp_path):
    events = write_csv(tmp_path / "ged241.csv", ged(GED_EVENTS), GED_COLUMNS)
    out = tmp_path / "isk_ged.csv"
    result = invoke(["isk", events, "--out", out])
    assert result.exit_code == 0, result.stderr
    assert nonzero(out) == {
        ("2022-01", "nangarhar", "isk", "attacks_recorded"): 1,
        ("2022-01", "nangarhar", "isk", "fatalities"): 3,
        ("2022-01", "kabul", "isk", "attacks_recorded"): 1,
        ("2022-01", "kabul", "isk", "fatalities"): 4,
        ("2022-01", "kabul", "taliban", "attacks_recorded"): 1,
        ("2022-01", "kabul", "taliban", "fatalities"): 4,
        ("2022-02", "nangarhar", "isk", "attacks_recorded"): 1,
        ("2022-02", "nangarhar", "isk", "fatalities"): 2,
        ("2022-02", "rest", "isk", "attacks_recorded"): 1,
        ("2022-02", "rest", "isk", "fatalities"): 1,
    }
    frame = pd.read_csv(out)
    # zeros too: 2 months x 8 regions x 7 mapped GED actors x 2 measures
    assert len(frame) == 2 * 8 * 7 * 2
    assert set(frame["source_title"]) == {"UCDP GED file ged241.csv, 4 events"}
    assert set(frame.loc[frame["region"] == "khyber_pakhtunkhwa", "country"]) == {"Pakistan"}


def test_ged_report_counts_every_rule(tmp_path):
    events = write_csv(tmp_path / "ged241.csv", ged(GED_EVENTS), GED_COLUMNS)
    out = tmp_path / "isk_ged.csv"
    result = invoke(["isk", events, "--out", out])
    assert result.exit_code == 0, result.stderr
    report = json.loads((tmp_path / "isk_ged.csv.report.json").read_text())["files"][0]
    found = rules(report)
    assert report["events_read"] == 8 and report["events_counted"] == 4
    assert (report["first_month"], report["last_month"]) == ("2022-01", "2022-02")
    assert found["imprecise_location"]["top"] == {"Afghanistan / Kabul province": 1}
    assert found["unmapped_admin_units"]["top"] == {"Pakistan / Balochistan province": 1}
    assert found["unmapped_actors"]["top"] == {"Hizb-i Islami": 1, "Civilians": 1}
    assert found["outside_countries"]["top"] == {"Syria": 1}
    assert found["catch_all_region"]["top"] == {"Afghanistan / Helmand province": 1}
    assert found["spanning_months"]["events"] == 1
    assert found["outside_period"]["events"] == 0
    # every event has exactly one fate: the rules not counted plus `counted` add up
    fates = sum(r["events"] for r in report["rules"] if not r["counted"])
    assert fates + found["counted"]["events"] == report["events_read"]
    assert "imprecise_location" in result.stdout and "Balochistan" in result.stdout


GOVERNMENT_EVENTS = [
    # the Republic's government, before the takeover: only IS-K counts
    ("2020-05-01", "2020-05-01", "Government of Afghanistan", "IS", "Afghanistan",
     "Kunar province", 2, 1),
    # Government of Afghanistan and Taleban are one actor from 2021-08: counted once
    ("2021-08-10", "2021-08-10", "Government of Afghanistan", "Taleban", "Afghanistan",
     "Kunar province", 1, 1),
]  # fmt: skip


def test_actor_names_hold_only_in_their_months_and_count_once_per_event(tmp_path):
    events = write_csv(tmp_path / "ged.csv", ged(GOVERNMENT_EVENTS), GED_COLUMNS)
    out = tmp_path / "out.csv"
    result = invoke(["isk", events, "--out", out])
    assert result.exit_code == 0, result.stderr
    assert nonzero(out) == {
        ("2020-05", "kunar", "isk", "attacks_recorded"): 1,
        ("2020-05", "kunar", "isk", "fatalities"): 2,
        ("2021-08", "kunar", "taliban", "attacks_recorded"): 1,
        ("2021-08", "kunar", "taliban", "fatalities"): 1,
    }


ACLED_EVENTS = [
    ("15 March 2022", "Explosions/Remote violence", "Islamic State (Afghanistan)",
     "Civilians (Afghanistan)", "Afghanistan", "Nangarhar", 2, 1),
    # geo_precision 3 still names the province: counted
    ("2022-04-02", "Battles", "Military Forces of Afghanistan (2021-)",
     "Islamic State (Afghanistan)", "Afghanistan", "Kunar", 5, 3),
    # not political violence: not counted
    ("2022-04-03", "Strategic developments", "Military Forces of Afghanistan (2021-)",
     "Islamic State (Afghanistan)", "Afghanistan", "Kunar", 0, 1),
    ("2022-04-20", "Violence against civilians", "TTP: Tehrik-i-Taliban Pakistan",
     "Civilians (Pakistan)", "Pakistan", "Khyber Pakhtunkhwa", 1, 2),
    # no admin-1 name: the region is unknown, not Afghanistan's catch-all
    ("2022-04-21", "Battles", "Islamic State (Afghanistan)", "Taliban", "Afghanistan", "", 3, 3),
]  # fmt: skip


def test_acled_counts_and_rules(tmp_path):
    events = write_csv(tmp_path / "acled.csv", acled(ACLED_EVENTS), ACLED_COLUMNS)
    out = tmp_path / "isk_acled.csv"
    result = invoke(["isk", events, "--out", out])
    assert result.exit_code == 0, result.stderr
    assert nonzero(out) == {
        ("2022-03", "nangarhar", "isk", "attacks_recorded"): 1,
        ("2022-03", "nangarhar", "isk", "fatalities"): 2,
        ("2022-04", "kunar", "isk", "attacks_recorded"): 1,
        ("2022-04", "kunar", "isk", "fatalities"): 5,
        ("2022-04", "kunar", "taliban", "attacks_recorded"): 1,
        ("2022-04", "kunar", "taliban", "fatalities"): 5,
        ("2022-04", "khyber_pakhtunkhwa", "ttp", "attacks_recorded"): 1,
        ("2022-04", "khyber_pakhtunkhwa", "ttp", "fatalities"): 1,
    }
    found = rules(json.loads(Path(f"{out}.report.json").read_text())["files"][0])
    assert found["not_political_violence"]["top"] == {"Strategic developments": 1}
    assert found["admin1_precision"]["events"] == 1
    assert found["imprecise_location"]["top"] == {"Afghanistan / (none)": 1}
    assert "spanning_months" not in found


def test_ged_and_acled_combined_keep_one_row_per_dataset(tmp_path):
    ged_file = write_csv(tmp_path / "ged.csv", ged(GED_EVENTS[:1]), GED_COLUMNS)
    rows = acled([("2022-01-09", "Battles", "Islamic State (Afghanistan)", "Taliban",
                   "Afghanistan", "Nangarhar", 7, 1)])  # fmt: skip
    acled_file = write_csv(tmp_path / "acled.csv", rows, ACLED_COLUMNS)
    out = tmp_path / "both.csv"
    result = invoke(["isk", ged_file, acled_file, "--out", out])
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(out)
    cell = frame[
        (frame["region"] == "nangarhar")
        & (frame["actor"] == "isk")
        & (frame["measure"] == "fatalities")
    ]
    assert sorted(zip(cell["source_title"], cell["value_low"], strict=True)) == [
        ("ACLED file acled.csv, 1 event", 7),
        ("UCDP GED file ged.csv, 1 event", 3),
    ]


def test_from_and_until_bound_the_months(tmp_path):
    events = write_csv(tmp_path / "ged.csv", ged(GED_EVENTS), GED_COLUMNS)
    out = tmp_path / "feb.csv"
    result = invoke(["isk", events, "--out", out, "--from", "2022-02", "--until", "2022-02"])
    assert result.exit_code == 0, result.stderr
    assert set(pd.read_csv(out)["period_start"]) == {"2022-02"}
    report = json.loads(Path(f"{out}.report.json").read_text())["files"][0]
    assert rules(report)["outside_period"]["events"] == 3  # January's, the spanning one too


def test_header_case_bom_and_format_option(tmp_path):
    """Old ACLED exports have upper-case headers; Excel adds a byte-order mark."""
    path = tmp_path / "upper.csv"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=[c.upper() for c in ACLED_COLUMNS])
    writer.writeheader()
    writer.writerows({k.upper(): v for k, v in r.items()} for r in acled(ACLED_EVENTS[:1]))
    path.write_bytes(b"\xef\xbb\xbf" + text.getvalue().encode("utf-8"))
    out = tmp_path / "out.csv"
    result = invoke(["isk", path, "--out", out, "--format", "acled"])
    assert result.exit_code == 0, result.stderr
    assert nonzero(out)[("2022-03", "nangarhar", "isk", "attacks_recorded")] == 1


# ---------------------------------------------------------------- malformed input


def _missing_best(path: Path) -> None:
    write_csv(path, ged(GED_EVENTS), [c for c in GED_COLUMNS if c != "best"])


def _bad_date(path: Path) -> None:
    rows = ged(GED_EVENTS)
    rows[1]["date_start"] = "2022-02-31"
    write_csv(path, rows, GED_COLUMNS)


def _latin1(path: Path) -> None:
    text = io.StringIO()
    rows = ged(GED_EVENTS)
    rows[2]["adm_1"] = "Kábul province"
    writer = csv.DictWriter(text, fieldnames=GED_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(text.getvalue().encode("latin-1"))


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ged241.csv", "id,date_start\n1,2022-01-01\n")


def _unquoted_comma(path: Path) -> None:
    write_csv(path, ged(GED_EVENTS), GED_COLUMNS)
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("Nangarhar province", "Jalalabad, Nangarhar province")
    path.write_text("".join(lines))


MALFORMED = {
    "missing columns": (_missing_best, ["missing column(s) best", "UCDP GED"]),
    "bad date": (_bad_date, ["row 2", "date_start", "'2022-02-31'", "not a date"]),
    "wrong encoding": (_latin1, [":4:", "not UTF-8", "0xE1"]),
    "empty file": (lambda p: p.write_bytes(b""), ["empty"]),
    "header only": (lambda p: write_csv(p, [], GED_COLUMNS), ["header but no events"]),
    "not CSV": (lambda p: p.write_text("just some notes\nand more\n"), ["not a CSV", "commas"]),
    "zip archive": (_zip, ["ZIP archive"]),
    "unquoted comma": (_unquoted_comma, [":3:", "50 fields where the header has 49", "quotes"]),
    "negative deaths": (
        lambda p: write_csv(p, ged([(*GED_EVENTS[0][:6], -1, 1)]), GED_COLUMNS),
        ["row 1", "best", "'-1'"],
    ),
    "where_prec out of range": (
        lambda p: write_csv(p, ged([(*GED_EVENTS[0][:7], 9)]), GED_COLUMNS),
        ["where_prec", "'9'", "1 to 7"],
    ),
}


@pytest.mark.parametrize("kind", MALFORMED)
def test_malformed_file_exits_2_naming_the_problem(tmp_path, kind):
    make, expected = MALFORMED[kind]
    path = tmp_path / "events.csv"
    make(path)
    out = tmp_path / "out.csv"
    result = invoke(["isk", path, "--out", out])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    message = " ".join(result.stderr.split())
    assert message.startswith(f"error: {path}"), message
    for part in expected:
        assert part in message, (part, message)
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--from", "2022-13"], "--from: expected a month as YYYY-MM"),
        (["--from", "2022-05", "--until", "2022-01"], "after --until"),
        (["--format", "xls"], "--format: expected ged or acled"),
        (["--format", "acled"], "missing column(s) event_date"),
    ],
)
def test_bad_options_exit_2(tmp_path, args, expected):
    events = write_csv(tmp_path / "ged.csv", ged(GED_EVENTS[:1]), GED_COLUMNS)
    result = invoke(["isk", events, "--out", tmp_path / "out.csv", *args])
    assert result.exit_code == 2, result.stdout
    assert expected in result.stderr


# ---------------------------------------------------------------- the mapping


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ('[regions]\nNangarhar = "nangarhr"\n', ":2: regions.Nangarhar: unknown region 'nangarhr'"),
        ('[ged.actors]\nIS = "daesh"\n', ":2: ged.actors.IS: unknown actor 'daesh'"),
        ('[ged.actors]\nX = { actor = "isk", from = "2021" }\n', "expected a month as YYYY-MM"),
        ('[ged.actors]\nX = { actor = "isk", from = "2022-01", until = "2021-12" }\n', "after"),
        ("[places]\n", ":1: places: unknown table"),
        ('[countries]\nPakistan = "rest"\n', "region 'rest' lies in 'Afghanistan'"),
        ('[regions]\nKunar = "kunar"\n"KUNAR province" = "kabul"\n', "mapped apart"),
        ("[regions\n", "TOML syntax error"),
    ],
)
def test_bad_mapping_exits_2(tmp_path, mapping, expected):
    path = tmp_path / "my.mapping.toml"
    path.write_text(mapping, encoding="utf-8")
    events = write_csv(tmp_path / "ged.csv", ged(GED_EVENTS[:1]), GED_COLUMNS)
    result = invoke(["isk", events, "--out", tmp_path / "out.csv", "--mapping", path])
    assert result.exit_code == 2, result.stdout
    assert str(path) in result.stderr and expected in result.stderr


def test_mapping_is_found_beside_a_scenario_file(tmp_path):
    scenario = tmp_path / "mine.toml"
    scenario.write_bytes(builtin_scenarios()["isk"].read_bytes())
    events = write_csv(tmp_path / "ged.csv", ged(GED_EVENTS[:1]), GED_COLUMNS)
    out = tmp_path / "out.csv"
    result = invoke([scenario, events, "--out", out])
    assert result.exit_code == 2 and "mine.mapping.toml: no mapping file" in result.stderr
    (tmp_path / "mine.mapping.toml").write_text(
        '[regions]\nNangarhar = "nangarhar"\n[ged.actors]\nIS = "isk"\n', encoding="utf-8"
    )
    result = invoke([scenario, events, "--out", out])
    assert result.exit_code == 0, result.stderr
    assert len(pd.read_csv(out)) == 2  # one month, one region, one actor, two measures


def test_builtin_mapping_reaches_every_region_from_both_datasets():
    mappings = load_mapping(ISK_MAPPING, load_scenario("isk"))
    regions = {r.name for r in load_scenario("isk").regions}
    for mapping in mappings.values():
        assert {*mapping.regions.values(), *mapping.countries.values()} == regions
        assert "isk" in {rule.actor for rule in mapping.actors.values()}
    assert mappings["ged"].regions[normalise_admin("Kunduz province")] == "north_east"
    assert mappings["acled"].actors[normalise("Islamic State (Afghanistan)")].actor == "isk"


def test_names_are_normalised():
    assert normalise_admin("  Nangarhar   Province ") == "nangarhar"
    assert normalise_admin("Khyber-Pakhtunkhwa") == normalise_admin("khyber pakhtunkhwa")
    assert normalise("Kondúz") == "konduz"
    assert normalise("TTP: Tehrik-i-Taliban Pakistan") == "ttp tehrik i taliban pakistan"
    assert normalise("Province Forces") == "province forces"  # only admin names drop it


def test_help_has_examples():
    result = invoke(["--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout and "resurgence ingest isk ged251.csv" in result.stdout
