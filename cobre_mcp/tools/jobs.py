"""Job tools: get-job, cancel-job, list-jobs."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from cobre_mcp.app import App, read_only, writes
from cobre_mcp.job_views import await_job, job_report
from cobre_mcp.models.jobs import JobBrief, JobList, JobReport

JobId = Annotated[str, Field(description="The job_id returned by train or simulate.")]


def register(app: App) -> None:
    """Add the job tools to ``app.server``."""
    mcp = app.server

    @mcp.tool(
        name="get-job",
        title="Job status and result",
        annotations=read_only("Job status and result"),
        description=(
            "Status, progress (iteration or scenario count, bounds, gap, elapsed time) and, once "
            "finished, the result or error of a train/simulate job. wait_seconds (default 10, at "
            "most 50) waits for completion first. Results persist across server restarts."
        ),
    )
    async def get_job_tool(
        ctx: Context,
        job_id: JobId,
        wait_seconds: Annotated[float, Field(ge=0, le=50)] = 10.0,
    ) -> JobReport:
        job = app.jobs.get(job_id)
        return await await_job(app.jobs, job, wait_seconds, ctx, cancel_with_call=False)

    @mcp.tool(
        name="cancel-job",
        title="Cancel a job",
        annotations=writes("Cancel a job", idempotent=True, destructive=False),
        description=(
            "Stop a running train/simulate job at its next iteration boundary. Completed "
            "iterations are published (a consistent output); a queued job never "
            "starts. Cancelling a finished job changes nothing. Waits up to wait_seconds for the "
            "job to stop."
        ),
    )
    async def cancel_job_tool(
        ctx: Context,
        job_id: JobId,
        wait_seconds: Annotated[float, Field(ge=0, le=50)] = 10.0,
    ) -> JobReport:
        job = app.jobs.cancel(job_id)
        return await await_job(app.jobs, job, wait_seconds, ctx, cancel_with_call=False)

    @mcp.tool(
        name="list-jobs",
        title="List jobs",
        annotations=read_only("List jobs"),
        description="Jobs this server knows (newest first), optionally filtered by status.",
    )
    def list_jobs_tool(
        status: Literal[
            "any", "queued", "running", "completed", "failed", "cancelled", "interrupted"
        ] = "any",
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
    ) -> JobList:
        jobs = app.jobs.list(None if status == "any" else status)
        reports = [
            JobBrief(
                job_id=j.id,
                kind=j.kind,
                status=j.status,
                created_at=j.created_at,
                finished_at=j.finished_at,
                summary=job_report(j).summary,
            )
            for j in jobs[:limit]
        ]
        running = sum(1 for j in jobs if not j.done)
        return JobList(
            summary=f"{len(jobs)} jobs ({running} queued or running)",
            jobs=reports,
            total=len(jobs),
        )
