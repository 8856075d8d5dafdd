"""Multi-cut formulation (training.cut_formulation = "multi"): one theta per next-stage opening.

Each opening's cut bounds its own theta_o and the stage sees their mean, so the policy is at least
as tight as the single-cut one built from the same trial points; at convergence both reach the
extensive form of the same tree.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from extensive_form import solve_extensive_form

from cobre_core.errors import CobreError
from cobre_core.loader import load_case
from cobre_core.results.policy import Policy
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.risk import CVaR
from cobre_core.sddp.stopping import IterationLimit
from cobre_core.sddp.training import Trainer
from cobre_core.study_runs import simulate, train


@pytest.fixture(scope="module")
def toy_dir(toy_4x3_dir: Path) -> Path:
    return toy_4x3_dir


def test_multi_cut_converges_to_the_extensive_form(toy_dir: Path) -> None:
    case = load_case(toy_dir)
    problem = Problem(case, lanes=4, multi_cut=True)
    de = solve_extensive_form(case, problem.tree.openings).objective
    history = Trainer(problem, 3, [IterationLimit(40)]).train().history
    assert history[-1].lower_bound == pytest.approx(de, rel=1e-6)
    # one cut per trial state and opening of the next stage
    assert history[0].cuts_added == 3 * sum(problem.tree.count(t) for t in range(1, 4))


def test_multi_cut_bound_is_never_below_single_cut_early_on(toy_dir: Path) -> None:
    case = load_case(toy_dir)
    single = Trainer(Problem(case, lanes=4), 3, [IterationLimit(1)]).train().history
    multi = Trainer(Problem(case, lanes=4, multi_cut=True), 3, [IterationLimit(1)]).train().history
    # same trial points in iteration 1; the multi-cut outer approximation is at least as tight
    assert multi[0].upper_bound_mean == pytest.approx(single[0].upper_bound_mean, rel=1e-12)
    assert multi[0].lower_bound >= single[0].lower_bound * (1 - 1e-12)


def test_multi_cut_policy_round_trip_and_simulation(toy_dir: Path, tmp_path: Path) -> None:
    cfg = {
        "training": {
            "cut_formulation": "multi",
            "stopping_rules": [{"type": "iteration_limit", "limit": 20}],
        }
    }
    res = train(toy_dir, cfg, output_dir=tmp_path / "out")
    stored = Policy.load(tmp_path / "out" / "policy")
    assert stored.cut_formulation == "multi"
    assert stored.stages[0].openings is not None and stored.stages[0].num_openings == 3
    assert stored.total_cuts == res.total_cuts
    # Policy.evaluate agrees with the stage-1 LP's theta at a state it has cuts for
    case = load_case(toy_dir)
    problem = Problem(case, lanes=1, multi_cut=True)
    from cobre_core.policy_lifecycle import add_policy_cuts

    add_policy_cuts(problem, stored)
    solved = problem.solve(0, 0, problem.initial_state, problem.tree.openings[0][0])
    theta = solved.objective - solved.immediate_cost / 1000.0
    d0 = problem.stage_lps[0].discount
    future = stored.evaluate(0, solved.out_state)
    assert theta / d0 * 1000.0 == pytest.approx(future, rel=1e-9)
    sim = simulate(toy_dir, stored, num_scenarios=20)
    assert np.isfinite(sim.mean_cost) and sim.completed == 20


def test_multi_cut_refuses_cvar(toy_dir: Path) -> None:
    case = load_case(toy_dir)
    with pytest.raises(CobreError) as err:
        Trainer(Problem(case, multi_cut=True), 1, [IterationLimit(1)], risk=CVaR(0.5, 0.5))
    assert err.value.kind == "IncompatibleSettings"


def test_resume_needs_the_same_formulation(toy_dir: Path, tmp_path: Path) -> None:
    base = {"stopping_rules": [{"type": "iteration_limit", "limit": 2}]}
    train(toy_dir, {"training": base}, output_dir=tmp_path / "single")
    resume = {"mode": "resume", "path": str(tmp_path / "single" / "policy")}
    with pytest.raises(CobreError) as err:
        train(toy_dir, {"training": {**base, "cut_formulation": "multi"}, "policy": resume})
    assert err.value.kind == "IncompatibleRuns"
