"""The one error record shape used everywhere: validation reports, exceptions and MCP tool errors.

A record is ``{kind, message, context, suggestion}``. ``kind`` is a stable identifier from the
registry below (upstream's structured-output spec, §2.3): 14 validation kinds and the runtime kinds.
Servers may add their own kinds on top (see ``cobre_mcp``); the core only emits these.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorKind(StrEnum):
    """Stable error kinds. Additions are non-breaking; renames are breaking."""

    # Layer 1, structural
    MISSING_FILE = "MissingFile"
    PARSE_ERROR = "ParseError"
    # Layer 2, schema
    SCHEMA_VIOLATION = "SchemaViolation"
    TYPE_MISMATCH = "TypeMismatch"
    OUT_OF_RANGE = "OutOfRange"
    INVALID_ENUM = "InvalidEnum"
    DUPLICATE_ID = "DuplicateId"
    # Layer 3, referential
    MISSING_REFERENCE = "MissingReference"
    # Layer 4, dimensional
    COVERAGE_MISMATCH = "CoverageMismatch"
    STAGE_MISMATCH = "StageMismatch"
    # Layer 5, semantic
    INCOMPATIBLE_SETTINGS = "IncompatibleSettings"
    PHYSICAL_CONSTRAINT = "PhysicalConstraint"
    CAPACITY_VIOLATION = "CapacityViolation"
    PENALTY_CONSISTENCY = "PenaltyConsistency"
    # Runtime
    SOLVER_FAILURE = "SolverFailure"
    CHECKPOINT_FAILED = "CheckpointFailed"
    OUTPUT_CORRUPTED = "OutputCorrupted"
    OUTPUT_NOT_FOUND = "OutputNotFound"
    INCOMPATIBLE_RUNS = "IncompatibleRuns"
    CANCELLED = "Cancelled"
    INVALID_QUERY = "InvalidQuery"


VALIDATION_KINDS: tuple[ErrorKind, ...] = tuple(ErrorKind)[:14]


class ErrorRecord(BaseModel):
    """One error or warning: what went wrong, where, and what to check.

    ``context`` always carries ``file`` (relative to the case directory) for validation kinds, and
    ``entity_id`` / ``field`` where they apply.
    """

    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="Stable error kind from the registry, e.g. 'MissingReference'.")
    message: str = Field(description="Human-readable description of the problem.")
    context: dict[str, Any] = Field(
        default_factory=dict, description="Where and why: file, entity_id, field, values."
    )
    suggestion: str | None = Field(
        default=None, description="What to check or change, written for an agent or analyst."
    )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return self.model_dump(mode="json")


def record(
    kind: ErrorKind | str,
    message: str,
    suggestion: str | None = None,
    **context: Any,
) -> ErrorRecord:
    """Build an :class:`ErrorRecord`; ``context`` entries whose value is ``None`` are dropped."""
    return ErrorRecord(
        kind=str(kind),
        message=message,
        context={k: v for k, v in context.items() if v is not None},
        suggestion=suggestion,
    )


class CobreError(Exception):
    """Base exception: carries one or more :class:`ErrorRecord` (the first is the headline)."""

    def __init__(self, records: ErrorRecord | Iterable[ErrorRecord]) -> None:
        recs = [records] if isinstance(records, ErrorRecord) else list(records)
        if not recs:
            raise ValueError("CobreError needs at least one record")
        self.records: tuple[ErrorRecord, ...] = tuple(recs)
        head = recs[0]
        more = f" (+{len(recs) - 1} more)" if len(recs) > 1 else ""
        super().__init__(f"[{head.kind}] {head.message}{more}")

    @property
    def record(self) -> ErrorRecord:
        """The headline record."""
        return self.records[0]

    @property
    def kind(self) -> str:
        return self.records[0].kind

    @property
    def context(self) -> dict[str, Any]:
        return self.records[0].context

    @property
    def suggestion(self) -> str | None:
        return self.records[0].suggestion


class CaseValidationError(CobreError):
    """Raised by ``load_case`` when a case fails validation; ``records`` holds every error."""


class SolverError(CobreError):
    """An LP could not be solved to optimality (kind ``SolverFailure``)."""


class OutputError(CobreError):
    """An output directory is missing or unreadable (``OutputNotFound`` / ``OutputCorrupted``)."""


class CancelledError(CobreError):
    """A run was cancelled at an iteration boundary (kind ``Cancelled``)."""
