"""HiGHS's C API through ``ctypes``: :class:`CHighs`, the fast :class:`~cobre_core.solver.
highs_api.HighsApi`.

highspy wheels up to 1.15 ship HiGHS as a shared library beside their module (``libhighs.so.1``
on Linux), and highspy's own module loads it. Loading the same file again gives the same library
in memory, so instances made here share HiGHS's process-wide state (its task scheduler, its
banner-printed flag) with highspy's. Nothing is compiled and nothing new is installed. Linux
only: the loaded file is found in ``/proc/self/maps``; elsewhere highspy's object is used.

Why: a training run makes some 145,000 warm re-solves of small LPs, and what runs between them
is overhead. Through highspy each call crosses pybind11 and reading a solution copies HiGHS's
whole solution record, then converts vectors to Python lists. Here a call costs about 0.2 us and
:meth:`CHighs.read_solution` copies the two vectors asked for straight into numpy buffers.

Memory safety: the C API writes into the buffers it is given without knowing their size, so the
readers check the buffers against HiGHS's own row and column counts first. Every call but
``run()`` holds the GIL (they take microseconds); ``run()`` releases it, as highspy's does.

Not for direct use: :func:`~cobre_core.solver.highs_api.new_highs` picks this or highspy's object.
"""

from __future__ import annotations

import ctypes
import functools
import weakref
from pathlib import Path

import highspy
import numpy as np

from cobre_core.solver.highs_api import (
    OPTIMAL,
    FloatArray,
    IntArray,
    OptionValue,
    run_series,
)
from cobre_core.solver.lp_builder import LinearProgram

_H = ctypes.c_void_p  # a Highs instance
_INT = ctypes.c_int32  # HighsInt (checked at load)
_PTR = ctypes.c_void_p  # arrays go in as addresses (numpy's .ctypes.data)
_DOUBLE = ctypes.c_double
_TEXT = ctypes.c_char_p

# name: (result type, argument types)
_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "Highs_create": (_H, []),
    "Highs_destroy": (None, [_H]),
    "Highs_version": (_TEXT, []),
    "Highs_getSizeofHighsInt": (_INT, [_H]),
    "Highs_getOptionType": (_INT, [_H, _TEXT, ctypes.POINTER(_INT)]),
    "Highs_setBoolOptionValue": (_INT, [_H, _TEXT, _INT]),
    "Highs_setIntOptionValue": (_INT, [_H, _TEXT, _INT]),
    "Highs_setDoubleOptionValue": (_INT, [_H, _TEXT, _DOUBLE]),
    "Highs_setStringOptionValue": (_INT, [_H, _TEXT, _TEXT]),
    "Highs_passLp": (_INT, [_H, _INT, _INT, _INT, _INT, _INT, _DOUBLE, *[_PTR] * 8]),
    "Highs_changeRowsBoundsBySet": (_INT, [_H, _INT, _PTR, _PTR, _PTR]),
    "Highs_changeColsBoundsBySet": (_INT, [_H, _INT, _PTR, _PTR, _PTR]),
    "Highs_addRows": (_INT, [_H, _INT, _PTR, _PTR, _INT, _PTR, _PTR, _PTR]),
    "Highs_addCols": (_INT, [_H, _INT, _PTR, _PTR, _PTR, _INT, _PTR, _PTR, _PTR]),
    "Highs_deleteRowsBySet": (_INT, [_H, _INT, _PTR]),
    "Highs_clearSolver": (_INT, [_H]),
    "Highs_getModelStatus": (_INT, [_H]),
    "Highs_getObjectiveValue": (_DOUBLE, [_H]),
    "Highs_getSolution": (_INT, [_H, _PTR, _PTR, _PTR, _PTR]),
    "Highs_getNumCol": (_INT, [_H]),
    "Highs_getNumRow": (_INT, [_H]),
    "Highs_run": (_INT, [_H]),
}

_ERROR = -1  # kHighsStatusError
_OPTION_SETTERS = {  # kHighsOptionType* -> setter and how the value goes in
    0: ("Highs_setBoolOptionValue", int),
    1: ("Highs_setIntOptionValue", int),
    2: ("Highs_setDoubleOptionValue", float),
    3: ("Highs_setStringOptionValue", lambda v: str(v).encode()),
}
_COLWISE, _MINIMIZE = 1, 1  # kHighsMatrixFormatColwise, kHighsObjSenseMinimize


class _Library:
    """The C API functions, declared: ``calls`` hold the GIL, ``run`` releases it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        holding = ctypes.PyDLL(str(path))
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(holding, name)
            fn.restype, fn.argtypes = restype, argtypes
        self.calls = holding
        releasing = ctypes.CDLL(str(path)).Highs_run
        releasing.restype, releasing.argtypes = _INT, [_H]
        self.run = releasing


def _candidates() -> list[Path]:
    """HiGHS library files beside highspy's module that this process has loaded already.

    A wheel cannot hold symbolic links, so it may carry two copies of the library
    (``libhighs.so.1`` and ``libhighs.so.1.15.1``). Only the loaded one is the HiGHS highspy
    runs; loading the other would put a second HiGHS in memory. Where the loaded files cannot be
    listed (no ``/proc``), there is no candidate and highspy's object is used.
    """
    here = Path(highspy.__file__).resolve().parent
    loaded = _mapped_files()
    return sorted(p for p in here.glob("libhighs*.so*") if p.resolve() in loaded)


def _mapped_files() -> set[Path]:
    """Files mapped into this process (Linux ``/proc/self/maps``; empty elsewhere)."""
    try:
        text = Path("/proc/self/maps").read_text()
    except OSError:
        return set()
    fields = (line.split(None, 5) for line in text.splitlines())
    return {Path(f[5]) for f in fields if len(f) == 6 and f[5].startswith("/")}


@functools.cache
def library() -> _Library | None:
    """The C API of the HiGHS library highspy uses, or None when there is none to use: HiGHS
    linked into highspy's module, a library of another version or with 64-bit indices, or a
    system where the loaded libraries cannot be listed (:func:`_candidates`)."""
    for path in _candidates():
        try:
            lib = _Library(path)
        except (OSError, AttributeError):  # not loadable, or a C API without these functions
            continue
        if _matches_highspy(lib):
            return lib
    return None


def _matches_highspy(lib: _Library) -> bool:
    """Whether ``lib`` is the HiGHS highspy runs, with 32-bit indices (our arrays' type)."""
    from cobre_core.solver.highs_solver import HIGHS_VERSION

    calls = lib.calls
    text = calls.Highs_version()
    if text is None or text.decode() != HIGHS_VERSION:
        return False
    handle = calls.Highs_create()
    try:
        return int(calls.Highs_getSizeofHighsInt(handle)) == ctypes.sizeof(_INT)
    finally:
        calls.Highs_destroy(handle)


class CHighs:
    """:class:`~cobre_core.solver.highs_api.HighsApi` on HiGHS's C API (module docstring)."""

    def __init__(self) -> None:
        lib = library()
        if lib is None:
            raise RuntimeError("highspy ships no HiGHS C library here; use highs_api.PyHighs")
        self._c = lib.calls
        self._run = lib.run
        self._h = self._c.Highs_create()
        weakref.finalize(self, self._c.Highs_destroy, self._h)

    def _check(self, status: int, what: str) -> None:
        if status == _ERROR:
            raise RuntimeError(f"HiGHS refused {what}")

    def set_option(self, name: str, value: OptionValue) -> None:
        kind = _INT()
        key = name.encode()
        self._check(self._c.Highs_getOptionType(self._h, key, ctypes.byref(kind)), name)
        setter, convert = _OPTION_SETTERS[kind.value]
        self._check(getattr(self._c, setter)(self._h, key, convert(value)), f"{name}={value!r}")

    def pass_lp(self, lp: LinearProgram) -> None:
        arrays = [
            np.ascontiguousarray(a, dtype=np.float64)
            for a in (lp.col_cost, lp.col_lower, lp.col_upper, lp.row_lower, lp.row_upper)
        ]
        start, index = (np.ascontiguousarray(a, dtype=np.int32) for a in (lp.a_start, lp.a_index))
        value = np.ascontiguousarray(lp.a_value, dtype=np.float64)
        status = self._c.Highs_passLp(
            self._h,
            lp.num_cols,
            lp.num_rows,
            index.size,
            _COLWISE,
            _MINIMIZE,
            0.0,
            *(a.ctypes.data for a in (*arrays, start, index, value)),
        )
        self._check(status, "the model")

    def change_rows_bounds(self, rows: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        self._c.Highs_changeRowsBoundsBySet(
            self._h, rows.size, rows.ctypes.data, lower.ctypes.data, upper.ctypes.data
        )

    def change_cols_bounds(self, cols: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        self._c.Highs_changeColsBoundsBySet(
            self._h, cols.size, cols.ctypes.data, lower.ctypes.data, upper.ctypes.data
        )

    def add_rows(
        self,
        lower: FloatArray,
        upper: FloatArray,
        starts: IntArray,
        index: IntArray,
        value: FloatArray,
    ) -> None:
        pointers = (a.ctypes.data for a in (starts, index, value))
        status = self._c.Highs_addRows(
            self._h, lower.size, lower.ctypes.data, upper.ctypes.data, index.size, *pointers
        )
        self._check(status, "the rows")

    def add_cols(self, cost: FloatArray, lower: FloatArray, upper: FloatArray) -> None:
        starts = np.zeros(cost.size, dtype=np.int32)
        pointers = (a.ctypes.data for a in (cost, lower, upper))
        status = self._c.Highs_addCols(
            self._h, cost.size, *pointers, 0, starts.ctypes.data, None, None
        )
        self._check(status, "the columns")

    def delete_rows(self, rows: IntArray) -> None:
        self._check(self._c.Highs_deleteRowsBySet(self._h, rows.size, rows.ctypes.data), "rows")

    def run(self) -> None:
        self._run(self._h)

    def clear_solver(self) -> None:
        self._c.Highs_clearSolver(self._h)

    def model_status(self) -> int:
        return int(self._c.Highs_getModelStatus(self._h))

    def objective(self) -> float:
        return float(self._c.Highs_getObjectiveValue(self._h))

    def _fits(self, cols: int | None, rows: int | None) -> None:
        """Raise unless buffer widths ``cols`` and ``rows`` (None: no buffer) are HiGHS's
        counts: the C API would write past a shorter buffer."""
        c = self._c
        if cols is not None and cols != c.Highs_getNumCol(self._h):
            raise ValueError(f"column buffer of {cols}, HiGHS has {c.Highs_getNumCol(self._h)}")
        if rows is not None and rows != c.Highs_getNumRow(self._h):
            raise ValueError(f"row buffer of {rows}, HiGHS has {c.Highs_getNumRow(self._h)}")

    def read_solution(self, cols: FloatArray | None, row_duals: FloatArray | None) -> None:
        self._fits(_width(cols), _width(row_duals))
        self._c.Highs_getSolution(
            self._h,
            None if cols is None else cols.ctypes.data,
            None,
            None,
            None if row_duals is None else row_duals.ctypes.data,
        )

    def solve_fixed_series(
        self,
        rows: IntArray,
        values: FloatArray,
        first: int,
        objs: FloatArray,
        cols: FloatArray,
        duals: FloatArray,
    ) -> tuple[int, float, float]:
        k = objs.size
        if values.shape != (k, rows.size) or cols.shape[0] != k or duals.shape[0] != k:
            raise ValueError("values, cols and duals need one row per solve")
        for a, dtype in ((rows, np.int32), *((x, np.float64) for x in (values, objs, cols, duals))):
            if not a.flags.c_contiguous or a.dtype != dtype:
                raise ValueError("solve_fixed_series needs contiguous int32 rows, float64 data")
        self._fits(cols.shape[1], duals.shape[1])
        c, h = self._c, self._h
        fix, status = c.Highs_changeRowsBoundsBySet, c.Highs_getModelStatus
        objective, solution = c.Highs_getObjectiveValue, c.Highs_getSolution
        n, at = rows.size, rows.ctypes.data
        v0, v_step = values.ctypes.data, values.strides[0]
        c0, c_step = cols.ctypes.data, cols.strides[0]
        d0, d_step = duals.ctypes.data, duals.strides[0]

        def patch(j: int) -> None:
            v = v0 + j * v_step
            fix(h, n, at, v, v)

        def read(j: int) -> None:
            objs[j] = objective(h)
            solution(h, c0 + j * c_step, None, None, d0 + j * d_step)

        run = functools.partial(self._run, h)
        return run_series(first, k, patch, run, lambda: status(h) == OPTIMAL, read)


def _width(buffer: FloatArray | None) -> int | None:
    if buffer is None:
        return None
    if buffer.ndim != 1 or not buffer.flags.c_contiguous or buffer.dtype != np.float64:
        raise ValueError("solution buffers are contiguous 1-d float64 arrays")
    return int(buffer.size)
