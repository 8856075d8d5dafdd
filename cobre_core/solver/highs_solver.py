"""A thin, thread-owned wrapper over one HiGHS instance.

Options follow upstream's: dual simplex with Devex pricing, presolve off, tolerances 1e-7, no
parallelism inside HiGHS (parallelism is ours, across instances); unlike upstream we keep HiGHS's
own scaling and cost perturbation, which were faster here. A solve patches bounds in place and
re-solves from the previous basis (warm start). One instance must only be used by one thread at a
time.

Per-solve Python cost matters (thousands of small LPs per iteration, and ``run()`` releases the
GIL, so whatever runs between solves also limits thread scaling). The instance is reached through
HiGHS's C API when highspy ships it as a library (:mod:`cobre_core.solver.highs_api`): calls of
about 0.2 us, and solutions copied straight into numpy arrays, read at most once per solve. A
series of solves that only re-fix some rows (the backward pass) runs as one call,
:meth:`HighsSolver.solve_series`. Bounds go in as ready int32/float64 arrays. Infinite bounds need
no translation: HiGHS's infinity is IEEE ``inf`` (``highspy.kHighsInf``), checked at import.
"""

from __future__ import annotations

import os
import time
from enum import StrEnum

import highspy
import numpy as np
from numpy.typing import ArrayLike, NDArray

from cobre_core.solver import highs_api
from cobre_core.solver.highs_api import FloatArray, IntArray, new_highs
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


_QUIET = _first_highs_quietly()
HIGHS_VERSION: str = _QUIET.version()
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
        self._h = new_highs()
        for name, value in _OPTIONS.items():
            self._h.set_option(name, value)  # type: ignore[arg-type]
        self._h.pass_lp(lp)
        self.num_cols = lp.num_cols
        self.num_rows = lp.num_rows
        self.solves = 0
        self.solve_seconds = 0.0  # inside run()
        # inside the other HiGHS calls: bound patches, row adds and deletes, solution copies
        self.call_seconds = 0.0
        self._cols: FloatArray | None = None  # the last solve's column values, once read
        self._duals: FloatArray | None = None  # and its row duals
        self._run_started = 0.0  # perf_counter() where the last warm solve's retry budget starts

    def set_row_bounds(self, rows: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        """Patch the bounds of the given rows (scalars broadcast; +-inf means no bound).

        Fastest with ``rows`` as contiguous int32 and bounds as contiguous float64, as
        :meth:`StageLp.row_patch <cobre_core.solver.stage_lp.StageLp.row_patch>` returns them.
        """
        idx = _indices(rows)
        lo, hi = _bounds(lower, idx.size), _bounds(upper, idx.size)
        t0 = time.perf_counter()
        self._h.change_rows_bounds(idx, lo, hi)
        self.call_seconds += time.perf_counter() - t0

    def fix_rows(self, rows: IntArray, values: FloatArray) -> None:
        """Set both bounds of ``rows`` to ``values`` (equality rows; the solve hot path).

        ``rows`` must be contiguous int32 and ``values`` contiguous float64 of the same size, as
        :meth:`StageLp.row_patch <cobre_core.solver.stage_lp.StageLp.row_patch>` returns them;
        nothing is converted.
        """
        t0 = time.perf_counter()
        self._h.change_rows_bounds(rows, values, values)
        self.call_seconds += time.perf_counter() - t0

    def solve_series(
        self,
        rows: IntArray,
        values: FloatArray,
        first: int,
        objs: FloatArray,
        cols: FloatArray,
        duals: FloatArray,
    ) -> int:
        """Warm solves ``j = first, first + 1, ...``, each with ``rows`` fixed to ``values[j]``
        ``(k, rows)``; returns ``k`` when all were optimal, else the first that was not.

        The backward pass's hot path: one call for a whole series of solves, which write their
        objective to ``objs[j]`` and all column values and row duals to ``cols[j]`` ``(k,
        num_cols)`` and ``duals[j]`` ``(k, num_rows)`` (contiguous float64, ``rows`` contiguous
        int32). Nothing is retried: after a solve that was not optimal, call :meth:`recover`,
        which goes on exactly as :meth:`solve_with_retries` would have after it, then read that
        solve's values with :meth:`read_solution` and go on from the next one.
        """
        j, run_s, call_s = self._h.solve_fixed_series(rows, values, first, objs, cols, duals)
        self.solve_seconds += run_s
        self.call_seconds += call_s
        self.solves += min(j + 1, objs.size) - first
        self._cols = self._duals = None
        self._run_started = time.perf_counter()  # the retry budget counts from here
        return j

    def set_col_bounds(self, cols: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        """Patch the bounds of the given columns (scalars broadcast; +-inf means no bound)."""
        idx = _indices(cols)
        lo, hi = _bounds(lower, idx.size), _bounds(upper, idx.size)
        t0 = time.perf_counter()
        self._h.change_cols_bounds(idx, lo, hi)
        self.call_seconds += time.perf_counter() - t0

    def add_rows(
        self,
        lower: FloatArray,
        upper: FloatArray,
        starts: IntArray,
        index: IntArray,
        value: FloatArray,
    ) -> None:
        """Append rows given in CSR form (used for Benders cuts, added in batches)."""
        n = int(np.asarray(lower).size)
        if n == 0:
            return
        args = (_floats(lower), _floats(upper), _indices(starts), _indices(index), _floats(value))
        t0 = time.perf_counter()
        self._h.add_rows(*args)
        self.call_seconds += time.perf_counter() - t0
        self.num_rows += n

    def add_columns(self, cost: FloatArray, lower: FloatArray, upper: FloatArray) -> int:
        """Append columns with no matrix entries yet; returns the index of the first."""
        n = int(np.asarray(cost).size)
        first = self.num_cols
        self._h.add_cols(_floats(cost), _floats(lower), _floats(upper))
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
        self._h.delete_rows(idx)
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
        self._cols = self._duals = None
        return self._status()

    def _status(self) -> LpStatus:
        """The status of the last ``run()`` (re-run once HiGHS's scheduler is adopted)."""
        status = self._h.model_status()
        if status == highs_api.OPTIMAL:
            return LpStatus.OPTIMAL
        if status == highs_api.NOT_SET:
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
            self._h.set_option("threads", threads)
            self._h.run()
            if self._h.model_status() != highs_api.NOT_SET:
                _OPTIONS["threads"] = threads
                return _STATUS.get(self._h.model_status(), LpStatus.ERROR)
        self._h.set_option("threads", _OPTIONS["threads"])  # type: ignore[arg-type]
        return LpStatus.ERROR

    def forget_basis(self) -> None:
        """Make the next solve start from scratch instead of the last basis."""
        self._h.clear_solver()

    def solve_cold(self) -> LpStatus:
        """Forget the basis and solve from scratch (fallback after a failed warm solve)."""
        self.forget_basis()
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
        :meth:`solve` or as the failed solve of :meth:`solve_series`): that solve's status when
        optimal, else the escalation, with the attempt and time budgets counted from that
        solve."""
        return self._escalate(self._status(), max_attempts, time_budget_seconds)

    def _escalate(
        self, status: LpStatus, max_attempts: int, time_budget_seconds: float
    ) -> LpStatus:
        """The escalation of :meth:`solve_with_retries` after the warm solve that gave
        ``status``: nothing when it is optimal, else a cold start and the ladder's rungs, within
        the attempt and time budgets counted from that solve."""
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
                self._h.set_option(name, value)  # type: ignore[arg-type]
            self._h.clear_solver()
            status = self.solve()
            attempts += 1
            for name in overrides:
                self._h.set_option(name, _OPTIONS[name])  # type: ignore[arg-type]
        return status

    def status_text(self) -> str:
        """HiGHS's name for the last solve's model status (for error records)."""
        return _QUIET.modelStatusToString(highspy.HighsModelStatus(self._h.model_status()))

    def objective(self) -> float:
        """Objective value of the last solve."""
        return self._h.objective()

    def read_solution(self, cols: FloatArray | None, row_duals: FloatArray | None) -> None:
        """Copy the last solve's column values and row duals into the arrays given (contiguous
        float64 of ``num_cols`` and ``num_rows``; None skips one)."""
        t0 = time.perf_counter()
        self._h.read_solution(cols, row_duals)
        self.call_seconds += time.perf_counter() - t0

    def _fetch(self, cols: bool, duals: bool) -> None:
        """Read what is asked of the last solve and not read yet, in one call."""
        c = np.empty(self.num_cols) if cols and self._cols is None else None
        d = np.empty(self.num_rows) if duals and self._duals is None else None
        if c is None and d is None:
            return
        self.read_solution(c, d)
        if c is not None:
            self._cols = c
        if d is not None:
            self._duals = d

    def col_values(self) -> FloatArray:
        """All column values of the last solve, read once per solve (do not modify)."""
        if self._cols is None:
            self._fetch(True, False)
        return self._cols  # type: ignore[return-value]

    def row_dual_values(self) -> FloatArray:
        """All row duals of the last solve, read once per solve (do not modify)."""
        if self._duals is None:
            self._fetch(False, True)
        return self._duals  # type: ignore[return-value]

    def primal_at(self, cols: ArrayLike) -> FloatArray:
        """Values of the given columns, in order."""
        return self.col_values()[cols]

    def row_duals_at(self, rows: ArrayLike) -> FloatArray:
        """Duals of the given rows, in order."""
        return self.row_dual_values()[rows]

    def primal(self) -> FloatArray:
        """All column values of the last solve (a copy)."""
        return self.col_values().copy()

    def row_duals(self) -> FloatArray:
        """All row duals of the last solve (a copy)."""
        return self.row_dual_values().copy()

    def solution(self) -> tuple[FloatArray, FloatArray]:
        """Column values and row duals of the last solve (copies, read in one call)."""
        self._fetch(True, True)
        return self.primal(), self.row_duals()


_STATUS: dict[int, LpStatus] = {
    highs_api.OPTIMAL: LpStatus.OPTIMAL,
    highs_api.INFEASIBLE: LpStatus.INFEASIBLE,
    highs_api.UNBOUNDED: LpStatus.UNBOUNDED,
    highs_api.UNBOUNDED_OR_INFEASIBLE: LpStatus.UNBOUNDED,
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
