"""``Validator``: the five-layer case validation as an object to inspect in a notebook.

    v = Validator("my_case")
    v.run()                      # the ValidationResult (also kept on v.result)
    v.valid, v.errors, v.warnings
    v.by_layer()                 # {"structural": [...], "schema": [...], ...}

It wraps :func:`cobre_core.validate` (which stays the one-call function) and adds grouping by layer
and kind, and validation under an edited :class:`~cobre_core.configuration.Config` without writing
it into the case. Validation never raises; :meth:`Validator.raise_if_invalid` turns errors into a
``CaseValidationError`` when a script should stop.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from cobre_core.errors import CaseValidationError, ErrorKind, ErrorRecord
from cobre_core.validation.result import LAYERS, ValidationResult

if TYPE_CHECKING:
    from cobre_core.configuration import Config

LAYER_OF_KIND: dict[str, str] = {
    ErrorKind.MISSING_FILE: "structural",
    ErrorKind.PARSE_ERROR: "structural",
    ErrorKind.SCHEMA_VIOLATION: "schema",
    ErrorKind.TYPE_MISMATCH: "schema",
    ErrorKind.OUT_OF_RANGE: "schema",
    ErrorKind.INVALID_ENUM: "schema",
    ErrorKind.DUPLICATE_ID: "schema",
    ErrorKind.MISSING_REFERENCE: "referential",
    ErrorKind.COVERAGE_MISMATCH: "dimensional",
    ErrorKind.STAGE_MISMATCH: "dimensional",
    ErrorKind.INCOMPATIBLE_SETTINGS: "semantic",
    ErrorKind.PHYSICAL_CONSTRAINT: "semantic",
    ErrorKind.CAPACITY_VIOLATION: "semantic",
    ErrorKind.PENALTY_CONSISTENCY: "semantic",
}
"""Layer each validation kind belongs to (the error registry's grouping)."""


def layer_of(rec: ErrorRecord) -> str:
    """The layer a record came from: its ``context["layer"]`` when set, else its kind's layer.

    Kinds outside the validation registry count as ``"semantic"``.
    """
    layer = rec.context.get("layer")
    if isinstance(layer, str) and layer in LAYERS:
        return layer
    return LAYER_OF_KIND.get(rec.kind, "semantic")


class Validator:
    """Validates one case directory, optionally under an edited config, and keeps the report.

    Use it when you want to look at the report from several angles; for a yes/no answer
    ``cobre_core.validate(path).valid`` is enough, and ``load_case`` validates by itself.
    """

    def __init__(self, case_dir: str | os.PathLike[str], *, config: Config | None = None) -> None:
        """``config`` replaces the case's ``config.json`` during validation (the file is kept)."""
        self.case_dir = Path(case_dir)
        self.config = config
        self._result: ValidationResult | None = None

    def run(self) -> ValidationResult:
        """Validate now (again, if run before) and return the report."""
        from cobre_core.validation import validate

        if self.config is None or not self.case_dir.is_dir():
            result = validate(self.case_dir)
        else:
            from cobre_core.configuration import case_with_config

            with case_with_config(self.case_dir, self.config) as view:
                result = validate(view)
            result = result.model_copy(update={"case_directory": str(self.case_dir)})
        self._result = result
        return result

    @property
    def result(self) -> ValidationResult:
        """The last report; runs the validation first if it has not run yet."""
        if self._result is None:
            return self.run()
        return self._result

    @property
    def valid(self) -> bool:
        """True when the case has no errors (warnings allowed)."""
        return self.result.valid

    @property
    def errors(self) -> tuple[ErrorRecord, ...]:
        """Problems that prevent a run."""
        return self.result.errors

    @property
    def warnings(self) -> tuple[ErrorRecord, ...]:
        """Problems worth a look that do not stop a run."""
        return self.result.warnings

    @property
    def layers_run(self) -> tuple[str, ...]:
        """Layers that completed; validation stops after the first layer with errors."""
        return self.result.layers_run

    def by_layer(self, *, warnings: bool = False) -> dict[str, list[ErrorRecord]]:
        """Errors (and warnings, with ``warnings=True``) grouped by layer, every layer a key."""
        groups: dict[str, list[ErrorRecord]] = {layer: [] for layer in LAYERS}
        records = self.errors + (self.warnings if warnings else ())
        for rec in records:
            groups[layer_of(rec)].append(rec)
        return groups

    def by_kind(self, *, warnings: bool = False) -> dict[str, list[ErrorRecord]]:
        """Errors (and warnings, with ``warnings=True``) grouped by kind, in order of appearance."""
        groups: dict[str, list[ErrorRecord]] = {}
        for rec in self.errors + (self.warnings if warnings else ()):
            groups.setdefault(rec.kind, []).append(rec)
        return groups

    def raise_if_invalid(self) -> None:
        """Raise ``CaseValidationError`` carrying every error when the case is invalid."""
        if self.errors:
            raise CaseValidationError(self.errors)

    def __repr__(self) -> str:
        if self._result is None:
            return f"Validator({str(self.case_dir)!r}: not run)"
        r = self._result
        state = "valid" if r.valid else "invalid"
        return (
            f"Validator({str(self.case_dir)!r}: {state}, {len(r.errors)} errors, "
            f"{len(r.warnings)} warnings)"
        )

    def _repr_html_(self) -> str:
        from cobre_core.notebook.html import validation_html

        return validation_html(self.result)


__all__ = ["LAYERS", "LAYER_OF_KIND", "Validator", "layer_of"]
