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
