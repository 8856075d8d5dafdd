"""SDDP training (Pereira & Pinto): forward pass, backward pass, lower bound, convergence test.

Reads like the algorithm::

    repeat
        trial states, costs = forward_pass(iteration)      # sample scenarios, go down the stages
        backward_pass(trial states)                         # one cut per trial state and stage
        lower bound = expected stage-0 value over openings
        upper bound = mean trajectory cost (+- std)
    until a stopping rule fires

Everything is deterministic for a seed; threads only change the wall time.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from cobre_core.errors import CobreError, ErrorKind, record
from cobre_core.sddp.cut_selection import CutSelection, binding
from cobre_core.sddp.lanes import LaneRunner, ThreadLanes
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.risk import Expectation, RiskMeasure
from cobre_core.sddp.sampling import InSample, ScenarioSampler
from cobre_core.sddp.stopping import Progress, StoppingRule, check
from cobre_core.solver.stage_lp import COST_SCALE

if TYPE_CHECKING:
    from cobre_core.sddp.lane_processes import Launch

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class IterationRecord:
    """One row of training/convergence.parquet."""

    iteration: int
    lower_bound: float
    upper_bound_mean: float
    upper_bound_std: float
    gap_percent: float | None
    cuts_added: int
    cuts_removed: int
    cuts_active: int
    time_forward_ms: int
    time_backward_ms: int
    time_total_ms: int
    forward_passes: int
    lp_solves: int

    @property
    def gap(self) -> float:
        return (self.upper_bound_mean - self.lower_bound) / max(1.0, abs(self.upper_bound_mean))


@dataclass
class TrainingOutcome:
    """History and termination of a training run (the policy lives in the Problem's cut pools)."""

    history: list[IterationRecord] = field(default_factory=list)
    termination_reason: str = ""
    wall_seconds: float = 0.0


class Trainer:
    """Runs SDDP iterations on a :class:`Problem` with a thread pool over solver lanes."""

    def __init__(
        self,
        problem: Problem,
        forward_passes: int,
        rules: Sequence[StoppingRule],
        stopping_mode: str = "any",
        threads: int = 1,
        risk: RiskMeasure | Sequence[RiskMeasure] | None = None,
        sampler: ScenarioSampler | None = None,
        selection: CutSelection | None = None,
        parallel: str = "threads",
        launch: Launch | None = None,
    ) -> None:
        """``risk`` is one measure for every stage or one per stage (stage ``t``'s measure
        aggregates its openings into the cut of stage ``t - 1``; stage 0's gives the bound).

        ``parallel`` is how ``threads`` workers run the lanes: ``"threads"`` of this process or
        ``"processes"`` (:class:`~cobre_core.sddp.lane_processes.ProcessLanes`; workers then use
        the case's configured training sampler). Results are identical either way. One process
        worker still helps a server: the solves then never compete with its event loop.
        ``launch`` holds worker processes started ahead of time for ``"processes"``."""
        self.p = problem
        self.forward_passes = max(1, int(forward_passes))
        self.rules = list(rules)
        self.stopping_mode = stopping_mode
        self.threads = max(1, int(threads))
        if risk is None or not isinstance(risk, Sequence):
            self.risks: list[RiskMeasure] = [risk or Expectation()] * problem.num_stages
        else:
            self.risks = list(risk)
        if problem.multi_cut and any(not isinstance(r, Expectation) for r in self.risks):
            raise CobreError(
                record(
                    ErrorKind.INCOMPATIBLE_SETTINGS,
                    "the multi-cut formulation supports the expectation only, not CVaR",
                    "Use training.cut_formulation 'single' with CVaR stages, or set every "
                    "stage's risk_measure to 'expectation'.",
                    field="training.cut_formulation",
                )
            )
        self.sampler: ScenarioSampler = sampler or InSample(problem, problem.case.seed)
        self.selection = selection
        self.parallel = parallel
        self.launch = launch
        self.lp_solves = 0
        self.solve_seconds = 0.0  # inside HiGHS run()
        self.call_seconds = 0.0  # inside the other HiGHS calls
        self.wait_seconds = 0.0  # worker processes idle at step ends (LaneStats.wait_seconds)
        self.cold_resolves = 0  # HiGHS "optima" that were not, solved again cold
        self.visited: list[list[FloatArray]] = [[] for _ in range(problem.num_stages)]

    def _lane_runner(self) -> LaneRunner:
        if self.parallel == "processes":
            from cobre_core.sddp.lane_processes import ProcessLanes

            return ProcessLanes(self.p, self.threads, self.launch)
        return ThreadLanes(self.p, self.sampler, self.threads)

    # -- the three steps -------------------------------------------------------------------------
    def forward_pass(self, iteration: int, lanes: LaneRunner) -> tuple[FloatArray, FloatArray]:
        """Sample trajectories; returns trial states ``(F, T, d)`` (incoming) and costs ``(F,)``."""
        states, costs = lanes.run("forward", iteration, self.forward_passes)
        return states, costs

    def backward_pass(self, iteration: int, states: FloatArray, lanes: LaneRunner) -> int:
        """Add one cut per trial state to every stage but the last; returns cuts added."""
        p = self.p
        f = states.shape[0]
        added = 0
        for t in range(p.num_stages - 1, 0, -1):
            obj, duals = lanes.run("backward", t, iteration, states[:, t])
            n_open = obj.shape[1]
            if p.multi_cut:
                # one cut per trial state and opening, each bounding its opening's theta
                pis_all = duals.reshape(f * n_open, p.state_dim)
                alphas_all = obj.ravel() - np.einsum("kod,kd->ko", duals, states[:, t]).ravel()
                targets = np.tile(np.arange(n_open), f)
                lanes.add_cuts(t - 1, alphas_all, pis_all, iteration, targets)
                added += f * n_open
                continue
            alphas = np.empty(f)
            pis = np.empty((f, p.state_dim))
            risk = self.risks[t]
            for k in range(f):
                w = risk.weights(obj[k])
                x = states[k, t]
                pi = w @ duals[k]
                alphas[k] = float(w @ obj[k]) - float(pi @ x)
                pis[k] = pi
            lanes.add_cuts(t - 1, alphas, pis, iteration, None)
            added += f
        return added

    def lower_bound(self, lanes: LaneRunner) -> float:
        """Risk-aggregated stage-0 value over its openings at the initial state, in $."""
        (obj,) = lanes.run("bound")
        return float(self.risks[0].weights(obj) @ obj) * COST_SCALE

    def stage_costs(self, replications: int, lanes: LaneRunner) -> FloatArray:
        """Mean discounted cost per stage ($) of the current policy over simulation paths.

        Path ``r`` is the sampler's simulation path ``(r,)``, so repeated calls use the same
        noise and differ only through the policy (used by the simulation stopping rule).
        """
        (costs,) = lanes.run("stage_costs", replications)
        return costs.mean(axis=0)

    def record_activity(self, iteration: int, states: FloatArray) -> None:
        """Count the cuts binding in this iteration's forward solves (before its new cuts).

        Stage ``t``'s LP gives theta the pool maximum at the state it passes on, so a cut of
        stage ``t`` is binding in a forward solve when it is within the activity tolerance of
        that maximum at ``states[:, t + 1]``. The states also join the visited archive.
        """
        sel = self.selection
        if sel is None:
            return
        for t in range(self.p.num_stages - 1):
            x = states[:, t + 1]
            self.visited[t].append(x)
            pool = self.p.cuts[t]
            if not len(pool):
                continue
            alpha, pi = pool.arrays()
            hit = binding(alpha, pi, x, sel.activity_tolerance, pool.activity.target).any(axis=0)
            act = pool.activity
            for i in np.flatnonzero(hit):
                act.count[i] += 1
                act.last[i] = iteration

    def select_cuts(self, iteration: int, lanes: LaneRunner) -> int:
        """Run the cut selection when due; returns the number of cuts removed."""
        sel = self.selection
        if sel is None or not sel.due(iteration):
            return 0
        removed = 0
        for t in range(self.p.num_stages - 1):
            pool = self.p.cuts[t]
            if not len(pool):
                continue
            alpha, pi = pool.arrays()
            visited = np.concatenate(self.visited[t]) if self.visited[t] else np.empty((0, 0))
            keep = sel.keep(alpha, pi, pool.activity, iteration, visited)
            removed += lanes.remove_cuts(t, keep)
        return removed

    # -- the loop --------------------------------------------------------------------------------
    def train(
        self,
        on_iteration: Callable[[IterationRecord], None] | None = None,
        cancel: threading.Event | None = None,
        resume_from: Sequence[IterationRecord] = (),
    ) -> TrainingOutcome:
        """Iterate until a stopping rule fires or ``cancel`` is set.

        ``cancel`` is checked between iterations; a cancelled run keeps its cuts and history and
        reports termination reason ``"cancelled"``. ``resume_from`` is the history of a run
        whose cuts the problem already holds: iterations continue from its last number (so the
        forward samples are the ones the uninterrupted run would draw) and the stopping rules
        see the whole history; a time limit counts this call's time only.
        """
        out = TrainingOutcome(history=list(resume_from))
        start = time.perf_counter()
        lanes = self._lane_runner()
        try:
            iteration = out.history[-1].iteration if out.history else 0
            if out.history:
                lbs = [r.lower_bound for r in out.history]
                done = check(self.rules, self.stopping_mode, Progress(iteration, 0.0, lbs))
                if done is not None:
                    out.termination_reason = done
                    return out
            while True:
                if cancel is not None and cancel.is_set():
                    out.termination_reason = "cancelled"
                    break
                iteration += 1
                t0 = time.perf_counter()
                states, costs = self.forward_pass(iteration, lanes)
                self.record_activity(iteration, states)
                t1 = time.perf_counter()
                added = self.backward_pass(iteration, states, lanes)
                lb = self.lower_bound(lanes)
                removed = self.select_cuts(iteration, lanes)
                t2 = time.perf_counter()
                ub = float(costs.mean())
                std = float(costs.std(ddof=1)) if costs.size > 1 else 0.0
                gap_pct = 100.0 * (ub - lb) / max(1.0, abs(ub)) if lb > 0 else None
                rec = IterationRecord(
                    iteration=iteration,
                    lower_bound=lb,
                    upper_bound_mean=ub,
                    upper_bound_std=std,
                    gap_percent=gap_pct,
                    cuts_added=added,
                    cuts_removed=removed,
                    cuts_active=sum(len(c) for c in self.p.cuts),
                    time_forward_ms=round((t1 - t0) * 1000),
                    time_backward_ms=round((t2 - t1) * 1000),
                    time_total_ms=round((t2 - t0) * 1000),
                    forward_passes=self.forward_passes,
                    lp_solves=lanes.stats()[0],
                )
                out.history.append(rec)
                if on_iteration is not None:
                    on_iteration(rec)
                progress = Progress(
                    iteration,
                    time.perf_counter() - start,
                    [r.lower_bound for r in out.history],
                    simulate=lambda n: self.stage_costs(n, lanes),
                )
                reason = check(self.rules, self.stopping_mode, progress)
                if reason is not None:
                    out.termination_reason = reason
                    break
        finally:
            try:
                stats = lanes.stats()
                self.lp_solves, self.solve_seconds, self.call_seconds = stats[:3]
                self.wait_seconds, self.cold_resolves = stats[3:]
            finally:
                lanes.close()
            out.wall_seconds = time.perf_counter() - start
        return out


def confidence_half_width(std: float, n: int) -> float:
    """95% normal half-width of the upper-bound estimate."""
    return 1.96 * std / math.sqrt(n) if n > 1 else 0.0
