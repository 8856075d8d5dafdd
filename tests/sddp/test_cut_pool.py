"""Cut pools and lazy cut rows (cobre_core.sddp.cut_pool).

* the pool grows, keeps order on removal, and hands out read-only views;
* a lane's row record renumbers on pool removal, drops rows not binding for KEEP_REVIEWS reviews,
  and reports only violated cuts that are outside its LP;
* lazy LPs give the optimal values of LPs holding every cut: the same solves after training, and
  the same lower bound at convergence on a stochastic tree;
* an LP stripped of all its cut rows gets back the ones its solution violates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from extensive_form import solve_extensive_form

from cobre_core.sddp import cut_pool
from cobre_core.sddp.cut_pool import CutPool, CutRows
from cobre_core.sddp.lanes import lane_stats
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.stopping import IterationLimit
from cobre_core.sddp.training import Trainer


def pool_of(alphas: list[float], pis: list[list[float]]) -> CutPool:
    pool = CutPool(dim=len(pis[0]), first_row=7)
    pool.append(np.array(alphas), np.array(pis), 1, np.zeros(len(alphas), dtype=np.int64))
    return pool


def test_pool_grows_past_its_capacity_and_keeps_order() -> None:
    pool = CutPool(dim=2)
    for k in range(100):
        pool.append(np.array([float(k)]), np.array([[k, -k]]), k, np.zeros(1, dtype=np.int64))
    assert len(pool) == 100
    assert pool.alpha.tolist() == [float(k) for k in range(100)]
    assert pool.pi[42].tolist() == [42.0, -42.0]
    keep = np.arange(100) % 2 == 1
    pool.keep_only(keep)
    assert len(pool) == 50 and pool.removed == 50
    assert pool.alpha.tolist() == [float(k) for k in range(1, 100, 2)]
    assert pool.activity.born == list(range(1, 100, 2))


def test_pool_views_are_read_only_and_arrays_are_copies() -> None:
    pool = pool_of([1.0, 2.0], [[1.0], [2.0]])
    with pytest.raises(ValueError):
        pool.alpha[0] = 5.0
    alpha, pi = pool.arrays()
    alpha[0] = 5.0
    pi[0, 0] = 5.0
    assert pool.alpha[0] == 1.0 and pool.pi[0, 0] == 1.0


def test_rows_renumber_when_the_pool_drops_cuts() -> None:
    rows = CutRows(first_row=7)
    rows.appended(5)  # pool cuts 0..4 are rows 0..4
    keep = np.array([True, False, True, False, True])
    gone = rows.pool_kept(keep)
    assert gone.tolist() == [1, 3]  # positions of the rows to delete
    assert rows.members.tolist() == [0, 1, 2]  # old cuts 0, 2, 4 under their new numbers
    assert rows.in_lp.tolist() == [True, True, True]


def test_review_drops_rows_not_binding_for_keep_reviews_reviews() -> None:
    pool = pool_of([0.0, 10.0], [[1.0], [-1.0]])  # theta >= x and theta >= 10 - x
    rows = CutRows(first_row=0)
    rows.appended(2)
    for _ in range(cut_pool.KEEP_REVIEWS + 1):
        rows.check(pool, np.array([[8.0, 8.0]]))  # only cut 0 binds at x = 8
        assert rows.review().size == 0 or rows.members.tolist() == [0]
    assert rows.members.tolist() == [0]
    assert rows.in_lp.tolist() == [True, False]


def rows_without_cut_1() -> CutRows:
    """The rows of an LP holding cuts 0 and 2 of a 3-cut pool, not cut 1."""
    rows = CutRows(first_row=0)
    rows.appended(3)
    rows.in_lp[:] = [True, False, True]
    rows.members = np.array([0, 2])
    return rows


def test_check_reports_violated_cuts_outside_the_lp_only() -> None:
    pool = pool_of([0.0, 10.0, 20.0], [[1.0], [-1.0], [-1.0]])
    rows = rows_without_cut_1()
    # at x = 2, theta = 2: cut 1 (value 8) and cut 2 (value 18) are violated; 2 is in the LP
    found = rows.check(pool, np.array([[2.0, 2.0]]))
    assert found.violating.tolist() == [0] and found.cuts.tolist() == [1]
    # within the tolerance is not a violation
    assert rows.check(pool, np.array([[2.0, 8.0 - 1e-9]])).cuts.tolist() == []


def test_a_batch_check_applies_the_tolerances_like_a_single_one() -> None:
    """Several solutions checked at once (the backward pass) and one at a time (its own code
    path) decide alike at the edges of the tolerances."""
    pool = pool_of([0.0, 10.0, 20.0], [[1.0], [-1.0], [-1.0]])
    rows = rows_without_cut_1()
    high = 8.0 - cut_pool.VIOLATION_ABS - cut_pool.VIOLATION_REL * 9.0  # cut 1 at x = 2
    points = np.array([[2.0, 2.0], [2.0, 8.0 - 1e-9], [2.0, high * (1 - 1e-15)], [2.0, 8.0]])
    found = rows.check(pool, points)
    assert found.violating.tolist() == [0, 2] and found.cuts.tolist() == [1]
    for k, point in enumerate(points):  # the same answer one solution at a time
        assert rows_without_cut_1().check(pool, point[None, :]).cuts.tolist() == (
            [1] if k in (0, 2) else []
        )


def test_a_solution_not_optimal_for_the_lps_own_rows_is_unsound_in_a_batch_and_alone() -> None:
    """theta must sit on a binding LP row or at its lower bound 0 (theta costs, so an optimum
    lowers it until one binds), and no LP row may be violated beyond BINDING_REL: otherwise the
    solution is unsound whatever HiGHS said. Cut 1 is outside the LP, so it counts for neither."""
    pool = pool_of([0.0, 10.0, 20.0], [[1.0], [-1.0], [-1.0]])  # values x, 10 - x, 20 - x
    points = np.array(
        [
            [2.0, 18.0],  # on cut 2 (in the LP)
            [2.0, 18.0 * (1 + cut_pool.BINDING_REL / 2)],  # on it within the tolerance
            [2.0, 60.0],  # above every cut: nothing holds theta up
            [25.0, 25.0],  # on cut 0
            [25.0, 30.0],  # above cut 0 (25) with no other LP row at 30
            [25.0, 20.0],  # below cut 0, a row of the LP
            [2.0, 18.0 * (1 - 2 * cut_pool.BINDING_REL)],  # just below cut 2, beyond tolerance
        ]
    )
    found = rows_without_cut_1().check(pool, points)
    assert found.unsound.tolist() == [2, 4, 5, 6]
    for k, point in enumerate(points):
        alone = rows_without_cut_1().check(pool, point[None, :])
        assert alone.unsound.tolist() == ([0] if k in (2, 4, 5, 6) else [])


def test_theta_at_its_lower_bound_needs_no_row() -> None:
    rows = CutRows(first_row=0)
    rows.appended(1)
    pool = pool_of([-5.0], [[1.0]])  # x - 5: below 0 at x = 2
    assert rows.check(pool, np.array([[2.0, 0.0], [2.0, 0.0]])).unsound.tolist() == []
    assert rows.check(pool, np.array([[2.0, 0.0]])).unsound.tolist() == []
    assert rows.check(pool, np.array([[2.0, 1.0]])).unsound.tolist() == [0]


def test_each_theta_of_the_multi_cut_needs_a_row_of_its_own_cuts() -> None:
    """With one theta per opening, a binding row of another opening's cut holds nothing up."""
    pool = CutPool(dim=1)
    pool.append(np.array([5.0, 7.0]), np.array([[0.0], [0.0]]), 1, np.array([0, 1]))
    rows = CutRows(first_row=0)
    rows.appended(2)
    points = np.array(
        [
            [1.0, 5.0, 7.0],  # each theta on its own cut
            [1.0, 7.0, 7.0],  # theta_0 at 7: only theta_1's cut binds there
            [1.0, 5.0, 0.0],  # theta_1 below its cut, a row of the LP
        ]
    )
    assert rows.check(pool, points).unsound.tolist() == [1, 2]


def test_select_gathers_alpha_pi_and_target_of_the_cuts_asked_for() -> None:
    pool = CutPool(dim=2)
    pool.append(np.array([1.0, 2.0, 3.0]), np.arange(6.0).reshape(3, 2), 1, np.array([0, 1, 2]))
    alpha, pi, target = pool.select(np.array([2, 0]))
    assert alpha.tolist() == [3.0, 1.0]
    assert pi.tolist() == [[4.0, 5.0], [0.0, 1.0]]
    assert target.tolist() == [2, 0]


@pytest.mark.parametrize("multi_cut", [False, True])
def test_cut_rows_are_the_csr_of_theta_minus_pi_x(toy_4x3_dir: Path, multi_cut: bool) -> None:
    """Cut rows come from per-stage index, start and bound arrays grown on demand; every batch
    size gives rows theta_target - pi . x_out >= alpha."""
    from cobre_core.loader import load_case

    problem = Problem(load_case(toy_4x3_dir), lanes=1, multi_cut=multi_cut)
    t, d = 0, problem.state_dim
    out = problem.stage_lps[t].layout.out_state_cols
    rng = np.random.default_rng(3)
    for m in (3, 1, 40, 17):
        alphas, pis = rng.normal(size=m), rng.normal(size=(m, d))
        targets = rng.integers(0, len(problem.cut_columns[t]), m)
        lower, upper, starts, index, value = problem._cut_rows(t, alphas, pis, targets)
        assert lower.tolist() == alphas.tolist() and upper.tolist() == [np.inf] * m
        assert starts.tolist() == list(range(0, m * (d + 1), d + 1))
        index, value = index.reshape(m, d + 1), value.reshape(m, d + 1)
        assert index[:, 0].tolist() == problem.cut_columns[t][targets].tolist()
        assert (index[:, 1:] == out).all()
        assert value[:, 0].tolist() == [1.0] * m and (value[:, 1:] == -pis).all()


@pytest.fixture(scope="module")
def trained(toy_4x3_dir: Path) -> Problem:
    from cobre_core.loader import load_case

    problem = Problem(load_case(toy_4x3_dir), lanes=2)
    Trainer(problem, 3, [IterationLimit(20)]).train()
    return problem


def full_copy(problem: Problem, lazy: bool) -> Problem:
    """A fresh problem holding ``problem``'s cuts, every one a row of every LP."""
    other = Problem(problem.case, lanes=problem.num_lanes, lazy_cuts=lazy)
    for t, pool in enumerate(problem.cuts):
        alpha, pi = pool.arrays()
        other.add_cuts(t, alpha, pi)
    return other


def test_lazy_lps_hold_fewer_rows_and_give_the_full_lps_values(trained: Problem) -> None:
    full = full_copy(trained, lazy=False)
    held = sum(len(r.members) for rows in trained.rows.values() for r in rows)
    total = sum(len(p) for p in trained.cuts) * trained.num_lanes
    assert held < total  # reviews dropped rows during training
    rng = np.random.default_rng(3)
    for t in range(trained.num_stages):
        for o in range(trained.tree.count(t)):
            state = trained.initial_state * rng.uniform(0.3, 1.2, trained.state_dim)
            eta = trained.tree.openings[t][o]
            for lane in range(trained.num_lanes):
                lazy_obj, lazy_duals = trained.solve_backward(lane, t, state, eta)
                full_obj, _ = full.solve_backward(lane, t, state, eta)
                assert lazy_obj == pytest.approx(full_obj, rel=1e-9, abs=1e-9)
                assert len(lazy_duals) == trained.state_dim


def test_an_lp_without_cut_rows_gets_back_the_ones_it_violates(trained: Problem) -> None:
    stripped = full_copy(trained, lazy=True)
    t, lane = 0, 0
    rows = stripped.rows[lane][t]
    solver = stripped.solvers[lane][t]
    solver.delete_rows(rows.first_row + np.arange(rows.members.size))
    rows.in_lp[:] = False
    rows.members = rows.members[:0]
    eta = trained.tree.openings[t][0]
    value = stripped.solve_value(lane, t, stripped.initial_state, eta)
    full = full_copy(trained, lazy=False).solve_value(lane, t, trained.initial_state, eta)
    assert value == pytest.approx(full, rel=1e-9)
    # theta was 0 without rows, so every cut with a positive value at the state came back
    alpha, pi = stripped.cuts[t].arrays()
    x_out = stripped.solve(lane, t, stripped.initial_state, eta).out_state
    assert rows.members.size > 0
    assert set(rows.members.tolist()) >= set(np.flatnonzero(alpha + pi @ x_out > 1e-6).tolist())
    assert solver.num_rows == rows.first_row + rows.members.size


def test_lazy_training_converges_to_the_extensive_form(toy_4x3_dir: Path) -> None:
    from cobre_core.loader import load_case

    case = load_case(toy_4x3_dir)
    problem = Problem(case, lanes=2)
    outcome = Trainer(problem, 3, [IterationLimit(60)]).train()
    exact = solve_extensive_form(case, problem.tree.openings).objective
    held = sum(len(r.members) for rows in problem.rows.values() for r in rows)
    assert held < sum(len(p) for p in problem.cuts) * problem.num_lanes
    assert outcome.history[-1].lower_bound == pytest.approx(exact, rel=1e-6)


def test_a_batch_of_backward_solves_redoes_the_ones_that_violate_absent_cuts(
    trained: Problem,
) -> None:
    stripped = full_copy(trained, lazy=True)
    full = full_copy(trained, lazy=False)
    t, lane = 1, 0
    rows = stripped.rows[lane][t]
    stripped.solvers[lane][t].delete_rows(rows.first_row + np.arange(rows.members.size))
    rows.in_lp[:] = False
    rows.members = rows.members[:0]
    states = np.array([trained.initial_state, 0.5 * trained.initial_state])
    every = slice(None)
    objs, _ = stripped.solve_backward_lane(lane, t, states, every, {})
    want, _ = full.solve_backward_lane(lane, t, states, every, {})
    assert objs == pytest.approx(want, rel=1e-9)
    assert rows.members.size > 0  # the violated cuts came back as rows


def lift_theta_of_solve(solver: object, theta_col: int, bad: int) -> None:
    """Make ``solver``'s series of solves report solve ``bad`` (of its first series that
    reaches it) with theta 1,000 above where HiGHS put it: what HiGHS 1.15.1 was seen to do
    on a 4ree stage LP after a warm start, under status optimal."""
    real = solver.solve_series  # type: ignore[attr-defined]
    done = []

    def series(rows, values, first, objs, cols, duals):  # type: ignore[no-untyped-def]
        k = real(rows, values, first, objs, cols, duals)
        if not done and first <= bad < k:
            cols[bad, theta_col] += 1e3
            objs[bad] += 1e3
            done.append(bad)
        return k

    solver.solve_series = series  # type: ignore[attr-defined]


def test_a_backward_solve_whose_theta_no_row_holds_up_is_redone_cold(trained: Problem) -> None:
    lazy = full_copy(trained, lazy=True)
    full = full_copy(trained, lazy=False)
    t, lane = 1, 0
    lift_theta_of_solve(lazy.solvers[lane][t], lazy.stage_lps[t].layout.theta, bad=1)
    states = np.array([trained.initial_state, 0.5 * trained.initial_state])
    objs, duals = lazy.solve_backward_lane(lane, t, states, slice(None), {})
    want, want_duals = full.solve_backward_lane(lane, t, states, slice(None), {})
    assert lazy.cold_resolves == 1 and lane_stats(lazy).cold_resolves == 1
    assert objs == pytest.approx(want, rel=1e-9)
    assert duals == pytest.approx(want_duals, rel=1e-6, abs=1e-6)


def lift_theta_reads(problem: Problem, lane: int, t: int, every: bool) -> list[int]:
    """Make the column reads of ``problem``'s stage-``t`` LP on ``lane`` show theta 1,000 too
    high: the first read only (the cut check's, after the solve), or every one. Returns the
    list that counts the reads."""
    solver = problem.solvers[lane][t]
    theta = problem.stage_lps[t].layout.theta
    real = solver.col_values
    calls: list[int] = []

    def col_values():  # type: ignore[no-untyped-def]
        values = real().copy()
        if every or not calls:
            values[theta] += 1e3
        calls.append(1)
        return values

    solver.col_values = col_values  # type: ignore[method-assign]
    return calls


def test_a_single_solve_whose_theta_no_row_holds_up_is_redone_cold(trained: Problem) -> None:
    lazy = full_copy(trained, lazy=True)
    t, lane = 0, 0
    calls = lift_theta_reads(lazy, lane, t, every=False)
    eta = trained.tree.openings[t][0]
    value = lazy.solve_value(lane, t, lazy.initial_state, eta)
    want = full_copy(trained, lazy=False).solve_value(lane, t, trained.initial_state, eta)
    assert lazy.cold_resolves == 1 and len(calls) >= 2
    assert value == pytest.approx(want, rel=1e-9)


def test_a_theta_no_row_holds_up_even_from_a_cold_start_stops_training(trained: Problem) -> None:
    from cobre_core.errors import SolverError

    lazy = full_copy(trained, lazy=True)
    t, lane = 0, 0
    lift_theta_reads(lazy, lane, t, every=True)
    with pytest.raises(SolverError) as err:
        lazy.solve_value(lane, t, lazy.initial_state, trained.tree.openings[t][0])
    assert err.value.kind == "SolverFailure"
    assert "cold start" in str(err.value) and lazy.cold_resolves == 1
