"""Helpers that turn an in-memory example case into files on disk.

An example case is a mapping from a path relative to the case directory (``"system/hydros.json"``)
to its content: a JSON-able ``dict`` for ``.json`` files, or a :class:`pyarrow.Table` for
``.parquet`` files. This module holds the explicit Parquet schemas the examples use (the upstream
column names and types: ``int32`` ids, ``float64`` values), small table builders, and the writers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.parquet as pq

CaseContent: TypeAlias = dict[str, Any] | pa.Table
"""The content of one case file: a JSON-able dict or a Parquet table."""

CaseFiles: TypeAlias = dict[str, CaseContent]
"""A whole case: relative path (POSIX separators) -> file content."""

SCHEMA_BASE_URL = (
    "https://raw.githubusercontent.com/cobre-rs/cobre/refs/heads/main/book/src/schemas"
)
"""Prefix of the ``$schema`` URLs upstream case files carry."""

INFLOW_SEASONAL_STATS_SCHEMA = pa.schema(
    [
        pa.field("hydro_id", pa.int32(), nullable=False),
        pa.field("stage_id", pa.int32(), nullable=False),
        pa.field("mean_m3s", pa.float64(), nullable=False),
        pa.field("std_m3s", pa.float64(), nullable=False),
    ]
)
"""Schema of ``scenarios/inflow_seasonal_stats.parquet`` (one row per hydro and stage)."""

INFLOW_AR_COEFFICIENTS_SCHEMA = pa.schema(
    [
        pa.field("hydro_id", pa.int32(), nullable=False),
        pa.field("stage_id", pa.int32(), nullable=False),
        pa.field("lag", pa.int32(), nullable=False),
        pa.field("coefficient", pa.float64(), nullable=False),
        pa.field("residual_std_ratio", pa.float64(), nullable=False),
    ]
)
"""Schema of ``scenarios/inflow_ar_coefficients.parquet`` (standardised PAR coefficients)."""

LOAD_SEASONAL_STATS_SCHEMA = pa.schema(
    [
        pa.field("bus_id", pa.int32(), nullable=False),
        pa.field("stage_id", pa.int32(), nullable=False),
        pa.field("mean_mw", pa.float64(), nullable=False),
        pa.field("std_mw", pa.float64(), nullable=False),
    ]
)
"""Schema of ``scenarios/load_seasonal_stats.parquet`` (one row per bus and stage)."""

PARQUET_SCHEMAS: dict[str, pa.Schema] = {
    "scenarios/inflow_seasonal_stats.parquet": INFLOW_SEASONAL_STATS_SCHEMA,
    "scenarios/inflow_ar_coefficients.parquet": INFLOW_AR_COEFFICIENTS_SCHEMA,
    "scenarios/load_seasonal_stats.parquet": LOAD_SEASONAL_STATS_SCHEMA,
}
"""The expected schema of every Parquet file an example may contain, by relative path."""


def schema_url(file_stem: str) -> str:
    """Return the upstream ``$schema`` URL for a case file such as ``"hydros"`` or ``"config"``."""
    return f"{SCHEMA_BASE_URL}/{file_stem}.schema.json"


def table_from_rows(schema: pa.Schema, rows: Iterable[Iterable[Any]]) -> pa.Table:
    """Build a table with ``schema`` from row tuples given in the schema's column order."""
    columns: list[list[Any]] = [[] for _ in schema.names]
    for row in rows:
        values = list(row)
        if len(values) != len(columns):
            raise ValueError(f"row {values!r} has {len(values)} values, expected {len(columns)}")
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    arrays = [
        pa.array(column, type=field.type) for column, field in zip(columns, schema, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def inflow_seasonal_stats_table(rows: Iterable[tuple[int, int, float, float]]) -> pa.Table:
    """Build ``inflow_seasonal_stats`` from ``(hydro_id, stage_id, mean_m3s, std_m3s)`` rows."""
    return table_from_rows(INFLOW_SEASONAL_STATS_SCHEMA, rows)


def inflow_ar_coefficients_table(
    rows: Iterable[tuple[int, int, int, float, float]],
) -> pa.Table:
    """Build ``inflow_ar_coefficients`` from
    ``(hydro_id, stage_id, lag, coefficient, residual_std_ratio)`` rows."""
    return table_from_rows(INFLOW_AR_COEFFICIENTS_SCHEMA, rows)


def load_seasonal_stats_table(rows: Iterable[tuple[int, int, float, float]]) -> pa.Table:
    """Build ``load_seasonal_stats`` from ``(bus_id, stage_id, mean_mw, std_mw)`` rows."""
    return table_from_rows(LOAD_SEASONAL_STATS_SCHEMA, rows)


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as UTF-8 JSON with a 2-space indent and a trailing newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def write_parquet(path: Path, table: pa.Table, schema: pa.Schema | None = None) -> None:
    """Write ``table`` as Parquet, first casting it to ``schema`` when one is given.

    The cast makes the on-disk column types exact (``int32`` ids, ``float64`` values) even when a
    caller built the table loosely.
    """
    if schema is not None:
        table = table.select(schema.names).cast(schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")


def write_case_files(files: Mapping[str, CaseContent], dest: Path) -> list[Path]:
    """Write every file of an in-memory case below ``dest``; return the written paths, sorted.

    ``.json`` entries must be dicts and ``.parquet`` entries must be tables; relative paths must
    stay inside ``dest``.
    """
    written: list[Path] = []
    for rel_path, content in files.items():
        rel = Path(rel_path)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"case file path must be relative and inside the case: {rel_path!r}")
        target = dest / rel
        if rel.suffix == ".json":
            if not isinstance(content, dict):
                raise TypeError(f"{rel_path}: expected a dict for a JSON file")
            write_json(target, content)
        elif rel.suffix == ".parquet":
            if not isinstance(content, pa.Table):
                raise TypeError(f"{rel_path}: expected a pyarrow.Table for a Parquet file")
            write_parquet(target, content, PARQUET_SCHEMAS.get(rel.as_posix()))
        else:
            raise ValueError(f"{rel_path}: unsupported file type {rel.suffix!r}")
        written.append(target)
    return sorted(written)
