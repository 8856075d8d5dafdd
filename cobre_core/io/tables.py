"""Column specifications of the Parquet case files, and the checker that applies them.

A :class:`TableSpec` says which columns a Parquet file of the case must or may have, which Arrow
types each accepts, whether nulls are allowed and which columns form the row key. It is what the
schema layer of the validator checks a ``pyarrow.Table`` against: missing or mistyped columns,
nulls where none are allowed, non-finite floats, unknown columns and duplicate keys.

Types are checked by *family* rather than exact Arrow type: upstream writes ``int32`` ids and
``double`` values, but files produced by pandas or polars commonly hold ``int64`` / ``float32``,
which read back without loss. Use :func:`check_table` for structure only; cross-file meaning
(does this ``hydro_id`` exist?) belongs to the later validation layers, not here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pyarrow as pa

from cobre_core.errors import ErrorKind, ErrorRecord, record


class ColumnType(StrEnum):
    """Family of Arrow types a column accepts."""

    INT = "int"
    """Signed integer id or index: int32 (upstream) or int64."""
    INDEX = "index"
    """Non-negative index: uint32 (upstream noise files), uint64, int32 or int64."""
    FLOAT = "float"
    """Floating-point value: float64 (upstream) or float32."""
    DATE = "date"
    """Calendar date: date32 (upstream), date64 or a timestamp."""


_ACCEPTED_NAMES: dict[ColumnType, tuple[str, ...]] = {
    ColumnType.INT: ("int32", "int64"),
    ColumnType.INDEX: ("uint32", "uint64", "int32", "int64"),
    ColumnType.FLOAT: ("double", "float"),
    ColumnType.DATE: ("date32[day]", "date64[ms]", "timestamp"),
}


def accepted_type_names(kind: ColumnType) -> tuple[str, ...]:
    """Arrow type names (as ``str(pa.DataType)``) a column of this family accepts."""
    return _ACCEPTED_NAMES[kind]


def type_matches(kind: ColumnType, arrow_type: pa.DataType) -> bool:
    """Whether ``arrow_type`` belongs to the family ``kind`` (dictionary encoding is unwrapped)."""
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if kind is ColumnType.INT:
        return pa.types.is_int32(arrow_type) or pa.types.is_int64(arrow_type)
    if kind is ColumnType.INDEX:
        return any(
            check(arrow_type)
            for check in (
                pa.types.is_uint32,
                pa.types.is_uint64,
                pa.types.is_int32,
                pa.types.is_int64,
            )
        )
    if kind is ColumnType.FLOAT:
        return pa.types.is_float64(arrow_type) or pa.types.is_float32(arrow_type)
    return (
        pa.types.is_date32(arrow_type)
        or pa.types.is_date64(arrow_type)
        or pa.types.is_timestamp(arrow_type)
    )


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a Parquet case file.

    ``required`` columns must exist; ``nullable`` says whether the column may hold nulls (an
    optional override column is usually nullable, with null meaning "keep the base value").
    """

    name: str
    type: ColumnType
    required: bool = True
    nullable: bool = False
    description: str = ""


@dataclass(frozen=True)
class TableSpec:
    """Expected shape of one Parquet case file.

    ``key`` lists the columns whose combination must be unique (null counts as a value, so two
    rows with the same constraint, stage and null block collide). Not for output tables: those
    are written by the solver and described elsewhere.
    """

    relative_path: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    _by_name: dict[str, ColumnSpec] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    def column(self, name: str) -> ColumnSpec | None:
        """The spec of column ``name``, or ``None`` if the file does not define it."""
        return self._by_name.get(name)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Names of the columns that must be present."""
        return tuple(c.name for c in self.columns if c.required)


def _int(name: str, *, required: bool = True, nullable: bool = False, doc: str = "") -> ColumnSpec:
    return ColumnSpec(name, ColumnType.INT, required, nullable, doc)


def _float(
    name: str, *, required: bool = True, nullable: bool = False, doc: str = ""
) -> ColumnSpec:
    return ColumnSpec(name, ColumnType.FLOAT, required, nullable, doc)


def _override(name: str, doc: str) -> ColumnSpec:
    """An optional, nullable float override column of a sparse bounds file."""
    return ColumnSpec(name, ColumnType.FLOAT, required=False, nullable=True, description=doc)


FPHA_HYPERPLANES = TableSpec(
    "system/fpha_hyperplanes.parquet",
    (
        _int("hydro_id", doc="Hydro plant id"),
        _int("stage_id", required=False, nullable=True, doc="Stage id; null = every stage"),
        _int("plane_id", doc="Plane index within (hydro, stage)"),
        _float("gamma_0", doc="Intercept [MW]"),
        _float("gamma_v", doc="Storage coefficient [MW/hm³]"),
        _float("gamma_q", doc="Turbined-flow coefficient [MW/(m³/s)]"),
        _float("gamma_s", doc="Spillage coefficient [MW/(m³/s)]"),
        _float("kappa", required=False, nullable=True, doc="Correction factor; null = 1"),
        _float("valid_v_min_hm3", required=False, nullable=True, doc="Validity range [hm³]"),
        _float("valid_v_max_hm3", required=False, nullable=True, doc="Validity range [hm³]"),
        _float("valid_q_max_m3s", required=False, nullable=True, doc="Validity range [m³/s]"),
    ),
    key=("hydro_id", "stage_id", "plane_id"),
    description="Precomputed FPHA hyperplanes",
)

HYDRO_GEOMETRY = TableSpec(
    "system/hydro_geometry.parquet",
    (
        _int("hydro_id", doc="Hydro plant id"),
        _float("volume_hm3", doc="Stored volume [hm³]"),
        _float("height_m", doc="Upstream water level [m]"),
        _float("area_km2", doc="Reservoir surface area [km²]"),
    ),
    key=("hydro_id", "volume_hm3"),
    description="Volume-height-area curves of reservoirs",
)

INFLOW_SEASONAL_STATS = TableSpec(
    "scenarios/inflow_seasonal_stats.parquet",
    (
        _int("hydro_id", doc="Hydro plant id"),
        _int("stage_id", doc="Stage id; negative ids are pre-study stages"),
        _float("mean_m3s", doc="Mean inflow [m³/s]"),
        _float("std_m3s", doc="Inflow standard deviation [m³/s], >= 0"),
        _int("ar_order", required=False, nullable=True, doc="Documented in the book, unused"),
    ),
    key=("hydro_id", "stage_id"),
    description="PAR(p) inflow statistics per (hydro, stage)",
)

INFLOW_AR_COEFFICIENTS = TableSpec(
    "scenarios/inflow_ar_coefficients.parquet",
    (
        _int("hydro_id", doc="Hydro plant id"),
        _int("stage_id", doc="Stage id"),
        _int("lag", doc="Lag, 1-based"),
        _float("coefficient", doc="Standardised AR coefficient ψ*"),
        _float("residual_std_ratio", doc="Residual std / std, in (0, 1]"),
    ),
    key=("hydro_id", "stage_id", "lag"),
    description="PAR(p) autoregressive coefficients",
)

LOAD_SEASONAL_STATS = TableSpec(
    "scenarios/load_seasonal_stats.parquet",
    (
        _int("bus_id", doc="Bus id"),
        _int("stage_id", doc="Stage id"),
        _float("mean_mw", doc="Mean load [MW]"),
        _float("std_mw", doc="Load standard deviation [MW], >= 0"),
    ),
    key=("bus_id", "stage_id"),
    description="Load statistics per (bus, stage)",
)

INFLOW_HISTORY = TableSpec(
    "scenarios/inflow_history.parquet",
    (
        _int("hydro_id", doc="Hydro plant id"),
        ColumnSpec("date", ColumnType.DATE, description="Observation date"),
        _float("value_m3s", doc="Observed inflow [m³/s]"),
    ),
    key=("hydro_id", "date"),
    description="Historical inflow series, used for PAR estimation and historical sampling",
)

EXTERNAL_INFLOW_SCENARIOS = TableSpec(
    "scenarios/external_inflow_scenarios.parquet",
    (
        _int("stage_id", doc="Study stage id"),
        _int("scenario_id", doc="Scenario index, 0-based"),
        _int("hydro_id", doc="Hydro plant id"),
        _float("value_m3s", doc="Inflow [m³/s]"),
    ),
    key=("stage_id", "scenario_id", "hydro_id"),
    description="Pre-computed inflow scenarios (scheme external)",
)

EXTERNAL_LOAD_SCENARIOS = TableSpec(
    "scenarios/external_load_scenarios.parquet",
    (
        _int("stage_id", doc="Study stage id"),
        _int("scenario_id", doc="Scenario index, 0-based"),
        _int("bus_id", doc="Bus id"),
        _float("value_mw", doc="Load [MW]"),
    ),
    key=("stage_id", "scenario_id", "bus_id"),
    description="Pre-computed load scenarios (scheme external)",
)

EXTERNAL_NCS_SCENARIOS = TableSpec(
    "scenarios/external_ncs_scenarios.parquet",
    (
        _int("stage_id", doc="Study stage id"),
        _int("scenario_id", doc="Scenario index, 0-based"),
        _int("ncs_id", doc="Non-controllable source id"),
        _float("value", doc="Availability factor [-]"),
    ),
    key=("stage_id", "scenario_id", "ncs_id"),
    description="Pre-computed NCS availability scenarios (scheme external)",
)

NON_CONTROLLABLE_STATS = TableSpec(
    "scenarios/non_controllable_stats.parquet",
    (
        _int("ncs_id", doc="Non-controllable source id"),
        _int("stage_id", doc="Stage id"),
        _float("mean", doc="Mean availability factor [-]"),
        _float("std", doc="Availability standard deviation [-], >= 0"),
    ),
    key=("ncs_id", "stage_id"),
    description="Availability statistics per (NCS, stage)",
)

NOISE_OPENINGS = TableSpec(
    "scenarios/noise_openings.parquet",
    (
        _int("stage_id", doc="Study stage id"),
        ColumnSpec("opening_index", ColumnType.INDEX, description="Opening, 0-based"),
        ColumnSpec("entity_index", ColumnType.INDEX, description="Position in the noise vector"),
        _float("value", doc="Standardised noise value"),
    ),
    key=("stage_id", "opening_index", "entity_index"),
    description="User-supplied opening tree (replaces the generated one)",
)

HYDRO_BOUNDS = TableSpec(
    "constraints/hydro_bounds.parquet",
    (
        _int("hydro_id", doc="Hydro plant id"),
        _int("stage_id", doc="Study stage id"),
        _override("min_turbined_m3s", "Minimum turbined flow [m³/s]"),
        _override("max_turbined_m3s", "Maximum turbined flow [m³/s]"),
        _override("min_storage_hm3", "Minimum storage [hm³]"),
        _override("max_storage_hm3", "Maximum storage [hm³]"),
        _override("min_outflow_m3s", "Minimum total outflow [m³/s]"),
        _override("max_outflow_m3s", "Maximum total outflow [m³/s]"),
        _override("min_generation_mw", "Minimum generation [MW]"),
        _override("max_generation_mw", "Maximum generation [MW]"),
        _override("max_diversion_m3s", "Maximum diversion [m³/s]"),
        _override("filling_inflow_m3s", "Filling inflow [m³/s]"),
        _override("water_withdrawal_m3s", "Water withdrawal [m³/s]"),
    ),
    key=("hydro_id", "stage_id"),
    description="Sparse per-stage overrides of hydro bounds",
)

THERMAL_BOUNDS = TableSpec(
    "constraints/thermal_bounds.parquet",
    (
        _int("thermal_id", doc="Thermal plant id"),
        _int("stage_id", doc="Study stage id"),
        _override("min_generation_mw", "Minimum generation [MW]"),
        _override("max_generation_mw", "Maximum generation [MW]"),
        _override("cost_per_mwh", "Generation cost [$/MWh]"),
    ),
    key=("thermal_id", "stage_id"),
    description="Sparse per-stage overrides of thermal bounds and cost",
)

GENERIC_CONSTRAINT_BOUNDS = TableSpec(
    "constraints/generic_constraint_bounds.parquet",
    (
        _int("constraint_id", doc="Generic constraint id"),
        _int("stage_id", doc="Study stage id"),
        _int("block_id", required=False, nullable=True, doc="Block id; null = every block"),
        _float("bound", doc="Right-hand side"),
    ),
    key=("constraint_id", "stage_id", "block_id"),
    description="Right-hand sides of generic constraints; a stage without rows is inactive",
)

TABLE_SPECS: tuple[TableSpec, ...] = (
    FPHA_HYPERPLANES,
    HYDRO_GEOMETRY,
    INFLOW_SEASONAL_STATS,
    INFLOW_AR_COEFFICIENTS,
    LOAD_SEASONAL_STATS,
    INFLOW_HISTORY,
    EXTERNAL_INFLOW_SCENARIOS,
    EXTERNAL_LOAD_SCENARIOS,
    EXTERNAL_NCS_SCENARIOS,
    NON_CONTROLLABLE_STATS,
    NOISE_OPENINGS,
    HYDRO_BOUNDS,
    THERMAL_BOUNDS,
    GENERIC_CONSTRAINT_BOUNDS,
)
"""Every Parquet file the validator understands, in catalogue order."""


MAX_DUPLICATES_REPORTED = 50
"""Duplicate-key records listed per file before the rest are summarised in one record."""


@dataclass
class TableCheck:
    """Outcome of :func:`check_table`: errors block the case, warnings do not."""

    errors: list[ErrorRecord] = field(default_factory=list)
    warnings: list[ErrorRecord] = field(default_factory=list)


def _first_null_row(column: pa.ChunkedArray) -> int | None:
    offset = 0
    for chunk in column.chunks:
        if chunk.null_count:
            for i, valid in enumerate(chunk.is_valid().to_pylist()):
                if not valid:
                    return offset + i
        offset += len(chunk)
    return None


def _key_values(
    table: pa.Table, spec: TableSpec, key: Sequence[str]
) -> list[tuple[object, ...]] | None:
    """Row keys; an absent optional key column counts as null on every row."""
    if not key:
        return None
    columns: list[list[object]] = []
    for name in key:
        if name in table.column_names:
            columns.append(table.column(name).to_pylist())
        else:
            col = spec.column(name)
            if col is None or col.required:
                return None
            columns.append([None] * table.num_rows)
    return list(zip(*columns, strict=True))


def check_table(table: pa.Table, spec: TableSpec) -> TableCheck:
    """Check ``table`` against ``spec`` and return every problem found (never raises).

    Errors: missing required column (SchemaViolation), wrong column type (TypeMismatch), nulls
    in a non-nullable column (SchemaViolation), NaN or infinite floats (OutOfRange), repeated row
    keys (DuplicateId). Warnings: columns the spec does not know (SchemaViolation), which are
    ignored by the loader. Value meaning (negative std, unknown ids) is left to later layers.
    """
    out = TableCheck()
    file = spec.relative_path
    names = list(table.column_names)
    for col in spec.columns:
        if col.required and col.name not in names:
            out.errors.append(
                record(
                    ErrorKind.SCHEMA_VIOLATION,
                    f"{file}: required column '{col.name}' is missing",
                    f"Add the column '{col.name}' ({col.type.value}) to {file}.",
                    file=file,
                    field=col.name,
                    expected=f"column '{col.name}'",
                    actual=f"columns {names}",
                )
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            out.errors.append(
                record(
                    ErrorKind.SCHEMA_VIOLATION,
                    f"{file}: column '{name}' appears more than once",
                    "Write each column once.",
                    file=file,
                    field=name,
                )
            )
            continue
        seen.add(name)
        col = spec.column(name)
        column = table.column(name)
        if col is None:
            out.warnings.append(
                record(
                    ErrorKind.SCHEMA_VIOLATION,
                    f"{file}: unknown column '{name}' is ignored",
                    f"Known columns: {[c.name for c in spec.columns]}. Check for a typo.",
                    file=file,
                    field=name,
                )
            )
            continue
        if not type_matches(col.type, column.type):
            out.errors.append(
                record(
                    ErrorKind.TYPE_MISMATCH,
                    f"{file}: column '{name}' has type {column.type}, expected "
                    f"{' or '.join(accepted_type_names(col.type))}",
                    f"Write '{name}' as {accepted_type_names(col.type)[0]}.",
                    file=file,
                    field=name,
                    expected_type=list(accepted_type_names(col.type)),
                    actual_type=str(column.type),
                )
            )
            continue
        if not col.nullable and column.null_count:
            row = _first_null_row(column)
            out.errors.append(
                record(
                    ErrorKind.SCHEMA_VIOLATION,
                    f"{file}: column '{name}' has {column.null_count} null value(s) "
                    f"(first at row {row}); nulls are not allowed",
                    f"Fill every value of '{name}'.",
                    file=file,
                    field=name,
                    row=row,
                    expected="non-null values",
                    actual=f"{column.null_count} null(s)",
                )
            )
        if col.type is ColumnType.FLOAT and table.num_rows:
            for row, value in enumerate(column.to_pylist()):
                if value is not None and not math.isfinite(value):
                    out.errors.append(
                        record(
                            ErrorKind.OUT_OF_RANGE,
                            f"{file}: column '{name}' row {row} is {value}; values must be finite",
                            f"Replace the non-finite value of '{name}' at row {row}.",
                            file=file,
                            field=name,
                            row=row,
                            value=str(value),
                        )
                    )
                    break
    keys = _key_values(table, spec, spec.key) if not out.errors else None
    if keys is not None:
        first_row: dict[tuple[object, ...], int] = {}
        duplicates = 0
        for row, key in enumerate(keys):
            if key in first_row:
                duplicates += 1
                if duplicates > MAX_DUPLICATES_REPORTED:
                    continue
                label = ", ".join(f"{n}={v}" for n, v in zip(spec.key, key, strict=True))
                out.errors.append(
                    record(
                        ErrorKind.DUPLICATE_ID,
                        f"{file}: rows {first_row[key]} and {row} share the key ({label})",
                        "Keep one row per key; remove or merge the duplicate.",
                        file=file,
                        entity_id=label,
                        registry=file,
                        row=row,
                    )
                )
            else:
                first_row[key] = row
        if duplicates > MAX_DUPLICATES_REPORTED:
            out.errors.append(
                record(
                    ErrorKind.DUPLICATE_ID,
                    f"{file}: {duplicates} duplicated keys in total; only the first "
                    f"{MAX_DUPLICATES_REPORTED} are listed",
                    "Deduplicate the file on its key columns " + str(list(spec.key)) + ".",
                    file=file,
                    registry=file,
                )
            )
    return out
