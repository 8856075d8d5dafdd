"""JobManager: runs on worker threads, records on disk, failures as records, cancellation."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from cobre_core.errors import CobreError, record
from cobre_mcp.jobs import JobContext, JobManager, JobOutcome


@pytest.fixture
def manager(tmp_path: Path):
    m = JobManager(tmp_path, max_workers=1)
    yield m
    m.shutdown(timeout=10)


def _record(tmp_path: Path, job_id: str) -> dict:
    return json.loads((tmp_path / "jobs" / f"{job_id}.json").read_text())


def test_completed_job_is_persisted(manager: JobManager, tmp_path: Path) -> None:
    def run(ctx: JobContext) -> JobOutcome:
        ctx.report(done=3, total=3)
        return JobOutcome("completed", {"answer": 42})

    job = manager.submit("train", {"x": 1}, run)
    assert manager.wait(job, 10)
    saved = _record(tmp_path, job.id)
    assert saved["status"] == "completed" and saved["result"] == {"answer": 42}
    assert saved["progress"] == {"done": 3, "total": 3} and saved["params"] == {"x": 1}


def test_runner_failure_becomes_an_error_record(manager: JobManager, tmp_path: Path) -> None:
    def run(ctx: JobContext) -> JobOutcome:
        raise CobreError(record("SolverFailure", "stage 3 infeasible", "check bounds", stage=3))

    job = manager.submit("train", {}, run)
    manager.wait(job, 10)
    assert job.status == "failed"
    assert _record(tmp_path, job.id)["error"]["kind"] == "SolverFailure"

    def crash(ctx: JobContext) -> JobOutcome:
        raise ZeroDivisionError("boom")

    job = manager.submit("train", {}, crash)
    manager.wait(job, 10)
    assert job.error["kind"] == "InternalError" and "boom" not in job.error["message"]


def test_cancel_running_and_queued(manager: JobManager) -> None:
    started = threading.Event()

    def long(ctx: JobContext) -> JobOutcome:
        started.set()
        ctx.cancel.wait(10)
        return JobOutcome("cancelled" if ctx.cancel.is_set() else "completed", {})

    first = manager.submit("train", {}, long)
    queued = manager.submit("train", {}, long)
    assert started.wait(10)
    manager.cancel(queued.id)
    assert queued.status == "cancelled" and queued.started_at is None
    manager.cancel(first.id)
    assert manager.wait(first, 10) and first.status == "cancelled"


def test_unfinished_records_load_as_interrupted(tmp_path: Path) -> None:
    gate = threading.Event()
    old = JobManager(tmp_path)
    job = old.submit("train", {}, lambda ctx: (gate.wait(10), JobOutcome("completed", {}))[1])
    new = JobManager(tmp_path)
    try:
        reloaded = new.get(job.id)
        assert reloaded.status == "interrupted" and reloaded.error["kind"] == "JobInterrupted"
    finally:
        gate.set()
        old.shutdown(10)
        new.shutdown(10)


CHILD = """
import sys, time
from pathlib import Path
from cobre_mcp.jobs import JobManager, JobOutcome
state, gate = Path(sys.argv[1]), Path(sys.argv[2])

def run(ctx):
    while not gate.exists():
        time.sleep(0.05)
    return JobOutcome("completed", {"by": "child"})

m = JobManager(state)
job = m.submit("train", {}, run)
while job.status != "running":
    time.sleep(0.01)
print(job.id, flush=True)
m.wait(job, 60)
m.shutdown(5)
"""


def test_a_job_of_another_live_server_is_shown_not_interrupted(tmp_path: Path) -> None:
    import subprocess
    import sys

    gate = tmp_path / "gate"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), str(gate)], stdout=subprocess.PIPE, text=True
    )
    try:
        job_id = child.stdout.readline().strip()
        other = JobManager(tmp_path)
        seen = other.get(job_id)
        for _ in range(200):  # the child's "running" write may trail its print
            if seen.status == "running":
                break
            time.sleep(0.05)
            seen = other.get(job_id)
        assert seen.status == "running" and seen.pid == child.pid
        with pytest.raises(CobreError) as err:
            other.cancel(job_id)
        assert err.value.kind == "InvalidArgument"
        gate.touch()
        assert child.wait(30) == 0
        assert other.get(job_id).status == "completed"
        assert other.get(job_id).result == {"by": "child"}
        other.shutdown(5)
    finally:
        child.kill()
