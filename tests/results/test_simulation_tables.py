"""Tests of the simulation tables (cobre-formulation.md §6.4): schemas, cost split, semantics.

The schema test pins upstream's column names, order, types and nullability. The semantic tests
simulate trained policies of upstream regression cases (d21, d25, d13, d15, d04; skipped when the
shared cases are absent) and of the project's examples, and check the identities the tables must
satisfy: components sum to the immediate cost, water and load balances close, discounting.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from cobre_core.examples import write_example
from cobre_core.loader import load_case
from cobre_core.results.simulation_tables import (
    SIMULATION_SCHEMAS,
    columns_to_table,
    scenario_tables,
    simulation_entities,
    stage_columns,
)
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.simulation import SimulationRun, simulate_policy
from cobre_core.sddp.stopping import IterationLimit
from cobre_core.sddp.training import Trainer
from cobre_core.solver.stage_lp import M3S_TO_HM3

CASES = Path(__file__).resolve().parents[3] / "shared" / "cobre-cases"
"""Upstream reference cases (tests needing them are skipped when absent)."""

needs_cases = pytest.mark.skipif(not CASES.is_dir(), reason="shared cobre-cases not available")

F, I32, I8 = "f64", "i32", "i8"
EXPECTED_COLUMNS: dict[str, list[tuple[str, str, bool]]] = {
    "costs": [
        ("stage_id", I32, False),
        ("block_id", I32, True),
        *[
            (name, F, False)
            for name in [
                "total_cost",
                "immediate_cost",
                "future_cost",
                "discount_factor",
                "thermal_cost",
                "contract_cost",
                "deficit_cost",
                "excess_cost",
                "storage_violation_cost",
                "filling_target_cost",
                "hydro_violation_cost",
                "outflow_violation_below_cost",
                "outflow_violation_above_cost",
                "turbined_violation_cost",
                "generation_violation_cost",
                "evaporation_violation_cost",
                "withdrawal_violation_cost",
                "inflow_penalty_cost",
                "generic_violation_cost",
                "spillage_cost",
                "fpha_turbined_cost",
                "curtailment_cost",
                "exchange_cost",
                "pumping_cost",
            ]
        ],
    ],
    "hydros": [
        ("stage_id", I32, False),
        ("block_id", I32, True),
        ("hydro_id", I32, False),
        ("turbined_m3s", F, False),
        ("spillage_m3s", F, False),
        ("outflow_m3s", F, False),
        ("evaporation_m3s", F, True),
        ("diverted_inflow_m3s", F, True),
        ("diverted_outflow_m3s", F, True),
        ("incremental_inflow_m3s", F, False),
        ("inflow_m3s", F, False),
        ("storage_initial_hm3", F, False),
        ("storage_final_hm3", F, False),
        ("generation_mw", F, False),
        ("generation_mwh", F, False),
        ("productivity_mw_per_m3s", F, True),
        ("spillage_cost", F, False),
        ("water_value_per_hm3", F, False),
        ("storage_binding_code", I8, False),
        ("operative_state_code", I8, False),
        *[
            (name, F, False)
            for name in [
                "turbined_slack_m3s",
                "outflow_slack_below_m3s",
                "outflow_slack_above_m3s",
                "generation_slack_mw",
                "storage_violation_below_hm3",
                "filling_target_violation_hm3",
                "evaporation_violation_pos_m3s",
                "evaporation_violation_neg_m3s",
                "inflow_nonnegativity_slack_m3s",
                "water_withdrawal_violation_pos_m3s",
                "water_withdrawal_violation_neg_m3s",
            ]
        ],
    ],
    "thermals": [
        ("stage_id", I32, False),
        ("block_id", I32, True),
        ("thermal_id", I32, False),
        ("generation_mw", F, False),
        ("generation_mwh", F, False),
        ("generation_cost", F, False),
        ("is_gnl", "bool", False),
        ("gnl_committed_mw", F, True),
        ("gnl_decision_mw", F, True),
        ("operative_state_code", I8, False),
    ],
    "exchanges": [
        ("stage_id", I32, False),
        ("block_id", I32, True),
        ("line_id", I32, False),
        *[
            (name, F, False)
            for name in [
                "direct_flow_mw",
                "reverse_flow_mw",
                "net_flow_mw",
                "net_flow_mwh",
                "losses_mw",
                "losses_mwh",
                "exchange_cost",
            ]
        ],
        ("operative_state_code", I8, False),
    ],
    "buses": [
        ("stage_id", I32, False),
        ("block_id", I32, True),
        ("bus_id", I32, False),
        *[
            (name, F, False)
            for name in [
                "load_mw",
                "load_mwh",
                "deficit_mw",
                "deficit_mwh",
                "excess_mw",
                "excess_mwh",
                "spot_price",
            ]
        ],
    ],
    "non_controllables": [
        ("stage_id", I32, False),
        ("block_id", I32, True),
        ("non_controllable_id", I32, False),
        *[
            (name, F, False)
            for name in [
                "generation_mw",
                "generation_mwh",
                "available_mw",
                "curtailment_mw",
                "curtailment_mwh",
                "curtailment_cost",
            ]
        ],
        ("operative_state_code", I8, False),
    ],
    "inflow_lags": [
        ("stage_id", I32, False),
        ("hydro_id", I32, False),
        ("lag_index", I32, False),
        ("inflow_m3s", F, False),
    ],
    "violations/generic": [
        ("stage_id", I32, False),
        ("block_id", I32, True),
        ("constraint_id", I32, False),
        ("slack_value", F, False),
        ("slack_cost", F, False),
    ],
}
"""§6.4 transcribed: (name, type, nullable) per column, in order."""

_TYPES = {F: pa.float64(), I32: pa.int32(), I8: pa.int8(), "bool": pa.bool_()}

COMPONENTS = [
    "thermal_cost",
    "contract_cost",
    "deficit_cost",
    "excess_cost",
    "storage_violation_cost",
    "filling_target_cost",
    "hydro_violation_cost",
    "inflow_penalty_cost",
    "generic_violation_cost",
    "spillage_cost",
    "fpha_turbined_cost",
    "curtailment_cost",
    "exchange_cost",
    "pumping_cost",
]
"""Cost components whose sum is the immediate cost (hydro_violation_cost covers its six parts)."""

HYDRO_VIOLATIONS = [
    "outflow_violation_below_cost",
    "outflow_violation_above_cost",
    "turbined_violation_cost",
    "generation_violation_cost",
    "evaporation_violation_cost",
    "withdrawal_violation_cost",
]


def trained(case_dir: Path, iterations: int, forward_passes: int = 1) -> Problem:
    """A problem for the case with a policy trained for a fixed number of iterations."""
    problem = Problem(load_case(case_dir), lanes=2)
    Trainer(problem, forward_passes, [IterationLimit(iterations)]).train()
    return problem


def column(table: pa.Table, name: str) -> np.ndarray:
    """A column as a numpy array (nulls as NaN)."""
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)


def assert_components_sum(costs: pa.Table) -> None:
    """Components add up to the immediate cost, hydro violations to their total."""
    immediate = column(costs, "immediate_cost")
    parts = sum(column(costs, c) for c in COMPONENTS)
    scale = np.maximum(1.0, np.abs(immediate))
    assert np.all(np.abs(parts - immediate) <= 1e-6 * scale)
    hv = sum(column(costs, c) for c in HYDRO_VIOLATIONS)
    assert np.allclose(hv, column(costs, "hydro_violation_cost"), rtol=1e-12, atol=1e-9)
    total = column(costs, "immediate_cost") + column(costs, "future_cost")
    assert np.allclose(total, column(costs, "total_cost"), rtol=1e-12, atol=1e-6)


# -- schemas ---------------------------------------------------------------------------------------


def test_schemas_match_the_reference_exactly() -> None:
    assert list(SIMULATION_SCHEMAS) == list(EXPECTED_COLUMNS)
    for entity, expected in EXPECTED_COLUMNS.items():
        schema = SIMULATION_SCHEMAS[entity]
        got = [(f.name, f.type, f.nullable) for f in schema]
        assert got == [(n, _TYPES[t], null) for n, t, null in expected], entity


def test_columns_to_table_keeps_nulls_and_types() -> None:
    cols = {
        "stage_id": np.array([3], dtype=np.int64),
        "hydro_id": np.array([7]),
        "lag_index": np.array([0]),
        "inflow_m3s": np.array([1.5]),
    }
    table = columns_to_table("inflow_lags", cols)
    assert table.schema == SIMULATION_SCHEMAS["inflow_lags"]
    costs = {f.name: np.zeros(1) for f in SIMULATION_SCHEMAS["costs"]}
    costs["block_id"] = np.ma.masked_all(1, dtype=np.int32)
    table = columns_to_table("costs", costs)
    assert table.column("block_id").null_count == 1
    assert table.schema == SIMULATION_SCHEMAS["costs"]


# -- upstream regression cases ---------------------------------------------------------------------


@needs_cases
def test_d21_violation_costs_match_slacks_and_mean_matches_lower_bound() -> None:
    problem = trained(CASES / "deterministic" / "d21-min-outflow-regression", 20)
    run = simulate_policy(problem, 1, problem.case.seed)
    assert run.mean_cost == pytest.approx(285716111.1111111, abs=1e-2)
    tables = run.tables[0]
    costs, hydros = tables["costs"], tables["hydros"]
    assert costs.num_rows == 2 and hydros.num_rows == 2
    assert costs.column("block_id").null_count == 2
    slack = column(hydros, "outflow_slack_below_m3s")
    assert slack.max() > 1e-10
    expected = slack * 5000.0 * 730.0
    assert np.allclose(column(costs, "hydro_violation_cost"), expected, rtol=0, atol=1e-2)
    assert np.allclose(column(costs, "outflow_violation_below_cost"), expected, rtol=0, atol=1e-2)
    for name in HYDRO_VIOLATIONS[1:]:
        assert np.all(np.abs(column(costs, name)) < 1e-10), name
    assert_components_sum(costs)


@needs_cases
def test_d25_discount_factor_and_discounted_total() -> None:
    problem = trained(CASES / "deterministic" / "d25-discount-rate", 10)
    run = simulate_policy(problem, 1, problem.case.seed)
    costs = run.tables[0]["costs"]
    d = column(costs, "discount_factor")
    assert d[0] == pytest.approx(1.0, abs=1e-10)
    assert d[1] == pytest.approx(1.0 / 1.12 ** (31 / 365.25), abs=1e-10)
    total = float((d * column(costs, "immediate_cost")).sum())
    assert total == pytest.approx(run.scenario_costs[0], rel=1e-12)
    assert run.mean_cost == pytest.approx(2_611_454.584_787_283, rel=1e-4)
    # future cost carries the one-stage discount d_0 = D_1 on theta
    assert column(costs, "future_cost")[0] == pytest.approx(
        d[1] * column(costs, "immediate_cost")[1], rel=1e-9
    )


@needs_cases
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("d13-generic-constraint", 15_330_000.0),
        ("d15-non-controllable-source", 437_927.0),
        ("d04-transmission", 5_263_443_883.0 / 657),
    ],
)
def test_other_regression_cases_close(name: str, expected: float) -> None:
    problem = trained(CASES / "deterministic" / name, 10)
    run = simulate_policy(problem, 1, problem.case.seed)
    assert run.mean_cost == pytest.approx(expected, rel=1e-6)
    tables = run.tables[0]
    assert set(tables) == set(simulation_entities(problem.case))
    assert_components_sum(tables["costs"])
    if name.startswith("d15"):
        ncs = tables["non_controllables"]
        assert np.allclose(column(ncs, "curtailment_cost"), -36.5)
        assert np.allclose(column(tables["costs"], "curtailment_cost"), -36.5)
        assert np.allclose(column(ncs, "available_mw"), 50.0)
        assert np.allclose(column(ncs, "curtailment_mw"), 0.0, atol=1e-9)
    if name.startswith("d13"):
        gen = tables["violations/generic"]
        assert gen.num_rows == 2
        assert gen.column("constraint_id").to_pylist() == [1, 1]
        thermal = column(tables["thermals"], "generation_mw")
        assert np.all(thermal <= 10.0 + 1e-9)
        assert np.allclose(column(tables["buses"], "spot_price"), 1000.0)
    if name.startswith("d04"):
        ex = tables["exchanges"]
        net = column(ex, "net_flow_mw")
        assert np.allclose(net, column(ex, "direct_flow_mw") - column(ex, "reverse_flow_mw"))
        assert np.allclose(column(ex, "exchange_cost"), np.abs(net) * 0.01 * 730.0)


# -- the project's examples: identities on every row -----------------------------------------------


@pytest.fixture(scope="module")
def multi_region(tmp_path_factory: pytest.TempPathFactory) -> tuple[Problem, SimulationRun]:
    """The multi_region example (cascade, lines, 3 blocks, stochastic load) briefly trained."""
    case_dir = write_example("multi_region", tmp_path_factory.mktemp("mr") / "case")
    problem = trained(case_dir, 3)
    return problem, simulate_policy(problem, 3, 11)


def test_multi_region_costs_and_discounting(multi_region: tuple[Problem, SimulationRun]) -> None:
    problem, run = multi_region
    for k, tables in enumerate(run.tables):
        costs = tables["costs"]
        assert costs.num_rows == problem.num_stages
        assert_components_sum(costs)
        d = column(costs, "discount_factor")
        assert d[0] == 1.0 and np.all(np.diff(d) < 0)
        total = float((d * column(costs, "immediate_cost")).sum())
        assert total == pytest.approx(run.scenario_costs[k], rel=1e-12)


def test_multi_region_load_balance_closes(multi_region: tuple[Problem, SimulationRun]) -> None:
    problem, run = multi_region
    case = problem.case
    topo = case.topology
    tables = run.tables[0]
    n_t, n_k = problem.num_stages, 3
    shape = (n_t, -1, n_k)
    load = column(tables["buses"], "load_mw").reshape(shape)
    supply = column(tables["buses"], "deficit_mw").reshape(shape) - column(
        tables["buses"], "excess_mw"
    ).reshape(shape)
    hydro_gen = column(tables["hydros"], "generation_mw").reshape(shape)
    thermal_gen = column(tables["thermals"], "generation_mw").reshape(shape)
    net = column(tables["exchanges"], "net_flow_mw").reshape(shape)
    for h, b in enumerate(topo.hydro_bus):
        supply[:, b] += hydro_gen[:, h]
    for g, b in enumerate(topo.thermal_bus):
        supply[:, b] += thermal_gen[:, g]
    for ln, (src, dst) in enumerate(zip(topo.line_source, topo.line_target, strict=True)):
        supply[:, dst] += net[:, ln]
        supply[:, src] -= net[:, ln]
    assert np.allclose(supply, load, atol=1e-6)
    # the stochastic CENTER load varies across scenarios at some stage
    loads = [column(t["buses"], "load_mw") for t in run.tables]
    assert not np.allclose(loads[0], loads[1])
    hours = np.array([case.stages[t].block_hours for t in range(n_t)])
    mwh = column(tables["buses"], "load_mwh").reshape(shape)
    assert np.allclose(mwh, load * hours[:, None, :])


def test_multi_region_water_balance_closes(multi_region: tuple[Problem, SimulationRun]) -> None:
    problem, run = multi_region
    case = problem.case
    hydros = run.tables[1]["hydros"]
    n_t, n_h, n_k = problem.num_stages, case.num_hydros, 3
    shape = (n_t, n_h, n_k)
    inflow = column(hydros, "inflow_m3s").reshape(shape)
    outflow = column(hydros, "outflow_m3s").reshape(shape)
    q = column(hydros, "turbined_m3s").reshape(shape)
    s = column(hydros, "spillage_m3s").reshape(shape)
    assert np.allclose(outflow, q + s)
    v0 = column(hydros, "storage_initial_hm3").reshape(shape)[:, :, 0]
    v1 = column(hydros, "storage_final_hm3").reshape(shape)[:, :, 0]
    tau = M3S_TO_HM3 * np.array([case.stages[t].block_hours for t in range(n_t)])
    expected = v0 + (tau[:, None, :] * (inflow - outflow)).sum(axis=2)
    assert np.allclose(v1, expected, atol=1e-6)
    # storage chains from stage to stage and starts at the initial condition
    assert np.allclose(v0[1:], v1[:-1])
    assert np.allclose(v0[0], case.initial_storage)
    # upstream releases reach the next plant of the cascade
    down = case.topology.hydro_downstream
    incremental = column(hydros, "incremental_inflow_m3s").reshape(shape)
    arriving = inflow - incremental
    for h in range(n_h):
        ups = np.flatnonzero(down == h)
        assert np.allclose(arriving[:, h], (q[:, ups] + s[:, ups]).sum(axis=1))
    codes = column(hydros, "storage_binding_code")
    assert set(np.unique(codes)) <= {0.0, 1.0, 2.0}
    assert hydros.column("diverted_outflow_m3s").null_count == hydros.num_rows
    assert hydros.column("productivity_mw_per_m3s").null_count == 0


def test_stage_columns_recomputes_objective_when_not_given(
    multi_region: tuple[Problem, SimulationRun],
) -> None:
    problem, run = multi_region
    t = 0
    state = problem.initial_state
    eta = problem.realize(t, state, 0)
    res = problem.solve(0, t, state, eta, want_solution=True)
    assert res.primal is not None and res.row_duals is not None
    args = (problem.case, problem.stage_lps[t], res.primal, res.row_duals, t, 1.0, state, eta)
    given = stage_columns(*args, objective=res.objective)
    recomputed = stage_columns(*args)
    a = column(columns_to_table("costs", given["costs"]), "total_cost")
    b = column(columns_to_table("costs", recomputed["costs"]), "total_cost")
    assert a == pytest.approx(b, rel=1e-9)
    assert res.immediate_cost == pytest.approx(
        column(columns_to_table("costs", given["costs"]), "immediate_cost")[0], rel=1e-12
    )
    tables = scenario_tables([given, recomputed], simulation_entities(problem.case))
    assert tables["hydros"].num_rows == 2 * problem.case.num_hydros * 3
    assert run.tables[0]["inflow_lags"].num_rows == problem.num_stages * problem.case.num_hydros
