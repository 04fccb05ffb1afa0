"""Runs the page asks for: the levers' run and its baseline on the same random numbers.

Every answer pairs two runs of the same replicas from the same seed: the baseline (no
policy, every condition at the scenario's values) and the run with the user's levers.
Replica i draws the same random numbers in both, so the paired difference of their
resurgence indicators is the levers' effect, with Newcombe's interval; levers at the
baseline give a difference of exactly 0. Baselines are kept (a few, by their settings),
so moving a lever runs one ensemble, not two; the page's default baseline is run as the
page starts (`prepare`).

The page sends a new request whenever a control moves, and an analyst drags sliders: a
request takes a ticket, and a run whose ticket is no longer the newest stops at its next
chunk (`Superseded`), so the newest change is answered first. Progress is counted in
replicas across both runs of the newest request, for the page's indicator.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from resurgence.analysis.compare import paired_difference
from resurgence.analysis.resurgence import first_hit, measure_series, wilson_interval
from resurgence.explore.levers import Levers
from resurgence.workflows.run import RunResult, run

KEPT_BASELINES = 4


class Superseded(Exception):
    """A newer request came in; this one's run stopped."""


@dataclass(frozen=True)
class Answer:
    """Both runs of a request and what the page shows of them."""

    levers: Levers
    baseline: RunResult
    result: RunResult
    base_p: tuple[float, float, float]  # estimate, low, high
    lever_p: tuple[float, float, float]
    difference: tuple[float, float, float]  # levers - baseline, low, high (paired)


@dataclass
class Progress:
    ticket: int = 0
    done: int = 0
    total: int = 0
    running: bool = False


class Runner:
    """Answers the page's requests for one scenario, newest first."""

    def __init__(self, source: str) -> None:
        self.source = source  # a builtin name or a scenario file, as the saved command says
        self._lock = threading.Lock()
        self._progress = Progress()
        self._baselines: OrderedDict[Levers, RunResult] = OrderedDict()
        self._preparing: dict[Levers, threading.Event] = {}
        self.last: Answer | None = None

    def prepare(self, levers: Levers) -> None:
        """Run and keep the baseline of `levers` before anyone asks (the page does it as
        it starts, so that its first answer is one run, not two); a request that needs
        this baseline meanwhile waits for it rather than running it again."""
        key = levers.baseline()
        with self._lock:
            if key in self._baselines or key in self._preparing:
                return
            done = self._preparing[key] = threading.Event()
        try:
            self._keep(key, run(self.source, key.settings()))
        finally:
            with self._lock:
                del self._preparing[key]
            done.set()

    def progress(self) -> Progress:
        with self._lock:
            return Progress(**vars(self._progress))

    def ticket(self) -> int:
        """A new request: every older one still running stops at its next chunk."""
        with self._lock:
            self._progress = Progress(self._progress.ticket + 1)
            return self._progress.ticket

    def answer(self, levers: Levers, ticket: int) -> Answer:
        """The levers' run against its baseline; raises `Superseded` if a newer request
        arrives first."""
        base_levers = levers.baseline()
        with self._lock:
            preparing = self._preparing.get(base_levers)
        if preparing is not None:
            preparing.wait()
        with self._lock:
            baseline = self._baselines.get(base_levers)
            self._progress.total = levers.replicas * (1 if baseline is not None else 2)
            self._progress.running = True
        try:
            if baseline is None:
                baseline = self._run(base_levers, ticket)
                self._keep(base_levers, baseline)
            result = self._run(levers, ticket)
        finally:
            with self._lock:
                if self._progress.ticket == ticket:
                    self._progress.running = False
        answer = _compare(levers, baseline, result)
        with self._lock:
            if self._progress.ticket == ticket:
                self.last = answer
        return answer

    def _run(self, levers: Levers, ticket: int) -> RunResult:
        def advance(n: int) -> None:
            with self._lock:
                if self._progress.ticket != ticket:
                    raise Superseded
                self._progress.done += n

        settings = levers.settings().but(progress=advance)
        return run(self.source, settings)

    def _keep(self, levers: Levers, baseline: RunResult) -> None:
        with self._lock:
            self._baselines[levers] = baseline
            while len(self._baselines) > KEPT_BASELINES:
                self._baselines.popitem(last=False)


def _compare(levers: Levers, baseline: RunResult, result: RunResult) -> Answer:
    definition = result.probability.definition
    months = list(result.model.months)
    hits = [
        first_hit(measure_series(r.ensemble, definition), definition, months) >= 0
        for r in (baseline, result)
    ]
    return Answer(
        levers,
        baseline,
        result,
        _proportion(hits[0]),
        _proportion(hits[1]),
        paired_difference(hits[0], hits[1]),
    )


def _proportion(hits: np.ndarray) -> tuple[float, float, float]:
    low, high = wilson_interval(int(hits.sum()), hits.size)
    return float(hits.mean()), low, high
