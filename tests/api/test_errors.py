"""Exceptions: each error kind maps to its class, and the library raises those classes."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import cobre_core as cc
from cobre_core.errors import (
    VALIDATION_KINDS,
    CancelledError,
    CaseValidationError,
    CheckpointError,
    CobreError,
    ErrorKind,
    IncompatibleRunsError,
    OutputError,
    QueryError,
    SolverError,
    ValidationError,
    error_class_for,
    raise_for,
    record,
)
from cobre_core.study import Study

RUNTIME_CLASSES = {
    ErrorKind.SOLVER_FAILURE: SolverError,
    ErrorKind.CHECKPOINT_FAILED: CheckpointError,
    ErrorKind.OUTPUT_CORRUPTED: OutputError,
    ErrorKind.OUTPUT_NOT_FOUND: OutputError,
    ErrorKind.INCOMPATIBLE_RUNS: IncompatibleRunsError,
    ErrorKind.CANCELLED: CancelledError,
    ErrorKind.INVALID_QUERY: QueryError,
}


def test_every_validation_kind_maps_to_validation_error() -> None:
    assert len(VALIDATION_KINDS) == 14
    for kind in VALIDATION_KINDS:
        assert error_class_for(kind) is ValidationError, kind


def test_every_runtime_kind_maps_to_its_class() -> None:
    assert set(RUNTIME_CLASSES) | set(VALIDATION_KINDS) == set(ErrorKind)
    for kind, cls in RUNTIME_CLASSES.items():
        assert error_class_for(kind) is cls
        assert error_class_for(str(kind)) is cls


def test_unknown_kind_stays_base_class() -> None:
    assert error_class_for("WriteDisabled") is CobreError
    exc = CobreError(record("WriteDisabled", "no writes"))
    assert type(exc) is CobreError


def test_from_record_picks_the_subclass_and_keeps_the_record() -> None:
    rec = record(ErrorKind.SOLVER_FAILURE, "stage 3 infeasible", "check bounds", stage=3)
    exc = CobreError.from_record(rec)
    assert type(exc) is SolverError
    assert exc.record == rec and exc.kind == "SolverFailure"
    assert exc.context == {"stage": 3} and exc.suggestion == "check bounds"
    from_dict = CobreError.from_record(rec.to_dict())
    assert type(from_dict) is SolverError and from_dict.record == rec


def test_base_constructor_dispatches_on_the_headline_kind() -> None:
    exc = CobreError([record("InvalidQuery", "bad column"), record("MissingFile", "x")])
    assert isinstance(exc, QueryError)
    assert len(exc.records) == 2
    assert isinstance(CobreError(record("OutOfRange", "too big")), ValidationError)
    # an explicit subclass is kept even for another kind
    assert type(OutputError(record("InvalidQuery", "x"))) is OutputError


def test_case_validation_error_is_a_validation_error() -> None:
    assert issubclass(CaseValidationError, ValidationError)
    assert issubclass(ValidationError, CobreError)
    assert cc.ValidationError is ValidationError


def test_exceptions_pickle_with_their_records() -> None:
    exc = CobreError(record("Cancelled", "stopped", None, iteration=3))
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is CancelledError
    assert back.records == exc.records
    assert str(back) == str(exc)


def test_raise_for_raises_only_when_there_are_records() -> None:
    raise_for([])
    with pytest.raises(IncompatibleRunsError) as info:
        raise_for([record("IncompatibleRuns", "dims differ")])
    assert info.value.kind == "IncompatibleRuns"


def test_missing_case_directory_raises_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        cc.load_case(tmp_path / "nowhere")
    assert info.value.kind == "MissingFile"
    assert isinstance(info.value, CaseValidationError)


def test_missing_required_file_names_it(toy_dir: Path) -> None:
    (toy_dir / "system" / "hydros.json").unlink()
    with pytest.raises(ValidationError) as info:
        Study(toy_dir)
    assert info.value.kind == "MissingFile"
    assert info.value.context["file"] == "system/hydros.json"


def test_invalid_case_carries_the_kind_of_each_record(toy_dir: Path) -> None:
    path = toy_dir / "system" / "thermals.json"
    doc = json.loads(path.read_text())
    doc["thermals"][0]["bus_id"] = 77
    path.write_text(json.dumps(doc))
    with pytest.raises(CaseValidationError) as info:
        cc.load_case(toy_dir)
    assert info.value.kind == "MissingReference"
    assert {r.kind for r in info.value.records} == {"MissingReference"}
    assert info.value.records == cc.validate(toy_dir).errors


def test_bad_query_raises_query_error(toy_study: Study) -> None:
    with pytest.raises(QueryError) as info:
        toy_study.results().costs(columns=["no_such_column"])
    assert info.value.kind == "InvalidQuery"


def test_missing_outputs_raise_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as info:
        cc.Results.open(tmp_path).costs()
    assert info.value.kind == "OutputNotFound"


def test_policy_of_another_case_raises_incompatible_runs(
    toy_study: Study, multi_study: Study
) -> None:
    with pytest.raises(IncompatibleRunsError) as info:
        multi_study.simulate(policy=toy_study.policy, num_scenarios=1, output_dir=None)
    assert info.value.kind == "IncompatibleRuns"
