"""HighsSolver: bound patches (arrays, scalars, infinities), selective reads and statuses."""

from __future__ import annotations

import numpy as np
import pytest

from cobre_core.solver import HighsSolver, LpBuilder, LpStatus
from cobre_core.solver.lp_builder import INF


def _lp() -> HighsSolver:
    """min x + 2y  s.t.  x + y >= r0 (row 0),  x - y <= r1 (row 1),  0 <= x <= 10,  0 <= y <= 10."""
    b = LpBuilder()
    cols = b.add_columns(2, 0.0, 10.0, [1.0, 2.0])
    b.add_rows(1, 3.0, INF, [0, 0], cols, [1.0, 1.0])
    b.add_rows(1, -INF, 1.0, [0, 0], cols, [1.0, -1.0])
    return HighsSolver(b.build())


def test_solve_and_selective_reads_match_full_vectors() -> None:
    s = _lp()
    assert s.solve() == LpStatus.OPTIMAL
    x, y = s.solution()
    assert s.objective() == pytest.approx(4.0)  # x = 2, y = 1
    assert s.primal_at([1, 0]) == [x[1], x[0]]
    assert s.row_duals_at([1]) == [y[1]]
    assert s.primal().tolist() == x.tolist()
    assert s.row_duals().tolist() == y.tolist()


def test_bound_patches_accept_scalars_arrays_and_infinity() -> None:
    s = _lp()
    s.set_row_bounds(np.array([0], dtype=np.int32), np.array([5.0]), np.array([INF]))
    s.set_row_bounds([1], -INF, INF)  # scalars broadcast; the row becomes free
    assert s.solve() == LpStatus.OPTIMAL
    assert s.objective() == pytest.approx(5.0)  # x = 5, y = 0
    s.set_col_bounds([0], 0.0, 1.0)
    assert s.solve() == LpStatus.OPTIMAL
    assert s.objective() == pytest.approx(9.0)  # x = 1, y = 4


def test_infeasible_patch_reports_status() -> None:
    s = _lp()
    s.set_row_bounds([0], 25.0, INF)  # x + y <= 20 at most
    assert s.solve_with_retries() == LpStatus.INFEASIBLE
    s.set_row_bounds([0], 3.0, INF)  # options restored: the next warm solve works
    assert s.solve() == LpStatus.OPTIMAL
    assert s.solves >= 2


def test_solve_fixed_patches_equality_rows_and_says_whether_optimal() -> None:
    s = _lp()
    rows = np.array([0], dtype=np.int32)
    assert s.solve_fixed(rows, np.array([5.0]))  # x + y = 5: x = 3, y = 2 (x - y <= 1)
    assert s.objective() == pytest.approx(7.0)
    solution = s.solution_record()
    assert solution.col_value == pytest.approx([3.0, 2.0])
    assert s.row_duals_at([0, 1]) == solution.row_dual
    assert not s.solve_fixed(rows, np.array([25.0]))  # x + y = 25 > 20: infeasible, no retry
    assert s.solves == 2
    assert s.solve_seconds > 0.0 and s.call_seconds > 0.0


@pytest.mark.parametrize("attempts", [1, 2, 3, 5])
def test_recover_goes_on_as_solve_with_retries_after_the_first_solve(attempts: int) -> None:
    """solve_fixed + recover makes the same attempts as solve_with_retries: the fast solve is
    the first of them."""
    fast, slow = _lp(), _lp()
    rows = np.array([0], dtype=np.int32)
    assert not fast.solve_fixed(rows, np.array([25.0]))
    assert fast.recover(max_attempts=attempts) == LpStatus.INFEASIBLE
    slow.fix_rows(rows, np.array([25.0]))
    assert slow.solve_with_retries(max_attempts=attempts) == LpStatus.INFEASIBLE
    assert fast.solves == slow.solves == attempts
    assert fast.solve_fixed(rows, np.array([5.0]))  # options restored by the ladder
    assert fast.recover() == LpStatus.OPTIMAL and fast.solves == attempts + 1


@pytest.mark.parametrize("attempts", [1, 2, 3, 5])
def test_retries_stop_at_the_attempt_limit(attempts: int) -> None:
    s = _lp()
    s.set_row_bounds([0], 25.0, INF)  # infeasible: every rung of the ladder fails
    assert s.solve_with_retries(max_attempts=attempts) == LpStatus.INFEASIBLE
    assert s.solves == attempts


def test_retries_stop_when_the_time_budget_is_spent() -> None:
    s = _lp()
    s.set_row_bounds([0], 25.0, INF)
    assert s.solve_with_retries(max_attempts=5, time_budget_seconds=0.0) == LpStatus.INFEASIBLE
    assert s.solves == 1


def test_solves_after_another_highs_started_the_scheduler_with_other_threads() -> None:
    """HiGHS's task scheduler is process-wide and sized by the first run; a default-options
    ``Highs`` (all cores) started first must not make every stage solve fail."""
    import subprocess
    import sys

    script = (
        "import highspy, numpy as np\n"
        "h = highspy.Highs(); h.setOptionValue('output_flag', False)\n"
        "h.setOptionValue('threads', 2); h.addVars(1, np.zeros(1), np.ones(1)); h.run()\n"
        "from tests.solver.test_highs_solver import _lp\n"
        "from cobre_core.solver import LpStatus\n"
        "s = _lp(); assert s.solve() == LpStatus.OPTIMAL, s.status_text()\n"
        "assert abs(s.objective() - 4.0) < 1e-9\n"
        "t = _lp(); assert t.solve() == LpStatus.OPTIMAL\n"
        "print('ok')\n"
    )
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")


def test_time_inside_highs_is_split_between_run_and_the_other_calls() -> None:
    s = _lp()
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
    import subprocess
    import sys

    script = (
        "import highspy\n"
        "from cobre_core.solver.highs_solver import HIGHS_VERSION\n"
        "highspy.Highs()\n"
        "print(HIGHS_VERSION == highspy.Highs().version())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "True\n"
