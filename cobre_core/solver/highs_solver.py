"""A thin, thread-owned wrapper over one ``highspy.Highs`` instance.

Options follow upstream's choices: dual simplex, presolve off, no scaling strategy override beyond
HiGHS defaults, tolerances 1e-7, no parallelism inside HiGHS (parallelism is ours, across
instances). A solve patches bounds in place and re-solves from the previous basis (warm start).
One instance must only be used by one thread at a time.
"""

from __future__ import annotations

import time
from enum import StrEnum

import highspy
import numpy as np
from numpy.typing import ArrayLike, NDArray

from cobre_core.solver.lp_builder import LinearProgram

_HIGHS_INF = highspy.kHighsInf

_OPTIONS: dict[str, object] = {
    "output_flag": False,
    "presolve": "off",
    "solver": "simplex",
    "simplex_strategy": 1,
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


class LpStatus(StrEnum):
    """Outcome of a solve, reduced to what the algorithm needs."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"


def _finite(a: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.asarray(a, dtype=np.float64).copy()
    out[np.isposinf(out)] = _HIGHS_INF
    out[np.isneginf(out)] = -_HIGHS_INF
    return out


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
        model.col_lower_ = _finite(lp.col_lower)
        model.col_upper_ = _finite(lp.col_upper)
        model.row_lower_ = _finite(lp.row_lower)
        model.row_upper_ = _finite(lp.row_upper)
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = lp.a_start
        model.a_matrix_.index_ = lp.a_index
        model.a_matrix_.value_ = lp.a_value
        self._h.passModel(model)
        self.num_cols = lp.num_cols
        self.num_rows = lp.num_rows
        self.solves = 0
        self.solve_seconds = 0.0

    def set_row_bounds(self, rows: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        """Patch the bounds of the given rows."""
        idx = np.ascontiguousarray(rows, dtype=np.int32)
        lo = _finite(np.broadcast_to(np.asarray(lower, np.float64), idx.shape))
        hi = _finite(np.broadcast_to(np.asarray(upper, np.float64), idx.shape))
        self._h.changeRowsBounds(idx.size, idx, lo, hi)

    def set_col_bounds(self, cols: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        """Patch the bounds of the given columns."""
        idx = np.ascontiguousarray(cols, dtype=np.int32)
        lo = _finite(np.broadcast_to(np.asarray(lower, np.float64), idx.shape))
        hi = _finite(np.broadcast_to(np.asarray(upper, np.float64), idx.shape))
        self._h.changeColsBounds(idx.size, idx, lo, hi)

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
        self._h.addRows(
            n,
            _finite(lower),
            _finite(upper),
            int(np.asarray(index).size),
            np.ascontiguousarray(starts, dtype=np.int32),
            np.ascontiguousarray(index, dtype=np.int32),
            np.ascontiguousarray(value, dtype=np.float64),
        )
        self.num_rows += n

    def solve(self) -> LpStatus:
        """Solve from the current basis; returns the status."""
        t0 = time.perf_counter()
        self._h.run()
        self.solve_seconds += time.perf_counter() - t0
        self.solves += 1
        status = self._h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return LpStatus.OPTIMAL
        if status == highspy.HighsModelStatus.kInfeasible:
            return LpStatus.INFEASIBLE
        if status in (
            highspy.HighsModelStatus.kUnbounded,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            return LpStatus.UNBOUNDED
        return LpStatus.ERROR

    def solve_cold(self) -> LpStatus:
        """Forget the basis and solve from scratch (fallback after a failed warm solve)."""
        self._h.clearSolver()
        return self.solve()

    def solve_with_retries(self) -> LpStatus:
        """Warm solve, then escalate as upstream does: cold start, presolve, interior point.

        Options changed for a retry are restored afterwards, so later solves are unaffected.
        """
        status = self.solve()
        if status == LpStatus.OPTIMAL:
            return status
        status = self.solve_cold()
        for overrides in _RETRY_LADDER:
            if status == LpStatus.OPTIMAL:
                break
            for name, value in overrides.items():
                self._h.setOptionValue(name, value)
            self._h.clearSolver()
            status = self.solve()
            for name in overrides:
                self._h.setOptionValue(name, _OPTIONS[name])
        return status

    def status_text(self) -> str:
        return self._h.modelStatusToString(self._h.getModelStatus())

    def objective(self) -> float:
        return float(self._h.getInfo().objective_function_value)

    def primal(self) -> NDArray[np.float64]:
        return np.asarray(self._h.getSolution().col_value, dtype=np.float64)

    def row_duals(self) -> NDArray[np.float64]:
        return np.asarray(self._h.getSolution().row_dual, dtype=np.float64)

    def solution(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Column values and row duals from one solution fetch."""
        sol = self._h.getSolution()
        return (
            np.asarray(sol.col_value, dtype=np.float64),
            np.asarray(sol.row_dual, dtype=np.float64),
        )
