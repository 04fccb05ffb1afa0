"""Concurrent use of the run catalog: processes registering runs in one DuckDB catalog at
once, with a reader listing it meanwhile; every run ends up in it. The figures are printed
at the end of the session (conftest.py, pytest_terminal_summary).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from helpers.commands import catalog_reads
from helpers.hypothesis_profile import CI
from resurgence import store

WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from resurgence.store import register_run
    catalog, who, count, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    Path(str(go) + "-" + who).touch()  # imported, ready
    while not go.exists():
        time.sleep(0.001)
    for i in range(count):
        register_run(catalog, {
            "run_id": f"{who}-{i:03d}", "created": f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}",
            "scenario": "isk", "policies": who, "seed": i, "replicas": 10, "months": 12,
            "probability": 0.5, "ci_low": 0.4, "ci_high": 0.6, "out_dir": who,
        })
        time.sleep(0.05)  # a gap, as between runs, in which a reader can get in
    print(json.dumps({"registered": count, "end": time.time()}))
    """
)
READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from resurgence.store import list_runs
    catalog, go, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    Path(str(go) + "-reader").touch()  # imported, ready
    while not go.exists():
        time.sleep(0.001)
    counts, starts = [], []
    while not stop.exists():
        starts.append(time.time())
        counts.append(len(list_runs(catalog, 1000)))
        time.sleep(0.01)
    print(json.dumps({"reads": len(counts), "counts": counts, "starts": starts}))
    """
)


def _record(run_id: str, i: int) -> dict:
    return {
        "run_id": run_id,
        "created": f"2023-12-31T00:00:{i:02d}",
        "scenario": "isk",
        "policies": "",
        "seed": i,
        "replicas": 10,
        "months": 12,
        "probability": 0.5,
        "ci_low": 0.4,
        "ci_high": 0.6,
        "out_dir": run_id,
    }


def test_concurrent_registrations_all_land_and_the_catalog_stays_readable(tmp_path, reliability):
    catalog = tmp_path / "catalog.duckdb"
    # The catalog exists already: two processes creating a new one at once is the race
    # test_a_catalog_being_created_by_another_process_is_waited_for documents.
    store.register_run(catalog, _record("existing", 0))
    go, stop = tmp_path / "go", tmp_path / "stop"
    writers_n, each = 2, 20 if CI else 10
    script = [sys.executable, "-c"]
    writers = [
        subprocess.Popen(
            [*script, WRITER, str(catalog), f"w{k}", str(each), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(writers_n)
    ]
    reader = subprocess.Popen(
        [*script, READER, str(catalog), str(go), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready = [Path(f"{go}-{who}") for who in (*(f"w{k}" for k in range(writers_n)), "reader")]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready):  # all imported: they start together
        assert time.monotonic() < deadline
        time.sleep(0.01)
    go.touch()
    ends = []
    for proc in writers:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        ends.append(json.loads(stdout)["end"])
    stop.touch()
    stdout, stderr = reader.communicate(timeout=300)
    assert reader.returncode == 0, stderr
    reads = json.loads(stdout)
    assert reads["reads"] >= 1
    assert reads["counts"] == sorted(reads["counts"]), "a reader saw runs disappear"

    during = sum(start < max(ends) for start in reads["starts"])
    assert during >= 1, "the reader never listed the catalog while the writers wrote"
    runs = store.list_runs(catalog, 1000)
    expected = {"existing"} | {f"w{k}-{i:03d}" for k in range(writers_n) for i in range(each)}
    assert set(runs["run_id"]) == expected
    assert catalog_reads(catalog) == len(expected)  # and so does `resurgence runs`

    # Two real runs finishing together register both.
    env = {**os.environ, "RESURGENCE_CATALOG": str(catalog)}
    small = ["run", "isk", "--replicas", "10", "--months", "3", "--from", "2021-09"]
    small += ["--workers", "1"]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "resurgence",
                *small,
                "--seed",
                str(k),
                "--out",
                str(tmp_path / f"run{k}"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    runs = store.list_runs(catalog, 1000)
    assert len(runs) == len(expected) + 2
    assert {str((tmp_path / f"run{k}").resolve()) for k in range(2)} <= set(runs["out_dir"])
    reliability["catalog"] = (
        f"reliability: {writers_n} writers x {each} registrations at once into one DuckDB "
        f"catalog, and 2 `resurgence run`s finishing together: all {len(runs) - 1} of "
        f"{len(expected) + 1} new runs in it; a reader listed it {reads['reads']:,} times "
        f"without an error, {during} of them begun while the writers were writing"
    )


def test_a_catalog_being_created_by_another_process_is_waited_for(tmp_path):
    catalog = tmp_path / "catalog.duckdb"
    catalog.touch()  # another process has just created the file; no header yet

    def finish_creating() -> None:
        time.sleep(0.5)
        other = tmp_path / "other.duckdb"
        store.register_run(other, _record("theirs", 0))
        os.replace(other, catalog)

    creator = threading.Thread(target=finish_creating)
    creator.start()
    try:
        store.register_run(catalog, _record("mine", 1))
    finally:
        creator.join()
    assert set(store.list_runs(catalog)["run_id"]) == {"theirs", "mine"}
