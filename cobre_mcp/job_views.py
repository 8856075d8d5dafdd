"""Job records as tool outputs, and waiting for a job without blocking the event loop.

``await_job`` is what train, simulate and get-job share: poll the job for up to ``wait_seconds``
(sleeping on the event loop, so other calls keep answering), forward each new iteration as an MCP
progress notification when the client sent a progress token, and cancel the job if the client
cancels the call.
"""

from __future__ import annotations

import logging

import anyio
from mcp.server.mcpserver import Context

from cobre_mcp.jobs import Job, JobManager
from cobre_mcp.models.jobs import JobProgress, JobReport

log = logging.getLogger("cobre_mcp")

MAX_WAIT_SECONDS = 50.0
"""Upper bound on any wait: Claude Desktop cuts tool calls at about 60 s."""
POLL_INTERVAL = 0.1


def _summary(job: Job, progress: JobProgress) -> str:
    label = f"{job.kind} job {job.id}"
    if job.status == "completed" and job.result is not None:
        if job.kind == "train":
            r = job.result
            lb = r.get("final_lower_bound")
            lb_text = f"{lb:,.2f}" if isinstance(lb, float | int) else "n/a"
            return (
                f"{label} completed: {r['iterations']} iterations ({r['termination_reason']}), "
                f"lower bound {lb_text} $, {r['total_cuts']} cuts, outputs in {r['output_dir']}"
            )
        c = job.result["cost"]
        mean = f"{c['mean']:,.2f}" if c.get("mean") is not None else "n/a"
        return (
            f"{label} completed: {job.result['completed']} scenarios, mean cost {mean} $, "
            f"tables in {job.result['output_dir']}/simulation"
        )
    if job.status == "failed" and job.error:
        return f"{label} failed: [{job.error['kind']}] {job.error['message']}"
    if job.status in ("queued", "running"):
        unit = "iterations" if job.kind == "train" else "scenarios"
        total = f"/{progress.total}" if progress.total else ""
        return f"{label} {job.status}: {progress.done}{total} {unit} done"
    return f"{label} {job.status}"


def _next_step(job: Job) -> str:
    if job.status in ("queued", "running"):
        return f"Call get-job with job_id={job.id} (it can wait up to 50 s), or cancel-job."
    if job.status == "completed" and job.kind == "train":
        return "Call simulate with the same case and this output_dir, or query-convergence."
    if job.status == "completed":
        return "Call query-results on this output_dir (entity_type=costs, group_by=stage, ...)."
    if job.status == "cancelled":
        return "Completed iterations were published; query them or start a new run."
    return "Read the error record, fix the inputs, and start a new run."


def job_report(job: Job) -> JobReport:
    """The job as a tool output."""
    progress = JobProgress.model_validate(job.progress or {})
    if progress.elapsed_seconds is None:
        progress = progress.model_copy(update={"elapsed_seconds": job.elapsed_seconds()})
    result = job.result if job.status in ("completed", "cancelled") else None
    return JobReport(
        summary=_summary(job, progress),
        job_id=job.id,
        kind=job.kind,  # type: ignore[arg-type]
        status=job.status,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        progress=progress,
        train=result if job.kind == "train" else None,  # type: ignore[arg-type]
        simulate=result if job.kind == "simulate" else None,  # type: ignore[arg-type]
        error=job.error,  # type: ignore[arg-type]
        next_step=_next_step(job),
    )


async def _notify(ctx: Context | None, job: Job, last_done: int) -> int:
    """Send a progress notification when the job advanced; returns the new high-water mark."""
    done = int(job.progress.get("done", 0))
    if ctx is None or done <= last_done:
        return last_done
    total = job.progress.get("total")
    unit = "iteration" if job.kind == "train" else "scenario"
    message = f"{unit} {done}" + (f"/{total}" if total else "")
    lb = job.progress.get("lower_bound")
    if lb is not None:
        message += f", lower bound {lb:,.2f}"
    try:
        await ctx.report_progress(done, total, message)
    except Exception as exc:  # a client that went away must not fail the tool
        log.debug("progress notification failed: %s", exc)
    return done


async def await_job(
    jobs: JobManager,
    job: Job,
    wait_seconds: float,
    ctx: Context | None,
    cancel_with_call: bool = True,
) -> JobReport:
    """Wait up to ``wait_seconds`` for ``job``.

    With ``cancel_with_call`` (train, simulate) a client cancelling this call cancels the job;
    get-job passes False, since abandoning a status poll must not stop the run.
    """
    deadline = anyio.current_time() + min(max(wait_seconds, 0.0), MAX_WAIT_SECONDS)
    last_done = 0
    try:
        while not job.done and anyio.current_time() < deadline:
            last_done = await _notify(ctx, job, last_done)
            await anyio.sleep(POLL_INTERVAL)
            job = jobs.current(job)
        await _notify(ctx, job, last_done)
    except anyio.get_cancelled_exc_class():
        if cancel_with_call:
            jobs.cancel(job.id)
        raise
    return job_report(job)
