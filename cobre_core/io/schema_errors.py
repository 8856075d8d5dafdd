"""Turn pydantic validation errors on a case file into validation records with precise locations.

Pydantic reports *where* a value failed as a ``loc`` tuple that mixes real JSON keys and indices
with labels of its own (the tag of a union member, ``function-after[...]``, ``int`` / ``str`` of a
plain union). :func:`map_validation_error` walks the raw JSON alongside ``loc`` so that the record
gets the real dotted path (``hydros[2].reservoir.max_storage_hm3``), the id of the entity the
error sits in (``entity_id``, read from the raw JSON) and one of the schema kinds:

* missing or forbidden field, wrong list length, custom-validator failure -> ``SchemaViolation``
* wrong JSON type -> ``TypeMismatch`` (``expected_type`` / ``actual_type``)
* bound violated (``ge``/``gt``/``le``/``lt``, non-finite) -> ``OutOfRange`` (``value``,
  ``min``, ``max``)
* bad literal or union tag -> ``InvalidEnum`` (``value``, ``allowed_values``)

:func:`find_unknown_keys` lists JSON keys the model does not define, for warnings. Use these only
on JSON documents; Parquet tables are checked by :mod:`cobre_core.io.tables`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from cobre_core.errors import ErrorKind, ErrorRecord, record

ID_KEYS: tuple[str, ...] = (
    "id",
    "hydro_id",
    "bus_id",
    "thermal_id",
    "line_id",
    "ncs_id",
    "constraint_id",
)
"""Keys that identify the element of an entity list, tried in this order."""

_TYPE_KINDS: dict[str, str] = {
    "int": "integer",
    "float": "number",
    "string": "string",
    "str": "string",
    "bool": "boolean",
    "list": "array",
    "tuple": "array",
    "set": "array",
    "frozen_set": "array",
    "dict": "object",
    "model": "object",
    "model_attributes": "object",
    "dataclass": "object",
    "date": "date (YYYY-MM-DD)",
    "datetime": "datetime",
    "time": "time",
    "none": "null",
    "bytes": "string",
    "decimal": "number",
    "complex": "number",
    "enum": "string",
}

_RANGE_TYPES = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "finite_number",
    "multiple_of",
}
_ENUM_TYPES = {"literal_error", "enum", "union_tag_invalid"}
_SCHEMA_TYPES = {
    "missing",
    "extra_forbidden",
    "missing_argument",
    "unexpected_keyword_argument",
    "union_tag_not_found",
    "too_short",
    "too_long",
    "string_too_short",
    "string_too_long",
    "string_pattern_mismatch",
    "value_error",
    "assertion_error",
}


def json_type_name(value: object) -> str:
    """JSON name of a decoded value's type (null, boolean, integer, number, string, array, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def format_path(parts: Sequence[str | int]) -> str:
    """Dotted path with list indices in brackets, e.g. ``hydros[2].reservoir``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def entity_id_at(raw: object, parts: Sequence[str | int]) -> object | None:
    """Id of the outermost list element on ``parts`` that carries one of :data:`ID_KEYS`."""
    node = raw
    for part in parts:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
            if isinstance(node, dict):
                for key in ID_KEYS:
                    value = node.get(key)
                    if isinstance(value, int | str) and not isinstance(value, bool):
                        return value
        elif isinstance(part, str) and isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return None


def _normalise_loc(raw: object, loc: Sequence[Any], error_type: str) -> list[str | int]:
    """Keep the ``loc`` items that are real keys or indices of ``raw``; drop pydantic labels."""
    parts: list[str | int] = []
    node: object = raw
    last = len(loc) - 1
    for i, item in enumerate(loc):
        in_dict = isinstance(node, dict) and isinstance(item, str) and item in node
        in_list = isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node)
        if in_dict or in_list:
            parts.append(item)
            node = node[item]  # type: ignore[index]
        elif i == last and error_type in {"missing", "extra_forbidden"} and isinstance(item, str):
            parts.append(item)
        # Anything else is a union-member or validator label of pydantic's: skip it.
    return parts


def _allowed_values(ctx: dict[str, Any]) -> list[str]:
    text = str(ctx.get("expected") or ctx.get("expected_tags") or "")
    quoted = re.findall(r"'([^']*)'", text)
    if quoted:
        return quoted
    return [t.strip() for t in re.split(r",| or ", text) if t.strip()]


def _expected_type(error_type: str) -> str:
    stem = error_type
    for suffix in ("_type", "_parsing", "_from_float", "_from_datetime_inexact"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if stem.startswith("date_from_datetime"):
        stem = "date"
    return _TYPE_KINDS.get(stem, stem)


def _kind_for(error_type: str) -> ErrorKind:
    if error_type in _RANGE_TYPES:
        return ErrorKind.OUT_OF_RANGE
    if error_type in _ENUM_TYPES:
        return ErrorKind.INVALID_ENUM
    if error_type in _SCHEMA_TYPES:
        return ErrorKind.SCHEMA_VIOLATION
    if (
        error_type.endswith("_type")
        or error_type.endswith("_parsing")
        or error_type.endswith("_from_float")
        or error_type in {"none_required", "is_instance_of", "int_from_float"}
        or error_type.startswith("date_from_datetime")
    ):
        return ErrorKind.TYPE_MISMATCH
    return ErrorKind.SCHEMA_VIOLATION


def _short(value: object, limit: int = 80) -> object:
    """JSON-safe, bounded rendering of an offending input value."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def map_validation_error(exc: ValidationError, raw: object, file: str) -> list[ErrorRecord]:
    """One record per distinct failing location of ``exc`` (``raw`` validated for ``file``)."""
    records: list[ErrorRecord] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        error_type = str(err.get("type", ""))
        parts = _normalise_loc(raw, err.get("loc", ()), error_type)
        path = format_path(parts) or None
        kind = _kind_for(error_type)
        if (path or "") in seen:
            continue  # union members report the same location several times; keep the first
        seen.add(path or "")
        ctx: dict[str, Any] = dict(err.get("ctx") or {})
        value = err.get("input")
        entity_id = entity_id_at(raw, parts)
        where = f"{file}: {path}" if path else file
        msg = str(err.get("msg", "invalid value"))
        common: dict[str, Any] = {"file": file, "entity_id": entity_id, "field": path}
        if kind is ErrorKind.TYPE_MISMATCH:
            expected = _expected_type(error_type)
            actual = json_type_name(value)
            records.append(
                record(
                    kind,
                    f"{where}: expected {expected}, got {actual} ({msg})",
                    f"Write '{path or 'the document'}' as a JSON {expected}.",
                    expected_type=expected,
                    actual_type=actual,
                    value=_short(value),
                    **common,
                )
            )
        elif kind is ErrorKind.OUT_OF_RANGE:
            low = ctx.get("ge", ctx.get("gt"))
            high = ctx.get("le", ctx.get("lt"))
            records.append(
                record(
                    kind,
                    f"{where}: value {_short(value)} out of range ({msg})",
                    "Bring the value inside its allowed range.",
                    value=_short(value),
                    min=_short(low),
                    max=_short(high),
                    exclusive_min=True if "gt" in ctx else None,
                    exclusive_max=True if "lt" in ctx else None,
                    **common,
                )
            )
        elif kind is ErrorKind.INVALID_ENUM:
            allowed = _allowed_values(ctx)
            shown = ctx.get("tag", value) if error_type == "union_tag_invalid" else value
            records.append(
                record(
                    kind,
                    f"{where}: {_short(shown)!r} is not one of {allowed}",
                    f"Use one of {allowed}.",
                    value=_short(shown),
                    allowed_values=allowed,
                    **common,
                )
            )
        else:
            if error_type == "missing":
                message = f"{where}: required field is missing"
                hint = f"Add '{parts[-1] if parts else path}' to {file}."
            elif error_type == "union_tag_not_found":
                message = f"{where}: missing discriminator {ctx.get('discriminator', '')}"
                hint = "Add the discriminator key that says which variant this object is."
            elif error_type == "extra_forbidden":
                message = f"{where}: field is not allowed here"
                hint = "Remove the field or check its spelling."
            else:
                message = f"{where}: {msg}"
                hint = f"Check '{path or 'the document'}' against the {file} format."
            records.append(
                record(
                    ErrorKind.SCHEMA_VIOLATION,
                    message,
                    hint,
                    expected=str(ctx["expected"]) if "expected" in ctx else None,
                    actual=_short(value) if error_type != "missing" else None,
                    detail=msg,
                    **common,
                )
            )
    return records


@dataclass(frozen=True)
class UnknownKey:
    """A JSON key the model does not define, with its location."""

    path: str
    key: str
    entity_id: object | None


def _known_keys(model: BaseModel) -> set[str]:
    keys: set[str] = {"$schema"}
    for name, info in type(model).model_fields.items():
        keys.add(name)
        if info.alias:
            keys.add(info.alias)
        if isinstance(info.validation_alias, str):
            keys.add(info.validation_alias)
        elif info.validation_alias is not None:
            for choice in getattr(info.validation_alias, "choices", ()):
                if isinstance(choice, str):
                    keys.add(choice)
    return keys


def _field_for_key(model: BaseModel, key: str) -> str | None:
    for name, info in type(model).model_fields.items():
        if key in (name, info.alias, info.validation_alias):
            return name
    return None


def _walk(value: object, raw: object, parts: list[str | int], root: object) -> Iterator[UnknownKey]:
    if isinstance(value, BaseModel) and isinstance(raw, dict):
        known = _known_keys(value)
        for key, sub_raw in raw.items():
            if key not in known:
                yield UnknownKey(format_path(parts) or "", key, entity_id_at(root, parts))
                continue
            name = _field_for_key(value, key)
            if name is not None:
                yield from _walk(getattr(value, name, None), sub_raw, [*parts, key], root)
    elif isinstance(value, list | tuple) and isinstance(raw, list) and len(value) == len(raw):
        for i, (item, sub_raw) in enumerate(zip(value, raw, strict=True)):
            yield from _walk(item, sub_raw, [*parts, i], root)
    elif isinstance(value, dict) and isinstance(raw, dict):
        for key, sub_raw in raw.items():
            if key in value:
                yield from _walk(value[key], sub_raw, [*parts, key], root)


def find_unknown_keys(model: BaseModel, raw: object) -> list[UnknownKey]:
    """Keys of ``raw`` (the JSON that produced ``model``) that no model field accepts."""
    return list(_walk(model, raw, [], raw))
