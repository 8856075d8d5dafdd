"""Slow conformance runs: the upstream examples train with their own configs and simulate.

Marked slow: ``make test`` skips them, CI runs them (``pytest -m slow``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pytest

from cobre_core.study_runs import simulate, train

pytestmark = pytest.mark.slow


def test_1dtoy_trains_with_its_config_and_simulates(shared_cases: Path, tmp_path: Path) -> None:
    res = train(shared_cases / "1dtoy", threads=2, output_dir=tmp_path)
    assert res.iterations == 128
    assert res.termination_reason == "iteration_limit"
    lbs = res.convergence_history.column("lower_bound").to_numpy()
    assert np.all(np.diff(lbs) >= -1e-6 * np.abs(lbs[1:]))
    sim = simulate(shared_cases / "1dtoy", res, threads=2, output_dir=tmp_path)
    assert sim.completed == 100
    costs = ds.dataset(tmp_path / "simulation" / "costs", partitioning="hive").to_table()
    assert costs.num_rows == 100 * 4
    # the mean of the simulated totals is an unbiased estimate at or above the lower bound
    assert sim.mean_cost + 3 * sim.std_cost / np.sqrt(100) >= res.final_lower_bound


def test_4ree_trains_and_simulates(shared_cases: Path, tmp_path: Path) -> None:
    overrides = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 40}]}}
    res = train(shared_cases / "4ree", config_overrides=overrides, threads=2, output_dir=tmp_path)
    assert res.iterations == 40
    assert res.final_lower_bound > 0
    sim = simulate(shared_cases / "4ree", res, threads=2, output_dir=tmp_path, num_scenarios=20)
    assert sim.completed == 20
    assert (tmp_path / "simulation" / "_SUCCESS").is_file()
