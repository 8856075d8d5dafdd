"""A thin, thread-owned wrapper over one ``highspy.Highs`` instance.

Options follow upstream's: dual simplex with Devex pricing, presolve off, tolerances 1e-7, no
parallelism inside HiGHS (parallelism is ours, across instances); unlike upstream we keep HiGHS's
own scaling and cost perturbation, which were faster here. A solve patches bounds in place and
re-solves from the previous basis (warm start). One instance must only be used by one thread at a
time.

Per-solve Python cost matters (thousands of small LPs per iteration, and ``run()`` releases the
GIL, so whatever runs between solves also limits thread scaling). The hot path therefore avoids
``getInfo()``, which copies the whole info record (the objective comes from
``getObjectiveValue()``), converts a solution vector to a Python list only when it is read and
indexes that list instead of building a numpy array of it (``primal_at``, ``row_duals_at``), and
passes bounds as ready int32/float64 arrays. Infinite bounds need no translation: HiGHS's infinity
is IEEE ``inf`` (``highspy.kHighsInf``), checked at import.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from enum import StrEnum

import highspy
import numpy as np
from numpy.typing import ArrayLike, NDArray

from cobre_core.solver.lp_builder import LinearProgram

if highspy.kHighsInf != np.inf:  # pragma: no cover - guards a HiGHS build with finite infinity
    raise ImportError("cobre_core needs a HiGHS build whose infinity is IEEE inf")

_OPTIONS: dict[str, object] = {
    "output_flag": False,
    "presolve": "off",
    "solver": "simplex",
    "simplex_strategy": 1,
    # Devex pricing (upstream's choice) instead of HiGHS's default: on 4ree it cuts single-thread
    # training from 140 s to 82.5 s at the same converged bound; each warm re-solve takes few
    # pivots, where steepest edge's setup cost dominates.
    "simplex_dual_edge_weight_strategy": 1,
    "primal_feasibility_tolerance": 1e-7,
    "dual_feasibility_tolerance": 1e-7,
    "parallel": "off",
    "threads": 1,
}


_RETRY_LADDER: tuple[dict[str, object], ...] = (
    {"presolve": "on"},
    {"presolve": "on", "simplex_strategy": 4},
    {"solver": "ipm", "presolve": "on"},
)


def _first_highs_quietly() -> highspy.Highs:
    """The process's first ``highspy.Highs``, built while fd 1 points at stderr.

    HiGHS writes a banner straight to file descriptor 1 the first time a process builds an
    instance, whatever its later ``output_flag``. That broke stdout that carries data: the JSON of
    ``cobre-mcp call`` and of the CLI's other commands. Built once, at import, so every later
    instance is silent. A thread writing to fd 1 during these microseconds would land on stderr
    (only possible when this module is imported late by a threaded host).
    """
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 at all: nothing to protect
        return highspy.Highs()
    try:
        os.dup2(2, 1)
        return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


HIGHS_VERSION: str = _first_highs_quietly().version()
"""Version of the HiGHS library in use (run metadata's ``solver_version``)."""


class LpStatus(StrEnum):
    """Outcome of a solve, reduced to what the algorithm needs."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"


class HighsSolver:
    """Holds a stage LP in HiGHS; patch bounds, add cut rows, solve, read values and duals."""

    def __init__(self, lp: LinearProgram) -> None:
        self._h = highspy.Highs()
        for name, value in _OPTIONS.items():
            self._h.setOptionValue(name, value)
        model = highspy.HighsLp()
        model.num_col_ = lp.num_cols
        model.num_row_ = lp.num_rows
        model.col_cost_ = lp.col_cost
        model.col_lower_ = _floats(lp.col_lower)
        model.col_upper_ = _floats(lp.col_upper)
        model.row_lower_ = _floats(lp.row_lower)
        model.row_upper_ = _floats(lp.row_upper)
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = lp.a_start
        model.a_matrix_.index_ = lp.a_index
        model.a_matrix_.value_ = lp.a_value
        self._h.passModel(model)
        self.num_cols = lp.num_cols
        self.num_rows = lp.num_rows
        self.solves = 0
        self.solve_seconds = 0.0  # inside run()
        # inside the other HiGHS calls: bound patches, row adds and deletes, solution copies
        self.call_seconds = 0.0
        self._solution: highspy.HighsSolution | None = None  # fetched once per solve
        self._cols: list[float] | None = None  # its column values, converted once per solve
        self._run_started = 0.0  # perf_counter() at the start of the last warm run()

    def set_row_bounds(self, rows: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        """Patch the bounds of the given rows (scalars broadcast; +-inf means no bound).

        Fastest with ``rows`` as contiguous int32 and bounds as contiguous float64, as
        :meth:`StageLp.row_patch <cobre_core.solver.stage_lp.StageLp.row_patch>` returns them.
        """
        idx = _indices(rows)
        lo, hi = _bounds(lower, idx.size), _bounds(upper, idx.size)
        t0 = time.perf_counter()
        self._h.changeRowsBounds(idx.size, idx, lo, hi)
        self.call_seconds += time.perf_counter() - t0

    def fix_rows(self, rows: NDArray[np.int32], values: NDArray[np.float64]) -> None:
        """Set both bounds of ``rows`` to ``values`` (equality rows; the solve hot path).

        ``rows`` must be contiguous int32 and ``values`` contiguous float64 of the same size, as
        :meth:`StageLp.row_patch <cobre_core.solver.stage_lp.StageLp.row_patch>` returns them;
        nothing is converted or checked.
        """
        t0 = time.perf_counter()
        self._h.changeRowsBounds(rows.size, rows, values, values)
        self.call_seconds += time.perf_counter() - t0

    def solve_fixed(self, rows: NDArray[np.int32], values: NDArray[np.float64]) -> bool:
        """:meth:`fix_rows` then one warm :meth:`solve`; True when the LP solved to optimality.

        The backward pass's hot path: one call per solve instead of a chain of them, since
        Python between solves runs on cold caches. On False nothing is retried yet: call
        :meth:`recover`, which goes on exactly as :meth:`solve_with_retries` would have after
        this solve (and handles a HiGHS scheduler started by someone else).
        """
        h = self._h
        t0 = time.perf_counter()
        h.changeRowsBounds(rows.size, rows, values, values)
        t1 = self._run_started = time.perf_counter()
        h.run()
        t2 = time.perf_counter()
        self.call_seconds += t1 - t0
        self.solve_seconds += t2 - t1
        self.solves += 1
        self._solution = self._cols = None
        return h.getModelStatus() == _OPTIMAL

    def set_col_bounds(self, cols: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        """Patch the bounds of the given columns (scalars broadcast; +-inf means no bound)."""
        idx = _indices(cols)
        lo, hi = _bounds(lower, idx.size), _bounds(upper, idx.size)
        t0 = time.perf_counter()
        self._h.changeColsBounds(idx.size, idx, lo, hi)
        self.call_seconds += time.perf_counter() - t0

    def add_rows(
        self,
        lower: NDArray[np.float64],
        upper: NDArray[np.float64],
        starts: NDArray[np.int32],
        index: NDArray[np.int32],
        value: NDArray[np.float64],
    ) -> None:
        """Append rows given in CSR form (used for Benders cuts, added in batches)."""
        n = int(np.asarray(lower).size)
        if n == 0:
            return
        args = (
            _floats(lower),
            _floats(upper),
            int(np.asarray(index).size),
            _indices(starts),
            _indices(index),
            _floats(value),
        )
        t0 = time.perf_counter()
        self._h.addRows(n, *args)
        self.call_seconds += time.perf_counter() - t0
        self.num_rows += n

    def add_columns(
        self, cost: NDArray[np.float64], lower: NDArray[np.float64], upper: NDArray[np.float64]
    ) -> int:
        """Append columns with no matrix entries yet; returns the index of the first."""
        n = int(np.asarray(cost).size)
        first = self.num_cols
        self._h.addCols(
            n,
            _floats(cost),
            _floats(lower),
            _floats(upper),
            0,
            np.zeros(n, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.float64),
        )
        self.num_cols += n
        return first

    def delete_rows(self, rows: ArrayLike) -> None:
        """Delete the given rows; later rows move up to close the gaps, in order.

        Deleting rows whose slack is basic (inactive cuts) keeps the basis valid for the next
        warm solve; HiGHS rebuilds it otherwise.
        """
        idx = np.unique(_indices(rows))
        if idx.size == 0:
            return
        t0 = time.perf_counter()
        self._h.deleteRows(int(idx.size), idx)
        self.call_seconds += time.perf_counter() - t0
        self.num_rows -= int(idx.size)

    def solve(self) -> LpStatus:
        """Solve from the current basis; returns the status.

        ``solve_seconds`` accumulates the wall time of ``run()``; with several threads it also
        holds the wait to take the GIL back afterwards.
        """
        t0 = self._run_started = time.perf_counter()
        self._h.run()
        self.solve_seconds += time.perf_counter() - t0
        self.solves += 1
        self._solution = self._cols = None
        return self._status()

    def _status(self) -> LpStatus:
        """The status of the last ``run()`` (re-run once HiGHS's scheduler is adopted)."""
        status = self._h.getModelStatus()
        if status == _OPTIMAL:
            return LpStatus.OPTIMAL
        if status == _NOT_RUN:
            return self._adopt_scheduler()
        return _STATUS.get(status, LpStatus.ERROR)

    def _adopt_scheduler(self) -> LpStatus:
        """Re-run with the thread count of HiGHS's process-wide task scheduler.

        HiGHS starts one scheduler per process, sized by the ``threads`` option of the first
        ``run()``; a later run asking for another size fails before solving. Something else in
        the process (a ``highspy.Highs()`` with default options in a notebook, say) may have
        started it, so find the size it accepts and keep it for later instances. Our solves are
        serial (``parallel`` off), so the size changes nothing else.
        """
        for threads in (0, *range(1, (os.cpu_count() or 1) + 1)):
            self._h.setOptionValue("threads", threads)
            self._h.run()
            if self._h.getModelStatus() != _NOT_RUN:
                _OPTIONS["threads"] = threads
                return _STATUS.get(self._h.getModelStatus(), LpStatus.ERROR)
        self._h.setOptionValue("threads", _OPTIONS["threads"])
        return LpStatus.ERROR

    def solve_cold(self) -> LpStatus:
        """Forget the basis and solve from scratch (fallback after a failed warm solve)."""
        self._h.clearSolver()
        return self.solve()

    def solve_with_retries(
        self, max_attempts: int = 5, time_budget_seconds: float = 30.0
    ) -> LpStatus:
        """Warm solve, then escalate as upstream does: cold start, presolve, interior point.

        At most ``max_attempts`` solves in all (``training.solver.retry_max_attempts``), and no
        new retry once ``time_budget_seconds`` have gone on this LP
        (``retry_time_budget_seconds``). Options changed for a retry are restored afterwards, so
        later solves are unaffected.
        """
        return self._escalate(self.solve(), max_attempts, time_budget_seconds)

    def recover(self, max_attempts: int = 5, time_budget_seconds: float = 30.0) -> LpStatus:
        """The rest of :meth:`solve_with_retries` after its first, warm solve (made by
        :meth:`solve` or :meth:`solve_fixed`): that solve's status when optimal, else the
        escalation, with the attempt and time budgets counted from that solve."""
        return self._escalate(self._status(), max_attempts, time_budget_seconds)

    def _escalate(
        self, status: LpStatus, max_attempts: int, time_budget_seconds: float
    ) -> LpStatus:
        """The escalation of :meth:`solve_with_retries` after the warm solve that gave
        ``status``: nothing when it is optimal, else a cold start and the ladder's rungs, within
        the attempt and time budgets counted from the start of that solve."""
        if status == LpStatus.OPTIMAL or max_attempts <= 1:
            return status
        t0 = self._run_started
        attempts = 1

        def give_up() -> bool:
            out_of_time = time.perf_counter() - t0 >= time_budget_seconds
            return status == LpStatus.OPTIMAL or attempts >= max_attempts or out_of_time

        if give_up():
            return status
        status = self.solve_cold()
        attempts += 1
        for overrides in _RETRY_LADDER:
            if give_up():
                break
            for name, value in overrides.items():
                self._h.setOptionValue(name, value)
            self._h.clearSolver()
            status = self.solve()
            attempts += 1
            for name in overrides:
                self._h.setOptionValue(name, _OPTIONS[name])
        return status

    def status_text(self) -> str:
        return self._h.modelStatusToString(self._h.getModelStatus())

    def objective(self) -> float:
        """Objective value of the last solve."""
        return self._h.getObjectiveValue()

    def solution_record(self) -> highspy.HighsSolution:
        """The last solve's solution as HiGHS returns it, fetched once per solve (readers share
        it). Each read of a vector field (``row_dual``, ``col_value``) converts it to a new list;
        read each at most once, or use the readers below."""
        if self._solution is None:
            t0 = time.perf_counter()
            self._solution = self._h.getSolution()
            self.call_seconds += time.perf_counter() - t0
        return self._solution

    def primal(self) -> NDArray[np.float64]:
        """All column values of the last solve."""
        return np.array(self.solution_record().col_value, dtype=np.float64)

    def row_duals(self) -> NDArray[np.float64]:
        """All row duals of the last solve."""
        return np.array(self.solution_record().row_dual, dtype=np.float64)

    def col_values(self) -> list[float]:
        """All column values of the last solve, as a list (converted once per solve; do not
        modify it)."""
        if self._cols is None:
            self._cols = self.solution_record().col_value
        return self._cols

    def primal_at(self, cols: Sequence[int]) -> list[float]:
        """Values of the given columns, in order (no numpy array)."""
        values = self.col_values()
        return [values[j] for j in cols]

    def row_duals_at(self, rows: Sequence[int]) -> list[float]:
        """Duals of the given rows, in order (no numpy array)."""
        duals = self.solution_record().row_dual
        return [duals[i] for i in rows]

    def solution(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Column values and row duals of the last solve."""
        sol = self.solution_record()
        return (
            np.array(sol.col_value, dtype=np.float64),
            np.array(sol.row_dual, dtype=np.float64),
        )


_NOT_RUN = highspy.HighsModelStatus.kNotset
_OPTIMAL = highspy.HighsModelStatus.kOptimal

_STATUS: dict[highspy.HighsModelStatus, LpStatus] = {
    highspy.HighsModelStatus.kOptimal: LpStatus.OPTIMAL,
    highspy.HighsModelStatus.kInfeasible: LpStatus.INFEASIBLE,
    highspy.HighsModelStatus.kUnbounded: LpStatus.UNBOUNDED,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: LpStatus.UNBOUNDED,
}


def _floats(a: ArrayLike) -> NDArray[np.float64]:
    """``a`` as a contiguous float64 array (no copy when it already is one)."""
    return np.ascontiguousarray(a, dtype=np.float64)


def _indices(a: ArrayLike) -> NDArray[np.int32]:
    """``a`` as a contiguous int32 array (HiGHS's index type; no copy when it already is one)."""
    return np.ascontiguousarray(a, dtype=np.int32)


def _bounds(a: ArrayLike, n: int) -> NDArray[np.float64]:
    """Bounds for ``n`` entries: an array of that size as is, a scalar repeated."""
    arr = _floats(a)
    return arr if arr.shape == (n,) else np.ascontiguousarray(np.broadcast_to(arr, (n,)))
