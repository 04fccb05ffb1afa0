"""What machine a benchmark ran on, for the header of its RESULTS file."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import sys


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    return f"{os.cpu_count()} logical, {usable} usable by this process"


def header_lines(versions: str) -> list[str]:
    """Markdown bullet lines: date, command, CPU, cores, load, Python with `versions`
    (e.g. 'numpy 2.4.6; SALib 1.5.1'), OS."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        f"- Date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
        f"- Command: `{shlex.join([sys.executable, *sys.argv])}`",
        f"- CPU: {cpu_name()}",
        f"- Cores: {cores()}",
        f"- Load average before the run (1, 5, 15 min): {load}",
        f"- Python: {platform.python_version()}; {versions}",
        f"- OS: {platform.platform()}",
    ]
