"""Validator: the validation report grouped by layer and kind, and under an edited config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cobre_core as cc
from cobre_core.errors import VALIDATION_KINDS, CaseValidationError, record
from cobre_core.validation import LAYERS
from cobre_core.validator import LAYER_OF_KIND, Validator, layer_of


def _break_reference(case_dir: Path) -> None:
    path = case_dir / "system" / "hydros.json"
    doc = json.loads(path.read_text())
    doc["hydros"][0]["bus_id"] = 99
    path.write_text(json.dumps(doc))


def test_every_validation_kind_has_a_layer() -> None:
    assert set(LAYER_OF_KIND) == {str(k) for k in VALIDATION_KINDS}
    assert set(LAYER_OF_KIND.values()) == set(LAYERS)


def test_layer_of_prefers_the_records_own_layer() -> None:
    assert layer_of(record("MissingReference", "x")) == "referential"
    assert layer_of(record("SchemaViolation", "x", layer="dimensional")) == "dimensional"
    assert layer_of(record("SolverFailure", "x")) == "semantic"


def test_valid_case_report(toy_dir: Path) -> None:
    v = Validator(toy_dir)
    assert "not run" in repr(v)
    result = v.run()
    assert result is v.result
    assert v.valid and v.errors == ()
    assert v.layers_run == LAYERS
    assert result == cc.validate(toy_dir)
    groups = v.by_layer()
    assert list(groups) == list(LAYERS)
    assert all(records == [] for records in groups.values())
    with_warnings = v.by_layer(warnings=True)
    assert sum(len(r) for r in with_warnings.values()) == len(v.warnings)
    v.raise_if_invalid()


def test_invalid_case_groups_errors_by_layer(toy_dir: Path) -> None:
    _break_reference(toy_dir)
    v = Validator(toy_dir)
    assert not v.valid
    groups = v.by_layer()
    assert [r.kind for r in groups["referential"]] == ["MissingReference"]
    assert groups["structural"] == [] and groups["semantic"] == []
    assert list(v.by_kind()) == ["MissingReference"]
    assert v.layers_run == ("structural", "schema", "referential")  # stops after the failure
    with pytest.raises(CaseValidationError) as info:
        v.raise_if_invalid()
    assert info.value.records == v.errors


def test_run_again_sees_fixes(toy_dir: Path) -> None:
    v = Validator(toy_dir)
    assert v.valid
    _break_reference(toy_dir)
    assert v.valid  # the stored report until run() again
    assert not v.run().valid


def test_validate_under_an_edited_config(toy_dir: Path) -> None:
    cfg = cc.Config.load(toy_dir).set(
        "training.stopping_rules", [{"type": "time_limit", "seconds": 5}]
    )
    v = Validator(toy_dir, config=cfg)
    result = v.run()
    assert not result.valid
    assert result.case_directory == str(toy_dir)
    assert [r.kind for r in v.by_layer()["semantic"]] == ["IncompatibleSettings"]
    assert Validator(toy_dir).valid  # the directory itself is unchanged


def test_missing_directory_is_a_structural_error(tmp_path: Path) -> None:
    v = Validator(tmp_path / "absent", config=None)
    assert [r.kind for r in v.by_layer()["structural"]] == ["MissingFile"]
