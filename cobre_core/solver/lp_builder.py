"""Accumulate an LP as arrays: named column blocks, rows from coefficient triplets.

Build once per stage, then hand the arrays to :class:`~cobre_core.solver.HighsSolver`. Not for
per-solve changes: those are bound patches on the solver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

INF = float("inf")


@dataclass(frozen=True)
class LinearProgram:
    """A minimisation LP in column-wise (CSC) form."""

    col_cost: NDArray[np.float64]
    col_lower: NDArray[np.float64]
    col_upper: NDArray[np.float64]
    row_lower: NDArray[np.float64]
    row_upper: NDArray[np.float64]
    a_start: NDArray[np.int32]
    a_index: NDArray[np.int32]
    a_value: NDArray[np.float64]

    @property
    def num_cols(self) -> int:
        return int(self.col_cost.size)

    @property
    def num_rows(self) -> int:
        return int(self.row_lower.size)


def _as_float_array(value: ArrayLike, n: int) -> NDArray[np.float64]:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.size != n:
        raise ValueError(f"expected {n} values, got {arr.size}")
    return arr.reshape(n).copy()


class LpBuilder:
    """Collects columns and rows; ``build()`` returns an immutable :class:`LinearProgram`.

    Columns are added in blocks (``add_columns`` returns their indices); rows are added one block at
    a time from (row-local index, column, coefficient) triplets. Duplicate (row, column) entries are
    summed.
    """

    def __init__(self) -> None:
        self._cost: list[NDArray[np.float64]] = []
        self._lower: list[NDArray[np.float64]] = []
        self._upper: list[NDArray[np.float64]] = []
        self._row_lower: list[NDArray[np.float64]] = []
        self._row_upper: list[NDArray[np.float64]] = []
        self._trip_row: list[NDArray[np.int64]] = []
        self._trip_col: list[NDArray[np.int64]] = []
        self._trip_val: list[NDArray[np.float64]] = []
        self.num_cols = 0
        self.num_rows = 0

    def add_columns(
        self, n: int, lower: ArrayLike = 0.0, upper: ArrayLike = INF, cost: ArrayLike = 0.0
    ) -> NDArray[np.int64]:
        """Add ``n`` columns; returns their indices."""
        self._cost.append(_as_float_array(cost, n))
        self._lower.append(_as_float_array(lower, n))
        self._upper.append(_as_float_array(upper, n))
        idx = np.arange(self.num_cols, self.num_cols + n, dtype=np.int64)
        self.num_cols += n
        return idx

    def add_rows(
        self,
        n: int,
        lower: ArrayLike,
        upper: ArrayLike,
        rows: ArrayLike = (),
        cols: ArrayLike = (),
        vals: ArrayLike = (),
    ) -> NDArray[np.int64]:
        """Add ``n`` rows with bounds and entries given as row-local triplets; returns indices."""
        r = np.asarray(rows, dtype=np.int64).ravel()
        c = np.asarray(cols, dtype=np.int64).ravel()
        v = np.asarray(vals, dtype=np.float64).ravel()
        if not (r.size == c.size == v.size):
            raise ValueError("triplet arrays differ in length")
        if r.size and (r.min() < 0 or r.max() >= n):
            raise ValueError("row-local index out of range")
        self._row_lower.append(_as_float_array(lower, n))
        self._row_upper.append(_as_float_array(upper, n))
        self._trip_row.append(r + self.num_rows)
        self._trip_col.append(c)
        self._trip_val.append(v)
        idx = np.arange(self.num_rows, self.num_rows + n, dtype=np.int64)
        self.num_rows += n
        return idx

    def build(self) -> LinearProgram:
        """Assemble the CSC matrix (entries summed, zeros dropped) and freeze the arrays."""

        def cat(parts: list[NDArray[np.float64]]) -> NDArray[np.float64]:
            return np.concatenate(parts) if parts else np.zeros(0)

        rows = np.concatenate(self._trip_row) if self._trip_row else np.zeros(0, np.int64)
        cols = np.concatenate(self._trip_col) if self._trip_col else np.zeros(0, np.int64)
        vals = cat(self._trip_val)
        if cols.size and (cols.min() < 0 or cols.max() >= self.num_cols):
            raise ValueError("column index out of range")
        key = cols * max(self.num_rows, 1) + rows
        order = np.argsort(key, kind="stable")
        key, vals = key[order], vals[order]
        uniq, first = np.unique(key, return_index=True)
        summed = np.add.reduceat(vals, first) if vals.size else vals
        keep = summed != 0.0
        uniq, summed = uniq[keep], summed[keep]
        ucols = uniq // max(self.num_rows, 1)
        urows = uniq % max(self.num_rows, 1)
        start = np.zeros(self.num_cols + 1, dtype=np.int32)
        np.cumsum(np.bincount(ucols, minlength=self.num_cols), out=start[1:])
        return LinearProgram(
            col_cost=cat(self._cost),
            col_lower=cat(self._lower),
            col_upper=cat(self._upper),
            row_lower=cat(self._row_lower),
            row_upper=cat(self._row_upper),
            a_start=start,
            a_index=urows.astype(np.int32),
            a_value=summed.astype(np.float64),
        )
