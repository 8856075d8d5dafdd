"""Risk-averse SDDP: CVaR weights, and the lower bound against a nested CVaR extensive form.

The extensive form (``extensive_form.solve_risk_averse_extensive_form``) writes the nested
``rho_0[c_0 + d_0 rho_1[...]]`` with Rockafellar-Uryasev variables at every branching, over the
same opening tree SDDP trains on; on a small tree SDDP's lower bound converges to it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from extensive_form import solve_extensive_form, solve_risk_averse_extensive_form
from test_convergence_extensive_form import derive_example, load_files

from cobre_core.loader import load_case
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.risk import CVaR, Expectation, case_risk_measures
from cobre_core.sddp.stopping import IterationLimit
from cobre_core.sddp.training import Trainer
from cobre_core.system.case import Case

REL_TOL = 1e-6


def cvar_by_sorting(values: np.ndarray, lam: float, alpha: float) -> float:
    """(1 - lam) E + lam CVaR_alpha of equally likely values, from the tail average."""
    n = values.size
    worst = np.sort(values)[::-1]
    mass = alpha * n  # number of equally likely outcomes in the upper tail (may be fractional)
    full = int(np.floor(mass))
    tail = worst[:full].sum() + (mass - full) * (worst[full] if full < n else 0.0)
    return (1 - lam) * values.mean() + lam * tail / mass


@pytest.mark.parametrize("lam,alpha", [(0.0, 0.5), (1.0, 0.5), (1.0, 0.25), (0.3, 1.0)])
def test_cvar_weights_give_the_convex_combination_at_the_end_points(
    lam: float, alpha: float
) -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(100.0, 30.0, size=8)
    w = CVaR(alpha=alpha, lambda_=lam).weights(values)
    assert w.sum() == pytest.approx(1.0, abs=1e-15)
    assert np.all(w >= 0)
    assert np.all(w <= (1 - lam) / 8 + lam / (8 * alpha) + 1e-15)
    assert float(w @ values) == pytest.approx(cvar_by_sorting(values, lam, alpha), rel=1e-12)


@pytest.mark.parametrize("lam,alpha", [(0.5, 0.3), (0.25, 0.6), (0.8, 0.1)])
def test_upstream_cvar_weights_are_a_pure_cvar_at_the_effective_tail(
    lam: float, alpha: float
) -> None:
    """Upstream's greedy weights have no (1 - lambda) p floor: CVaR at alpha / (lam + (1-lam) a)."""
    rng = np.random.default_rng(11)
    values = rng.normal(100.0, 30.0, size=10)
    measure = CVaR(alpha=alpha, lambda_=lam)
    got = float(measure.weights(values) @ values)
    assert got == pytest.approx(cvar_by_sorting(values, 1.0, measure.effective_alpha), rel=1e-12)
    # and it is at least the convex combination the docs describe
    assert got >= cvar_by_sorting(values, lam, alpha) - 1e-9


def test_cvar_with_lambda_zero_is_the_expectation() -> None:
    values = np.array([3.0, 1.0, 2.0, 5.0])
    assert np.array_equal(CVaR(0.2, 0.0).weights(values), Expectation().weights(values))


def test_pure_cvar_at_the_smallest_tail_is_the_worst_case() -> None:
    values = np.array([3.0, 9.0, 2.0, 5.0])
    w = CVaR(alpha=0.25, lambda_=1.0).weights(values)
    assert np.array_equal(w, [0.0, 1.0, 0.0, 0.0])


@pytest.fixture(scope="module")
def toy_case(toy_4x3_dir: Path) -> Case:
    return load_case(toy_4x3_dir)


def train_lower_bound(case: Case, risk: list, iterations: int = 60) -> float:
    problem = Problem(case, lanes=4)
    outcome = Trainer(problem, 3, [IterationLimit(iterations)], risk=risk).train()
    return outcome.history[-1].lower_bound


@pytest.mark.parametrize(
    "lam,alpha",
    [(0.5, 0.5), (1.0, 1.0 / 3.0), (0.25, 0.6)],
    ids=["half-cvar50", "worst-case", "quarter-cvar60"],
)
def test_cvar_lower_bound_matches_nested_extensive_form(
    toy_case: Case, lam: float, alpha: float
) -> None:
    problem = Problem(toy_case, lanes=4)
    n_t = toy_case.num_stages
    measure = CVaR(alpha=alpha, lambda_=lam)
    tail = [(1.0, measure.effective_alpha)] * n_t
    de = solve_risk_averse_extensive_form(toy_case, problem.tree.openings, tail)
    lb = train_lower_bound(toy_case, [measure] * n_t)
    assert lb == pytest.approx(de, rel=REL_TOL)


def test_risk_aversion_raises_the_nested_value_towards_the_worst_case(toy_case: Case) -> None:
    openings = Problem(toy_case, lanes=1).tree.openings
    n_t = toy_case.num_stages
    expectation = solve_extensive_form(toy_case, openings).objective
    neutral = solve_risk_averse_extensive_form(toy_case, openings, [(0.0, 0.5)] * n_t)
    half = solve_risk_averse_extensive_form(toy_case, openings, [(0.5, 0.5)] * n_t)
    worst = solve_risk_averse_extensive_form(toy_case, openings, [(1.0, 1.0 / 3.0)] * n_t)
    # lambda 0 is the risk-neutral problem, solved by a different LP
    assert neutral == pytest.approx(expectation, rel=1e-9)
    assert expectation < half < worst


def test_lambda_zero_trains_exactly_like_expectation(toy_case: Case) -> None:
    n_t = toy_case.num_stages
    a = train_lower_bound(toy_case, [CVaR(alpha=0.5, lambda_=0.0)] * n_t, iterations=10)
    b = train_lower_bound(toy_case, [Expectation()] * n_t, iterations=10)
    assert a == b


def test_stage_risk_measures_come_from_stages_json(tmp_path: Path) -> None:
    files = derive_example("toy", stages=3, openings=2)
    stages = files["stages.json"]["stages"]
    stages[0]["risk_measure"] = {"cvar": {"alpha": 0.4, "lambda": 0.7}}
    stages[1]["risk_measure"] = {"cvar": {"alpha": 0.9, "lambda": 0.0}}
    measures = case_risk_measures(load_files(files, tmp_path))
    assert measures[0] == CVaR(alpha=0.4, lambda_=0.7)
    assert isinstance(measures[1], Expectation)
    assert isinstance(measures[2], Expectation)
