"""The model description stays in step with the code."""

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
