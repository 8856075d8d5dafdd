"""``Config``: read, edit and save a case's ``config.json`` from a script or a notebook.

    cfg = Config.load("my_case")                      # a case directory or a config.json path
    cfg.get("training.forward_passes")                # 2
    cfg.set("training.stopping_rules[0].limit", 50)   # validated at once
    cfg.save()                                        # back to my_case/config.json, atomically
    case = load_case("my_case", config=cfg)           # or run it without saving

Every edit is checked against :class:`~cobre_core.model.config.ConfigFile` before it is kept, so a
``Config`` is always valid at the schema level; a rejected edit raises
:class:`~cobre_core.errors.ValidationError` whose record names the field (``context["field"]``)
and leaves the config unchanged. Cross-file rules (an external scheme needs its file, ...) are the
case validator's: run :class:`cobre_core.Validator` with ``config=`` for those.

The document keeps what the file says, not the defaults: :meth:`Config.to_dict` gives back the file
as edited, ``to_dict(effective=True)`` the full config with every default filled in.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic

from cobre_core.errors import CaseValidationError, ErrorKind, ValidationError, record
from cobre_core.io.catalog import is_ignored
from cobre_core.io.schema_errors import find_unknown_keys, map_validation_error
from cobre_core.model.config import ConfigFile, deep_merge
from cobre_core.results.atomic import write_json_atomic

if TYPE_CHECKING:
    from cobre_core.system.case import Case

CONFIG_FILE = ConfigFile.RELATIVE_PATH
"""File name of the config inside a case directory."""

PathPart = str | int
_MISSING: Any = object()
_SEGMENT_RE = re.compile(r"([A-Za-z_$][A-Za-z0-9_$]*)((?:\[-?\d+\])*)")


def parse_path(path: str) -> tuple[PathPart, ...]:
    """Split a dotted path with list indices into keys and indices.

    ``"training.stopping_rules[0].limit"`` -> ``("training", "stopping_rules", 0, "limit")``.
    Negative indices count from the end. Raises ``ValueError`` on a malformed path.
    """
    parts: list[PathPart] = []
    if not isinstance(path, str) or not path:
        raise ValueError(f"a config path must be a non-empty string, not {path!r}")
    for segment in path.split("."):
        match = _SEGMENT_RE.fullmatch(segment)
        if match is None:
            raise ValueError(
                f"malformed config path {path!r}: use dotted keys and [index], "
                "e.g. 'training.stopping_rules[0].limit'"
            )
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"-?\d+", match.group(2)))
    return tuple(parts)


def format_path(parts: tuple[PathPart, ...]) -> str:
    """The dotted form of ``parts`` (inverse of :func:`parse_path` for non-negative indices)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _schema_error(message: str, suggestion: str, field: str, **context: Any) -> ValidationError:
    return ValidationError(
        record(
            ErrorKind.SCHEMA_VIOLATION,
            message,
            suggestion,
            file=CONFIG_FILE,
            field=field,
            **context,
        )
    )


def _lookup(document: Any, parts: tuple[PathPart, ...]) -> Any:
    """The value at ``parts`` in ``document``, or ``_MISSING`` when the path does not exist."""
    node = document
    for part in parts:
        if isinstance(part, int):
            if not isinstance(node, list) or not -len(node) <= part < len(node):
                return _MISSING
        elif not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _plain(value: Any) -> Any:
    """A JSON-shaped copy of ``value``: models dumped by alias, tuples as lists."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return copy.deepcopy(value)


def _check(document: dict[str, Any]) -> ConfigFile:
    """Validate a config document; schema errors become a ValidationError naming each field."""
    try:
        return ConfigFile.model_validate(document)
    except pydantic.ValidationError as exc:
        raise ValidationError(map_validation_error(exc, document, CONFIG_FILE)) from None


class Config:
    """A case's ``config.json``, editable by dotted path and validated on every edit.

    Use it to change run settings from Python (iterations, forward passes, seeds, simulation
    size) and to save them back. Edits change this object in place and return it, so calls
    chain. For a one-off run with a few changed knobs, ``Study.train(config_overrides=...)`` is
    lighter; a ``Config`` is worth it when the settings should be saved or reused.
    """

    def __init__(self, document: Mapping[str, Any], *, source: str | Path | None = None) -> None:
        """Wrap a config document (the decoded JSON); raises ValidationError when invalid."""
        doc = _plain(document)
        if not isinstance(doc, dict):
            raise TypeError("a config document must be a mapping")
        self._model = _check(doc)
        self._doc: dict[str, Any] = doc
        self.source: Path | None = Path(source) if source is not None else None
        """Where the config was read from (and where :meth:`save` writes by default)."""

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Config:
        """Read ``config.json`` from a case directory, or a config file given by path.

        Raises ValidationError: ``MissingFile`` when there is no file, ``ParseError`` when it is
        not JSON, schema kinds (``TypeMismatch``, ``OutOfRange`` ...) when a value is wrong.
        """
        target = Path(path)
        if target.is_dir():
            target = target / CONFIG_FILE
        if not target.is_file():
            raise ValidationError(
                record(
                    ErrorKind.MISSING_FILE,
                    f"no config file at {target}",
                    "Pass a case directory holding config.json, or the path of a config file.",
                    file=CONFIG_FILE,
                    path=str(target),
                )
            )
        try:
            document = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError(
                record(
                    ErrorKind.PARSE_ERROR,
                    f"{target.name} is not readable JSON: {exc}",
                    "Fix the JSON syntax (a validator or editor shows the position).",
                    file=CONFIG_FILE,
                    path=str(target),
                    detail=str(exc),
                )
            ) from exc
        if not isinstance(document, dict):
            raise _schema_error(
                f"{target.name} must hold a JSON object",
                "Write the config as an object with a 'training' section.",
                field="",
            )
        return cls(document, source=target)

    @classmethod
    def from_case(cls, case: Case) -> Config:
        """The config a loaded case runs with (as given in its file, defaults left out)."""
        document = case.config.model_dump(mode="json", by_alias=True, exclude_unset=True)
        source = case.path / CONFIG_FILE if case.path is not None else None
        return cls(document, source=source)

    @classmethod
    def from_model(cls, model: ConfigFile, *, source: str | Path | None = None) -> Config:
        """Wrap a :class:`ConfigFile` (only the fields it was given are kept in the document)."""
        return cls(model.model_dump(mode="json", by_alias=True, exclude_unset=True), source=source)

    def copy(self) -> Config:
        """An independent copy (edits to one do not show in the other)."""
        return Config(self._doc, source=self.source)

    # -- reading ---------------------------------------------------------------------------------
    @property
    def model(self) -> ConfigFile:
        """The validated pydantic model (defaults filled in); read-only."""
        return self._model

    def get(self, path: str, default: Any = _MISSING) -> Any:
        """The value at a dotted path, e.g. ``"training.stopping_rules[0].limit"``.

        A setting the file leaves out reads as its default. An unknown path returns ``default``
        when given, else raises ``KeyError``. Returns a copy: change values with :meth:`set`.
        """
        parts = parse_path(path)
        value = _lookup(self._doc, parts)
        if value is _MISSING:
            value = _lookup(self.to_dict(effective=True), parts)
        if value is _MISSING:
            if default is not _MISSING:
                return default
            raise KeyError(f"no config setting at {path!r}")
        return copy.deepcopy(value)

    def __contains__(self, path: str) -> bool:
        """Whether ``path`` names a setting (given in the file or defaulted)."""
        sentinel = object()
        return self.get(path, sentinel) is not sentinel

    def to_dict(self, *, effective: bool = False) -> dict[str, Any]:
        """The document as JSON-ready dict: as written, or with every default (``effective``)."""
        if effective:
            return self._model.model_dump(mode="json", by_alias=True)
        return copy.deepcopy(self._doc)

    # -- editing ---------------------------------------------------------------------------------
    def set(self, path: str, value: Any) -> Config:
        """Set the value at a dotted path and validate; returns ``self``.

        Missing objects along the path are created (``"training.cut_selection.enabled"`` works on
        a file without ``cut_selection``); list indices must exist. Raises ValidationError (and
        keeps the config unchanged) when the value is invalid or the key is not a setting.
        """
        parts = list(parse_path(path))
        document = copy.deepcopy(self._doc)
        node: Any = document
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(part, int):
                if not isinstance(node, list) or not -len(node) <= part < len(node):
                    raise self._index_error(tuple(parts[: i + 1]), node)
                parts[i] = part % len(node)
            elif not isinstance(node, dict):
                raise self._not_object(tuple(parts[:i]))
            if last:
                node[parts[i]] = _plain(value)
            elif isinstance(part, str) and node.get(part) is None:
                if isinstance(parts[i + 1], int):
                    raise self._index_error(tuple(parts[: i + 2]), [])
                node[part] = {}
                node = node[part]
            else:
                node = node[parts[i]]
        self._commit(document, touched=[tuple(parts)])
        return self

    def update(self, overrides: Mapping[str, Any]) -> Config:
        """Deep-merge ``overrides`` (JSON names) and validate once; returns ``self``.

        Objects merge key by key; any other value, a list included, replaces the current one
        (so ``{"training": {"stopping_rules": [...]}}`` replaces all rules). Same semantics as
        ``train(config_overrides=...)``; ``cfg.model.run_overrides(iterations=...)`` builds
        overrides for the usual run knobs.
        """
        document = deep_merge(self._doc, _plain(overrides))
        self._commit(document, touched=[tuple(p) for p in _leaf_paths(overrides)])
        return self

    def unset(self, path: str) -> Config:
        """Remove the setting at ``path`` so that it takes its default; no-op if absent."""
        parts = parse_path(path)
        document = copy.deepcopy(self._doc)
        if _lookup(document, parts) is _MISSING:
            return self
        parent = _lookup(document, parts[:-1])
        del parent[parts[-1]]
        self._commit(document, touched=[])
        return self

    def _commit(self, document: dict[str, Any], touched: list[tuple[PathPart, ...]]) -> None:
        """Validate ``document``, reject unknown keys on the touched paths, then keep it."""
        model = _check(document)
        unknown = []
        for key in find_unknown_keys(model, document):
            where = parse_path(key.path) if key.path else ()
            full = (*where, key.key)
            if any(full[: len(t)] == t or t[: len(full)] == full for t in touched):
                unknown.append(format_path(full))
        if unknown:
            raise ValidationError(
                [
                    record(
                        ErrorKind.SCHEMA_VIOLATION,
                        f"{CONFIG_FILE}: {name} is not a config setting",
                        "Check the spelling against the config.json schema "
                        "(cobre_core.model.config.ConfigFile).",
                        file=CONFIG_FILE,
                        field=name,
                    )
                    for name in unknown
                ]
            )
        self._doc = document
        self._model = model

    def _index_error(self, parts: tuple[PathPart, ...], node: Any) -> ValidationError:
        size = len(node) if isinstance(node, list) else 0
        return _schema_error(
            f"{CONFIG_FILE}: {format_path(parts)} does not exist (the list has {size} items)",
            "Set the whole list instead, e.g. cfg.set('training.stopping_rules', [...]).",
            field=format_path(parts),
            list_length=size,
        )

    def _not_object(self, parts: tuple[PathPart, ...]) -> ValidationError:
        name = format_path(parts) or "(document)"
        return _schema_error(
            f"{CONFIG_FILE}: {name} is not an object, so it has no sub-settings",
            f"Set {name} as a whole.",
            field=name,
        )

    # -- writing ---------------------------------------------------------------------------------
    def save(self, path: str | Path | None = None) -> Path:
        """Write the document as JSON, atomically; returns the file written.

        ``path`` is a case directory (writes its ``config.json``) or a file path; by default the
        file the config came from. The config then remembers the new location as its source.
        """
        target = Path(path) if path is not None else self.source
        if target is None:
            raise ValueError("this config has no source file; pass save(path)")
        if target.is_dir():
            target = target / CONFIG_FILE
        write_json_atomic(target, self._doc)
        self.source = target
        return target

    def apply_to(self, case: Case) -> Case:
        """``case`` running under this config (entities, PAR model and files are kept).

        Only the schema of the config is checked here; to check it against the case's files too,
        use ``load_case(path, config=cfg)`` or ``Validator(path, config=cfg)``.
        """
        from cobre_core.system.build import apply_config

        return apply_config(case, self._model)

    # -- dunder ----------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return self._doc == other._doc

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        training = self._model.training
        limit = next(
            (r.limit for r in training.stopping_rules or () if r.type == "iteration_limit"), None
        )
        where = f"{str(self.source)!r}, " if self.source is not None else ""
        return (
            f"Config({where}iterations={limit}, forward_passes={training.forward_passes}, "
            f"simulation_scenarios={self._model.simulation.num_scenarios})"
        )

    def _repr_html_(self) -> str:
        from cobre_core.notebook.html import config_html

        return config_html(self)


def _leaf_paths(
    overrides: Mapping[str, Any], prefix: tuple[PathPart, ...] = ()
) -> Iterator[tuple[PathPart, ...]]:
    """Paths of the non-object values in an overrides mapping (what an update touches)."""
    for key, value in overrides.items():
        here = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            yield from _leaf_paths(value, here)
        else:
            yield here


# -- a case under another config -------------------------------------------------------------------


@contextmanager
def case_with_config(case_dir: str | Path, config: Config) -> Iterator[Path]:
    """A temporary view of ``case_dir`` whose ``config.json`` is ``config``; yields its path.

    The case's files are linked, not copied (copied where links are not available), so this is
    cheap even for large cases. The view is deleted on exit. Use it to validate or load a case
    under an edited config without touching the case directory.
    """
    source = Path(case_dir)
    with tempfile.TemporaryDirectory(prefix="cobre-config-") as tmp:
        view = Path(tmp) / (source.name or "case")
        view.mkdir()
        for dirpath, dirnames, filenames in os.walk(source):
            rel = Path(dirpath).relative_to(source)
            dirnames[:] = [d for d in dirnames if not is_ignored((*rel.parts, d))]
            (view / rel).mkdir(parents=True, exist_ok=True)
            for name in filenames:
                parts = (*rel.parts, name)
                if is_ignored(parts) or parts == (CONFIG_FILE,):
                    continue
                src = Path(dirpath) / name
                dst = view / rel / name
                try:
                    dst.symlink_to(src.resolve())
                except OSError:
                    shutil.copy2(src, dst)
        write_json_atomic(view / CONFIG_FILE, config.to_dict())
        yield view


def load_case(path: str | Path, *, config: Config | None = None) -> Case:
    """Load and validate a case directory, optionally under an edited ``config``.

    Without ``config`` this is :func:`cobre_core.loader.load_case`. With it, the whole case is
    validated as if ``config.json`` held ``config`` (every layer, cross-file rules included), and
    the loaded case runs under it; the directory itself is not changed. Raises
    ``CaseValidationError`` carrying every error record.
    """
    from cobre_core.loader import load_case as load_directory

    if config is None:
        return load_directory(path)
    root = Path(path)
    if not root.is_dir():
        return load_directory(path)  # reports MissingFile for the directory itself
    from cobre_core.system.build import build_case
    from cobre_core.validation.pipeline import validate_with_files

    with case_with_config(root, config) as view:
        report, files = validate_with_files(view)
        if not report.valid or files is None:
            raise CaseValidationError(report.errors)

        def model(cls: type) -> Any:
            return files.model(cls.RELATIVE_PATH)

        case = build_case(root.resolve(), model, files.table)
    return dataclasses.replace(case, warnings=tuple(report.warnings))


__all__ = ["CONFIG_FILE", "Config", "case_with_config", "format_path", "load_case", "parse_path"]
