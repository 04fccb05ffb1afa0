"""The model description stays in step with the code."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_parameter_tables_in_model_doc_match_the_processes():
    script = ROOT / "docs" / "make_model_tables.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, (
        f"docs/model.md is out of date; run `python {script.relative_to(ROOT)}`\n"
        + proc.stdout
        + proc.stderr
    )


# Citations of the analysis outside the repository, which a reader of the repository cannot
# follow: its old file name, or a path into a directory beside the repository.
OUTSIDE = re.compile(r"SYSTEM\.md|\.\./shared[/]|(?<![\w/])shared[/]")
# `background.md §3`, `background.md §6, §7 and §8`, `background.md` §5, condition 3, and §6
CITATION = re.compile(
    r"background\.md`?\s+(§\d+(?:(?:, condition \d,? (?:and )?|,? and |, )§\d+)*)"
)
TEXT = {".py", ".md", ".toml", ".csv", ".txt", ".json", ".yaml", ".yml", ".cfg"}


def _project_texts():
    """Every text file of the repository a reader sees: code, scenarios, docs and tests."""
    files = [ROOT / "README.md"]
    for top in ("src", "docs", "tests", "benchmarks"):
        files += [
            f
            for f in sorted((ROOT / top).rglob("*"))
            if f.suffix in TEXT
            and f.is_file()
            and not any(p.endswith(".egg-info") or p == "__pycache__" for p in f.parts)
        ]
    return [(f.relative_to(ROOT), f.read_text(encoding="utf-8")) for f in files]


def test_the_analysis_is_cited_in_the_repository_and_each_section_exists():
    """The project stands alone: it cites the analysis as docs/background.md, by section."""
    background = (ROOT / "docs" / "background.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^## (\d+)\. ", background, re.MULTILINE))
    outside, unknown = [], []
    for path, text in _project_texts():
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                outside.append(f"{path}:{number}: {line.strip()}")
        # docs/model.md cites the analysis's sections as a bare §N throughout.
        cited = [text] if path == Path("docs/model.md") else CITATION.findall(text)
        for span in cited:
            unknown += [f"{path}: §{n}" for n in re.findall(r"§(\d+)", span) if n not in sections]
    assert not outside, "cite docs/background.md instead:\n" + "\n".join(outside)
    assert not unknown, "no such section in docs/background.md:\n" + "\n".join(unknown)
