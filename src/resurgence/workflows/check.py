"""`rs.check`: the model against published stylized facts of armed groups."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from resurgence import store
from resurgence.analysis import stylized_check
from resurgence.errors import ResurgenceError
from resurgence.workflows.prepare import command_line, refuse_unused
from resurgence.workflows.result import Result, manifest_header
from resurgence.workflows.settings import Settings, settings_of

SEED = 1  # the seed of the documented table (docs/validation.md)
STAGES = 7  # simulations and groups of facts `run_check` reports as it completes them


@dataclasses.dataclass
class CheckResult(Result):
    """One row per stylized fact, and the Markdown page the rows make.

    `table`: `scope` (which simulations), `fact`, `source`, `published`, `simulated` (with
    its 95% interval), `verdict` ('pass', 'FAIL' or 'n/a': reported, not tested), `rule`
    and `note`. `markdown`: docs/validation.md as this check writes it. The check is not a
    run directory: `write(path)` writes the Markdown file, and there is no HTML report.
    """

    rows: list[stylized_check.Row]
    markdown: str

    @property
    def table(self) -> pd.DataFrame:
        columns = ["scope", "fact", "source", "published", "simulated", "verdict", "rule", "note"]
        return pd.DataFrame([dataclasses.asdict(r) for r in self.rows], columns=columns)

    def write(self, out: str | Path) -> Path:
        """Write the Markdown table to the file `out` (docs/validation.md is the
        documented one)."""
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        store.write_text(out, self.markdown)
        self.out = out
        return out

    def report(self, out: str | Path | None = None) -> Path:
        raise ResurgenceError(
            "the HTML report covers the directories of run, compare, sensitivity and "
            "discover; the check's report is its Markdown page (`write(path)`)"
        )


def check(
    settings: Settings | None = None,
    *,
    sample: int = 200,
    on_stage: Callable[[str, int | None], None] | None = None,
    command: str | None = None,
    **changes,
) -> CheckResult:
    """Does the model reproduce what is published about armed groups in general?

    Runs a generic family of small groups at their founding (the builtin `generic`
    scenario, key parameters drawn by a Latin hypercube over their declared ranges, one
    replica per group), its religious variant, and the flagship scenario (`isk`), and
    measures each fact: its source, the published value or band, the simulated value with
    its 95% interval, and pass or FAIL under the row's rule. Nothing is tuned to pass. The
    check takes no scenario: its families and its flagship are fixed, so its table is
    comparable from one version of the model to the next.

    Arguments: `settings` (or keyword `changes`) give the groups in the family and the
    flagship's replicas (`replicas`, at least 20), the seed (default 1, the documented
    table's) and the workers. `sample`: groups whose event times are simulated for the
    self-excitation and progress-curve rows (at least 5). `on_stage(label, total)` is
    called as the check starts (its 7 stages) and as each stage completes (with its label
    and None), and `settings.progress` counts the stages. `command` is the command line
    the Markdown page names (default: the equivalent one).

    Returns a `CheckResult`: `.table`, `.rows`, `.markdown`, `.manifest`, `.write(path)`
    (the Markdown page).

    Example::

        result = rs.check(replicas=200, sample=50)
        result.table.query("verdict == 'FAIL'")
    """
    settings = settings_of(settings or Settings(seed=SEED), **changes)
    refuse_unused(
        settings,
        "check",
        "months",
        "policies",
        "conditions",
        "definition",
        "posterior",
        "chunk_size",
        "dask_address",
        "dask_local",
    )
    if settings.replicas < 20:
        raise ResurgenceError("--replicas: the check needs at least 20 groups")
    if sample < 5:
        raise ResurgenceError("--sample: the check needs at least 5 groups")
    if on_stage is not None:
        on_stage("simulating", STAGES)

    def completed(label: str, steps: int) -> None:
        if on_stage is not None:
            on_stage(label, None)
        if settings.progress is not None:
            settings.progress(steps)

    found = stylized_check.run_check(
        settings.replicas,
        settings.seed,
        workers=settings.workers,
        sample=sample,
        progress=completed,
    )
    command = command or command_line(
        "check", "", replicas=settings.replicas, seed=settings.seed, sample=sample
    )
    verdicts = [r.verdict for r in found.rows]
    manifest = manifest_header("check", command) | {
        "settings": found.settings,
        "results": {
            "pass": verdicts.count("pass"),
            "FAIL": verdicts.count("FAIL"),
            "reported": len(verdicts) - verdicts.count("pass") - verdicts.count("FAIL"),
        },
    }
    return CheckResult(manifest, found.rows, stylized_check.markdown(found, command))
