"""The HTML report of a run: one self-contained page with embedded Plotly charts.

`build_report(run_dir)` returns the page (and the ids of its charts); `write_report`
writes it. See `build` for what the page shows, `charts` for the figures and `template`
for the page (Jinja2 with autoescape on).
"""

from resurgence.report.build import REPORT, Report, build_report, write_report

__all__ = ["REPORT", "Report", "build_report", "write_report"]
