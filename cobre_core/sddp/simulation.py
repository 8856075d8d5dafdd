"""Simulation of a trained policy: run scenarios down the stages and collect the output tables.

Each scenario ``k`` starts from the initial state, takes each stage's noise from the sampling
scheme's path ``(k,)`` (:mod:`cobre_core.sddp.sampling`; in-sample by default), solves every
stage LP (with the policy's cuts) and passes the outgoing state on, exactly like a training
forward pass. Per stage the solution becomes the rows of the §6.4 tables
(:mod:`cobre_core.results.simulation_tables`); the scenario total is
``sum_t D_t * immediate_cost_t``.

Determinism: scenario ``k`` runs on solver lane ``k % num_lanes`` and each lane handles its
scenarios in increasing order, as in the training forward pass. Threads only choose how many lanes
run at once, so every HiGHS instance sees the same sequence of warm-started solves whatever the
thread count and the results are bit-for-bit identical. (They do depend on the bases the lanes
hold when simulation starts, i.e. on what the problem solved before.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from cobre_core.results.simulation_tables import (
    StageColumns,
    scenario_tables,
    simulation_entities,
    stage_columns,
)
from cobre_core.sddp.lanes import cumulative_discounts
from cobre_core.sddp.problem import Problem, run_lanes
from cobre_core.sddp.sampling import InSample, ScenarioSampler

FloatArray = NDArray[np.float64]

ScenarioCallback = Callable[[int, dict[str, pa.Table], float], None]
"""``on_scenario(scenario_id, tables, total_cost)``, called once per finished scenario."""


@dataclass
class SimulationRun:
    """Outcome of :func:`simulate_policy`.

    ``scenario_ids`` lists the completed scenarios in increasing order (all of
    ``range(num_scenarios)`` unless the run was cancelled); ``scenario_costs[i]`` is the
    discounted total cost in $ of scenario ``scenario_ids[i]`` and ``tables[i]`` maps a table name
    (``"costs"``, ``"hydros"``, ..., ``"violations/generic"``) to its rows (empty when tables
    were not kept).
    """

    num_scenarios: int
    seed: int
    scenario_ids: list[int]
    scenario_costs: FloatArray
    tables: list[dict[str, pa.Table]] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    cancelled: bool = False
    wall_seconds: float = 0.0

    @property
    def completed(self) -> int:
        """Number of scenarios simulated to the last stage."""
        return len(self.scenario_ids)

    @property
    def mean_cost(self) -> float:
        """Mean of the completed scenarios' totals (the simulated expected cost)."""
        return float(self.scenario_costs.mean()) if self.scenario_costs.size else 0.0

    @property
    def std_cost(self) -> float:
        """Sample standard deviation (Bessel-corrected) of the totals; 0 for fewer than two."""
        n = self.scenario_costs.size
        return float(self.scenario_costs.std(ddof=1)) if n > 1 else 0.0


def simulate_scenario(
    problem: Problem, lane: int, scenario: int, sampler: ScenarioSampler, cumulative: FloatArray
) -> tuple[dict[str, pa.Table], float]:
    """Run one scenario on one solver lane; returns its tables and its discounted total cost."""
    p = problem
    path = sampler.path((scenario,))
    state = p.initial_state
    total = 0.0
    stages: list[StageColumns] = []
    for t in range(p.num_stages):
        eta = path.noise(t, state)
        res = p.solve(
            lane, t, state, eta, want_solution=True, context={"simulation_scenario": scenario}
        )
        assert res.primal is not None and res.row_duals is not None
        stages.append(
            stage_columns(
                p.case,
                p.stage_lps[t],
                res.primal,
                res.row_duals,
                t,
                float(cumulative[t]),
                state,
                eta,
                objective=res.objective,
            )
        )
        total += float(cumulative[t]) * res.immediate_cost
        state = res.out_state
    return scenario_tables(stages, simulation_entities(p.case)), total


def simulate_policy(
    problem: Problem,
    num_scenarios: int,
    seed: int,
    threads: int = 1,
    on_scenario: ScenarioCallback | None = None,
    *,
    keep_tables: bool = True,
    cancel: threading.Event | None = None,
    sampler: ScenarioSampler | None = None,
) -> SimulationRun:
    """Simulate the policy held by ``problem`` (its cuts) over ``num_scenarios`` scenarios.

    ``on_scenario(k, tables, total_cost)`` is called as each scenario finishes, never from two
    threads at once (calls are serialised by a lock; their order may vary with ``threads``, their
    content does not). With ``keep_tables=False`` the run keeps only the costs, for long runs whose
    tables go to disk through the callback. ``cancel`` is checked before each scenario; when set,
    no new scenario starts and the run returns the completed ones with ``cancelled=True``
    (scenarios already passed to ``on_scenario`` are complete).
    """
    start = time.perf_counter()
    sampler = sampler or InSample(problem, seed)
    n = max(0, int(num_scenarios))
    cumulative = cumulative_discounts(problem)
    costs = np.zeros(n)
    done = np.zeros(n, dtype=bool)
    tables: list[dict[str, pa.Table] | None] = [None] * n
    lock = threading.Lock()
    lanes = problem.num_lanes

    def work(lane: int) -> None:
        for k in range(lane, n, lanes):
            if cancel is not None and cancel.is_set():
                return
            tabs, total = simulate_scenario(problem, lane, k, sampler, cumulative)
            costs[k] = total
            done[k] = True
            if keep_tables:
                tables[k] = tabs
            if on_scenario is not None:
                with lock:
                    on_scenario(k, tabs, total)

    workers = min(max(1, int(threads)), lanes)
    if workers == 1:
        run_lanes(work, lanes, None)
    else:
        with ThreadPoolExecutor(workers) as pool:
            run_lanes(work, lanes, pool)
    ids = [int(k) for k in np.flatnonzero(done)]
    return SimulationRun(
        num_scenarios=n,
        seed=seed,
        scenario_ids=ids,
        scenario_costs=costs[done],
        tables=[tb for tb in tables if tb is not None] if keep_tables else [],
        entities=simulation_entities(problem.case),
        cancelled=len(ids) < n,
        wall_seconds=time.perf_counter() - start,
    )
