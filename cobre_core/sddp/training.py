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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from cobre_core.errors import CobreError, ErrorKind, record
from cobre_core.sddp.cut_selection import CutSelection, binding
from cobre_core.sddp.problem import Problem, run_lanes
from cobre_core.sddp.risk import Expectation, RiskMeasure
from cobre_core.sddp.sampling import InSample, ScenarioSampler
from cobre_core.sddp.stopping import Progress, StoppingRule, check
from cobre_core.solver.stage_lp import COST_SCALE

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
    ) -> None:
        """``risk`` is one measure for every stage or one per stage (stage ``t``'s measure
        aggregates its openings into the cut of stage ``t - 1``; stage 0's gives the bound)."""
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
        self.visited: list[list[FloatArray]] = [[] for _ in range(problem.num_stages)]
        self.discounts = np.array([slp.discount for slp in problem.stage_lps])
        self.cumulative = np.concatenate([[1.0], np.cumprod(self.discounts)[:-1]])

    # -- parallel helper -------------------------------------------------------------------------
    def _run_lanes(self, work: Callable[[int], None], pool: ThreadPoolExecutor | None) -> None:
        run_lanes(work, self.p.num_lanes, pool)

    # -- the three steps -------------------------------------------------------------------------
    def forward_pass(
        self, iteration: int, pool: ThreadPoolExecutor | None
    ) -> tuple[FloatArray, FloatArray]:
        """Sample trajectories; returns trial states ``(F, T, d)`` (incoming) and costs ``(F,)``."""
        p, n_t, f = self.p, self.p.num_stages, self.forward_passes
        states = np.empty((f, n_t, p.state_dim))
        costs = np.zeros(f)

        def work(lane: int) -> None:
            for sc in range(lane, f, p.num_lanes):
                path = self.sampler.path((iteration, sc))
                x = p.initial_state
                total = 0.0
                for t in range(n_t):
                    states[sc, t] = x
                    eta = path.noise(t, x)
                    cost, x = p.solve_forward(
                        lane, t, x, eta, context={"iteration": iteration, "scenario": sc}
                    )
                    total += self.cumulative[t] * cost
                costs[sc] = total

        self._run_lanes(work, pool)
        return states, costs

    def backward_pass(
        self, iteration: int, states: FloatArray, pool: ThreadPoolExecutor | None
    ) -> int:
        """Add one cut per trial state to every stage but the last; returns cuts added."""
        p = self.p
        f = states.shape[0]
        added = 0
        for t in range(p.num_stages - 1, 0, -1):
            n_open = p.tree.count(t)
            obj = np.empty((f, n_open))
            duals = np.empty((f, n_open, p.state_dim))

            def work(
                lane: int,
                t: int = t,
                n_open: int = n_open,
                obj: FloatArray = obj,
                duals: FloatArray = duals,
            ) -> None:
                mine = range(lane, n_open, p.num_lanes)
                for k in range(f):
                    x = states[k, t]
                    etas = p.realize_openings(t, x, slice(lane, None, p.num_lanes))
                    for o, eta in zip(mine, etas, strict=True):
                        obj[k, o], duals[k, o] = p.solve_backward(
                            lane, t, x, eta, context={"iteration": iteration, "opening": o}
                        )

            self._run_lanes(work, pool)
            if p.multi_cut:
                # one cut per trial state and opening, each bounding its opening's theta
                pis_all = duals.reshape(f * n_open, p.state_dim)
                alphas_all = obj.ravel() - np.einsum("kod,kd->ko", duals, states[:, t]).ravel()
                targets = np.tile(np.arange(n_open), f)
                p.add_cuts(t - 1, alphas_all, pis_all, iteration, targets)
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
            p.add_cuts(t - 1, alphas, pis, iteration)
            added += f
        return added

    def lower_bound(self, pool: ThreadPoolExecutor | None) -> float:
        """Risk-aggregated stage-0 value over its openings at the initial state, in $."""
        p = self.p
        n_open = p.tree.count(0)
        obj = np.empty(n_open)

        def work(lane: int) -> None:
            mine = range(lane, n_open, p.num_lanes)
            etas = p.realize_openings(0, p.initial_state, slice(lane, None, p.num_lanes))
            for o, eta in zip(mine, etas, strict=True):
                obj[o] = p.solve_value(lane, 0, p.initial_state, eta)

        self._run_lanes(work, pool)
        return float(self.risks[0].weights(obj) @ obj) * COST_SCALE

    def stage_costs(self, replications: int, pool: ThreadPoolExecutor | None) -> FloatArray:
        """Mean discounted cost per stage ($) of the current policy over simulation paths.

        Path ``r`` is the sampler's simulation path ``(r,)``, so repeated calls use the same
        noise and differ only through the policy (used by the simulation stopping rule).
        """
        p, n_t = self.p, self.p.num_stages
        costs = np.zeros((replications, n_t))

        def work(lane: int) -> None:
            for r in range(lane, replications, p.num_lanes):
                path = self.sampler.path((r,))
                x = p.initial_state
                for t in range(n_t):
                    cost, x = p.solve_forward(lane, t, x, path.noise(t, x), {"replication": r})
                    costs[r, t] = self.cumulative[t] * cost

        self._run_lanes(work, pool)
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

    def select_cuts(self, iteration: int) -> int:
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
            removed += self.p.remove_cuts(t, keep)
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
        pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None
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
                states, costs = self.forward_pass(iteration, pool)
                self.record_activity(iteration, states)
                t1 = time.perf_counter()
                added = self.backward_pass(iteration, states, pool)
                lb = self.lower_bound(pool)
                removed = self.select_cuts(iteration)
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
                    lp_solves=self.p.lp_solves(),
                )
                out.history.append(rec)
                if on_iteration is not None:
                    on_iteration(rec)
                progress = Progress(
                    iteration,
                    time.perf_counter() - start,
                    [r.lower_bound for r in out.history],
                    simulate=lambda n: self.stage_costs(n, pool),
                )
                reason = check(self.rules, self.stopping_mode, progress)
                if reason is not None:
                    out.termination_reason = reason
                    break
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
            out.wall_seconds = time.perf_counter() - start
        return out


def confidence_half_width(std: float, n: int) -> float:
    """95% normal half-width of the upper-bound estimate."""
    return 1.96 * std / math.sqrt(n) if n > 1 else 0.0
