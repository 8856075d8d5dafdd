"""Five-layer validation of a Cobre case directory, after upstream's validation architecture.

``validate(path)`` returns a :class:`ValidationResult` (never raises): structural (files exist
and parse), schema (each file matches its model or table spec, ids unique), referential (ids
point at existing entities), dimensional (stage structure and per-stage coverage) and semantic
(settings, physics, capacities, penalties). See each layer module for its rules.
"""

from cobre_core.validation.pipeline import validate
from cobre_core.validation.result import LAYERS, ValidationResult, ValidationSummary

__all__ = ["LAYERS", "ValidationResult", "ValidationSummary", "validate"]
