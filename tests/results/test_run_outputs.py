"""RunOutputs: locating the parts of a run directory and its OutputNotFound/Corrupted errors.

One toy run (5 iterations, 8 scenarios) is built per module; tests that damage outputs work on
copies of it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cobre_core.errors import ErrorKind, OutputError
from cobre_core.examples import write_example
from cobre_core.results.atomic import SUCCESS_MARKER
from cobre_core.results.query import TableQuery, cost_summary, query_table
from cobre_core.results.run_outputs import RunOutputs
from cobre_core.results.simulation_tables import SIMULATION_SCHEMAS, empty_table
from cobre_core.results.simulation_writer import finalize, write_scenario
from cobre_core.study_runs import TrainingResult, simulate, train

SHORT = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 5}]}}
SCENARIOS = 8
TOY_TABLES = ["costs", "hydros", "thermals", "buses", "inflow_lags"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainingResult]:
    root = tmp_path_factory.mktemp("run_outputs")
    case = write_example("toy", root / "case")
    out = root / "out"
    res = train(case, config_overrides=SHORT, output_dir=out)
    simulate(case, res, output_dir=out, num_scenarios=SCENARIOS)
    return out, res


@pytest.fixture
def copy(run: tuple[Path, TrainingResult], tmp_path: Path) -> Path:
    """A private copy of the run directory, free to damage."""
    return Path(shutil.copytree(run[0], tmp_path / "out"))


def _raises(kind: ErrorKind, fn, *args) -> OutputError:
    with pytest.raises(OutputError) as info:
        fn(*args)
    assert info.value.kind == kind, info.value
    return info.value


def test_locates_every_part(run) -> None:
    out, _ = run
    ro = RunOutputs(str(out))  # a str is accepted and normalised
    assert ro.root == out
    assert ro.has_training and ro.has_policy and ro.has_simulation and ro.simulation_complete
    assert ro.simulation_entities() == TOY_TABLES


def test_convergence_metadata_and_policy_match_the_run(run) -> None:
    out, res = run
    ro = RunOutputs(out)
    assert ro.convergence().equals(res.convergence_history)
    meta = ro.training_metadata()
    assert meta["convergence"]["termination_reason"] == res.termination_reason
    assert meta["iterations"]["completed"] == res.iterations == 5
    sim_meta = ro.simulation_metadata()
    assert sim_meta["status"] == "completed"
    assert sim_meta["scenarios"] == {"total": SCENARIOS, "completed": SCENARIOS, "failed": 0}
    policy = ro.policy()
    assert policy.total_cuts == res.policy.total_cuts
    for got, want in zip(policy.stages, res.policy.stages, strict=True):
        np.testing.assert_array_equal(got.intercepts, want.intercepts)


def test_simulation_dataset_has_known_schema_and_partition_field(run) -> None:
    out, _ = run
    dataset = RunOutputs(out).simulation_dataset("thermals")
    expected = SIMULATION_SCHEMAS["thermals"].append(
        pa.field("scenario_id", pa.int32(), nullable=False)
    )
    assert dataset.schema.equals(expected)
    table = dataset.to_table(columns=["scenario_id"])
    assert table.num_rows == SCENARIOS * 6 * 2  # scenarios x stages x thermals (1 block)
    assert sorted(set(table["scenario_id"].to_pylist())) == list(range(SCENARIOS))


def test_missing_root_and_parts_are_not_found(tmp_path: Path) -> None:
    ro = RunOutputs(tmp_path / "nowhere")
    assert not (ro.has_training or ro.has_policy or ro.has_simulation)
    err = _raises(ErrorKind.OUTPUT_NOT_FOUND, ro.convergence)
    assert "does not exist" in err.record.message and "train(" in err.suggestion
    err = _raises(ErrorKind.OUTPUT_NOT_FOUND, RunOutputs(tmp_path).simulation_entities)
    assert "simulate(" in err.suggestion and err.context["part"] == "simulation"
    _raises(ErrorKind.OUTPUT_NOT_FOUND, RunOutputs(tmp_path).policy)
    _raises(ErrorKind.OUTPUT_NOT_FOUND, RunOutputs(tmp_path).training_metadata)
    _raises(ErrorKind.OUTPUT_NOT_FOUND, RunOutputs(tmp_path).simulation_metadata)


def test_pointing_at_a_part_suggests_the_parent(run) -> None:
    out, _ = run
    err = _raises(ErrorKind.OUTPUT_NOT_FOUND, RunOutputs(out / "simulation").simulation_entities)
    assert str(out) in err.suggestion


def test_unknown_and_absent_entities_list_the_available_tables(run) -> None:
    out, _ = run
    ro = RunOutputs(out)
    err = _raises(ErrorKind.OUTPUT_NOT_FOUND, ro.simulation_dataset, "plants")
    assert err.context == {"entity": "plants", "available": TOY_TABLES}
    assert "unknown" in err.record.message and "thermals" in err.suggestion
    err = _raises(ErrorKind.OUTPUT_NOT_FOUND, ro.simulation_dataset, "exchanges")
    assert "no 'exchanges' table" in err.record.message


def test_cancelled_simulation_is_published_but_not_complete(copy: Path) -> None:
    (copy / "simulation" / SUCCESS_MARKER).unlink()
    ro = RunOutputs(copy)
    assert ro.has_simulation and not ro.simulation_complete
    assert ro.simulation_dataset("costs").count_rows() == SCENARIOS * 6
    summary = cost_summary(copy)
    assert summary.scenarios == SCENARIOS and not summary.complete


def test_incomplete_training_is_not_found(copy: Path) -> None:
    (copy / "training" / SUCCESS_MARKER).unlink()
    err = _raises(ErrorKind.OUTPUT_NOT_FOUND, RunOutputs(copy).convergence)
    assert "incomplete" in err.record.message


def test_unreadable_files_are_corrupted(copy: Path) -> None:
    (copy / "training" / "metadata.json").write_text("{not json")
    (copy / "training" / "convergence.parquet").write_bytes(b"PAR1 garbage")
    (copy / "simulation" / "metadata.json").write_text("[1, 2]")
    ro = RunOutputs(copy)
    err = _raises(ErrorKind.OUTPUT_CORRUPTED, ro.training_metadata)
    assert err.context["file"].endswith("metadata.json")
    _raises(ErrorKind.OUTPUT_CORRUPTED, ro.convergence)
    _raises(ErrorKind.OUTPUT_CORRUPTED, ro.simulation_metadata)


def test_nested_entity_is_found_and_queryable(tmp_path: Path) -> None:
    sim = tmp_path / "simulation"
    rows = pa.table(
        {
            "stage_id": pa.array([0, 0, 1], pa.int32()),
            "block_id": pa.array([0, 1, 0], pa.int32()),
            "constraint_id": pa.array([7, 7, 9], pa.int32()),
            "slack_value": [1.0, 2.0, 3.0],
            "slack_cost": [10.0, 20.0, 30.0],
        },
        schema=SIMULATION_SCHEMAS["violations/generic"],
    )
    write_scenario(sim, 3, {"costs": empty_table("costs"), "violations/generic": rows})
    finalize(sim, {"status": "completed"})
    ro = RunOutputs(tmp_path)
    assert ro.simulation_entities() == ["costs", "violations/generic"]
    page = query_table(tmp_path, TableQuery("violations/generic", entity_ids=(7,)))
    assert page.columns[:4] == ["scenario_id", "stage_id", "block_id", "constraint_id"]
    assert page.rows == [[3, 0, 0, 7, 1.0, 10.0], [3, 0, 1, 7, 2.0, 20.0]]
    summary = cost_summary(tmp_path)  # a costs table without rows: no statistics
    assert summary.scenarios == 0 and summary.mean is None and summary.per_stage == []
    assert json.loads((sim / "metadata.json").read_text()) == {"status": "completed"}
    assert pq.read_table(sim / "costs" / "scenario_id=0003" / "data.parquet").num_rows == 0
