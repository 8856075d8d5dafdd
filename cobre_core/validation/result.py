"""The validation report returned by :func:`cobre_core.validation.validate`.

A :class:`ValidationResult` is upstream's validation report (``valid``, ``errors``, ``warnings``,
``summary``) with records in the project-wide :class:`~cobre_core.errors.ErrorRecord` shape. It is
plain data: serialise it with :meth:`ValidationResult.to_dict`, or turn an invalid result into an
exception with :meth:`ValidationResult.raise_if_invalid` when a caller wants to stop.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cobre_core.errors import CaseValidationError, ErrorRecord

LAYERS: tuple[str, ...] = ("structural", "schema", "referential", "dimensional", "semantic")
"""The five validation layers, in the order they run."""


class ValidationSummary(BaseModel):
    """Counts describing one validation run."""

    model_config = ConfigDict(frozen=True)

    files_checked: int = Field(description="Catalogued case files found and read.")
    entities_validated: int = Field(
        description="Entity records in the system registries (buses, lines, hydros, ...)."
    )
    layers_completed: int = Field(
        description="Layers run to the end (0-5); the run stops after a layer with errors."
    )
    error_count: int = Field(description="Number of errors.")
    warning_count: int = Field(description="Number of warnings.")


class ValidationResult(BaseModel):
    """Outcome of validating one case directory: valid or not, every error and warning found."""

    model_config = ConfigDict(frozen=True)

    valid: bool = Field(description="True when there are no errors (warnings allowed).")
    case_directory: str = Field(description="The case directory as given.")
    errors: tuple[ErrorRecord, ...] = Field(description="Problems that prevent a run.")
    warnings: tuple[ErrorRecord, ...] = Field(description="Problems worth a look; runs go on.")
    summary: ValidationSummary
    layers_run: tuple[str, ...] = Field(
        default=(), description="Names of the layers that completed, in order."
    )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of the whole report."""
        return self.model_dump(mode="json")

    def kinds(self) -> set[str]:
        """The distinct kinds among the errors (handy for tests and quick triage)."""
        return {error.kind for error in self.errors}

    def raise_if_invalid(self) -> None:
        """Raise :class:`~cobre_core.errors.CaseValidationError` with every error if invalid."""
        if self.errors:
            raise CaseValidationError(self.errors)
