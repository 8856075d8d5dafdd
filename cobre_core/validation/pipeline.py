"""The five-layer validation run: structural, schema, referential, dimensional, semantic.

:func:`validate` runs the layers in upstream's order. Each layer collects *all* its problems;
the run stops after the first layer that produced errors (warnings never stop it), because later
layers assume what earlier ones guarantee. It never raises: a bad path, unreadable files and
garbage content all become records, and an unexpected exception inside a layer becomes a
``ParseError`` (layer 1) or ``SchemaViolation`` (later layers) record flagged ``internal: true``
so that bugs are visible rather than hidden.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from pathlib import Path

from cobre_core.errors import ErrorKind, record
from cobre_core.io.reader import CaseFiles
from cobre_core.validation import dimensional, referential, schema, semantic, structural
from cobre_core.validation.context import ValidationContext
from cobre_core.validation.result import LAYERS, ValidationResult, ValidationSummary


def _as_path(path: object) -> Path | None:
    try:
        return Path(os.fspath(path))  # type: ignore[arg-type]
    except TypeError:
        return None


def _internal_error(ctx: ValidationContext, layer: str, exc: BaseException) -> None:
    kind = ErrorKind.PARSE_ERROR if layer == "structural" else ErrorKind.SCHEMA_VIOLATION
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "unknown"
    ctx.error(
        kind,
        f"the {layer} layer could not finish ({type(exc).__name__}: {exc}); the case content "
        "is unusual enough to defeat a check",
        "Check the files named in the other records; report this if the case looks valid.",
        file=".",
        layer=layer,
        internal=True,
        detail=f"{type(exc).__name__}: {exc} at {where}",
    )


def validate(path: str | os.PathLike[str]) -> ValidationResult:
    """Validate the case directory at ``path`` and return the full report; never raises.

    Use this before loading a case for a run, or to show a user everything wrong with it in one
    go. ``result.valid`` is False when any error was found; ``result.errors`` and
    ``result.warnings`` hold :class:`~cobre_core.errors.ErrorRecord` objects whose ``context``
    always has ``file`` (relative to the case directory, ``"."`` for the directory itself).
    """
    return validate_with_files(path)[0]


def validate_with_files(
    path: str | os.PathLike[str],
) -> tuple[ValidationResult, CaseFiles | None]:
    """:func:`validate`, also returning the files it read (for the loader; never raises)."""
    root = _as_path(path)
    display = str(path) if root is None else str(root)
    if root is None:
        problem = record(
            ErrorKind.MISSING_FILE,
            f"{path!r} is not a path to a case directory",
            "Pass the path of a case directory as a string or path object.",
            file=".",
            detail=f"got {type(path).__name__}",
        )
        result = ValidationResult(
            valid=False,
            case_directory=display,
            errors=(problem,),
            warnings=(),
            summary=ValidationSummary(
                files_checked=0,
                entities_validated=0,
                layers_completed=0,
                error_count=1,
                warning_count=0,
            ),
        )
        return result, None
    ctx = ValidationContext(root)
    files_checked = 0
    completed: list[str] = []

    def run_structural(c: ValidationContext) -> None:
        nonlocal files_checked
        files_checked = structural.run(c)

    steps: tuple[tuple[str, Callable[[ValidationContext], None]], ...] = (
        ("structural", run_structural),
        ("schema", schema.run),
        ("referential", referential.run),
        ("dimensional", dimensional.run),
        ("semantic", semantic.run),
    )
    assert tuple(name for name, _ in steps) == LAYERS
    for name, step in steps:
        errors_before = len(ctx.diags.errors)
        try:
            step(ctx)
        except Exception as exc:  # never let a layer escape: report it as a record
            _internal_error(ctx, name, exc)
            break
        completed.append(name)
        if len(ctx.diags.errors) > errors_before:
            break
    try:
        entities = ctx.count_entities()
    except Exception:
        entities = 0
    result = ValidationResult(
        valid=not ctx.diags.errors,
        case_directory=display,
        errors=tuple(ctx.diags.errors),
        warnings=tuple(ctx.diags.warnings),
        summary=ValidationSummary(
            files_checked=files_checked,
            entities_validated=entities,
            layers_completed=len(completed),
            error_count=len(ctx.diags.errors),
            warning_count=len(ctx.diags.warnings),
        ),
        layers_run=tuple(completed),
    )
    return result, ctx.files
