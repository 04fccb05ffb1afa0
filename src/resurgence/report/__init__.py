"""The HTML report of a run: one self-contained page with embedded Plotly charts.

`build_report(run_dir)` returns the page (and the ids of its charts); `write_report`
writes it. `page` builds it, one module per kind of run (`run`, `compare`, `sensitivity`,
`discover`) makes its sections and their charts, and `template` is the page itself
(Jinja2 with autoescape on).
"""

from resurgence.report.page import Report, build_report, write_report
from resurgence.store import REPORT

__all__ = ["REPORT", "Report", "build_report", "write_report"]
