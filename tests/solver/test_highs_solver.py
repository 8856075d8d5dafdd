"""HighsSolver: bound patches (arrays, scalars, infinities), selective reads and statuses.

Every test runs on both ways to HiGHS (:mod:`cobre_core.solver.highs_api`): its C API and
highspy's object.
"""

from __future__ import annotations

import numpy as np
import pytest
from highs_helpers import fresh_python, small_lp

from cobre_core.solver import HighsSolver, LpStatus, highs_api, highs_capi
from cobre_core.solver.lp_builder import INF


@pytest.fixture(autouse=True, params=["c", "highspy"])
def api(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The HiGHS API new solvers use in this test."""
    if request.param == "c" and highs_capi.library() is None:
        pytest.skip("this highspy ships no HiGHS C library")
    monkeypatch.setenv(highs_api.ENV_VAR, request.param)
    assert highs_api.api_name() == request.param
    return request.param


def test_solve_and_selective_reads_match_full_vectors() -> None:
    s = small_lp()
    assert s.solve() == LpStatus.OPTIMAL
    x, y = s.solution()
    assert s.objective() == pytest.approx(4.0)  # x = 2, y = 1
    assert s.primal_at([1, 0]).tolist() == [x[1], x[0]]
    assert s.row_duals_at([1]).tolist() == [y[1]]
    assert s.primal().tolist() == x.tolist()
    assert s.row_duals().tolist() == y.tolist()


def test_bound_patches_accept_scalars_arrays_and_infinity() -> None:
    s = small_lp()
    s.set_row_bounds(np.array([0], dtype=np.int32), np.array([5.0]), np.array([INF]))
    s.set_row_bounds([1], -INF, INF)  # scalars broadcast; the row becomes free
    assert s.solve() == LpStatus.OPTIMAL
    assert s.objective() == pytest.approx(5.0)  # x = 5, y = 0
    s.set_col_bounds([0], 0.0, 1.0)
    assert s.solve() == LpStatus.OPTIMAL
    assert s.objective() == pytest.approx(9.0)  # x = 1, y = 4


def test_infeasible_patch_reports_status() -> None:
    s = small_lp()
    s.set_row_bounds([0], 25.0, INF)  # x + y <= 20 at most
    assert s.solve_with_retries() == LpStatus.INFEASIBLE
    s.set_row_bounds([0], 3.0, INF)  # options restored: the next warm solve works
    assert s.solve() == LpStatus.OPTIMAL
    assert s.solves >= 2


def _series(s: HighsSolver, values: list[float], first: int = 0) -> tuple[int, np.ndarray, ...]:
    """solve_series fixing row 0 (x + y) to each of ``values``; returns its result and
    buffers."""
    k = len(values)
    objs, cols, duals = np.full(k, np.nan), np.full((k, 2), np.nan), np.full((k, 2), np.nan)
    fixed = np.array(values).reshape(k, 1)
    j = s.solve_series(np.array([0], dtype=np.int32), fixed, first, objs, cols, duals)
    return j, objs, cols, duals


def test_solve_series_fixes_rows_solves_in_order_and_stops_at_a_failure() -> None:
    s = small_lp()
    # x + y = 5: x = 3, y = 2 (x - y <= 1); x + y = 3: x = 2, y = 1; then infeasible (> 20)
    j, objs, cols, duals = _series(s, [5.0, 3.0, 25.0, 4.0])
    assert j == 2 and s.solves == 3  # the failed solve counts, the one after it is not made
    assert objs[:2].tolist() == pytest.approx([7.0, 4.0])
    assert cols[:2].tolist() == [pytest.approx([3.0, 2.0]), pytest.approx([2.0, 1.0])]
    assert np.isnan(objs[2:]).all() and np.isnan(cols[2:]).all() and np.isnan(duals[2:]).all()
    one = small_lp()  # each solve's values are those of the same solve made alone
    one.fix_rows(np.array([0], dtype=np.int32), np.array([3.0]))
    assert one.solve() == LpStatus.OPTIMAL
    assert duals[1].tolist() == one.row_duals().tolist()
    assert cols[1].tolist() == one.primal().tolist()
    assert s.solve_seconds > 0.0 and s.call_seconds > 0.0


def test_solve_series_starts_at_first_and_reports_success_with_the_length() -> None:
    s = small_lp()
    j, objs, cols, _ = _series(s, [25.0, 5.0, 3.0], first=1)
    assert np.isnan(cols[0]).all() and cols[1].tolist() == pytest.approx([3.0, 2.0])
    assert j == 3 and s.solves == 2 and np.isnan(objs[0])
    assert objs[1:].tolist() == pytest.approx([7.0, 4.0])


def test_solve_series_refuses_buffers_of_the_wrong_size() -> None:
    """The C API writes without bounds checks, so the sizes are checked before any solve."""
    s = small_lp()
    rows = np.array([0], dtype=np.int32)
    with pytest.raises(ValueError):
        s.solve_series(rows, np.ones((2, 1)), 0, np.zeros(2), np.zeros((2, 2)), np.zeros((2, 1)))
    with pytest.raises(ValueError):
        s.read_solution(np.zeros(1), None)
    assert s.solves == 0


@pytest.mark.parametrize("attempts", [1, 2, 3, 5])
def test_recover_goes_on_as_solve_with_retries_after_the_first_solve(attempts: int) -> None:
    """A failed series solve + recover makes the same attempts as solve_with_retries: the
    series' solve is the first of them."""
    fast, slow = small_lp(), small_lp()
    assert _series(fast, [25.0])[0] == 0
    assert fast.recover(max_attempts=attempts) == LpStatus.INFEASIBLE
    slow.fix_rows(np.array([0], dtype=np.int32), np.array([25.0]))
    assert slow.solve_with_retries(max_attempts=attempts) == LpStatus.INFEASIBLE
    assert fast.solves == slow.solves == attempts
    assert _series(fast, [5.0])[0] == 1  # options restored by the ladder
    assert fast.recover() == LpStatus.OPTIMAL and fast.solves == attempts + 1


@pytest.mark.parametrize("attempts", [1, 2, 3, 5])
def test_retries_stop_at_the_attempt_limit(attempts: int) -> None:
    s = small_lp()
    s.set_row_bounds([0], 25.0, INF)  # infeasible: every rung of the ladder fails
    assert s.solve_with_retries(max_attempts=attempts) == LpStatus.INFEASIBLE
    assert s.solves == attempts


def test_retries_stop_when_the_time_budget_is_spent() -> None:
    s = small_lp()
    s.set_row_bounds([0], 25.0, INF)
    assert s.solve_with_retries(max_attempts=5, time_budget_seconds=0.0) == LpStatus.INFEASIBLE
    assert s.solves == 1


def test_solves_after_another_highs_started_the_scheduler_with_other_threads() -> None:
    """HiGHS's task scheduler is process-wide and sized by the first run; a default-options
    ``Highs`` (all cores) started first must not make every stage solve fail."""
    script = (
        "import highspy, numpy as np\n"
        "h = highspy.Highs(); h.setOptionValue('output_flag', False)\n"
        "h.setOptionValue('threads', 2); h.addVars(1, np.zeros(1), np.ones(1)); h.run()\n"
        "from tests.solver.highs_helpers import small_lp\n"
        "from cobre_core.solver import LpStatus\n"
        "s = small_lp(); assert s.solve() == LpStatus.OPTIMAL, s.status_text()\n"
        "assert abs(s.objective() - 4.0) < 1e-9\n"
        "t = small_lp(); assert t.solve() == LpStatus.OPTIMAL\n"
        "print('ok')\n"
    )
    assert fresh_python(script).strip().endswith("ok")


def test_time_inside_highs_is_split_between_run_and_the_other_calls() -> None:
    s = small_lp()
    assert s.solve_seconds == 0.0 and s.call_seconds == 0.0
    s.fix_rows(np.array([0], dtype=np.int32), np.array([5.0]))
    patched = s.call_seconds
    assert patched > 0.0 and s.solve_seconds == 0.0
    assert s.solve() == LpStatus.OPTIMAL
    assert s.solve_seconds > 0.0 and s.call_seconds == patched
    s.primal_at([0])
    assert s.call_seconds > patched  # the solution copy


def test_highs_banner_never_reaches_stdout() -> None:
    """Importing the solver module builds the process's first HiGHS instance with fd 1 sent to
    stderr, so no later instance prints HiGHS's start-up banner on stdout."""
    script = (
        "import highspy\n"
        "from cobre_core.solver.highs_solver import HIGHS_VERSION\n"
        "highspy.Highs()\n"
        "print(HIGHS_VERSION == highspy.Highs().version())\n"
    )
    assert fresh_python(script, timeout=60) == "True\n"
