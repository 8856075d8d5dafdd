"""cobre_core: the Cobre SDDP engine in Python (case model, validation, LPs, training, outputs).

The library surface for scripts and notebooks (see docs/api.md)::

    import cobre_core as cc
    cfg = cc.Config.load("case")                 # read, edit, save config.json
    cc.Validator("case").run()                   # five-layer validation report
    study = cc.Study("case", config=cfg, output_dir="out")
    study.train(progress=True); study.simulate(num_scenarios=100)
    study.results().costs()                      # pandas / Arrow / polars
    study.policy.future_cost(0, state)           # cuts as numpy arrays
    cc.run("case")                               # upstream's one-call lifecycle, summary dict

Everything except the exceptions and the thread default is imported on first use, so
``import cobre_core`` stays light. This package knows nothing about MCP; ``cobre_mcp`` is a thin
adapter over it.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from cobre_core.errors import (
    CancelledError,
    CaseValidationError,
    CheckpointError,
    CobreError,
    ErrorKind,
    ErrorRecord,
    IncompatibleRunsError,
    OutputError,
    QueryError,
    SolverError,
    ValidationError,
    error_class_for,
    raise_for,
)
from cobre_core.threads import get_default_threads, set_default_threads

if TYPE_CHECKING:
    from cobre_core.configuration import Config, load_case
    from cobre_core.par_access import InflowModel
    from cobre_core.policy_access import PolicyView
    from cobre_core.results.policy import Policy
    from cobre_core.results.results import Results
    from cobre_core.study import Run, Study
    from cobre_core.study_runs import SimulationResult, TrainingResult, run, simulate, train
    from cobre_core.validation import ValidationResult, validate
    from cobre_core.validator import Validator

__all__ = [
    "CancelledError",
    "CaseValidationError",
    "CheckpointError",
    "CobreError",
    "Config",
    "ErrorKind",
    "ErrorRecord",
    "IncompatibleRunsError",
    "InflowModel",
    "OutputError",
    "Policy",
    "PolicyView",
    "QueryError",
    "Results",
    "Run",
    "SimulationResult",
    "SolverError",
    "Study",
    "TrainingResult",
    "ValidationError",
    "ValidationResult",
    "Validator",
    "error_class_for",
    "get_default_threads",
    "load_case",
    "raise_for",
    "run",
    "set_default_threads",
    "simulate",
    "train",
    "validate",
]
__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "Config": "cobre_core.configuration",
    "load_case": "cobre_core.configuration",
    "InflowModel": "cobre_core.par_access",
    "PolicyView": "cobre_core.policy_access",
    "Policy": "cobre_core.results.policy",
    "Results": "cobre_core.results.results",
    "Run": "cobre_core.study",
    "Study": "cobre_core.study",
    "SimulationResult": "cobre_core.study_runs",
    "TrainingResult": "cobre_core.study_runs",
    "run": "cobre_core.study_runs",
    "simulate": "cobre_core.study_runs",
    "train": "cobre_core.study_runs",
    "ValidationResult": "cobre_core.validation",
    "validate": "cobre_core.validation",
    "Validator": "cobre_core.validator",
}
"""Public name -> module defining it, imported on first access."""


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access, keeping ``import cobre_core`` light."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cobre_core' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
