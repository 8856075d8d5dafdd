"""The one error record shape used everywhere: validation reports, exceptions and MCP tool errors.

A record is ``{kind, message, context, suggestion}``. ``kind`` is a stable identifier from the
registry below (upstream's structured-output spec, §2.3): 14 validation kinds and the runtime kinds.
Servers may add their own kinds on top (see ``cobre_mcp``); the core only emits these.

Exceptions carry records. Each core kind has its exception class (:data:`ERROR_CLASSES`, after the
Python bindings' mapping): ``ValidationError`` for the 14 validation kinds (``CaseValidationError``,
raised by ``load_case``, is one), ``SolverError``, ``CheckpointError``, ``OutputError``,
``IncompatibleRunsError``, ``QueryError`` and ``CancelledError``. ``CobreError(rec)`` itself
already builds the class of the record's kind, so ``except QueryError`` catches every query error.
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
    """Base exception: carries one or more :class:`ErrorRecord` (the first is the headline).

    Constructing the base class picks the subclass of the headline's kind (see
    :func:`error_class_for`): ``CobreError(record("InvalidQuery", ...))`` is a :class:`QueryError`,
    so ``except QueryError`` works wherever the core raises that kind. This happens when
    ``records`` is one record or a list/tuple of them; a generator keeps the base class.
    Constructing a subclass explicitly always gives that subclass.
    """

    def __new__(cls, records: ErrorRecord | Iterable[ErrorRecord], *args: Any) -> CobreError:
        target = cls
        if cls is CobreError:
            head: object = None
            if isinstance(records, ErrorRecord):
                head = records
            elif isinstance(records, list | tuple) and records:
                head = records[0]
            if isinstance(head, ErrorRecord):
                target = error_class_for(head.kind)
        return super().__new__(target, records, *args)

    def __init__(self, records: ErrorRecord | Iterable[ErrorRecord]) -> None:
        recs = [records] if isinstance(records, ErrorRecord) else list(records)
        if not recs:
            raise ValueError("CobreError needs at least one record")
        self.records: tuple[ErrorRecord, ...] = tuple(recs)
        head = recs[0]
        more = f" (+{len(recs) - 1} more)" if len(recs) > 1 else ""
        super().__init__(f"[{head.kind}] {head.message}{more}")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by records (the default would rebuild from the message string and fail)."""
        return (type(self), (list(self.records),))

    @classmethod
    def from_record(cls, rec: ErrorRecord | dict[str, Any]) -> CobreError:
        """The exception for one record (or its dict form), of the class its kind maps to.

        Use it to turn a record read back from JSON (an MCP tool error, a saved report) into
        something to raise. Called on a subclass, the result is still the kind's class.
        """
        if not isinstance(rec, ErrorRecord):
            rec = ErrorRecord.model_validate(rec)
        return error_class_for(rec.kind)(rec)

    @classmethod
    def from_records(cls, records: Iterable[ErrorRecord | dict[str, Any]]) -> CobreError:
        """The exception for several records; the first record's kind picks the class."""
        recs = [r if isinstance(r, ErrorRecord) else ErrorRecord.model_validate(r) for r in records]
        if not recs:
            raise ValueError("from_records needs at least one record")
        return error_class_for(recs[0].kind)(recs)

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

    def to_dict(self) -> dict[str, Any]:
        """The headline record as a JSON-ready dict (``records`` holds any further ones)."""
        return self.records[0].to_dict()


class ValidationError(CobreError):
    """A case or config problem of one of the 14 validation kinds (``MissingFile`` ...
    ``PenaltyConsistency``), e.g. an invalid value given to :meth:`cobre_core.Config.set`.

    Not pydantic's ``ValidationError``: import it as ``cobre_core.ValidationError``.
    """


class CaseValidationError(ValidationError):
    """Raised by ``load_case`` when a case fails validation; ``records`` holds every error."""


class SolverError(CobreError):
    """An LP could not be solved to optimality (kind ``SolverFailure``)."""


class OutputError(CobreError):
    """An output directory is missing or unreadable (``OutputNotFound`` / ``OutputCorrupted``)."""


class CheckpointError(CobreError):
    """A policy checkpoint could not be written or read back (kind ``CheckpointFailed``)."""


class IncompatibleRunsError(CobreError):
    """Two runs, or a policy and a case, do not fit together (kind ``IncompatibleRuns``)."""


class QueryError(CobreError):
    """A results query has bad arguments: unknown table or column, bad range (``InvalidQuery``)."""


class CancelledError(CobreError):
    """A run was cancelled at an iteration boundary (kind ``Cancelled``)."""


ERROR_CLASSES: dict[str, type[CobreError]] = {
    **{str(k): ValidationError for k in VALIDATION_KINDS},
    ErrorKind.SOLVER_FAILURE: SolverError,
    ErrorKind.CHECKPOINT_FAILED: CheckpointError,
    ErrorKind.OUTPUT_CORRUPTED: OutputError,
    ErrorKind.OUTPUT_NOT_FOUND: OutputError,
    ErrorKind.INCOMPATIBLE_RUNS: IncompatibleRunsError,
    ErrorKind.CANCELLED: CancelledError,
    ErrorKind.INVALID_QUERY: QueryError,
}
"""Exception class of each core kind (the bindings' mapping); other kinds use CobreError."""


def error_class_for(kind: ErrorKind | str) -> type[CobreError]:
    """The exception class raised for ``kind``; :class:`CobreError` for kinds outside the core
    registry (for instance the MCP server's own)."""
    return ERROR_CLASSES.get(str(kind), CobreError)


def raise_for(records: ErrorRecord | Iterable[ErrorRecord]) -> None:
    """Raise the exception for ``records`` (class from the first kind); no-op when empty.

    Handy after a check that returns records: ``raise_for(result.errors)`` raises only if there
    are errors. Do not use it for warnings, which never stop a run.
    """
    recs = [records] if isinstance(records, ErrorRecord) else list(records)
    if recs:
        raise CobreError.from_records(recs)
