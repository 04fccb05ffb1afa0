"""The flagship with markup in its texts, for the tests that pages show text as text."""

from __future__ import annotations

import json
from pathlib import Path

from resurgence.scenarios.load import builtin_scenarios

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
EVIL_TITLE = f"Evil {SCRIPT} & {IMG}"
EVIL_LABEL = f"Prison releases {SCRIPT} {IMG}"
EVIL_REGION = "Nangarhar <b onmouseover=alert(1)>x</b>"
EVIL_CONDITION = f"Whether markup runs: {IMG}"


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string


def evil_scenario(path: Path) -> Path:
    """The flagship scenario with markup in its title, an event label, a region label and
    a condition's description (the scenario's name must match [a-z][a-z0-9_]*, so markup
    cannot go there)."""
    text = builtin_scenarios()["isk"].read_text(encoding="utf-8")
    replacements = {
        'title = "IS-K under the Taliban\'s counter-terrorism, 2021-2026"': (
            f"title = {_toml_string(EVIL_TITLE)}"
        ),
        'label = "Prison releases at the takeover"': f"label = {_toml_string(EVIL_LABEL)}",
        'label = "Nangarhar"': f"label = {_toml_string(EVIL_REGION)}",
        "description = \"Whether the host's relative unity against the group gives way to "
        'infighting."': f"description = {_toml_string(EVIL_CONDITION)}",
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return path
