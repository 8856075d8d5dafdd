"""Background jobs: long solves on worker threads, their progress, and their records on disk.

A job is a runner function executed on a worker thread of a small pool (queued jobs wait for a
free worker). Its record (status, parameters, latest progress, result or error) is written to
``<state_dir>/jobs/<job_id>.json`` atomically on every status change and at most once a second
for progress, so a result survives a client timeout and a server restart. A record left
``queued``/``running`` by a server that is gone is reported ``interrupted`` on the next start.
Servers may share a state directory: a job another live server process runs is shown from its
record (re-read on each look) and can only be cancelled there.

Cancellation is cooperative: :meth:`JobManager.cancel` sets the job's event and the runner stops
at its next iteration boundary. Use this module for anything that can outlast one tool call; do
not use it for quick reads (they run inline).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cobre_core.errors import record
from cobre_core.results.atomic import write_json_atomic
from cobre_core.results.run_metadata import now_iso
from cobre_mcp.errors import ServerErrorKind, record_for_exception, tool_failure

log = logging.getLogger("cobre_mcp.jobs")
_JOB_ID = re.compile(r"job_[0-9a-f]{16}")


def _process_alive(pid: int) -> bool:
    """Whether another process with ``pid`` exists (our own pid counts as gone: a record of
    ours from an earlier manager in this process cannot still be running)."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


JobStatus = Literal["queued", "running", "completed", "failed", "cancelled", "interrupted"]
TERMINAL: frozenset[str] = frozenset({"completed", "failed", "cancelled", "interrupted"})
PERSISTED_FIELDS: tuple[str, ...] = (
    "id",
    "kind",
    "params",
    "status",
    "created_at",
    "updated_at",
    "started_at",
    "finished_at",
    "progress",
    "result",
    "error",
    "instance",
    "pid",
)
"""Job fields written to the record on disk."""
PROGRESS_SAVE_INTERVAL = 1.0
"""Seconds between progress writes to disk (status changes are always written)."""


@dataclass
class JobContext:
    """What a runner sees: a progress reporter and the cancel event."""

    job: Job
    manager: JobManager

    @property
    def cancel(self) -> threading.Event:
        return self.job.cancel_event

    def report(self, **progress: Any) -> None:
        """Replace the job's progress fields (JSON-ready values) and persist them, throttled."""
        with self.manager.lock:
            self.job.progress = {**self.job.progress, **progress}
            self.job.updated_at = now_iso()
        self.manager.persist(self.job, force=False)


@dataclass
class JobOutcome:
    """What a runner returns: final status (``completed`` or ``cancelled``) and a result dict."""

    status: JobStatus
    result: dict[str, Any]


Runner = Callable[[JobContext], JobOutcome]


@dataclass
class Job:
    """One background run: its persisted record plus the events its threads signal."""

    id: str
    kind: str
    params: dict[str, Any]
    status: JobStatus = "queued"
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    started_at: str | None = None
    finished_at: str | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    instance: str = ""
    pid: int = 0
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    done_event: threading.Event = field(default_factory=threading.Event, repr=False)
    started_clock: float | None = field(default=None, repr=False)
    last_saved: float = field(default=0.0, repr=False)

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def elapsed_seconds(self) -> float | None:
        """Seconds since the job started (in this server), or ``None`` when not started here."""
        if self.started_clock is None:
            return None
        return round(time.monotonic() - self.started_clock, 3)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in PERSISTED_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        job = cls(**{k: data[k] for k in PERSISTED_FIELDS if k in data})
        if job.done:
            job.done_event.set()
        return job


class JobManager:
    """Runs, tracks, persists and cancels jobs. One per server."""

    def __init__(self, state_dir: Path | None, max_workers: int = 1) -> None:
        self.directory = state_dir / "jobs" if state_dir is not None else None
        self.instance = secrets.token_hex(8)
        self.lock = threading.RLock()
        self.jobs: dict[str, Job] = {}
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="cobre-job")
        self._futures: dict[str, Future[None]] = {}
        self._load()

    # -- persistence ------------------------------------------------------------------------

    def _load(self) -> None:
        if self.directory is None or not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("job_*.json")):
            job = self._read(path)
            if job is not None:
                self.jobs[job.id] = self._settle(job)

    def _read(self, path: Path) -> Job | None:
        try:
            return Job.from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError, KeyError):
            log.warning("skipping unreadable job record %s", path.name)
            return None

    def _settle(self, job: Job) -> Job:
        """A record read from disk: unfinished and owned by a process that is gone means
        interrupted; a live other server process keeps its job (see :meth:`_foreign`)."""
        if job.done or _process_alive(job.pid):
            return job
        job.status = "interrupted"
        job.error = record(
            ServerErrorKind.JOB_INTERRUPTED,
            "the server stopped while this job was running",
            "Start the run again; outputs of an interrupted run were never published, so "
            "any earlier complete output in that directory is intact.",
            job_id=job.id,
        ).to_dict()
        job.finished_at = now_iso()
        job.done_event.set()
        self._write(job)
        return job

    def _foreign(self, job: Job) -> bool:
        """True for a job run by another server process sharing this state directory."""
        return job.instance != self.instance and not job.done

    def _refresh(self, job: Job) -> Job:
        """Re-read a foreign job's record (its owner keeps writing it)."""
        if self.directory is None:
            return job
        fresh = self._read(self.directory / f"{job.id}.json")
        if fresh is None:
            return job
        fresh = self._settle(fresh)
        with self.lock:
            self.jobs[fresh.id] = fresh
        return fresh

    def _write(self, job: Job) -> None:
        if self.directory is None:
            return
        try:
            write_json_atomic(self.directory / f"{job.id}.json", job.to_dict())
            job.last_saved = time.monotonic()
        except OSError as exc:  # keep running; the in-memory record stays authoritative
            log.warning("could not persist job %s: %s", job.id, exc)

    def persist(self, job: Job, force: bool = True) -> None:
        """Write the record now (``force``) or if the last write is over a second old."""
        if force or time.monotonic() - job.last_saved >= PROGRESS_SAVE_INTERVAL:
            with self.lock:
                self._write(job)

    # -- lifecycle --------------------------------------------------------------------------

    def submit(self, kind: str, params: dict[str, Any], runner: Runner) -> Job:
        """Queue ``runner`` on a worker thread; returns the new job at once."""
        job = Job(id=f"job_{secrets.token_hex(8)}", kind=kind, params=params)
        job.instance = self.instance
        job.pid = os.getpid()
        with self.lock:
            self.jobs[job.id] = job
            self._write(job)
        self._futures[job.id] = self._pool.submit(self._run, job, runner)
        return job

    def _set_status(self, job: Job, status: JobStatus, **fields: Any) -> None:
        with self.lock:
            job.status = status
            job.updated_at = now_iso()
            for key, value in fields.items():
                setattr(job, key, value)
            self._write(job)
        if job.done:
            job.done_event.set()

    def _run(self, job: Job, runner: Runner) -> None:
        if job.cancel_event.is_set():
            self._set_status(job, "cancelled", finished_at=now_iso())
            return
        job.started_clock = time.monotonic()
        self._set_status(job, "running", started_at=now_iso())
        try:
            outcome = runner(JobContext(job, self))
        except BaseException as exc:  # a runner failure becomes the job's error record
            rec = record_for_exception(job.kind, exc)
            self._set_status(job, "failed", error=rec.to_dict(), finished_at=now_iso())
            return
        self._set_status(job, outcome.status, result=outcome.result, finished_at=now_iso())

    def get(self, job_id: str) -> Job:
        """The job, or a JobNotFound failure."""
        with self.lock:
            job = self.jobs.get(job_id)
        if job is None and self.directory is not None and _JOB_ID.fullmatch(job_id):
            path = self.directory / f"{job_id}.json"  # started by another server process
            job = self._read(path) if path.is_file() else None
        if job is not None and self._foreign(job):
            job = self._refresh(job)
        if job is None:
            raise tool_failure(
                ServerErrorKind.JOB_NOT_FOUND,
                f"no job with id {job_id!r}",
                "Use list-jobs to see the jobs this server knows; ids look like 'job_<16 hex>'.",
                job_id=job_id,
            )
        return job

    def list(self, status: str | None = None) -> list[Job]:
        """Jobs, newest first, optionally only those with ``status``."""
        with self.lock:
            jobs = list(self.jobs.values())
        jobs = [self._refresh(j) if self._foreign(j) else j for j in jobs]
        jobs.sort(key=lambda j: j.created_at, reverse=True)
        return [j for j in jobs if status is None or j.status == status]

    def cancel(self, job_id: str) -> Job:
        """Ask the job to stop at its next iteration boundary (a no-op once it has finished)."""
        job = self.get(job_id)
        if job.done:
            return job
        if self._foreign(job):
            raise tool_failure(
                ServerErrorKind.INVALID_ARGUMENT,
                f"job {job_id} runs in another server process (pid {job.pid})",
                "Cancel it through the server that started it, or stop that process.",
                job_id=job_id,
            )
        job.cancel_event.set()
        fut = self._futures.get(job_id)
        if fut is not None and fut.cancel():  # still queued: it never starts
            self._set_status(job, "cancelled", finished_at=now_iso())
        return job

    def current(self, job: Job) -> Job:
        """The latest state of ``job`` (re-read from disk when another process runs it)."""
        return self._refresh(job) if self._foreign(job) else job

    def wait(self, job: Job, timeout: float) -> bool:
        """Block (a worker thread, not the event loop) until the job is done or ``timeout``."""
        return job.done_event.wait(timeout)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel every running job, wait for them to publish what they have, stop the pool."""
        for job in self.list():
            if not job.done:
                self.cancel(job.id)
        deadline = time.monotonic() + timeout
        for job in self.list():
            job.done_event.wait(max(0.0, deadline - time.monotonic()))
        self._pool.shutdown(wait=False, cancel_futures=True)
