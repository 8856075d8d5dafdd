"""Read every file of a case directory into models and Arrow tables, never raising.

:func:`read_case_files` is the one-call entry point: it scans the directory against the
:mod:`~cobre_core.io.catalog`, parses each JSON file and validates it against its pydantic model,
reads each Parquet file and checks it against its table spec, and returns a :class:`CaseFiles`
plus the :class:`Diagnostics` (errors and warnings) found on the way. A file that fails is left
out of ``CaseFiles``; the problem is a record, not an exception.

The smaller functions (:func:`scan_case`, :func:`load_json`, :func:`load_parquet`,
:func:`validate_document`) are the building blocks the validation layers call one at a time, so
that parse errors (layer 1) are reported before schema errors (layer 2). For cross-file checks
use :func:`cobre_core.validation.validate`; this module judges each file on its own.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ValidationError

from cobre_core.errors import ErrorKind, ErrorRecord, record
from cobre_core.io.catalog import CATALOG, CatalogEntry, FileFormat, entry_for, is_ignored
from cobre_core.io.schema_errors import find_unknown_keys, format_path, map_validation_error
from cobre_core.io.tables import check_table

MAX_JSON_BYTES = 256 * 1024 * 1024
"""JSON files larger than this are refused (ParseError) rather than read into memory."""


@dataclass
class Diagnostics:
    """Errors (the case cannot run) and warnings (it can, but look here) collected so far."""

    errors: list[ErrorRecord] = field(default_factory=list)
    warnings: list[ErrorRecord] = field(default_factory=list)

    def extend(self, other: Diagnostics) -> None:
        """Append another collection's records to this one."""
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)

    @property
    def ok(self) -> bool:
        """True when no error has been recorded (warnings do not count)."""
        return not self.errors


@dataclass
class CaseFiles:
    """Everything read from one case directory, keyed by POSIX path relative to the root.

    ``raw`` holds decoded JSON as written; ``models`` the validated pydantic objects; ``docs`` the
    models dumped back to plain JSON-named dicts (defaults filled in, values coerced), which is
    what cross-file checks read; ``tables`` the Parquet files. A file that failed to parse or
    validate is absent from ``models``/``docs``/``tables``. ``present`` lists catalogued files
    found on disk; ``unknown`` lists files the catalogue does not know.
    """

    root: Path
    present: dict[str, CatalogEntry] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    models: dict[str, BaseModel] = field(default_factory=dict)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: dict[str, pa.Table] = field(default_factory=dict)

    def model(self, relative_path: str) -> BaseModel | None:
        """Validated model of a JSON file, or ``None`` when absent or invalid."""
        return self.models.get(relative_path)

    def doc(self, relative_path: str) -> dict[str, Any] | None:
        """Normalised JSON dict of a validated file, or ``None`` when absent or invalid."""
        return self.docs.get(relative_path)

    def table(self, relative_path: str) -> pa.Table | None:
        """Arrow table of a Parquet file, or ``None`` when absent or unreadable."""
        return self.tables.get(relative_path)

    def has(self, relative_path: str) -> bool:
        """Whether the file exists in the case directory (valid or not)."""
        return relative_path in self.present


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def scan_case(root: Path) -> tuple[dict[str, CatalogEntry], list[str], Diagnostics]:
    """Find catalogued and unknown files under ``root``.

    Returns the catalogued files present, the unknown files, and diagnostics: MissingFile for
    each required file absent, an IncompatibleSettings warning for each file upstream knows
    but this project ignores, and one for each unknown file. Hidden files and ``output/`` are
    skipped. ``root`` must be an existing directory.
    """
    diags = Diagnostics()
    present: dict[str, CatalogEntry] = {}
    unknown: list[str] = []

    def on_error(exc: OSError) -> None:
        where = "."
        if exc.filename:
            try:
                where = _relative(Path(os.fsdecode(exc.filename)), root)
            except ValueError:
                where = "."
        diags.warnings.append(
            record(
                ErrorKind.PARSE_ERROR,
                f"cannot list directory '{where}': {exc.strerror or exc}",
                "Check the directory permissions.",
                file=where,
                detail=str(exc),
            )
        )

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        base = Path(dirpath)
        rel_dir = base.relative_to(root).parts
        dirnames[:] = sorted(d for d in dirnames if not is_ignored((*rel_dir, d)))
        for name in sorted(filenames):
            parts = (*rel_dir, name)
            if is_ignored(parts):
                continue
            rel = "/".join(parts)
            entry = entry_for(rel)
            if entry is None:
                unknown.append(rel)
            else:
                present[rel] = entry
    for entry in CATALOG:
        path = root / entry.relative_path
        if entry.relative_path in present:
            continue
        if path.exists():  # e.g. a directory named like the file
            present[entry.relative_path] = entry
        elif entry.required:
            diags.errors.append(
                record(
                    ErrorKind.MISSING_FILE,
                    f"required file '{entry.relative_path}' not found in the case directory",
                    f"Create {entry.relative_path} ({entry.description}); see the case format.",
                    file=entry.relative_path,
                )
            )
    for rel, entry in present.items():
        if not entry.supported:
            diags.warnings.append(
                record(
                    ErrorKind.INCOMPATIBLE_SETTINGS,
                    f"'{rel}' ({entry.description}) is an upstream Cobre file this implementation "
                    "does not model yet; it is ignored",
                    f"Remove {rel} or expect results to differ from upstream Cobre.",
                    file=rel,
                    settings=[rel],
                    detail="known upstream file, not supported",
                )
            )
        elif not entry.used:
            diags.warnings.append(
                record(
                    ErrorKind.INCOMPATIBLE_SETTINGS,
                    f"'{rel}' ({entry.description}) is checked but has no effect on the dispatch "
                    "LP",
                    f"Remove {rel} if you expected it to change the results.",
                    file=rel,
                    settings=[rel],
                    detail="parsed, not used by the solver",
                )
            )
    for rel in unknown:
        diags.warnings.append(
            record(
                ErrorKind.INCOMPATIBLE_SETTINGS,
                f"unknown file '{rel}' is not part of the Cobre case format; it is ignored",
                "Check the file name and folder for a typo, or remove the file.",
                file=rel,
                settings=[rel],
                detail="unknown file",
            )
        )
    return present, unknown, diags


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def load_json(root: Path, relative_path: str) -> tuple[Any, Diagnostics]:
    """Decode one JSON file. Returns ``(document, diagnostics)``.

    The document is ``None`` on failure, but also for a file holding JSON ``null``: test
    ``diagnostics.ok`` to know whether the file parsed.

    Failures are ParseError records (unreadable file, invalid UTF-8, syntax error with line and
    column, NaN/Infinity literals, nesting too deep). Repeated keys in one object are a
    SchemaViolation warning (the last value wins, as in upstream's reader).
    """
    diags = Diagnostics()
    path = root / relative_path

    def parse_error(message: str, detail: str, **extra: Any) -> None:
        diags.errors.append(
            record(
                ErrorKind.PARSE_ERROR,
                f"{relative_path}: {message}",
                "Fix the file so it is valid UTF-8 JSON (a JSON linter shows the spot).",
                file=relative_path,
                detail=detail,
                **extra,
            )
        )

    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            parse_error("file too large to be a case file", f"more than {MAX_JSON_BYTES} bytes")
            return None, diags
        data = path.read_bytes()
    except OSError as exc:
        parse_error(f"cannot read file ({exc.strerror or exc})", str(exc))
        return None, diags
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        parse_error(f"not valid UTF-8 at byte {exc.start}", str(exc), byte=exc.start)
        return None, diags

    duplicates: list[str] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in pairs:
            if key in obj:
                duplicates.append(key)
            obj[key] = value
        return obj

    try:
        doc = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        parse_error(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            exc.msg,
            line=exc.lineno,
            column=exc.colno,
        )
        return None, diags
    except ValueError as exc:
        parse_error(str(exc), str(exc))
        return None, diags
    except RecursionError:
        parse_error("JSON nested too deeply", "recursion limit reached while decoding")
        return None, diags
    for key in sorted(set(duplicates)):
        diags.warnings.append(
            record(
                ErrorKind.SCHEMA_VIOLATION,
                f"{relative_path}: key '{key}' appears more than once in an object; the last "
                "value is used",
                "Remove the repeated key.",
                file=relative_path,
                field=key,
            )
        )
    return doc, diags


def load_parquet(root: Path, relative_path: str) -> tuple[pa.Table | None, Diagnostics]:
    """Read one Parquet file; an unreadable, truncated or corrupt file is a ParseError record."""
    diags = Diagnostics()
    path = root / relative_path
    try:
        table = pq.read_table(path)
    except Exception as exc:  # arrow raises many types (ArrowInvalid, OSError, ...)
        diags.errors.append(
            record(
                ErrorKind.PARSE_ERROR,
                f"{relative_path}: not a readable Parquet file ({type(exc).__name__}: {exc})",
                "Re-export the table as Parquet; the file may be truncated or another format.",
                file=relative_path,
                detail=str(exc)[:500],
            )
        )
        return None, diags
    return table, diags


def validate_document(
    raw: Any, entry: CatalogEntry
) -> tuple[BaseModel | None, dict[str, Any] | None, Diagnostics]:
    """Validate a decoded JSON document against the entry's model.

    Returns ``(model, normalised_dict, diagnostics)``. Pydantic errors become SchemaViolation /
    TypeMismatch / OutOfRange / InvalidEnum records with ``file``, ``field`` and ``entity_id``;
    keys the model does not define become SchemaViolation warnings. When the model class cannot
    be imported the document is passed through unchecked with a warning saying so.
    """
    diags = Diagnostics()
    rel = entry.relative_path
    cls = entry.model_class()
    if cls is None:
        diags.warnings.append(
            record(
                ErrorKind.SCHEMA_VIOLATION,
                f"{rel}: no model is available to check this file; its contents were not validated",
                "Install the complete cobre_core package.",
                file=rel,
            )
        )
        return None, raw if isinstance(raw, dict) else None, diags
    try:
        model = cls.model_validate(raw)
    except ValidationError as exc:
        diags.errors.extend(map_validation_error(exc, raw, rel))
        if not diags.errors:
            diags.errors.append(
                record(
                    ErrorKind.SCHEMA_VIOLATION,
                    f"{rel}: does not match its schema",
                    None,
                    file=rel,
                    detail=str(exc)[:500],
                )
            )
        return None, None, diags
    except Exception as exc:  # a model validator that crashed on unexpected input
        diags.errors.append(
            record(
                ErrorKind.SCHEMA_VIOLATION,
                f"{rel}: content could not be validated ({type(exc).__name__}: {exc})",
                f"Check {rel} against the case format.",
                file=rel,
                detail=str(exc)[:500],
            )
        )
        return None, None, diags
    for unknown in find_unknown_keys(model, raw):
        where = format_path([unknown.path, unknown.key]) if unknown.path else unknown.key
        diags.warnings.append(
            record(
                ErrorKind.SCHEMA_VIOLATION,
                f"{rel}: unknown key '{unknown.key}' at '{unknown.path or '(top level)'}' is "
                "ignored",
                "Check the key for a typo; unknown keys have no effect.",
                file=rel,
                entity_id=unknown.entity_id,
                field=where,
            )
        )
    try:
        normalised = model.model_dump(mode="json", by_alias=True)
    except Exception:
        normalised = raw if isinstance(raw, dict) else None
    return model, normalised, diags


def check_parquet(table: pa.Table, entry: CatalogEntry) -> Diagnostics:
    """Check a table against the entry's table spec (columns, types, nulls, duplicate keys)."""
    diags = Diagnostics()
    if entry.table is None:
        return diags
    result = check_table(table, entry.table)
    diags.errors.extend(result.errors)
    diags.warnings.extend(result.warnings)
    return diags


def root_problem(path: Path) -> ErrorRecord | None:
    """A MissingFile record when ``path`` is not an existing, listable directory, else ``None``."""
    try:
        if not path.exists():
            return record(
                ErrorKind.MISSING_FILE,
                f"case directory '{path}' does not exist",
                "Pass the path of a case directory (the folder holding config.json).",
                file=".",
                detail="no such directory",
            )
        if not path.is_dir():
            return record(
                ErrorKind.MISSING_FILE,
                f"'{path}' is a file, not a case directory",
                "Pass the folder that holds config.json, not a file inside it.",
                file=".",
                detail="not a directory",
            )
        os.listdir(path)
    except OSError as exc:
        return record(
            ErrorKind.MISSING_FILE,
            f"case directory '{path}' cannot be read ({exc.strerror or exc})",
            "Check the directory permissions.",
            file=".",
            detail=str(exc),
        )
    return None


def read_case_files(path: str | os.PathLike[str]) -> tuple[CaseFiles, Diagnostics]:
    """Read and check every catalogued file of the case at ``path``; never raises.

    Each file is judged on its own (syntax, model, table spec). Cross-file checks (references,
    coverage, business rules) are not done here; call ``cobre_core.validation.validate`` for the
    full five-layer report.
    """
    root = Path(path)
    files = CaseFiles(root=root)
    diags = Diagnostics()
    problem = root_problem(root)
    if problem is not None:
        diags.errors.append(problem)
        return files, diags
    present, unknown, scan = scan_case(root)
    files.present, files.unknown = present, unknown
    diags.extend(scan)
    for rel, entry in present.items():
        if not entry.supported:
            continue
        if entry.format is FileFormat.JSON:
            raw, parsed = load_json(root, rel)
            diags.extend(parsed)
            if not parsed.ok:
                continue
            files.raw[rel] = raw
            model, normalised, checked = validate_document(raw, entry)
            diags.extend(checked)
            if model is not None:
                files.models[rel] = model
            if normalised is not None and model is not None:
                files.docs[rel] = normalised
        else:
            table, parsed = load_parquet(root, rel)
            diags.extend(parsed)
            if table is None:
                continue
            checked = check_parquet(table, entry)
            diags.extend(checked)
            if checked.ok:
                files.tables[rel] = table
    return files, diags
