"""Tests of the generated cases (``cobre_core.examples.generated``).

Small sizes only: they must validate without errors, agree across files (the bundled examples'
consistency checker), come out the same for the same seed, and a tiny one must train.
"""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cobre_core.examples.generated import build_generated, main, write_generated_case
from cobre_core.loader import load_case as load_cobre_case
from cobre_core.study_runs import train
from cobre_core.validation import validate
from tests.examples.test_examples import consistency_problems, hydro_cycle, load_case

SIZES: list[dict[str, Any]] = [
    {"hydros": 4, "stages": 12, "openings": 10},
    {"hydros": 7, "stages": 14, "openings": 3, "buses": 4, "blocks": 3},
    {"hydros": 2, "stages": 3, "openings": 2, "buses": 1, "thermals": 1},
]
"""Small sizes that exercise a full year, a horizon past one year with three blocks, and a
single-bus system without lines."""


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Return whether two in-memory cases hold identical files."""
    if a.keys() != b.keys():
        return False
    for key, value in a.items():
        other = b[key]
        if isinstance(value, pa.Table):
            if not (isinstance(other, pa.Table) and value.equals(other)):
                return False
        elif value != other:
            return False
    return True


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "-".join(f"{k}{v}" for k, v in s.items()))
def test_generated_case_validates(tmp_path: Path, size: dict[str, Any]) -> None:
    """Each small size passes every validation layer and the cross-file consistency checks."""
    case_dir = write_generated_case(tmp_path / "case", **size)
    report = validate(case_dir)
    assert report.valid, [e.message for e in report.errors]
    assert report.errors == ()
    assert consistency_problems(load_case(case_dir)) == []


def test_generated_shape() -> None:
    """Sizes, openings, cascades, PAR(1) coverage and the stage calendar are as requested."""
    files = build_generated(hydros=7, stages=14, openings=3, buses=4, blocks=3)
    hydros = files["system/hydros.json"]["hydros"]
    assert len(hydros) == 7
    assert hydro_cycle(hydros) is None
    downstream = [h["downstream_id"] for h in hydros]
    assert downstream == [1, 2, None, 4, 5, None, None]  # basins of 3 in series, then 1 alone
    assert len(files["system/buses.json"]["buses"]) == 4
    assert len(files["system/lines.json"]["lines"]) == 4  # a ring of 4 buses
    assert len(files["system/thermals.json"]["thermals"]) == 8  # max(2 * buses, hydros // 2)
    stages = files["stages.json"]["stages"]
    assert [s["id"] for s in stages] == list(range(14))
    assert {s["num_scenarios"] for s in stages} == {3}
    assert {len(s["blocks"]) for s in stages} == {3}
    assert stages[12]["start_date"] == "2026-01-01" and stages[12]["season_id"] == 0
    assert files["config.json"]["training"]["forward_passes"] == 2
    stats = files["scenarios/inflow_seasonal_stats.parquet"].to_pylist()
    assert {(r["hydro_id"], r["stage_id"]) for r in stats} == {
        (h, s) for h in range(7) for s in range(-1, 14)
    }
    ar = files["scenarios/inflow_ar_coefficients.parquet"].to_pylist()
    assert len(ar) == 7 * 14 and {r["lag"] for r in ar} == {1}
    assert "scenarios/load_factors.json" in files
    assert "scenarios/load_factors.json" not in build_generated(hydros=2, stages=2, openings=2)


def test_generated_is_deterministic() -> None:
    """The same arguments give identical files; another seed gives other plants."""
    assert _same(build_generated(5, 6, 4, seed=3), build_generated(5, 6, 4, seed=3))
    assert not _same(build_generated(5, 6, 4, seed=3), build_generated(5, 6, 4, seed=4))


def test_generated_rejects_bad_sizes(tmp_path: Path) -> None:
    """Sizes below 1 and unsupported block counts are refused, as is a non-empty directory."""
    with pytest.raises(ValueError, match="hydros"):
        build_generated(hydros=0)
    with pytest.raises(ValueError, match="blocks"):
        build_generated(blocks=2)
    dest = tmp_path / "case"
    write_generated_case(dest, 2, 2, 2)
    with pytest.raises(FileExistsError):
        write_generated_case(dest, 3, 2, 2)
    write_generated_case(dest, 3, 2, 2, overwrite=True)
    assert consistency_problems(load_case(dest)) == []


def test_generated_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m cobre_core.examples.generated DEST --hydros N`` writes the case."""
    dest = tmp_path / "cli"
    assert main([str(dest), "--hydros", "3", "--stages", "2", "--openings", "2"]) == 0
    assert capsys.readouterr().out.strip() == str(dest.resolve())
    assert (dest / "system/hydros.json").is_file()
    assert main([str(dest)]) == 1
    assert "not empty" in capsys.readouterr().err


def test_tiny_generated_case_trains(tmp_path: Path) -> None:
    """A tiny generated case trains a few iterations with a finite, non-decreasing lower bound."""
    case_dir = write_generated_case(tmp_path / "case", hydros=3, stages=4, openings=3)
    overrides = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 5}]}}
    res = train(load_cobre_case(case_dir), config_overrides=overrides, threads=1)
    assert res.iterations == 5
    bounds = res.convergence_history.column("lower_bound").to_pylist()
    assert all(math.isfinite(b) and b > 0 for b in bounds)
    assert all(b2 >= b1 - 1e-6 * abs(b1) for b1, b2 in pairwise(bounds))
    assert res.lp_solves > 0
