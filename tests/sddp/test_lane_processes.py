"""Process lanes give the thread lanes' results bit for bit, and fail with a structured error."""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np
import pytest

from cobre_core.errors import CobreError, SolverError
from cobre_core.examples import build_example
from cobre_core.examples.writer import write_case_files
from cobre_core.loader import load_case
from cobre_core.sddp.lane_processes import ProcessLanes, _spawn
from cobre_core.sddp.problem import Problem
from cobre_core.study_runs import launch_ahead, train


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("mr")
    write_case_files(build_example("multi_region"), dest)
    return dest


def history(res: object) -> list[float]:
    return res.convergence_history.column("lower_bound").to_pylist()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "training",
    [
        {},
        {"cut_selection": {"enabled": True, "method": "lml1", "memory_window": 2}},
        {"cut_formulation": "multi"},
        {
            "stopping_rules": [
                {"type": "iteration_limit", "limit": 6},
                {
                    "type": "simulation",
                    "replications": 6,
                    "period": 2,
                    "bound_window": 1,
                    "distance_tol": 1e-9,
                    "bound_tol": 1e-9,
                },
            ]
        },
    ],
    ids=["single-cut", "with-cut-selection", "multi-cut", "simulation-rule"],
)
def test_processes_match_threads_exactly(region: Path, training: dict) -> None:
    cfg = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 6}], **training}}
    threads = train(region, cfg, threads=2, parallel="threads")
    procs = train(region, cfg, threads=2, parallel="processes")
    assert history(procs) == history(threads)
    assert procs.lp_solves == threads.lp_solves
    for run in (threads, procs):  # time inside HiGHS: run(), then patches, rows and reads
        assert run.extra["solve_seconds"] > 0 and run.extra["highs_call_seconds"] > 0
    # finished workers wait for the last one at every step; threads report no such wait
    assert 0 < procs.extra["worker_wait_seconds"] < procs.wall_time_ms / 1000
    assert threads.extra["worker_wait_seconds"] == 0.0
    assert procs.extra["cold_resolves"] == threads.extra["cold_resolves"]
    assert procs.total_cuts == threads.total_cuts
    for a, b in zip(procs.policy.stages, threads.policy.stages, strict=True):
        assert np.array_equal(a.intercepts, b.intercepts)
        assert np.array_equal(a.coefficients, b.coefficients)


def test_three_workers_match_one_thread(region: Path) -> None:
    """This process runs lanes 0 and 3, two spawned workers run lanes 1 and 2."""
    cfg = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 4}]}}
    one = train(region, cfg, threads=1, parallel="threads")
    three = train(region, cfg, threads=3, parallel="processes")
    assert history(three) == history(one)
    assert three.lp_solves == one.lp_solves


def test_workers_start_from_the_loaded_cuts(region: Path, tmp_path: Path) -> None:
    cfg = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 3}]}}
    train(region, cfg, output_dir=tmp_path / "a")
    warm = {**cfg, "policy": {"mode": "warm_start", "path": str(tmp_path / "a" / "policy")}}
    threads = train(region, warm, threads=2, parallel="threads")
    procs = train(region, warm, threads=2, parallel="processes")
    assert history(procs) == history(threads)


def test_a_dead_worker_is_a_solver_failure(region: Path) -> None:
    problem = Problem(load_case(region), lanes=4)
    lanes = ProcessLanes(problem, 2)
    try:
        lanes.procs[-1].kill()  # the spawned worker (this process runs the other lanes)
        lanes.procs[-1].wait()
        with pytest.raises(SolverError) as err:
            lanes.run("bound")
        assert err.value.kind == "SolverFailure"
        assert "Retry" in (err.value.suggestion or "")
    finally:
        lanes.close()


def test_a_failed_worker_operation_is_reported_and_the_lanes_still_close(region: Path) -> None:
    problem = Problem(load_case(region), lanes=4)
    lanes = ProcessLanes(problem, 2)
    procs = list(lanes.procs)
    try:
        lanes._pending.append(("no-such-operation",))  # travels ahead of the next step
        with pytest.raises(SolverError) as err:
            lanes.run("bound")
        assert "no-such-operation" in str(err.value.context.get("detail", ""))
        assert lanes.stats().solves == 0  # no stale answer is read as statistics
    finally:
        lanes.close()
    assert all(proc.returncode == 0 for proc in procs)  # stopped, not killed


def test_workers_see_boundary_cuts(region: Path, tmp_path: Path) -> None:
    cfg = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 3}]}}
    train(region, cfg, output_dir=tmp_path / "src")
    source = {"boundary": {"path": str(tmp_path / "src" / "policy"), "source_stage": 5}}
    bounded = {**cfg, "policy": source}
    threads = train(region, bounded, threads=2, parallel="threads")
    procs = train(region, bounded, threads=2, parallel="processes")
    assert history(procs) == history(threads)
    assert history(threads) != history(train(region, cfg, threads=2))  # the boundary mattered


def test_recv_soon_gets_messages_sent_before_and_after_its_polling_ends() -> None:
    import os
    import threading
    import time

    from cobre_core.sddp.lane_processes import _Duplex

    a_r, b_w = os.pipe()
    b_r, a_w = os.pipe()
    a, b = _Duplex(a_r, a_w), _Duplex(b_r, b_w)
    try:
        b.send(("now",))
        assert a.recv_soon(0.01) == ("now",)  # already there: taken while polling
        later = threading.Timer(0.05, lambda: b.send(("later",)))
        later.start()
        t0 = time.perf_counter()
        assert a.recv_soon(0.001) == ("later",)  # polling gave up; the blocking read waits
        assert time.perf_counter() - t0 >= 0.04
        later.join()
    finally:
        a.close()
        b.close()


def test_a_problem_keeping_some_lanes_solves_them_as_the_whole_problem_does(region: Path) -> None:
    """A worker keeps only its lanes' LPs; cuts added afterwards reach those LPs and the pools,
    and its solves equal the same lanes' solves of a problem holding every lane."""
    case = load_case(region)
    whole = Problem(case, lanes=4)
    part = Problem(case, lanes=4)
    part.keep_lanes([1, 3])
    assert sorted(part.solvers) == [1, 3] and sorted(part.rows) == [1, 3]
    rng = np.random.default_rng(5)
    t = 1
    for problem in (whole, part):
        problem.add_cuts(t, rng.random(3) * 1e3, rng.random((3, case.state_dim)), 1)
        rng = np.random.default_rng(5)  # the same cuts for both
    assert len(part.cuts[t]) == len(whole.cuts[t]) == 3
    assert part.solvers[3][t].num_rows == whole.solvers[3][t].num_rows
    x = whole.initial_state
    for lane in (1, 3):
        for o in range(whole.tree.count(t)):
            eta = whole.realize(t, x, o)
            assert part.solve_value(lane, t, x, eta) == whole.solve_value(lane, t, x, eta)
    assert part.lp_solves() == whole.lp_solves()


class _Recorder:
    """Wraps :func:`launch_ahead` to keep the worker processes each training started ahead."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import cobre_core.study_runs as runs

        self.procs: list[object] = []
        real = runs.launch_ahead

        def launch_ahead(parallel: str, threads: int) -> object:
            launch = real(parallel, threads)
            self.procs += [proc for proc, _ in launch._started]
            return launch

        monkeypatch.setattr(runs, "launch_ahead", launch_ahead)


def test_workers_started_ahead_run_the_lanes(region: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process run takes the workers started before the case loaded (they end by the stop
    message, exit code 0) and gives the thread run's bounds."""
    seen = _Recorder(monkeypatch)
    cfg = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 3}]}}
    procs = train(region, cfg, threads=3, parallel="processes")
    assert len(seen.procs) == 2
    assert [p.returncode for p in seen.procs] == [0, 0]  # type: ignore[attr-defined]
    assert history(procs) == history(train(region, cfg, threads=1, parallel="threads"))


def test_a_run_that_ends_up_on_threads_kills_the_workers_started_ahead(
    region: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _Recorder(monkeypatch)
    short = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 2}]}}
    res = train(region, short, threads=2)  # "auto": too short for processes
    assert res.extra["worker_wait_seconds"] == 0.0  # ran on threads
    assert len(seen.procs) == 1
    assert seen.procs[0].returncode == -signal.SIGKILL  # type: ignore[attr-defined]


def test_an_invalid_case_leaves_no_worker_started_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _Recorder(monkeypatch)
    with pytest.raises(CobreError):
        train(tmp_path / "missing", threads=2, parallel="processes")
    assert len(seen.procs) == 1
    assert seen.procs[0].returncode is not None  # type: ignore[attr-defined]


def test_no_worker_is_started_ahead_for_one_worker_or_threads() -> None:
    assert len(launch_ahead("processes", 1)) == 0
    assert len(launch_ahead("threads", 4)) == 0
    with launch_ahead("auto", 8) as launch:  # at most one worker per lane, this process first
        assert len(launch) == 3


def test_a_worker_whose_pipe_closes_before_any_work_exits_cleanly() -> None:
    proc, conn = _spawn()
    conn.close()
    assert proc.wait(timeout=60) == 0
