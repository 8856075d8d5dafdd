"""Outputs of train, simulate and the job tools: a job report with progress, then a result."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from cobre_core.errors import ErrorRecord
from cobre_mcp.models.common import ToolOutput

JobStatusName = Literal["queued", "running", "completed", "failed", "cancelled", "interrupted"]


class JobProgress(BaseModel):
    """Latest progress: iterations for training, scenarios for simulation."""

    phase: Literal["queued", "training", "simulation", "done"] = "queued"
    done: int = Field(0, description="Iterations (training) or scenarios (simulation) completed.")
    total: int | None = Field(None, description="Iteration limit or scenario count, when known.")
    lower_bound: float | None = None
    upper_bound: float | None = None
    gap_percent: float | None = None
    mean_cost: float | None = None
    elapsed_seconds: float | None = None


class IterationRow(BaseModel):
    iteration: int
    lower_bound: float
    upper_bound_mean: float
    upper_bound_std: float
    gap_percent: float | None
    time_total_ms: int


class TrainResult(BaseModel):
    """A finished (or cancelled) training run."""

    output_dir: str
    policy_dir: str
    iterations: int
    termination_reason: str
    final_lower_bound: float | None
    final_upper_bound: float | None
    final_upper_bound_std: float | None
    final_gap_percent: float | None
    total_cuts: int
    lp_solves: int
    wall_time_ms: int
    last_iterations: list[IterationRow] = Field(description="The last few iterations.")


class StageCost(BaseModel):
    stage_id: int
    mean_immediate_cost: float
    mean_total_cost: float


class CostStatistics(BaseModel):
    """Per-scenario total cost statistics (Arrow-computed over the costs tables), in $."""

    scenarios: int
    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    p5: float | None
    p50: float | None
    p95: float | None


class SimulateResult(BaseModel):
    """A finished (or cancelled) simulation."""

    output_dir: str
    scenarios: int
    completed: int
    cost: CostStatistics
    per_stage: list[StageCost] = Field(description="Mean costs per stage (first 60 stages).")
    tables: list[str] = Field(description="Entity tables written under simulation/.")
    output_files: int
    wall_time_ms: int


class JobReport(ToolOutput):
    """A background run: status, progress and, once finished, the result or error."""

    job_id: str
    kind: Literal["train", "simulate"]
    status: JobStatusName
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress: JobProgress
    train: TrainResult | None = Field(None, description="Set when a train job finished.")
    simulate: SimulateResult | None = Field(None, description="Set when a simulate job finished.")
    error: ErrorRecord | None = Field(None, description="Set when the job failed.")
    next_step: str = Field(description="What to call next.")


class JobBrief(BaseModel):
    """One line of list-jobs; get-job has the details."""

    job_id: str
    kind: str
    status: JobStatusName
    created_at: str
    finished_at: str | None
    summary: str


class JobList(ToolOutput):
    jobs: list[JobBrief]
    total: int
