"""``read_case_files`` and its building blocks: JSON decoding and pydantic error mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cobre_core.io import read_case_files
from cobre_core.io.catalog import entry_for
from cobre_core.io.reader import load_json, load_parquet, validate_document


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    examples = pytest.importorskip("cobre_core.examples")
    return Path(examples.write_example("toy", tmp_path / "toy"))


def test_read_valid_case(toy: Path) -> None:
    files, diags = read_case_files(toy)
    assert diags.errors == []
    assert "system/hydros.json" in files.models
    assert files.doc("system/hydros.json")["hydros"][0]["id"] == 0  # type: ignore[index]
    assert files.table("scenarios/inflow_seasonal_stats.parquet") is not None
    assert files.unknown == []


def test_read_never_raises_on_missing_directory(tmp_path: Path) -> None:
    files, diags = read_case_files(tmp_path / "nope")
    assert [e.kind for e in diags.errors] == ["MissingFile"]
    assert files.models == {}


def test_failing_file_is_left_out(toy: Path) -> None:
    (toy / "system" / "thermals.json").write_text('{"thermals": [{"id": "x"}]}')
    files, diags = read_case_files(toy)
    assert "system/thermals.json" not in files.models
    assert {e.context["file"] for e in diags.errors} == {"system/thermals.json"}


def test_json_parse_error_has_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{\n  "training": {\n    "x": tru\n  }\n}')
    doc, diags = load_json(tmp_path, "config.json")
    assert doc is None
    (error,) = diags.errors
    assert error.kind == "ParseError"
    assert (error.context["line"], error.context["column"]) == (3, 10)


def test_json_null_document_parses(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("null")
    doc, diags = load_json(tmp_path, "config.json")
    assert doc is None and diags.ok


def test_json_duplicate_key_is_a_warning_and_bom_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_bytes(b'\xef\xbb\xbf{"a": 1, "a": 2}')
    doc, diags = load_json(tmp_path, "config.json")
    assert doc == {"a": 2}
    assert diags.ok
    assert [w.context["field"] for w in diags.warnings] == ["a"]


def test_truncated_parquet_is_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "x.parquet").write_bytes(b"PAR1\x00\x01")
    table, diags = load_parquet(tmp_path, "scenarios/x.parquet")
    assert table is None
    assert [e.kind for e in diags.errors] == ["ParseError"]


def _validate(rel: str, raw: Any) -> list[dict[str, Any]]:
    entry = entry_for(rel)
    assert entry is not None
    _model, _doc, diags = validate_document(raw, entry)
    return [{"kind": e.kind, **e.context} for e in diags.errors]


def _config(**training: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "forward_passes": 1,
        "stopping_rules": [{"type": "iteration_limit", "limit": 10}],
    }
    base.update(training)
    return {"training": base}


def test_union_labels_are_dropped_from_the_field_path() -> None:
    (error,) = _validate(
        "config.json", _config(stopping_rules=[{"type": "iteration_limit", "limit": "ten"}])
    )
    assert error["kind"] == "TypeMismatch"
    assert error["field"] == "training.stopping_rules[0].limit"
    assert (error["expected_type"], error["actual_type"]) == ("integer", "string")


def test_bad_discriminator_is_invalid_enum() -> None:
    (error,) = _validate("config.json", _config(stopping_rules=[{"type": "forever"}]))
    assert error["kind"] == "InvalidEnum"
    assert error["value"] == "forever"
    assert "iteration_limit" in error["allowed_values"]


def test_int32_overflow_is_out_of_range() -> None:
    raw = {"buses": [{"id": 2**40, "name": "B"}]}
    (error,) = _validate("system/buses.json", raw)
    assert error["kind"] == "OutOfRange"
    assert error["field"] == "buses[0].id"
    assert error["max"] == 2**31 - 1


def test_missing_field_names_the_entity() -> None:
    raw = {"thermals": [{"id": 5, "name": "T", "cost_per_mwh": 1.0, "generation": {"min_mw": 0}}]}
    errors = _validate("system/thermals.json", raw)
    by_field = {e["field"]: e for e in errors}
    assert by_field["thermals[0].bus_id"]["kind"] == "SchemaViolation"
    assert by_field["thermals[0].generation.max_mw"]["entity_id"] == 5


def test_unknown_keys_are_warnings_with_location() -> None:
    entry = entry_for("system/buses.json")
    assert entry is not None
    raw = {"buses": [{"id": 3, "name": "B", "colour": "red"}], "extra": 1}
    model, doc, diags = validate_document(raw, entry)
    assert model is not None and doc is not None and diags.ok
    found = {(w.context["field"], w.context.get("entity_id")) for w in diags.warnings}
    assert found == {("buses[0].colour", 3), ("extra", None)}


def test_normalised_doc_keeps_json_names() -> None:
    entry = entry_for("stages.json")
    assert entry is not None
    raw = json.loads(
        """{"policy_graph": {"type": "finite_horizon", "annual_discount_rate": 0},
            "stages": [{"id": 0, "start_date": "2024-01-01", "end_date": "2024-02-01",
                        "blocks": [{"id": 0, "name": "B", "hours": 744}],
                        "num_scenarios": 1,
                        "risk_measure": {"cvar": {"alpha": 0.5, "lambda": 0.2}}}]}"""
    )
    _model, doc, diags = validate_document(raw, entry)
    assert diags.ok and doc is not None
    assert doc["stages"][0]["risk_measure"]["cvar"]["lambda"] == 0.2
    assert doc["stages"][0]["start_date"] == "2024-01-01"
