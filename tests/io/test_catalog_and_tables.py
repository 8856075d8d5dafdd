"""The case-file catalogue and the Parquet table specs."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cobre_core.io import catalog, tables
from cobre_core.io.catalog import CATALOG, FileFormat, entry_for, is_ignored
from cobre_core.io.tables import TABLE_SPECS, check_table

SHARED_CASES = Path(__file__).resolve().parents[3] / "shared" / "cobre-cases"


def test_required_files_match_the_book() -> None:
    assert {e.relative_path for e in catalog.required_entries()} == {
        "config.json",
        "penalties.json",
        "stages.json",
        "initial_conditions.json",
        "system/buses.json",
        "system/lines.json",
        "system/hydros.json",
        "system/thermals.json",
    }


def test_paths_are_unique_and_formats_match_extensions() -> None:
    paths = [e.relative_path for e in CATALOG]
    assert len(paths) == len(set(paths))
    for entry in CATALOG:
        suffix = ".parquet" if entry.format is FileFormat.PARQUET else ".json"
        assert entry.relative_path.endswith(suffix)
        assert entry.required <= entry.supported


@pytest.mark.parametrize(
    "entry",
    [e for e in CATALOG if e.model_ref is not None],
    ids=lambda e: e.relative_path,
)
def test_json_models_resolve_to_their_relative_path(entry: catalog.CatalogEntry) -> None:
    cls = entry.model_class()
    assert cls is not None, entry.model_ref
    assert entry.relative_path == cls.RELATIVE_PATH  # type: ignore[attr-defined]


def test_every_table_spec_is_catalogued() -> None:
    for spec in TABLE_SPECS:
        entry = entry_for(spec.relative_path)
        assert entry is not None and entry.table is spec
        assert set(spec.key) <= {c.name for c in spec.columns}


def test_ignored_paths() -> None:
    assert is_ignored(("output", "training", "convergence.parquet"))
    assert is_ignored(("system", ".hydros.json.swp"))
    assert is_ignored((".git", "config"))
    assert not is_ignored(("system", "hydros.json"))


def _stats(**overrides: pa.Array) -> pa.Table:
    columns = {
        "hydro_id": pa.array([0, 0, 1], pa.int32()),
        "stage_id": pa.array([0, 1, 0], pa.int32()),
        "mean_m3s": pa.array([10.0, 20.0, 30.0]),
        "std_m3s": pa.array([1.0, 2.0, 3.0]),
    }
    columns.update(overrides)
    return pa.table(columns)


def test_check_table_accepts_a_good_table() -> None:
    result = check_table(_stats(), tables.INFLOW_SEASONAL_STATS)
    assert result.errors == [] and result.warnings == []


def test_check_table_accepts_int64_float32_and_dictionary_columns() -> None:
    table = _stats(
        hydro_id=pa.array([0, 0, 1], pa.int64()),
        std_m3s=pa.array([1.0, 2.0, 3.0], pa.float32()),
        stage_id=pa.array([0, 1, 0], pa.int32()).dictionary_encode(),
    )
    assert check_table(table, tables.INFLOW_SEASONAL_STATS).errors == []


def test_check_table_reports_each_problem() -> None:
    table = pa.table(
        {
            "hydro_id": pa.array([0, 0, 0], pa.int32()),
            "stage_id": pa.array(["a", "b", "c"]),
            "mean_m3s": pa.array([1.0, None, float("nan")]),
            "extra": pa.array([1, 2, 3]),
        }
    )
    result = check_table(table, tables.INFLOW_SEASONAL_STATS)
    kinds = {(e.kind, e.context["field"]) for e in result.errors}
    assert ("SchemaViolation", "std_m3s") in kinds  # missing column
    assert ("TypeMismatch", "stage_id") in kinds
    assert ("SchemaViolation", "mean_m3s") in kinds  # null
    assert ("OutOfRange", "mean_m3s") in kinds  # NaN
    assert [w.context["field"] for w in result.warnings] == ["extra"]
    for error in result.errors:
        assert error.context["file"] == tables.INFLOW_SEASONAL_STATS.relative_path


def test_check_table_reports_duplicate_keys_with_null_optional_key() -> None:
    table = pa.table(
        {
            "constraint_id": pa.array([1, 1], pa.int32()),
            "stage_id": pa.array([0, 0], pa.int32()),
            "bound": pa.array([10.0, 11.0]),
        }
    )
    result = check_table(table, tables.GENERIC_CONSTRAINT_BOUNDS)
    assert [e.kind for e in result.errors] == ["DuplicateId"]


@pytest.mark.skipif(not SHARED_CASES.is_dir(), reason=f"no reference cases at {SHARED_CASES}")
def test_every_reference_parquet_file_matches_its_spec() -> None:
    files = sorted(SHARED_CASES.rglob("*.parquet"))
    assert files
    for path in files:
        rel = "/".join(path.parts[-2:])
        entry = entry_for(rel)
        assert entry is not None and entry.table is not None, rel
        result = check_table(pq.read_table(path), entry.table)
        assert result.errors == [], (path, [e.message for e in result.errors])
        assert result.warnings == [], (path, [w.message for w in result.warnings])
