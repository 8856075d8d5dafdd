"""Stopping rules: the simulation rule as upstream's stopping-rules spec describes it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cobre_core.examples import build_example
from cobre_core.examples.writer import write_case_files
from cobre_core.loader import load_case
from cobre_core.model.config import TrainingConfig
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.stopping import (
    IterationLimit,
    Progress,
    SimulationStopping,
    check,
    rules_from_config,
)
from cobre_core.sddp.training import Trainer


class FakeSimulator:
    """Returns queued per-stage costs and counts the calls."""

    def __init__(self, *results: list[float]) -> None:
        self.results = [np.array(r) for r in results]
        self.calls: list[int] = []

    def __call__(self, n: int) -> np.ndarray:
        self.calls.append(n)
        return self.results[len(self.calls) - 1]


def progress(k: int, lbs: list[float], sim: FakeSimulator) -> Progress:
    return Progress(k, 0.0, lbs, simulate=sim)


def rule(**kw: float) -> SimulationStopping:
    base = dict(replications=7, period=2, bound_window=2, distance_tol=0.01, bound_tol=1e-4)
    base.update(kw)
    return SimulationStopping(**base)  # type: ignore[arg-type]


def test_simulates_only_on_period_iterations_with_a_stable_bound() -> None:
    sim = FakeSimulator([10.0, 20.0], [10.0, 20.0])
    r = rule()
    assert not r.should_stop(progress(3, [1.0, 5.0, 5.0], sim))  # not a period iteration
    assert not r.should_stop(progress(4, [1.0, 2.0, 5.0, 5.0], sim))  # LB moved 3 over w=2
    assert sim.calls == []
    assert not r.should_stop(progress(6, [1, 2, 3, 5.0, 5.0, 5.0], sim))  # first: reference
    assert sim.calls == [7]
    assert r.should_stop(progress(8, [1, 2, 3, 5, 5, 5, 5.0, 5.0], sim))  # same costs: d = 0


def test_policy_still_moving_keeps_training() -> None:
    sim = FakeSimulator([100.0, 200.0], [103.0, 200.0], [103.1, 200.0])
    r = rule(distance_tol=0.01)
    lbs = [5.0] * 10
    assert not r.should_stop(progress(2, lbs[:3], sim))
    assert not r.should_stop(progress(4, lbs[:4], sim))  # d = 0.03 > 0.01
    assert r.should_stop(progress(6, lbs[:6], sim))  # d = 0.001 < 0.01
    assert len(sim.calls) == 3


def test_config_builds_the_rule_and_training_stops_on_it() -> None:
    cfg = TrainingConfig.model_validate(
        {
            "forward_passes": 1,
            "stopping_rules": [
                {"type": "iteration_limit", "limit": 50},
                {
                    "type": "simulation",
                    "replications": 5,
                    "period": 1,
                    "bound_window": 1,
                    "distance_tol": 1e-9,
                    "bound_tol": 1e-9,
                },
            ],
        }
    )
    rules = rules_from_config(cfg)
    assert isinstance(rules[0], IterationLimit) and isinstance(rules[1], SimulationStopping)
    sim = FakeSimulator(*([[1.0, 2.0]] * 3))
    lbs = [3.0, 3.0, 3.0]
    assert check(rules, "any", progress(2, lbs[:2], sim)) is None
    assert check(rules, "any", progress(3, lbs, sim)) == "simulation"


def test_training_stops_by_simulation_on_a_converging_case(tmp_path: Path) -> None:
    write_case_files(build_example("toy"), tmp_path)
    case = load_case(tmp_path)
    problem = Problem(case, lanes=2)
    sim_rule = SimulationStopping(20, 5, 5, 0.05, 1e-3)
    outcome = Trainer(problem, 2, [IterationLimit(300), sim_rule]).train()
    assert outcome.termination_reason == "simulation"
    assert outcome.history[-1].iteration % 5 == 0
    assert len(outcome.history) < 300
    assert sim_rule.previous is not None and sim_rule.previous.shape == (case.num_stages,)
