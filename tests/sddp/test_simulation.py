"""Tests of policy simulation and its on-disk output (cobre-formulation.md §6.1, §6.2, §6.4).

The toy example is trained briefly, simulated, written through the simulation writer and read back
with ``pyarrow.dataset`` (hive partitioning); results must not depend on the thread count, files
appear atomically and ``_SUCCESS`` comes last.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from cobre_core.examples import write_example
from cobre_core.loader import load_case
from cobre_core.results import atomic
from cobre_core.results import simulation_writer as sw
from cobre_core.results.run_metadata import now_iso
from cobre_core.results.simulation_tables import SIMULATION_SCHEMAS, simulation_entities
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.simulation import cumulative_discounts, simulate_policy
from cobre_core.sddp.stopping import IterationLimit
from cobre_core.sddp.training import Trainer

NUM_SCENARIOS = 5


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Problem:
    """The toy example (6 stages, PAR(1), 5 openings) with a briefly trained policy."""
    case_dir = write_example("toy", tmp_path_factory.mktemp("toy") / "case")
    problem = Problem(load_case(case_dir), lanes=2)
    Trainer(problem, 2, [IterationLimit(6)]).train()
    return problem


def fresh_copy(problem: Problem) -> Problem:
    """A new problem with the same cuts and solvers that have never solved anything."""
    copy = Problem(problem.case, lanes=problem.num_lanes)
    for t, pool in enumerate(problem.cuts):
        if len(pool):
            alphas, pis = pool.arrays()
            copy.add_cuts(t, alphas, pis)
    return copy


def test_simulation_writes_readable_hive_partitions(toy: Problem, tmp_path: Path) -> None:
    sim_dir = tmp_path / "simulation"
    writer = sw.SimulationWriter(sim_dir)
    started = now_iso()
    run = simulate_policy(toy, NUM_SCENARIOS, 3, threads=2, on_scenario=writer)
    assert writer.completed == NUM_SCENARIOS
    meta = sw.simulation_metadata(
        started_at=started,
        completed_at=now_iso(),
        duration_seconds=run.wall_seconds,
        status="completed",
        total=NUM_SCENARIOS,
        completed=writer.completed,
        threads=2,
    )
    sw.finalize(sim_dir, meta)

    entities = simulation_entities(toy.case)
    assert entities == ["costs", "hydros", "thermals", "buses", "inflow_lags"]
    for entity in entities:
        parts = sorted(p.name for p in (sim_dir / entity).iterdir())
        assert parts == [f"scenario_id={k:04d}" for k in range(NUM_SCENARIOS)]
        for k in range(NUM_SCENARIOS):
            assert os.listdir(sim_dir / entity / f"scenario_id={k:04d}") == ["data.parquet"]
        dataset = ds.dataset(sim_dir / entity, format="parquet", partitioning="hive")
        table = dataset.to_table()
        schema = SIMULATION_SCHEMAS[entity]
        data_fields = [f for f in table.schema if f.name != "scenario_id"]
        assert [f.name for f in data_fields] == schema.names
        assert [f.type for f in data_fields] == schema.types
        file_schema = dataset.schema.remove(dataset.schema.get_field_index("scenario_id"))
        assert [f.nullable for f in file_schema] == [f.nullable for f in schema]
        per_scenario = table.num_rows // NUM_SCENARIOS
        assert table.num_rows == per_scenario * NUM_SCENARIOS
        # each file holds exactly what the run returned for that scenario
        for k in (0, NUM_SCENARIOS - 1):
            part = dataset.to_table(filter=ds.field("scenario_id") == k).drop_columns(
                ["scenario_id"]
            )
            assert part.equals(run.tables[k][entity])

    metadata = json.loads((sim_dir / "metadata.json").read_text())
    assert metadata["scenarios"] == {
        "total": NUM_SCENARIOS,
        "completed": NUM_SCENARIOS,
        "failed": 0,
    }
    assert metadata["solver"] == "highs"
    assert metadata["distribution"]["backend"] == "threads"
    assert metadata["distribution"]["threads_per_rank"] == 2
    for key in (
        "cobre_version",
        "hostname",
        "solver_version",
        "started_at",
        "completed_at",
        "duration_seconds",
        "status",
    ):
        assert key in metadata
    assert (sim_dir / "_SUCCESS").is_file()
    assert not [p for p in sim_dir.iterdir() if p.name.startswith(".")]


def test_scenario_totals_are_discounted_sums(toy: Problem) -> None:
    run = simulate_policy(toy, NUM_SCENARIOS, 5)
    cumulative = cumulative_discounts(toy)
    assert cumulative[0] == 1.0
    for k, tables in enumerate(run.tables):
        costs = tables["costs"]
        d = costs.column("discount_factor").to_numpy()
        assert np.array_equal(d, cumulative)
        immediate = costs.column("immediate_cost").to_numpy()
        assert float(d @ immediate) == pytest.approx(run.scenario_costs[k], rel=1e-12)
        parts = sum(
            costs.column(name).to_numpy()
            for name in [
                "thermal_cost",
                "deficit_cost",
                "excess_cost",
                "hydro_violation_cost",
                "inflow_penalty_cost",
                "generic_violation_cost",
                "spillage_cost",
                "fpha_turbined_cost",
                "curtailment_cost",
                "exchange_cost",
            ]
        )
        assert np.allclose(parts, immediate, rtol=1e-6, atol=1e-6)
    assert run.mean_cost == pytest.approx(run.scenario_costs.mean())
    assert run.std_cost > 0.0  # inflows are stochastic in the toy
    # the incoming lag of a stage is the previous stage's realised inflow
    lags = run.tables[0]["inflow_lags"].column("inflow_m3s").to_numpy()
    inflow = run.tables[0]["hydros"].column("incremental_inflow_m3s").to_numpy()
    assert lags[0] == pytest.approx(toy.case.initial_lags.ravel()[0])
    assert np.allclose(lags[1:], inflow[:-1])


def test_thread_count_does_not_change_results(toy: Problem) -> None:
    one = simulate_policy(fresh_copy(toy), NUM_SCENARIOS, 9, threads=1)
    two = simulate_policy(fresh_copy(toy), NUM_SCENARIOS, 9, threads=2)
    assert np.array_equal(one.scenario_costs, two.scenario_costs)
    for a, b in zip(one.tables, two.tables, strict=True):
        assert a.keys() == b.keys()
        for entity in a:
            assert a[entity].equals(b[entity]), entity


def test_callback_is_serialised_and_tables_can_be_dropped(toy: Problem) -> None:
    seen: list[int] = []
    active = [0]

    def on_scenario(k: int, tables: dict[str, pa.Table], total: float) -> None:
        active[0] += 1
        assert active[0] == 1
        assert tables["costs"].num_rows == toy.num_stages
        assert np.isfinite(total)
        seen.append(k)
        active[0] -= 1

    run = simulate_policy(toy, 7, 1, threads=2, on_scenario=on_scenario, keep_tables=False)
    assert sorted(seen) == list(range(7))
    assert run.tables == []
    assert run.scenario_costs.shape == (7,)


def test_cancel_stops_between_scenarios(toy: Problem) -> None:
    event = threading.Event()
    seen: list[int] = []

    def on_scenario(k: int, tables: dict[str, pa.Table], total: float) -> None:
        seen.append(k)
        if len(seen) == 2:
            event.set()

    run = simulate_policy(toy, 8, 1, on_scenario=on_scenario, cancel=event)
    assert run.cancelled and run.completed == 2 == len(run.tables)
    assert run.scenario_ids == sorted(seen)
    full = simulate_policy(fresh_copy(toy), 3, 1)
    assert not full.cancelled and full.scenario_ids == [0, 1, 2]


def test_failed_write_leaves_no_partial_file(
    toy: Problem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = simulate_policy(toy, 1, 2)
    sim_dir = tmp_path / "simulation"
    real_write = atomic.pq.write_table

    def broken(table: pa.Table, where: object, **kwargs: object) -> None:
        real_write(table.slice(0, 1), where, **kwargs)  # something lands on disk ...
        raise OSError("disk full")  # ... then the write fails

    monkeypatch.setattr(atomic.pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        sw.write_scenario(sim_dir, 0, run.tables[0])
    part = sw.partition_dir(sim_dir, "costs", 0)
    assert part == sim_dir / "costs" / "scenario_id=0000"
    assert os.listdir(part) == []  # neither data.parquet nor a leftover temp file

    monkeypatch.setattr(atomic.pq, "write_table", real_write)
    written = sw.write_scenario(sim_dir, 0, run.tables[0])
    assert all(p.name == "data.parquet" for p in written)
    assert os.listdir(part) == ["data.parquet"]


def test_nested_entity_path_and_success_written_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim_dir = tmp_path / "simulation"
    empty = SIMULATION_SCHEMAS["violations/generic"].empty_table()
    (path,) = sw.write_scenario(sim_dir, 12, {"violations/generic": empty})
    assert path == sim_dir / "violations" / "generic" / "scenario_id=0012" / "data.parquet"

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("cannot write metadata")

    monkeypatch.setattr(sw, "write_json_atomic", fail)
    with pytest.raises(OSError):
        sw.finalize(sim_dir, {"status": "completed"})
    assert not (sim_dir / "_SUCCESS").exists()
