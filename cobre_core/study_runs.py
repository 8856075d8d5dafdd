"""Library entry points: ``train`` and ``simulate`` (names from upstream's Python bindings spec).

Both take a loaded :class:`~cobre_core.system.case.Case` or a case directory, optional
``config_overrides`` (deep-merged over config.json), a progress callback, a thread count and an
output directory. Outputs follow Cobre's layout and are published atomically.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from cobre_core.errors import CobreError, ErrorKind, record
from cobre_core.policy_lifecycle import add_policy_cuts, checkpointer, initialise_policy
from cobre_core.results.atomic import (
    mark_success,
    staged_directory,
    write_json_atomic,
    write_parquet_atomic,
)
from cobre_core.results.convergence import convergence_table
from cobre_core.results.policy import Policy, StageCuts
from cobre_core.results.run_metadata import distribution, now_iso, run_header
from cobre_core.sddp.cut_selection import selection_from_config
from cobre_core.sddp.lane_processes import Launch
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.risk import case_risk_measures
from cobre_core.sddp.stopping import IterationLimit, rules_from_config
from cobre_core.sddp.training import IterationRecord, Trainer, confidence_half_width
from cobre_core.solver.stage_lp import COST_SCALE
from cobre_core.stochastic.export import export_stochastic
from cobre_core.stochastic.sampling_schemes import sampler_for
from cobre_core.system.build import apply_config
from cobre_core.system.case import Case

DEFAULT_LANES = 4
ProgressCallback = Callable[[IterationRecord], None]


def resolve_case(case: Case | str | Path, config_overrides: Mapping[str, Any] | None) -> Case:
    """Load a case directory if needed and apply config overrides."""
    if not isinstance(case, Case):
        from cobre_core.loader import load_case

        case = load_case(case)
    if config_overrides:
        case = apply_config(case, case.config.with_overrides(dict(config_overrides)))
    return case


def state_names(case: Case) -> tuple[str, ...]:
    """Names of the state dimensions: storage per hydro, then inflow lags lag-major."""
    names = [f"storage_hm3[hydro={h.id}]" for h in case.hydros]
    for lag in range(1, case.max_lag + 1):
        names += [f"inflow_lag{lag}_m3s[hydro={h.id}]" for h in case.hydros]
    return tuple(names)


def policy_from_problem(problem: Problem) -> Policy:
    """Snapshot the problem's cut pools as a :class:`Policy` in $."""
    stages = []
    multi = problem.multi_cut
    for t, pool in enumerate(problem.cuts):
        alpha, pi = pool.arrays()
        sid = problem.case.calendar[t].stage_id
        openings = np.array(pool.activity.target, dtype=np.int64) if multi else None
        n_open = int(problem.cut_columns[t].size)
        stages.append(StageCuts(sid, alpha * COST_SCALE, pi * COST_SCALE, openings, n_open))
    return Policy(
        tuple(c.stage_id for c in problem.case.calendar),
        state_names(problem.case),
        tuple(stages),
        "multi" if multi else "single",
    )


def load_policy_into(problem: Problem, policy: Policy) -> None:
    """Add a stored policy's cuts to a fresh problem (for simulation)."""
    if policy.state_dimension != problem.state_dim or len(policy.stages) != problem.num_stages:
        raise CobreError(
            record(
                ErrorKind.INCOMPATIBLE_RUNS,
                "policy does not match the case (state dimension or stage count differ)",
                "Simulate with the policy trained on this case.",
                field="state_dimension",
                run_a_value=policy.state_dimension,
                run_b_value=problem.state_dim,
            )
        )
    add_policy_cuts(problem, policy)


@dataclass(frozen=True)
class TrainingResult:
    """Outcome of :func:`train`."""

    final_lower_bound: float
    final_upper_bound: float
    final_upper_bound_std: float
    final_gap: float
    iterations: int
    termination_reason: str
    total_cuts: int
    lp_solves: int
    wall_time_ms: int
    convergence_history: pa.Table
    policy: Policy
    output_directory: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        """Whether a convergence rule stopped training (not a limit, not a cancel)."""
        return self.termination_reason not in ("iteration_limit", "time_limit", "cancelled")

    @property
    def upper_bound_ci95(self) -> tuple[float, float]:
        """95% confidence interval of the upper-bound estimate from the last iteration."""
        n = int(self.convergence_history.column("forward_passes")[-1].as_py())
        hw = confidence_half_width(self.final_upper_bound_std, n)
        return (self.final_upper_bound - hw, self.final_upper_bound + hw)


def _training_metadata(
    case: Case, res: TrainingResult, started: str, threads: int, forward_passes: int
) -> dict[str, Any]:
    lb = res.final_lower_bound
    converged = res.converged
    return {
        **run_header(
            started,
            now_iso(),
            res.wall_time_ms / 1000.0,
            "cancelled" if res.termination_reason == "cancelled" else "completed",
        ),
        "configuration": {
            "seed": case.seed,
            "max_iterations": max(
                (getattr(r, "limit", 0) for r in case.config.training.stopping_rules or ()),
                default=None,
            ),
            "forward_passes": forward_passes,
            "stopping_mode": case.config.training.stopping_mode,
            "policy_mode": case.config.policy.mode,
        },
        "problem_dimensions": {
            "num_stages": case.num_stages,
            "num_hydros": len(case.hydros),
            "num_thermals": len(case.thermals),
            "num_buses": len(case.buses),
            "num_lines": len(case.lines),
        },
        "iterations": {
            "completed": res.iterations,
            "converged_at": res.iterations if converged else None,
        },
        "convergence": {
            "achieved": converged,
            "final_gap_percent": 100.0 * res.final_gap if lb > 0 else None,
            "termination_reason": res.termination_reason,
        },
        "row_pool": {
            "total_generated": res.total_cuts + int(res.extra.get("cuts_removed", 0)),
            "total_active": res.total_cuts,
            "peak_active": int(res.extra.get("peak_active", res.total_cuts)),
        },
        "distribution": distribution(threads),
    }


def write_training_outputs(
    output_dir: Path,
    case: Case,
    result: TrainingResult,
    started: str,
    threads: int,
    forward_passes: int,
) -> None:
    """Publish ``training/`` and ``policy/`` under ``output_dir`` (each staged, marker last)."""
    result.policy.save(output_dir / "policy", history=result.convergence_history)
    with staged_directory(output_dir / "training") as tmp:
        write_parquet_atomic(tmp / "convergence.parquet", result.convergence_history)
        write_json_atomic(
            tmp / "metadata.json",
            _training_metadata(case, result, started, threads, forward_passes),
        )
        mark_success(tmp)


PROCESSES_MIN_SOLVES = 20_000
"""``parallel="auto"`` runs 2+ workers as processes from this many estimated LP solves on (about
4 s of single-thread solving on 4ree): below it, a worker's second to start is not won back."""

PARALLEL_MODES = ("auto", "threads", "processes")


def choose_parallel(parallel: str, threads: int, case: Case) -> str:
    """The lane runner a training uses: ``"threads"`` or ``"processes"``.

    ``"auto"`` (the default) picks processes when there are 2 or more workers and the run is
    long: an iteration limit times the forward passes times the solves of one iteration
    (every stage's openings, plus the forward solve) reaches :data:`PROCESSES_MIN_SOLVES`, or
    no iteration limit is set. Threads of one process overlap HiGHS solves poorly (each solve
    takes the GIL back; 1.3x on 2 cores against 1.6x for processes on 4ree), and both give the
    same results bit for bit, so the choice changes only the wall time.
    """
    if parallel not in PARALLEL_MODES:
        raise CobreError(
            record(
                ErrorKind.INVALID_ENUM,
                f"parallel must be one of {', '.join(PARALLEL_MODES)}, not {parallel!r}",
                "Use 'auto' (the default) unless you need one mode.",
                field="parallel",
            )
        )
    if parallel != "auto":
        return parallel
    if threads < 2 or os.name != "posix":  # workers are spawned with inherited pipe fds
        return "threads"
    training = case.config.training
    limits = [r.limit for r in rules_from_config(training) if isinstance(r, IterationLimit)]
    if not limits:
        return "processes"
    per_pass = sum(stage.num_openings + 1 for stage in case.stages)
    solves = min(limits) * (training.forward_passes or 1) * per_pass
    return "processes" if solves >= PROCESSES_MIN_SOLVES else "threads"


def launch_ahead(parallel: str, threads: int) -> Launch:
    """Worker processes started before the case loads, when the run may put lanes in processes
    (:func:`choose_parallel` can only tell once the case is loaded): their start-up, mostly
    imports, then overlaps the loading (about 0.5 s of a second's start-up here). A run that
    ends up on threads kills them unused; none are started for 1 worker or off POSIX."""
    if threads < 2 or parallel not in ("auto", "processes") or os.name != "posix":
        return Launch(0)
    return Launch(min(threads, DEFAULT_LANES) - 1)


def train(
    case: Case | str | Path,
    config_overrides: Mapping[str, Any] | None = None,
    progress_callback: ProgressCallback | None = None,
    threads: int | None = None,
    output_dir: str | Path | None = None,
    cancel: threading.Event | None = None,
    parallel: str = "auto",
) -> TrainingResult:
    """Train an SDDP policy; write outputs under ``output_dir`` when given.

    ``progress_callback`` receives each iteration's convergence record. Setting ``cancel`` stops
    the run at the next iteration boundary; the result then reports ``"cancelled"`` and the
    outputs hold every completed iteration. The config's ``policy`` section applies: warm start,
    resume, checkpoints under ``<output_dir>/policy`` and boundary cuts
    (:mod:`cobre_core.policy_lifecycle`); the written policy directory can always be resumed.
    ``parallel="processes"`` runs the ``threads`` workers as processes (real parallel solves,
    same results; about a second to start each), ``"threads"`` in this process, and ``"auto"``
    chooses by the run's length (:func:`choose_parallel`).
    """
    started = now_iso()
    threads = max(1, int(threads or 1))
    with launch_ahead(parallel, threads) as launch:
        case = resolve_case(case, config_overrides)
        training = case.config.training
        forward_passes = training.forward_passes or 1
        problem = Problem(case, lanes=DEFAULT_LANES, multi_cut=training.cut_formulation == "multi")
        trainer = Trainer(
            problem,
            forward_passes,
            rules_from_config(training),
            training.stopping_mode,
            threads=threads,
            risk=case_risk_measures(case),
            sampler=sampler_for(problem, "training"),
            selection=selection_from_config(training.cut_selection),
            parallel=choose_parallel(parallel, threads, case),
            launch=launch,
        )
        if trainer.parallel != "processes":
            launch.close()  # started for nothing: the run is on threads
        resumed = initialise_policy(case, problem)
        if output_dir is not None and case.config.exports.stochastic:
            export_stochastic(case, problem, Path(output_dir))
        hooks: list[ProgressCallback] = [progress_callback] if progress_callback else []
        if output_dir is not None and case.config.policy.checkpointing.enabled:
            hooks.append(
                checkpointer(
                    case, problem, Path(output_dir) / "policy", policy_from_problem, resumed
                )
            )

        def on_iteration(rec: IterationRecord) -> None:
            for hook in hooks:
                hook(rec)

        t0 = time.perf_counter()
        outcome = trainer.train(on_iteration, cancel, resume_from=resumed)
    last = outcome.history[-1] if outcome.history else None
    result = TrainingResult(
        final_lower_bound=last.lower_bound if last else float("nan"),
        final_upper_bound=last.upper_bound_mean if last else float("nan"),
        final_upper_bound_std=last.upper_bound_std if last else float("nan"),
        final_gap=last.gap if last else float("nan"),
        iterations=len(outcome.history),
        termination_reason=outcome.termination_reason,
        total_cuts=sum(len(c) for c in problem.cuts),
        lp_solves=trainer.lp_solves,
        wall_time_ms=round((time.perf_counter() - t0) * 1000),
        convergence_history=convergence_table(outcome.history),
        policy=policy_from_problem(problem),
        output_directory=Path(output_dir) if output_dir is not None else None,
        extra={
            "solve_seconds": trainer.solve_seconds,
            "highs_call_seconds": trainer.call_seconds,
            "worker_wait_seconds": trainer.wait_seconds,
            "cold_resolves": trainer.cold_resolves,
            "case": case,
            "cuts_removed": sum(pool.removed for pool in problem.cuts),
            "peak_active": max(
                (r.cuts_active + r.cuts_removed for r in outcome.history), default=0
            ),
        },
    )
    if output_dir is not None:
        write_training_outputs(Path(output_dir), case, result, started, threads, forward_passes)
    return result


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`: cost statistics and where the tables went."""

    scenarios: int
    completed: int
    mean_cost: float
    std_cost: float
    scenario_costs: np.ndarray
    output_directory: Path | None
    output_files: tuple[Path, ...]
    wall_time_ms: int
    cancelled: bool
    tables: list[dict[str, pa.Table]] = field(default_factory=list)


def simulate(
    case: Case | str | Path,
    policy: Policy | TrainingResult | str | Path,
    config_overrides: Mapping[str, Any] | None = None,
    progress_callback: Callable[[int, float], None] | None = None,
    threads: int | None = None,
    output_dir: str | Path | None = None,
    cancel: threading.Event | None = None,
    num_scenarios: int | None = None,
) -> SimulationResult:
    """Simulate a trained policy over ``simulation.num_scenarios`` (or ``num_scenarios``).

    ``policy`` is a :class:`Policy`, a :class:`TrainingResult` or a policy directory. With
    ``output_dir`` the tables go to ``<output_dir>/simulation/<entity>/scenario_id=NNNN/`` (staged,
    then published with ``metadata.json`` and ``_SUCCESS``; a cancelled run is published without
    ``_SUCCESS``). Without it, the tables are kept in memory on the result.
    """
    from cobre_core.results.atomic import write_json_atomic as _write_json
    from cobre_core.results.simulation_writer import (
        SimulationWriter,
        finalize,
        simulation_metadata,
    )
    from cobre_core.sddp.simulation import simulate_policy

    started = now_iso()
    case = resolve_case(case, config_overrides)
    if isinstance(policy, TrainingResult):
        policy = policy.policy
    elif not isinstance(policy, Policy):
        policy = Policy.load(policy)
    threads = max(1, int(threads or 1))
    n = int(num_scenarios if num_scenarios is not None else case.config.simulation.num_scenarios)
    problem = Problem(case, lanes=DEFAULT_LANES, multi_cut=policy.cut_formulation == "multi")
    load_policy_into(problem, policy)
    sampler = sampler_for(problem, "simulation")
    t0 = time.perf_counter()

    def run(writer: SimulationWriter | None) -> Any:
        def on_scenario(k: int, tables: dict[str, pa.Table], total: float) -> None:
            if writer is not None:
                writer(k, tables, total)
            if progress_callback is not None:
                progress_callback(k, total)

        return simulate_policy(
            problem,
            n,
            case.seed,
            threads,
            on_scenario,
            keep_tables=output_dir is None,
            cancel=cancel,
            sampler=sampler,
        )

    files: list[Path] = []
    if output_dir is None:
        sim = run(None)
    else:
        final = Path(output_dir) / "simulation"
        with staged_directory(final) as tmp:
            writer = SimulationWriter(tmp)
            sim = run(writer)
            meta = simulation_metadata(
                started_at=started,
                completed_at=now_iso(),
                duration_seconds=time.perf_counter() - t0,
                status="cancelled" if sim.cancelled else "completed",
                total=n,
                completed=sim.completed,
                threads=threads,
            )
            if sim.cancelled:
                _write_json(tmp / "metadata.json", meta)
            else:
                finalize(tmp, meta)
            files = sorted(p.relative_to(tmp) for p in tmp.rglob("*.parquet"))
        files = [final / f for f in files]
    return SimulationResult(
        scenarios=n,
        completed=sim.completed,
        mean_cost=sim.mean_cost,
        std_cost=sim.std_cost,
        scenario_costs=np.asarray(sim.scenario_costs),
        output_directory=Path(output_dir) / "simulation" if output_dir is not None else None,
        output_files=tuple(files),
        wall_time_ms=round((time.perf_counter() - t0) * 1000),
        cancelled=sim.cancelled,
        tables=list(sim.tables),
    )


def run(
    case_dir: str | Path,
    output_dir: str | Path | None = None,
    threads: int | None = None,
    skip_simulation: bool | None = None,
    parallel: str = "auto",
) -> dict[str, Any]:
    """The whole lifecycle in one call, as upstream's ``cobre.run.run``: load, train, simulate
    (when ``simulation.enabled`` and not ``skip_simulation``), write every output.

    ``output_dir`` defaults to ``<case_dir>/output``. Returns upstream's summary dict:
    ``converged``, ``iterations``, ``lower_bound``, ``upper_bound``, ``gap_percent``,
    ``total_time_ms``, ``output_dir``, ``simulation`` (``{n_scenarios, completed}`` or None),
    ``stochastic`` (``{output_dir}`` when exported, else None), ``hydro_models`` (None: not
    reported here) and ``provenance`` (``cobre_version``, ``started_at``, ``finished_at``,
    ``hostname``, ``config_hash``). Errors raise :class:`~cobre_core.errors.CobreError`
    subclasses. Use :func:`train` / :func:`simulate` to control the steps separately.
    """
    import platform

    from cobre_core import __version__
    from cobre_core.loader import load_case
    from cobre_core.system.overview import config_digest

    started = now_iso()
    t0 = time.perf_counter()
    root = Path(case_dir)
    case = load_case(root)
    out = Path(output_dir) if output_dir is not None else root / "output"
    trained = train(case, threads=threads, output_dir=out, parallel=parallel)
    sim = None
    if case.config.simulation.enabled and not skip_simulation:
        sim = simulate(case, trained, threads=threads, output_dir=out)
    finite = np.isfinite(trained.final_upper_bound)
    return {
        "converged": trained.converged,
        "iterations": trained.iterations,
        "lower_bound": trained.final_lower_bound,
        "upper_bound": trained.final_upper_bound if finite else None,
        "gap_percent": 100.0 * trained.final_gap if finite else None,
        "total_time_ms": round((time.perf_counter() - t0) * 1000),
        "output_dir": str(out.resolve()),
        "simulation": (
            {"n_scenarios": sim.scenarios, "completed": sim.completed} if sim is not None else None
        ),
        "stochastic": (
            {"output_dir": str((out / "stochastic").resolve())}
            if case.config.exports.stochastic
            else None
        ),
        "hydro_models": None,
        "provenance": {
            "cobre_version": f"cobre-mcp {__version__}",
            "started_at": started,
            "finished_at": now_iso(),
            "hostname": platform.node(),
            "config_hash": config_digest(root),
        },
    }


__all__ = [
    "SimulationResult",
    "TrainingResult",
    "load_policy_into",
    "policy_from_problem",
    "run",
    "simulate",
    "train",
]
