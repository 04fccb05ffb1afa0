"""The notebook tour (docs/tour.ipynb) runs top to bottom and answers its four questions."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

TOUR = Path(__file__).resolve().parents[1] / "docs" / "tour.ipynb"


def _outputs(nb, *kinds: str) -> list:
    cells = [c for c in nb.cells if c.cell_type == "code"]
    return [o for c in cells for o in c.outputs if o.output_type in kinds]


def test_the_tour_runs_top_to_bottom(tmp_path):
    nb = nbformat.read(TOUR, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "the tour is kept without outputs"
    )
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    printed = "".join(o.text for o in _outputs(nb, "stream") if o.name == "stdout")
    assert "P(resurgence) = " in printed
    assert "Change in expected attacks a month since 2022-01, by cause:" in printed
    assert "report.html" in printed
    shown = _outputs(nb, "execute_result", "display_data")
    charts = [o for o in shown if "application/vnd.plotly.v1+json" in o.data]
    assert len(charts) == 7
    tables = [o.data["text/html"] for o in shown if "text/html" in o.data]
    assert any("agrees" in t for t in tables)  # the conditions' verdicts
    assert any("reconciliation_deals" in t for t in tables)  # the policies' differences
