"""Policy lifecycle: checkpoints, resume after a kill, warm start and boundary cuts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from cobre_core.errors import CobreError
from cobre_core.examples import build_example
from cobre_core.examples.writer import write_case_files
from cobre_core.model.config import CheckpointingConfig
from cobre_core.policy_lifecycle import checkpoint_due
from cobre_core.results.policy import Policy, load_history
from cobre_core.study_runs import simulate, train

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "sddp"))
from test_convergence_extensive_form import derive_example  # noqa: E402


def case_dir(tmp: Path, name: str = "multi_region", **derive: Any) -> Path:
    """Example ``name`` written to ``tmp`` (cut down by ``derive_example`` when asked)."""
    files = derive_example(name, **derive) if derive else build_example(name)
    write_case_files(files, tmp)
    return tmp


def limit(n: int, **extra: Any) -> dict[str, Any]:
    return {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": n}]}, **extra}


def test_checkpoint_schedule() -> None:
    cfg = CheckpointingConfig(enabled=True, initial_iteration=3, interval_iterations=5)
    assert [i for i in range(1, 20) if checkpoint_due(cfg, i)] == [3, 8, 13, 18]
    every = CheckpointingConfig(enabled=True, interval_iterations=4)
    assert [i for i in range(1, 13) if checkpoint_due(every, i)] == [4, 8, 12]
    assert not any(checkpoint_due(CheckpointingConfig(), i) for i in range(1, 10))


def test_checkpoints_hold_the_policy_and_history_so_far(tmp_path: Path) -> None:
    case = case_dir(tmp_path / "case")
    seen: list[int] = []

    def watch(rec: Any) -> None:
        if rec.iteration == 7:  # checkpoint of iteration 6 is published by now
            seen.append(load_history(tmp_path / "out" / "policy").num_rows)

    ckpt = {"checkpointing": {"enabled": True, "interval_iterations": 3}}
    train(case, limit(8, policy=ckpt), progress_callback=watch, output_dir=tmp_path / "out")
    assert seen == [6]
    final = tmp_path / "out" / "policy"
    assert load_history(final).num_rows == 8  # the finished run's policy is resumable too


RUNNER = """
import sys, time
from cobre_core.study_runs import train
train(sys.argv[1], {
    "training": {"stopping_rules": [{"type": "iteration_limit", "limit": 60}]},
    "policy": {"checkpointing": {"enabled": True, "interval_iterations": 4}},
}, output_dir=sys.argv[2], progress_callback=lambda rec: time.sleep(0.05))
"""


def test_a_killed_run_resumes_to_the_same_final_bound(tmp_path: Path) -> None:
    """Killed with SIGKILL after a checkpoint, resumed, the run converges to the same bound.

    The bound is the same at convergence (here the SAA optimum of a 4-stage x 3-opening tree),
    not bit for bit along the way: the resumed lanes start from other simplex bases, and in
    degenerate stage LPs another optimal basis gives other (equally valid) cuts.
    """
    case = case_dir(tmp_path / "case", stages=4, openings=3, method="none")
    reference = train(case, limit(60))

    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(case), str(out)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    policy = out / "policy"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if (policy / "_SUCCESS").exists():
                hist = load_history(policy)
                if hist is not None and 8 <= hist.num_rows < 60:
                    os.kill(proc.pid, signal.SIGKILL)
                    break
            time.sleep(0.02)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    done = load_history(policy).num_rows
    assert done % 4 == 0 and not (out / "training" / "_SUCCESS").exists()

    resumed = train(
        case,
        limit(60, policy={"mode": "resume", "path": str(policy)}),
        output_dir=tmp_path / "resumed",
    )
    assert resumed.iterations == 60
    lbs = resumed.convergence_history.column("lower_bound").to_pylist()
    ref = reference.convergence_history.column("lower_bound").to_pylist()
    assert lbs[:done] == ref[:done]  # the stored history is carried over as is
    assert resumed.final_lower_bound == pytest.approx(reference.final_lower_bound, rel=1e-8)


def test_resume_of_a_finished_run_stops_at_once(tmp_path: Path) -> None:
    case = case_dir(tmp_path / "case")
    train(case, limit(5), output_dir=tmp_path / "a")
    again = train(case, limit(5, policy={"mode": "resume", "path": str(tmp_path / "a/policy")}))
    assert again.iterations == 5 and again.termination_reason == "iteration_limit"


def test_warm_start_begins_at_the_stored_bound(tmp_path: Path) -> None:
    case = case_dir(tmp_path / "case")
    first = train(case, limit(10), output_dir=tmp_path / "a")
    warm = train(case, limit(3, policy={"mode": "warm_start", "path": str(tmp_path / "a/policy")}))
    lbs = warm.convergence_history.column("lower_bound").to_pylist()
    assert lbs[0] >= first.final_lower_bound * (1 - 1e-9)
    assert warm.total_cuts == first.total_cuts + 3 * 2 * 11  # 3 iterations x 2 passes x 11 stages
    assert warm.iterations == 3


def test_resume_needs_a_history_and_a_compatible_policy(tmp_path: Path) -> None:
    case = case_dir(tmp_path / "case")
    bare = train(case, limit(2)).policy.save(tmp_path / "bare")  # no history stored
    with pytest.raises(CobreError) as err:
        train(case, limit(4, policy={"mode": "resume", "path": str(bare)}))
    assert err.value.kind == "CheckpointFailed"
    other = case_dir(tmp_path / "toy", "toy")
    train(other, limit(2), output_dir=tmp_path / "toy-out")
    with pytest.raises(CobreError) as err:
        warm = {"mode": "warm_start", "path": str(tmp_path / "toy-out/policy")}
        train(case, limit(4, policy=warm))
    assert err.value.kind == "IncompatibleRuns"


def test_boundary_cuts_carry_the_rest_of_a_longer_study(tmp_path: Path) -> None:
    """A 3-stage study bounded by a converged 6-stage study's stage-2 cuts has its optimum."""
    full = case_dir(tmp_path / "full", "toy", stages=6, openings=1)
    head = case_dir(tmp_path / "head", "toy", stages=3, openings=1)
    whole = train(full, limit(30), output_dir=tmp_path / "full-out")
    source = tmp_path / "full-out" / "policy"
    boundary = {"boundary": {"path": str(source), "source_stage": 2}}
    bounded = train(head, limit(30, policy=boundary), output_dir=tmp_path / "head-out")
    assert bounded.final_lower_bound == pytest.approx(whole.final_lower_bound, rel=1e-9)
    unbounded = train(head, limit(30))
    assert unbounded.final_lower_bound < 0.99 * whole.final_lower_bound
    # the boundary cuts are part of the written policy, so simulation sees them too
    stored = Policy.load(tmp_path / "head-out" / "policy")
    assert len(stored.stages[-1]) == len(Policy.load(source).stages[2])
    sim = simulate(head, stored, num_scenarios=1)
    costs = sim.tables[0]["costs"].to_pydict()
    # stage 0's objective (its cost plus the discounted future cost) is the whole study's value
    assert costs["total_cost"][0] == pytest.approx(whole.final_lower_bound, rel=1e-9)
    assert costs["future_cost"][-1] > 0  # the last stage pays the boundary's future cost
    assert sim.mean_cost < whole.final_lower_bound


def test_convergence_parquet_in_policy_matches_training_output(tmp_path: Path) -> None:
    case = case_dir(tmp_path / "case")
    train(case, limit(3), output_dir=tmp_path / "out")
    a = pq.read_table(tmp_path / "out" / "policy" / "convergence.parquet")
    b = pq.read_table(tmp_path / "out" / "training" / "convergence.parquet")
    assert a.equals(b)


def test_a_multi_cut_policy_cannot_be_a_boundary(tmp_path: Path) -> None:
    case = case_dir(tmp_path / "case", "toy")
    multi = {
        "stopping_rules": [{"type": "iteration_limit", "limit": 2}],
        "cut_formulation": "multi",
    }
    train(case, {"training": multi}, output_dir=tmp_path / "multi")
    boundary = {"boundary": {"path": str(tmp_path / "multi" / "policy"), "source_stage": 2}}
    with pytest.raises(CobreError) as err:
        train(case, limit(2, policy=boundary))
    assert err.value.kind == "IncompatibleRuns"
