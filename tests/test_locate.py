"""Line numbers of key paths in TOML documents, for error messages."""

from resurgence.scenarios.locate import format_loc, key_lines, line_of

DOC = '''# comment
[scenario]
name = "x"
description = """two
lines = not a key"""
start = "2021-08"

[[events]]
month = "2021-09"
label = "first"

[[events]]
month = "2021-10"
label = "second"
actor = "nobody"

[parameters."payroll.salary"]
value = 2
by_region = { kabul = 1, "north" = 2 }

[[policies]]
name = "p"

[[policies.events]]
month = "2022-01"
'''


def test_key_lines():
    lines = key_lines(DOC)
    assert lines[("scenario", "name")] == 3
    assert lines[("scenario", "start")] == 6
    assert ("scenario", "lines") not in lines  # inside a multi-line string
    assert lines[("events", 0)] == 8
    assert lines[("events", 1, "actor")] == 15
    assert lines[("parameters", "payroll.salary", "value")] == 18
    assert lines[("parameters", "payroll.salary", "by_region", "north")] == 19
    assert lines[("policies", 0, "events", 0, "month")] == 25


def test_line_of_falls_back_to_the_enclosing_key():
    lines = key_lines(DOC)
    assert line_of(lines, ("events", 1, "region")) == 12
    assert line_of(lines, ("nothing",)) is None


def test_format_loc():
    assert format_loc(("events", 3, "actor")) == "events[3].actor"
    assert (
        format_loc(("parameters", "payroll.salary", "value")) == 'parameters."payroll.salary".value'
    )
