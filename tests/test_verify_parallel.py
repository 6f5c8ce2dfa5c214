"""verify spread over worker processes (jobs=) and a Dask cluster (scheduler=): the same
rows, report and ok as a serial run, progress kept, a lost worker's runs redone."""

from __future__ import annotations

import multiprocessing
import os
import signal
from dataclasses import asdict

import pytest

from example_registry import path
from qcompile.errors import QcompileError


@pytest.fixture(scope="module")
def serial():
    """``linear`` compiled and verified serially on both backends (2 inputs: 4 runs)."""
    import qcompile

    program = qcompile.compile(path("linear"))
    return program, qcompile.verify(program, inputs=2)


def _rows(report):
    return [asdict(r) for r in report.rows]


def test_processes_give_the_serial_report_and_redo_a_killed_workers_runs(serial):
    import qcompile

    program, want = serial
    seen, killed = [], []

    def progress(done, total):
        seen.append((done, total))
        if not killed:                       # kill one worker process after the first row
            children = multiprocessing.active_children()
            if children:
                os.kill(children[0].pid, signal.SIGKILL)
                killed.append(children[0].pid)

    got = qcompile.verify(program, inputs=2, jobs=2, progress=progress)
    assert killed, "no worker process to kill"
    assert _rows(got) == _rows(want) and got.ok == want.ok and got.to_json() == want.to_json()
    assert seen[-1] == (4, 4) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_dask_local_cluster_gives_the_serial_report_even_when_a_worker_dies(serial):
    distributed = pytest.importorskip("distributed")
    import qcompile

    program, want = serial
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        seen, killed = [], []

        def progress(done, total):
            seen.append(done)
            if not killed:
                nanny = next(iter(cluster.workers.values()))
                os.kill(nanny.process.pid, signal.SIGKILL)
                killed.append(nanny.process.pid)

        got = qcompile.verify(program, inputs=2, scheduler=cluster.scheduler_address, progress=progress)
        assert killed and seen[-1] == 4
        assert _rows(got) == _rows(want) and got.to_json() == want.to_json()
        with distributed.Client(cluster, set_as_default=False) as client:   # a Client works as well
            assert _rows(qcompile.verify(program, inputs=2, scheduler=client)) == _rows(want)


def test_jobs_must_be_a_positive_count(serial):
    import qcompile

    program, _ = serial
    for bad in (0, -1, 1.5, True):
        with pytest.raises(QcompileError, match="jobs must be a positive number"):
            qcompile.verify(program, inputs=1, jobs=bad)


def test_an_unreachable_scheduler_is_a_user_error(serial):
    pytest.importorskip("distributed")
    import qcompile

    program, _ = serial
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(QcompileError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:1"):
            qcompile.verify(program, inputs=1, scheduler="tcp://127.0.0.1:1")
