"""cobre_core: the Cobre SDDP engine in Python (case model, validation, LPs, training, outputs).

This package knows nothing about MCP; ``cobre_mcp`` is a thin adapter over it.
"""

from typing import TYPE_CHECKING, Any

from cobre_core.errors import CaseValidationError, CobreError, ErrorKind, ErrorRecord

if TYPE_CHECKING:
    from cobre_core.loader import load_case
    from cobre_core.results.results import Results
    from cobre_core.study_runs import SimulationResult, TrainingResult, simulate, train
    from cobre_core.validation import ValidationResult, validate

__all__ = [
    "CaseValidationError",
    "CobreError",
    "ErrorKind",
    "ErrorRecord",
    "Results",
    "SimulationResult",
    "TrainingResult",
    "ValidationResult",
    "load_case",
    "simulate",
    "train",
    "validate",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import ``validate`` / ``ValidationResult`` lazily, keeping ``import cobre_core`` light."""
    if name in ("validate", "ValidationResult"):
        from cobre_core import validation

        return getattr(validation, name)
    if name == "load_case":
        from cobre_core.loader import load_case

        return load_case
    if name == "Results":
        from cobre_core.results.results import Results

        return Results
    if name in ("train", "simulate", "TrainingResult", "SimulationResult"):
        from cobre_core import study_runs

        return getattr(study_runs, name)
    raise AttributeError(f"module 'cobre_core' has no attribute {name!r}")
