"""training/convergence.parquet: one row per iteration, upstream's 13 columns and types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import pyarrow as pa

from cobre_core.sddp.training import IterationRecord

CONVERGENCE_SCHEMA = pa.schema(
    [
        pa.field("iteration", pa.int32(), nullable=False),
        pa.field("lower_bound", pa.float64(), nullable=False),
        pa.field("upper_bound_mean", pa.float64(), nullable=False),
        pa.field("upper_bound_std", pa.float64(), nullable=False),
        pa.field("gap_percent", pa.float64(), nullable=True),
        pa.field("cuts_added", pa.int32(), nullable=False),
        pa.field("cuts_removed", pa.int32(), nullable=False),
        pa.field("cuts_active", pa.int64(), nullable=False),
        pa.field("time_forward_ms", pa.int64(), nullable=False),
        pa.field("time_backward_ms", pa.int64(), nullable=False),
        pa.field("time_total_ms", pa.int64(), nullable=False),
        pa.field("forward_passes", pa.int32(), nullable=False),
        pa.field("lp_solves", pa.int64(), nullable=False),
    ]
)


def convergence_table(history: Sequence[IterationRecord]) -> pa.Table:
    """The convergence history as an Arrow table with upstream's schema."""
    rows = [asdict(r) for r in history]
    return pa.Table.from_pylist(rows, schema=CONVERGENCE_SCHEMA)
