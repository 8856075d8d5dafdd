"""Run tools: train and simulate. Both write files (need --allow-write) and run as jobs.

The solve always runs on a worker thread. The call waits up to ``wait_seconds`` (default 20, at
most 50, below the 60 s cut of Claude Desktop): a run that finishes in time returns its full
result; otherwise the call returns the job with its latest progress and ``get-job`` takes over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import anyio
from mcp.server.mcpserver import Context
from pydantic import Field

from cobre_core.errors import ErrorKind, OutputError, record
from cobre_core.policy_lifecycle import referenced_policy_paths
from cobre_core.results.atomic import is_complete
from cobre_mcp.app import App, writes
from cobre_mcp.job_views import await_job
from cobre_mcp.models.jobs import JobReport
from cobre_mcp.runners import simulate_runner, train_runner
from cobre_mcp.tools.cases import CaseDir, CaseId

OutputDir = Annotated[
    str, Field(description="Run directory for outputs; default <case_dir>/output.")
]
WaitSeconds = Annotated[
    float,
    Field(ge=0, le=50, description="Seconds to wait for the result before returning the job."),
]
Threads = Annotated[int, Field(ge=0, le=64, description="Solver threads; 0 = server default.")]


def _unset(value: int | float, unset: int | float = 0) -> int | float | None:
    """Flat inputs use a sentinel default (0 or -1) for 'as configured'."""
    return None if value == unset else value


def register(app: App) -> None:
    """Add train and simulate to ``app.server``."""
    mcp = app.server

    def output_path(case_dir: Path, output_dir: str, tool: str) -> Path:
        return app.guard.writable(output_dir or str(case_dir / "output"), "output_dir", tool)

    @mcp.tool(
        name="train",
        title="Train an SDDP policy",
        annotations=writes("Train an SDDP policy", idempotent=True),
        description=(
            "Train an SDDP policy for a case (case_id from load-case, or case_dir) and write "
            "training/ (convergence.parquet, metadata.json) and policy/ under output_dir. "
            "Overrides: iterations, forward_passes, seed, time_limit_seconds (0, or -1 for seed, "
            "keeps config.json's value). Runs in the background: returns the result if done within "
            "wait_seconds, else a job_id for get-job. Progress is sent every iteration. Needs "
            "--allow-write. Re-running replaces the previous outputs atomically."
        ),
    )
    async def train_tool(
        ctx: Context,
        case_id: CaseId = "",
        case_dir: CaseDir = "",
        output_dir: OutputDir = "",
        iterations: Annotated[int, Field(ge=0, description="Iteration limit; 0 = config.")] = 0,
        forward_passes: Annotated[int, Field(ge=0, description="0 = config.")] = 0,
        seed: Annotated[int, Field(ge=-1, description="Tree seed; -1 = config.")] = -1,
        time_limit_seconds: Annotated[
            float, Field(ge=0, description="Adds a time limit; 0 = as configured.")
        ] = 0.0,
        threads: Threads = 0,
        wait_seconds: WaitSeconds = 20.0,
    ) -> JobReport:
        app.guard.require_write("train")
        path, _ = app.cases.resolve(case_id, case_dir)
        out = output_path(path, output_dir, "train")
        cid, case = await anyio.to_thread.run_sync(app.cases.case_for, case_id, case_dir)
        for stored in referenced_policy_paths(case):  # warm start, resume, boundary cuts
            app.guard.resolve(str(stored), "config.json policy")
        overrides = case.config.run_overrides(
            iterations=_unset(iterations),
            forward_passes=_unset(forward_passes),
            seed=_unset(seed, -1),
            time_limit_seconds=_unset(time_limit_seconds),
        )
        nthreads = threads or app.settings.default_threads
        params = {
            "case_id": cid,
            "output_dir": str(out),
            "overrides": overrides,
            "threads": nthreads,
        }
        runner = train_runner(case, overrides, out, nthreads, app.settings.parallel)
        job = app.jobs.submit("train", params, runner)
        return await await_job(app.jobs, job, wait_seconds, ctx)

    @mcp.tool(
        name="simulate",
        title="Simulate a trained policy",
        annotations=writes("Simulate a trained policy", idempotent=True),
        description=(
            "Simulate a trained policy over num_scenarios scenarios (0 = config) and write "
            "Hive-partitioned Parquet tables to <output_dir>/simulation/<entity>/scenario_id=N/. "
            "The policy is read from policy_dir (default <output_dir>/policy, as written by "
            "train). Returns cost statistics (mean, std, percentiles, per-stage means), computed "
            "with Arrow. Background job like train; needs --allow-write."
        ),
    )
    async def simulate_tool(
        ctx: Context,
        case_id: CaseId = "",
        case_dir: CaseDir = "",
        output_dir: OutputDir = "",
        policy_dir: Annotated[str, Field(description="Default <output_dir>/policy.")] = "",
        num_scenarios: Annotated[int, Field(ge=0, le=100_000)] = 0,
        threads: Threads = 0,
        wait_seconds: WaitSeconds = 20.0,
    ) -> JobReport:
        app.guard.require_write("simulate")
        path, _ = app.cases.resolve(case_id, case_dir)
        out = output_path(path, output_dir, "simulate")
        policy = app.guard.resolve(policy_dir or str(out / "policy"), "policy_dir")
        if not is_complete(policy):
            raise OutputError(
                record(
                    ErrorKind.OUTPUT_NOT_FOUND,
                    "no complete policy in policy_dir",
                    "Train first (train writes <output_dir>/policy), or pass policy_dir.",
                    path=policy_dir or str(out / "policy"),
                    expected_content="metadata.json, cuts/, _SUCCESS",
                )
            )
        cid, case = await anyio.to_thread.run_sync(app.cases.case_for, case_id, case_dir)
        nthreads = threads or app.settings.default_threads
        params = {
            "case_id": cid,
            "output_dir": str(out),
            "policy_dir": str(policy),
            "num_scenarios": num_scenarios,
            "threads": nthreads,
        }
        runner = simulate_runner(case, {}, policy, out, nthreads, num_scenarios or None)
        job = app.jobs.submit("simulate", params, runner)
        return await await_job(app.jobs, job, wait_seconds, ctx)
