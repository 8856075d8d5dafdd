"""How :class:`~cobre_core.solver.highs_solver.HighsSolver` talks to one HiGHS instance.

:class:`HighsApi` is the contract: the dozen HiGHS calls the solver makes, with numpy arrays in
and out. Two implementations give the same results bit for bit, since both end in the same HiGHS
library calls in the same order:

* :class:`~cobre_core.solver.highs_capi.CHighs`: HiGHS's C API through ``ctypes``, on the shared
  library that highspy wheels ship beside their module. Calls cost about 0.2 us and solutions
  are copied straight into numpy buffers. Used when that library is there.
* :class:`PyHighs`: highspy's own ``Highs`` object. Each call goes through pybind11 and a
  solution read copies HiGHS's whole solution record into Python lists. The fallback, for highspy
  builds that link HiGHS into their module (1.16.0 does).

``COBRE_HIGHS_API=highspy`` (or ``c``) in the environment forces one (worker processes inherit
it); :func:`api_name` says which one new instances use. Not for callers outside the solver
package: use :class:`~cobre_core.solver.highs_solver.HighsSolver`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Protocol

import highspy
import numpy as np
from numpy.typing import NDArray

from cobre_core.solver.lp_builder import LinearProgram

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int32]

OptionValue = bool | int | float | str

# HiGHS's model status codes (HighsModelStatus), as both implementations return them
NOT_SET = int(highspy.HighsModelStatus.kNotset)
OPTIMAL = int(highspy.HighsModelStatus.kOptimal)
INFEASIBLE = int(highspy.HighsModelStatus.kInfeasible)
UNBOUNDED_OR_INFEASIBLE = int(highspy.HighsModelStatus.kUnboundedOrInfeasible)
UNBOUNDED = int(highspy.HighsModelStatus.kUnbounded)

ENV_VAR = "COBRE_HIGHS_API"


class HighsApi(Protocol):
    """One HiGHS instance. Arrays are contiguous: int32 indices, float64 values.

    Row and column counts are the caller's to track (the model passed, plus rows and columns
    added, minus rows deleted); buffers given to the readers must have exactly those sizes.
    """

    def set_option(self, name: str, value: OptionValue) -> None: ...

    def pass_lp(self, lp: LinearProgram) -> None: ...

    def change_rows_bounds(self, rows: IntArray, lower: FloatArray, upper: FloatArray) -> None: ...

    def change_cols_bounds(self, cols: IntArray, lower: FloatArray, upper: FloatArray) -> None: ...

    def add_rows(
        self,
        lower: FloatArray,
        upper: FloatArray,
        starts: IntArray,
        index: IntArray,
        value: FloatArray,
    ) -> None: ...

    def add_cols(self, cost: FloatArray, lower: FloatArray, upper: FloatArray) -> None: ...

    def delete_rows(self, rows: IntArray) -> None: ...

    def run(self) -> None: ...

    def clear_solver(self) -> None: ...

    def model_status(self) -> int: ...

    def objective(self) -> float: ...

    def read_solution(self, cols: FloatArray | None, row_duals: FloatArray | None) -> None:
        """Copy the last solve's column values and row duals into the arrays given."""
        ...

    def solve_fixed_series(
        self,
        rows: IntArray,
        values: FloatArray,
        first: int,
        objs: FloatArray,
        cols: FloatArray,
        duals: FloatArray,
    ) -> tuple[int, float, float]:
        """Solve ``j = first, first + 1, ...`` in order: fix ``rows`` to ``values[j]`` (both
        bounds), run from the current basis and, when optimal, write the objective to
        ``objs[j]``, the column values to ``cols[j]`` and the row duals to ``duals[j]``.

        Stops after the first solve that is not optimal. Returns the index of that solve (or
        ``len(objs)`` when all were optimal), then the seconds inside ``run()`` and inside the
        other HiGHS calls.
        """
        ...


class PyHighs:
    """:class:`HighsApi` on highspy's ``Highs`` object (see the module docstring)."""

    def __init__(self) -> None:
        self._h = highspy.Highs()

    def set_option(self, name: str, value: OptionValue) -> None:
        self._h.setOptionValue(name, value)

    def pass_lp(self, lp: LinearProgram) -> None:
        model = highspy.HighsLp()
        model.num_col_ = lp.num_cols
        model.num_row_ = lp.num_rows
        model.col_cost_ = lp.col_cost
        model.col_lower_ = lp.col_lower
        model.col_upper_ = lp.col_upper
        model.row_lower_ = lp.row_lower
        model.row_upper_ = lp.row_upper
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = lp.a_start
        model.a_matrix_.index_ = lp.a_index
        model.a_matrix_.value_ = lp.a_value
        self._h.passModel(model)

    def change_rows_bounds(self, rows: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        self._h.changeRowsBounds(rows.size, rows, lower, upper)

    def change_cols_bounds(self, cols: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        self._h.changeColsBounds(cols.size, cols, lower, upper)

    def add_rows(
        self,
        lower: FloatArray,
        upper: FloatArray,
        starts: IntArray,
        index: IntArray,
        value: FloatArray,
    ) -> None:
        self._h.addRows(lower.size, lower, upper, index.size, starts, index, value)

    def add_cols(self, cost: FloatArray, lower: FloatArray, upper: FloatArray) -> None:
        n = cost.size
        empty_i, empty_f = np.zeros(0, dtype=np.int32), np.zeros(0)
        self._h.addCols(n, cost, lower, upper, 0, np.zeros(n, dtype=np.int32), empty_i, empty_f)

    def delete_rows(self, rows: IntArray) -> None:
        self._h.deleteRows(rows.size, rows)

    def run(self) -> None:
        self._h.run()

    def clear_solver(self) -> None:
        self._h.clearSolver()

    def model_status(self) -> int:
        return int(self._h.getModelStatus())

    def objective(self) -> float:
        return float(self._h.getObjectiveValue())

    def read_solution(self, cols: FloatArray | None, row_duals: FloatArray | None) -> None:
        solution = self._h.getSolution()
        if cols is not None:
            cols[:] = solution.col_value
        if row_duals is not None:
            row_duals[:] = solution.row_dual

    def solve_fixed_series(
        self,
        rows: IntArray,
        values: FloatArray,
        first: int,
        objs: FloatArray,
        cols: FloatArray,
        duals: FloatArray,
    ) -> tuple[int, float, float]:
        h, n = self._h, rows.size
        optimal = highspy.HighsModelStatus.kOptimal

        def patch(j: int) -> None:
            v = values[j]
            h.changeRowsBounds(n, rows, v, v)

        def read(j: int) -> None:
            objs[j] = h.getObjectiveValue()
            solution = h.getSolution()
            cols[j] = solution.col_value
            duals[j] = solution.row_dual

        return run_series(
            first, objs.size, patch, h.run, lambda: h.getModelStatus() == optimal, read
        )


def run_series(
    first: int,
    k: int,
    patch: Callable[[int], object],
    run: Callable[[], object],
    optimal: Callable[[], bool],
    read: Callable[[int], object],
) -> tuple[int, float, float]:
    """The loop of :meth:`HighsApi.solve_fixed_series`, on one implementation's calls:
    ``patch(j)`` fixes solve ``j``'s rows, ``run()`` solves, ``optimal()`` says whether the solve
    was optimal and ``read(j)`` stores its objective and solution. Stops after the first solve
    that is not optimal; returns its index (``k`` when none), then the seconds inside ``run()``
    and inside the other calls."""
    clock = time.perf_counter
    run_s = call_s = 0.0
    for j in range(first, k):
        t0 = clock()
        patch(j)
        t1 = clock()
        run()
        t2 = clock()
        run_s += t2 - t1
        if not optimal():
            return j, run_s, call_s + (clock() - t2) + (t1 - t0)
        read(j)
        call_s += (clock() - t2) + (t1 - t0)
    return k, run_s, call_s


def api_name() -> str:
    """``"c"`` when new instances use HiGHS's C API, ``"highspy"`` when they use highspy."""
    from cobre_core.solver import highs_capi

    wanted = os.environ.get(ENV_VAR, "").strip().lower()
    if wanted == "highspy" or highs_capi.library() is None:
        return "highspy"
    return "c"


def new_highs() -> HighsApi:
    """A fresh HiGHS instance behind :class:`HighsApi` (the implementation :func:`api_name`
    names)."""
    from cobre_core.solver import highs_capi

    if api_name() == "c":
        return highs_capi.CHighs()
    return PyHighs()
