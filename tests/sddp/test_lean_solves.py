"""The lean solve paths training uses read exactly what the full :meth:`Problem.solve` reads.

Training's forward, backward and lower-bound solves fetch only the entries they need (outgoing
state and theta, state-row duals, the objective) and realise the noise of a lane's openings in one
call; these must give bit-for-bit the values of the general path, or training results would
change with the optimisation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cobre_core.examples import write_example
from cobre_core.loader import load_case
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.stopping import IterationLimit
from cobre_core.sddp.training import Trainer


def _trained(case_dir: Path) -> Problem:
    problem = Problem(load_case(case_dir), lanes=2)
    Trainer(problem, 2, [IterationLimit(3)]).train()
    return problem


@pytest.fixture(scope="module", params=["toy", "multi_region"])
def case_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An example case; multi_region uses inflow truncation."""
    return write_example(request.param, tmp_path_factory.mktemp(request.param) / "case")


@pytest.fixture(scope="module")
def problem(case_dir: Path) -> Problem:
    """A briefly trained example (cuts present)."""
    return _trained(case_dir)


def _states(problem: Problem) -> list[np.ndarray]:
    """The initial state and a few perturbed ones (low storage makes truncation bind)."""
    x0 = problem.initial_state
    rng = np.random.default_rng(7)
    return [x0, x0 * 0.2, x0 * rng.uniform(0.5, 1.5, x0.size)]


def test_realize_openings_matches_realize(problem: Problem) -> None:
    for t in range(problem.num_stages):
        n_open = problem.tree.count(t)
        lanes = problem.num_lanes
        for x in _states(problem):
            for lane in range(lanes):
                rows = problem.realize_openings(t, x, slice(lane, None, lanes))
                expected = [problem.realize(t, x, o) for o in range(lane, n_open, lanes)]
                assert rows.shape == (len(expected), problem.case.noise.dim)
                for got, want in zip(rows, expected, strict=True):
                    assert got.tobytes() == np.asarray(want).tobytes()


def test_lean_solves_match_full_solve(case_dir: Path) -> None:
    """Same solve sequence on two identically trained problems: full reads vs lean reads."""
    full, lean = _trained(case_dir), _trained(case_dir)
    for t in range(full.num_stages):
        for x in _states(full):
            eta = full.realize(t, x, 0)
            first = full.solve(0, t, x, eta, want_duals=True)
            cost, out_state = lean.solve_forward(0, t, x, eta)
            assert cost == first.immediate_cost
            assert out_state.tobytes() == first.out_state.tobytes()
            second = full.solve(0, t, x, eta, want_duals=True)
            obj, duals = lean.solve_backward(0, t, x, eta)
            assert obj == second.objective
            assert second.duals is not None
            assert np.array(duals).tobytes() == second.duals.tobytes()
            third = full.solve(0, t, x, eta)
            assert lean.solve_value(0, t, x, eta) == third.objective


def test_row_patch_sets_state_and_noise_rows(problem: Problem) -> None:
    slp = problem.stage_lps[1]
    x = problem.initial_state
    eta = problem.realize(1, x, 0)
    rows, lower, upper = slp.row_patch(x, eta)
    assert rows.dtype == np.int32 and not rows.flags.writeable
    assert lower is upper
    n = problem.case.num_hydros
    assert rows[: x.size].tolist() == slp.fix_rows.tolist()
    assert lower[: x.size].tobytes() == x.tobytes()
    z_rhs = slp.z_base + slp.z_sigma * eta[:n]
    assert lower[x.size : x.size + n].tobytes() == z_rhs.tobytes()
    assert rows[x.size : x.size + n].tolist() == slp.layout.z_def.tolist()


def test_row_patches_match_row_patch_for_every_opening(problem: Problem) -> None:
    for t in range(problem.num_stages):
        slp = problem.stage_lps[t]
        for x in _states(problem):
            etas = problem.realize_openings(t, x, slice(None))
            rows, values = slp.row_patches(x, etas)
            assert values.shape == (etas.shape[0], rows.size)
            for eta, got in zip(etas, values, strict=True):
                want_rows, want, _ = slp.row_patch(x, eta)
                assert rows is want_rows
                assert got.tobytes() == want.tobytes()


def test_realize_states_and_row_patches_match_one_state_at_a_time(problem: Problem) -> None:
    """The backward pass patches all of a lane's (state, opening) pairs in one go; each block
    must be bit for bit what one state's call gives (truncation binds for low storage)."""
    states = np.array(_states(problem))
    for t in range(problem.num_stages):
        slp = problem.stage_lps[t]
        for picks in (slice(None), slice(1, None, 3)):
            etas = problem.realize_states(t, states, picks)
            rows, values = slp.row_patches(states, etas)
            assert values.shape == (*etas.shape[:2], rows.size)
            for k, x in enumerate(states):
                want_etas = problem.realize_openings(t, x, picks)
                want_rows, want = slp.row_patches(x, want_etas)
                assert rows is want_rows
                assert etas[k].tobytes() == np.asarray(want_etas).tobytes()
                assert values[k].tobytes() == want.tobytes()


def test_backward_patches_hold_every_lanes_share_bit_for_bit(problem: Problem) -> None:
    """The lanes of a process share one patch of all the openings; the columns of a lane's
    openings must be exactly what the lane's own patch gives, and a second call with the same
    stage and states returns the kept result (a different state does not)."""
    states = np.array(_states(problem))
    lanes = problem.num_lanes
    for t in range(problem.num_stages):
        rows, values, etas = problem.backward_patches(t, states)
        assert values.shape[:2] == etas.shape[:2] == (len(states), problem.tree.count(t))
        assert problem.backward_patches(t, states.copy())[1] is values
        for lane in range(lanes):
            picks = slice(lane, None, lanes)
            want_etas = problem.realize_states(t, states, picks)
            want_rows, want = problem.stage_lps[t].row_patches(states, want_etas)
            assert rows is want_rows
            assert np.ascontiguousarray(values[:, picks]).tobytes() == want.tobytes()
            assert np.ascontiguousarray(etas[:, picks]).tobytes() == want_etas.tobytes()
    moved = states.copy()
    moved[0, 0] += 1.0
    assert problem.backward_patches(0, moved)[1][0, 0, 0] == moved[0, 0]


def test_backward_lane_matches_one_solve_per_opening(case_dir: Path) -> None:
    """One batched call per stage (cut check once for the batch) vs solve_backward one by one:
    the same optimal objectives; duals may differ only where the LP has several optima."""
    one, many = _trained(case_dir), _trained(case_dir)
    lanes = one.num_lanes
    for t in range(one.num_stages):
        states = np.array(_states(one))
        for lane in range(lanes):
            picks = slice(lane, None, lanes)
            objs, duals = many.solve_backward_lane(lane, t, states, picks, {})
            openings = range(one.tree.count(t))[picks]
            assert objs.shape == (len(states), len(openings))
            assert duals.shape == (len(states), len(openings), one.state_dim)
            for k, x in enumerate(states):
                for i, o in enumerate(openings):
                    obj, _ = one.solve_backward(lane, t, x, one.realize(t, x, o))
                    assert objs[k, i] == pytest.approx(obj, rel=1e-9, abs=1e-7)


def test_backward_lane_reports_a_failed_solve_with_its_stage_and_opening(case_dir: Path) -> None:
    """A solve that is not optimal leaves the one-call path for the retry ladder, then fails
    with a structured record naming the stage, the iteration and the lane's first opening."""
    from cobre_core.errors import SolverError

    problem = _trained(case_dir)
    t, lane = 1, 1
    theta = problem.stage_lps[t].layout.theta
    problem.solvers[lane][t].set_col_bounds([theta], 1.0, 0.0)  # empty range: no solution
    states = np.array(_states(problem))
    with pytest.raises(SolverError) as err:
        problem.solve_backward_lane(lane, t, states, slice(lane, None, 2), {"iteration": 9})
    assert err.value.kind == "SolverFailure"
    assert err.value.context["stage"] == problem.case.calendar[t].stage_id
    assert err.value.context["opening"] == lane
    assert err.value.context["iteration"] == 9
    assert problem.solvers[lane][t].solves > 1  # the ladder ran after the one-call attempt
