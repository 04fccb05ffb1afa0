"""resurgence: simulate, measure and forecast how an armed group survives a host state's
counter-terrorism campaign.

The Python API (`import resurgence as rs`)::

    scenario = rs.scenario("isk")
    result = rs.run(scenario, replicas=1000, seed=7)
    result.probability, result.summary, result.ensemble
    result.write("runs/isk"); result.report()

Every workflow of the command line is a function here and returns a result object with
its data as pandas or xarray and `.write(dir)`; the results of run, compare, sensitivity
and discover also have `.report()` (the HTML report). Names are imported on first use, so
`import resurgence` (and the command line's start) stays fast.
"""

from importlib import import_module

__version__ = "0.1.0"

_API = {
    "scenario": "resurgence.workflows.api",
    "run": "resurgence.workflows.run",
    "compare": "resurgence.workflows.compare",
    "sensitivity": "resurgence.workflows.sensitivity",
    "discover": "resurgence.workflows.discover",
    "conditions": "resurgence.workflows.conditions",
    "calibrate": "resurgence.workflows.calibrate",
    "forecast": "resurgence.workflows.measurement",
    "backtest": "resurgence.workflows.measurement",
    "nowcast": "resurgence.workflows.measurement",
    "check": "resurgence.workflows.check",
    "Settings": "resurgence.workflows.settings",
    "Definition": "resurgence.analysis.resurgence",
    "read_run": "resurgence.workflows.api",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        value = getattr(import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'resurgence' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
