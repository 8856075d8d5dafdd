"""Job bodies for train and simulate: one core call each, with progress and cancellation wired in.

Each ``*_runner`` returns a :data:`~cobre_mcp.jobs.Runner` closure for the job manager. The runner
calls :func:`cobre_core.study_runs.train` / ``simulate`` on the worker thread, forwards every
iteration (scenario) to the job's progress, and turns the core result into the JSON-ready result
dict of :class:`~cobre_mcp.models.jobs.TrainResult` / ``SimulateResult``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from cobre_core.results.query import cost_summary
from cobre_core.results.run_outputs import RunOutputs
from cobre_core.sddp.training import IterationRecord
from cobre_core.study_runs import simulate, train
from cobre_core.system.case import Case
from cobre_mcp.jobs import JobContext, JobOutcome, Runner
from cobre_mcp.models.jobs import (
    CostStatistics,
    IterationRow,
    SimulateResult,
    StageCost,
    TrainResult,
)

LAST_ITERATIONS = 5
MAX_STAGES_REPORTED = 60


def finite(x: float | None) -> float | None:
    """``x`` as a JSON-safe float (NaN and infinities become ``None``)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def iteration_limit(case: Case) -> int | None:
    """The iteration-limit rule's limit, when the config has one."""
    limits = [getattr(r, "limit", None) for r in case.config.training.stopping_rules or ()]
    limits = [int(x) for x in limits if x is not None]
    return min(limits) if limits else None


def train_runner(
    case: Case,
    overrides: dict[str, Any],
    output_dir: Path,
    threads: int,
    parallel: str = "auto",
) -> Runner:
    """Training into ``output_dir`` (``training/`` and ``policy/``)."""

    def run(ctx: JobContext) -> JobOutcome:
        from cobre_core.study_runs import resolve_case

        resolved = resolve_case(case, overrides)
        total = iteration_limit(resolved)
        t0 = time.monotonic()
        ctx.report(phase="training", done=0, total=total, elapsed_seconds=0.0)

        def on_iteration(rec: IterationRecord) -> None:
            ctx.report(
                done=rec.iteration,
                lower_bound=finite(rec.lower_bound),
                upper_bound=finite(rec.upper_bound_mean),
                gap_percent=finite(rec.gap_percent),
                elapsed_seconds=round(time.monotonic() - t0, 3),
            )

        res = train(
            resolved,
            progress_callback=on_iteration,
            threads=threads,
            output_dir=output_dir,
            cancel=ctx.cancel,
            parallel=parallel,
        )
        tail = res.convergence_history.slice(max(0, res.iterations - LAST_ITERATIONS))
        result = TrainResult(
            output_dir=str(output_dir),
            policy_dir=str(output_dir / "policy"),
            iterations=res.iterations,
            termination_reason=res.termination_reason,
            final_lower_bound=finite(res.final_lower_bound),
            final_upper_bound=finite(res.final_upper_bound),
            final_upper_bound_std=finite(res.final_upper_bound_std),
            final_gap_percent=finite(100.0 * res.final_gap),
            total_cuts=res.total_cuts,
            lp_solves=res.lp_solves,
            wall_time_ms=res.wall_time_ms,
            last_iterations=[IterationRow.model_validate(r) for r in tail.to_pylist()],
        )
        ctx.report(phase="done", elapsed_seconds=round(time.monotonic() - t0, 3))
        status = "cancelled" if res.termination_reason == "cancelled" else "completed"
        return JobOutcome(status, result.model_dump(mode="json"))

    return run


def simulate_runner(
    case: Case,
    overrides: dict[str, Any],
    policy_dir: Path,
    output_dir: Path,
    threads: int,
    num_scenarios: int | None,
) -> Runner:
    """Simulation of the policy in ``policy_dir`` into ``output_dir/simulation``."""

    def run(ctx: JobContext) -> JobOutcome:
        from cobre_core.study_runs import resolve_case

        resolved = resolve_case(case, overrides)
        n = num_scenarios or resolved.config.simulation.num_scenarios
        t0 = time.monotonic()
        seen = {"count": 0, "sum": 0.0}
        ctx.report(phase="simulation", done=0, total=n, elapsed_seconds=0.0)

        def on_scenario(_k: int, total_cost: float) -> None:
            seen["count"] += 1
            seen["sum"] += total_cost
            ctx.report(
                done=seen["count"],
                mean_cost=finite(seen["sum"] / seen["count"]),
                elapsed_seconds=round(time.monotonic() - t0, 3),
            )

        res = simulate(
            resolved,
            policy_dir,
            progress_callback=on_scenario,
            threads=threads,
            output_dir=output_dir,
            cancel=ctx.cancel,
            num_scenarios=n,
        )
        stats = cost_summary(output_dir)
        result = SimulateResult(
            output_dir=str(output_dir),
            scenarios=res.scenarios,
            completed=res.completed,
            cost=CostStatistics.model_validate(stats, from_attributes=True),
            per_stage=[StageCost.model_validate(s) for s in stats.per_stage[:MAX_STAGES_REPORTED]],
            tables=RunOutputs(output_dir).simulation_entities(),
            output_files=len(res.output_files),
            wall_time_ms=res.wall_time_ms,
        )
        ctx.report(phase="done", elapsed_seconds=round(time.monotonic() - t0, 3))
        return JobOutcome(
            "cancelled" if res.cancelled else "completed", result.model_dump(mode="json")
        )

    return run
