"""Cut selection (training.cut_selection): the rules, row deletion, and bounds kept.

* each rule's keep mask on a hand-made pool;
* deleting cut rows leaves every lane's LP equal to one built with only the kept cuts;
* on the shared cases where selection removes cuts without changing any trial point (d20, d30),
  the lower bound history is identical with selection on and off;
* on a stochastic tree, SDDP with selection still converges to the extensive form.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from extensive_form import solve_extensive_form

from cobre_core.model.config import CutSelectionConfig
from cobre_core.sddp.cut_selection import (
    CutActivity,
    CutSelection,
    Domination,
    Level1,
    LimitedMemoryLevel1,
    selection_from_config,
)
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.stopping import IterationLimit
from cobre_core.sddp.training import Trainer
from cobre_core.study_runs import train

DETERMINISTIC = Path(__file__).resolve().parents[3] / "shared" / "cobre-cases" / "deterministic"


def activity(born: list[int], count: list[int], last: list[int]) -> CutActivity:
    return CutActivity(born=born, count=count, last=last)


# three 1-D cuts: y = 1 + x, y = 3 - x, y = 0.5 (never the maximum on [0, 2] but at no point)
ALPHA = np.array([1.0, 3.0, 0.5])
PI = np.array([[1.0], [-1.0], [0.0]])


def test_level1_keeps_cuts_bound_more_than_threshold_times() -> None:
    act = activity([1, 1, 1], [0, 2, 5], [1, 3, 4])
    assert Level1(0).keep(ALPHA, PI, act, 6, np.empty((0, 1))).tolist() == [False, True, True]
    assert Level1(2).keep(ALPHA, PI, act, 6, np.empty((0, 1))).tolist() == [False, False, True]


def test_lml1_keeps_cuts_bound_within_the_window() -> None:
    act = activity([1, 1, 1], [1, 1, 1], [2, 7, 9])
    keep = LimitedMemoryLevel1(memory_window=3).keep(ALPHA, PI, act, 10, np.empty((0, 1)))
    assert keep.tolist() == [False, False, True]


def test_domination_keeps_cuts_that_are_the_maximum_somewhere_visited() -> None:
    act = activity([1, 1, 1], [0, 0, 0], [1, 1, 1])
    visited = np.array([[0.0], [2.0]])  # max is cut 1 at x=0 (3 vs 1), cut 0 at x=2 (3 vs 1)
    assert Domination(1e-9).keep(ALPHA, PI, act, 5, visited).tolist() == [True, True, False]
    # at x = 1 the two slanted cuts tie at 2: both kept, the flat one still dominated
    keep = Domination(1e-9).keep(ALPHA, PI, act, 5, np.array([[1.0]]))
    assert keep.tolist() == [True, True, False]


def test_new_cuts_are_kept_and_the_cap_keeps_the_most_recently_bound() -> None:
    sel = CutSelection(Level1(100), max_active_per_stage=2)
    act = activity([1, 2, 3, 5], [0, 0, 0, 0], [4, 2, 3, 5])
    # Level1(100) drops every old cut; the cut born at iteration 5 stays
    assert sel.keep(np.zeros(4), np.zeros((4, 1)), act, 5, np.empty((0, 1))).tolist() == [
        False,
        False,
        False,
        True,
    ]
    keep_all = CutSelection(Level1(-1), max_active_per_stage=2)
    mask = keep_all.keep(np.zeros(4), np.zeros((4, 1)), act, 5, np.empty((0, 1)))
    assert mask.tolist() == [True, False, False, True]  # last bound at 5 and 4


def test_selection_from_config_maps_upstream_fields() -> None:
    assert selection_from_config(CutSelectionConfig()) is None
    sel = selection_from_config(
        CutSelectionConfig(enabled=True, method="lml1", threshold=4, check_frequency=5)
    )
    assert sel is not None and sel.selector == LimitedMemoryLevel1(4) and sel.check_frequency == 5
    dom = selection_from_config(
        CutSelectionConfig(enabled=True, method="domination", domination_epsilon=1e-4)
    )
    assert dom is not None and dom.selector == Domination(1e-4) and dom.check_frequency == 1


@pytest.fixture(scope="module")
def toy_files(toy_4x3_dir: Path) -> Path:
    return toy_4x3_dir


def test_removed_rows_leave_the_lp_of_the_kept_cuts(toy_files: Path) -> None:
    from cobre_core.loader import load_case

    case = load_case(toy_files)
    trained = Problem(case, lanes=2)
    Trainer(trained, 3, [IterationLimit(6)]).train()
    t = 1
    alpha, pi = trained.cuts[t].arrays()
    keep = np.arange(alpha.size) % 3 != 0
    assert trained.remove_cuts(t, keep) == int((~keep).sum())
    fresh = Problem(case, lanes=2)
    fresh.add_cuts(t, alpha[keep], pi[keep])
    for s in range(t + 1, case.num_stages):  # later stages identical in both
        a, p = trained.cuts[s].arrays()
        fresh.add_cuts(s, a, p)
    state = trained.initial_state
    eta = trained.tree.openings[t][0]
    for lane in range(2):
        assert trained.solvers[lane][t].num_rows == fresh.solvers[lane][t].num_rows
        assert trained.solve_value(lane, t, state, eta) == pytest.approx(
            fresh.solve_value(lane, t, state, eta), rel=1e-12
        )


@pytest.mark.parametrize(
    "name,method",
    [
        ("d20-operational-violations", "lml1"),
        ("d30-multi-resolution-monthly-quarterly", "level1"),
        ("d30-multi-resolution-monthly-quarterly", "lml1"),
    ],
)
def test_lossless_selection_leaves_the_bound_history_unchanged(name: str, method: str) -> None:
    case = DETERMINISTIC / name
    if not case.is_dir():
        pytest.skip("shared cases not present")
    cfg = {"enabled": True, "method": method, "check_frequency": 1, "memory_window": 1}
    base = train(case)
    pruned = train(case, {"training": {"cut_selection": cfg}})
    removed = sum(pruned.convergence_history.column("cuts_removed").to_pylist())
    assert removed > 0
    assert pruned.total_cuts == base.total_cuts - removed
    assert (
        pruned.convergence_history.column("lower_bound").to_pylist()
        == base.convergence_history.column("lower_bound").to_pylist()
    )


@pytest.mark.parametrize("method", ["domination", "lml1"])
def test_selection_still_converges_to_the_extensive_form(toy_files: Path, method: str) -> None:
    from cobre_core.loader import load_case

    case = load_case(toy_files)
    problem = Problem(case, lanes=4)
    de = solve_extensive_form(case, problem.tree.openings).objective
    cfg = CutSelectionConfig(enabled=True, method=method, memory_window=5, check_frequency=2)
    trainer = Trainer(problem, 3, [IterationLimit(60)], selection=selection_from_config(cfg))
    history = trainer.train().history
    assert sum(r.cuts_removed for r in history) > 0
    assert history[-1].lower_bound == pytest.approx(de, rel=1e-6)
