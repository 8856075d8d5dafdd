"""``load_case(path) -> Case``: validate a Cobre case directory and resolve it for the engine.

Validation runs first (all five layers); an invalid case raises
:class:`~cobre_core.errors.CaseValidationError` carrying every error record, and nothing is read
twice: the resolver works from the files validation already parsed. Warnings are kept on
``Case.warnings``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from cobre_core.errors import CaseValidationError
from cobre_core.system.build import build_case
from cobre_core.system.case import Case
from cobre_core.validation.pipeline import validate_with_files


def load_case(path: str | Path) -> Case:
    """Load a case directory into an immutable :class:`Case` ready for training.

    Raises ``CaseValidationError`` (with ``.records``) when the case has validation errors.
    """
    report, files = validate_with_files(path)
    if not report.valid or files is None:
        raise CaseValidationError(report.errors)

    def model(cls: type) -> Any:
        return files.model(cls.RELATIVE_PATH)

    case = build_case(Path(path).resolve(), model, files.table)
    return dataclasses.replace(case, warnings=tuple(report.warnings))
