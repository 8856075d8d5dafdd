"""Cached tables answer like the files and are dropped when the run is re-simulated."""

from __future__ import annotations

from pathlib import Path

from cobre_core.examples import write_example
from cobre_core.results import table_cache
from cobre_core.results.query import TableQuery, query_table
from cobre_core.study_runs import simulate, train

ITERS = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 2}]}}


def test_cache_matches_files_and_follows_reruns(tmp_path: Path) -> None:
    case = write_example("toy", tmp_path / "case")
    out = tmp_path / "out"
    tr = train(case, config_overrides=ITERS, output_dir=out)
    simulate(case, tr, output_dir=out, num_scenarios=4)
    q = TableQuery("hydros", stage_min=1, limit=5, offset=3)
    table_cache.clear()
    cold = query_table(out, q)
    warm = query_table(out, q)
    assert warm.rows == cold.rows and warm.total_rows == cold.total_rows == 4 * 5
    simulate(case, tr, output_dir=out, num_scenarios=6)
    assert query_table(out, q).total_rows == 6 * 5
