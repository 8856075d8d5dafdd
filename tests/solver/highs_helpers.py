"""Helpers of the solver tests: a two-variable LP, and scripts run in a fresh interpreter.

Importable as ``highs_helpers`` by the tests and as ``tests.solver.highs_helpers`` by scripts run
from the project root.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cobre_core.solver import HighsSolver, LpBuilder
from cobre_core.solver.lp_builder import INF

ROOT = Path(__file__).resolve().parents[2]


def small_lp() -> HighsSolver:
    """min x + 2y  s.t.  x + y >= r0 (row 0),  x - y <= r1 (row 1),  0 <= x <= 10,  0 <= y <= 10."""
    b = LpBuilder()
    cols = b.add_columns(2, 0.0, 10.0, [1.0, 2.0])
    b.add_rows(1, 3.0, INF, [0, 0], cols, [1.0, 1.0])
    b.add_rows(1, -INF, 1.0, [0, 0], cols, [1.0, -1.0])
    return HighsSolver(b.build())


def fresh_python(script: str, timeout: float = 120) -> str:
    """Run ``script`` in a new interpreter from the project root (HiGHS's process-wide state,
    its scheduler and banner flag, starts clean there); its stdout, after it exited with 0."""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert out.returncode == 0, out.stderr
    return out.stdout
