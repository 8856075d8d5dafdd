"""Training outputs: layout, upstream column names and types, marker, policy round trip."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cobre_core.examples import write_example
from cobre_core.loader import load_case
from cobre_core.results.policy import Policy
from cobre_core.study_runs import train

SHORT = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 4}]}}


@pytest.fixture(scope="module")
def toy_case(tmp_path_factory: pytest.TempPathFactory):
    return load_case(write_example("toy", tmp_path_factory.mktemp("toy") / "case"))


def test_convergence_parquet_has_upstream_schema(toy_case, tmp_path: Path) -> None:
    res = train(toy_case, config_overrides=SHORT, output_dir=tmp_path)
    table = pq.read_table(tmp_path / "training" / "convergence.parquet")
    assert table.schema.names == [
        "iteration", "lower_bound", "upper_bound_mean", "upper_bound_std", "gap_percent",
        "cuts_added", "cuts_removed", "cuts_active", "time_forward_ms", "time_backward_ms",
        "time_total_ms", "forward_passes", "lp_solves",
    ]  # fmt: skip
    assert table.schema.field("iteration").type == pa.int32()
    assert table.schema.field("cuts_active").type == pa.int64()
    assert table.column("iteration").to_pylist() == [1, 2, 3, 4]
    assert table.column("lower_bound")[-1].as_py() == res.final_lower_bound
    assert (tmp_path / "training" / "_SUCCESS").is_file()
    meta = json.loads((tmp_path / "training" / "metadata.json").read_text())
    assert meta["iterations"]["completed"] == 4
    assert meta["convergence"]["termination_reason"] == "iteration_limit"
    assert meta["problem_dimensions"]["num_hydros"] == 1


def test_policy_store_round_trip(toy_case, tmp_path: Path) -> None:
    res = train(toy_case, config_overrides=SHORT, output_dir=tmp_path)
    loaded = Policy.load(tmp_path / "policy")
    assert loaded.total_cuts == res.total_cuts > 0
    for a, b in zip(loaded.stages, res.policy.stages, strict=True):
        np.testing.assert_array_equal(a.intercepts, b.intercepts)
        np.testing.assert_array_equal(a.coefficients, b.coefficients)
    x = toy_case.initial_state if hasattr(toy_case, "initial_state") else np.array([300.0, 90.0])
    assert loaded.evaluate(0, x) == res.policy.evaluate(0, x)


def test_lower_bound_is_monotone(toy_case) -> None:
    res = train(toy_case, config_overrides=SHORT)
    lbs = res.convergence_history.column("lower_bound").to_pylist()
    assert all(b >= a - 1e-6 * abs(a) for a, b in itertools.pairwise(lbs))


def test_results_identical_for_any_thread_count(toy_case) -> None:
    one = train(toy_case, config_overrides=SHORT, threads=1)
    two = train(toy_case, config_overrides=SHORT, threads=2)
    assert one.final_lower_bound == two.final_lower_bound
    assert one.final_upper_bound == two.final_upper_bound
    for a, b in zip(one.policy.stages, two.policy.stages, strict=True):
        np.testing.assert_array_equal(a.intercepts, b.intercepts)
        np.testing.assert_array_equal(a.coefficients, b.coefficients)


def test_progress_callback_once_per_iteration(toy_case) -> None:
    seen: list[int] = []
    train(toy_case, config_overrides=SHORT, progress_callback=lambda r: seen.append(r.iteration))
    assert seen == [1, 2, 3, 4]


def test_cancel_stops_at_iteration_boundary_with_consistent_output(toy_case, tmp_path) -> None:
    cancel = threading.Event()

    def stop_after_two(rec) -> None:
        if rec.iteration == 2:
            cancel.set()

    res = train(toy_case, config_overrides=SHORT, progress_callback=stop_after_two,
                output_dir=tmp_path, cancel=cancel)  # fmt: skip
    assert res.termination_reason == "cancelled"
    assert res.iterations == 2
    table = pq.read_table(tmp_path / "training" / "convergence.parquet")
    assert table.num_rows == 2
    assert Policy.load(tmp_path / "policy").total_cuts == res.total_cuts


def test_failed_run_leaves_previous_output_untouched(toy_case, tmp_path: Path) -> None:
    train(toy_case, config_overrides=SHORT, output_dir=tmp_path)
    before = (tmp_path / "training" / "convergence.parquet").read_bytes()

    def boom(rec) -> None:
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        train(toy_case, config_overrides=SHORT, progress_callback=boom, output_dir=tmp_path)
    assert (tmp_path / "training" / "convergence.parquet").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
