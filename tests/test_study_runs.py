"""``run``: upstream's one-call lifecycle (load, train, simulate, write) and its summary dict."""

from __future__ import annotations

import json
from pathlib import Path

import cobre_core
from cobre_core.examples import write_example
from cobre_core.results.atomic import is_complete
from cobre_core.results.results import Results


def test_run_trains_simulates_and_summarises(tmp_path: Path) -> None:
    case = write_example("toy", tmp_path / "case")
    summary = cobre_core.run(case, threads=1)
    out = case / "output"
    assert summary["output_dir"] == str(out.resolve())
    assert is_complete(out / "training") and is_complete(out / "policy")
    assert is_complete(out / "simulation")
    conv = Results.open(out).convergence()
    assert summary["iterations"] == len(conv)
    assert summary["lower_bound"] == conv["lower_bound"].iloc[-1]
    assert summary["converged"] is False  # the toy stops on its iteration limit
    n = json.loads((case / "config.json").read_text())["simulation"]["num_scenarios"]
    assert summary["simulation"] == {"n_scenarios": n, "completed": n}
    assert summary["stochastic"] is None and summary["hydro_models"] is None
    prov = summary["provenance"]
    assert prov["config_hash"].startswith("sha256:") and prov["started_at"] <= prov["finished_at"]
    json.dumps(summary)  # plain JSON


def test_run_can_skip_the_simulation(tmp_path: Path) -> None:
    case = write_example("toy", tmp_path / "case")
    summary = cobre_core.run(case, output_dir=tmp_path / "out", skip_simulation=True)
    assert summary["simulation"] is None
    assert not (tmp_path / "out" / "simulation").exists()


def _with_limit(case_dir: Path, limit: int | None) -> cobre_core.Case:
    from cobre_core.loader import load_case
    from cobre_core.study_runs import resolve_case

    rules = (
        [{"type": "iteration_limit", "limit": limit}]
        if limit
        else [{"type": "time_limit", "seconds": 60}]
    )
    return resolve_case(load_case(case_dir), {"training": {"stopping_rules": rules}})


def test_auto_parallel_picks_processes_only_for_long_runs_on_several_workers(
    tmp_path: Path,
) -> None:
    from cobre_core.study_runs import PROCESSES_MIN_SOLVES, choose_parallel

    root = write_example("toy", tmp_path / "toy")
    short, endless = _with_limit(root, 2), _with_limit(root, None)
    per_iteration = (short.config.training.forward_passes or 1) * sum(
        s.num_openings + 1 for s in short.stages
    )
    long = _with_limit(root, PROCESSES_MIN_SOLVES // per_iteration + 1)
    assert choose_parallel("auto", 2, short) == "threads"
    assert choose_parallel("auto", 2, long) == "processes"
    assert choose_parallel("auto", 2, endless) == "processes"  # no iteration limit
    assert choose_parallel("auto", 1, long) == "threads"  # one worker: nothing to overlap
    assert choose_parallel("threads", 2, long) == "threads"  # an explicit mode stands


def test_an_unknown_parallel_mode_is_a_structured_error(tmp_path: Path) -> None:
    import pytest

    from cobre_core.errors import CobreError

    root = write_example("toy", tmp_path / "toy")
    with pytest.raises(CobreError) as err:
        cobre_core.train(root, threads=2, parallel="fibers")
    assert err.value.records[0].kind == "InvalidEnum"
    assert err.value.records[0].context["field"] == "parallel"
