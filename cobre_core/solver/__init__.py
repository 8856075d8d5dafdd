"""LP layer: array-built linear programs and a thin HiGHS wrapper (one ``Highs`` per owner)."""

from cobre_core.solver.highs_solver import HighsSolver, LpStatus
from cobre_core.solver.lp_builder import LinearProgram, LpBuilder

__all__ = ["HighsSolver", "LinearProgram", "LpBuilder", "LpStatus"]
