"""Results: DataFrames over a run directory, with filters and conversions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from cobre_core.errors import CobreError
from cobre_core.examples import write_example
from cobre_core.results.results import Results
from cobre_core.study_runs import simulate, train

ITERS = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 4}]}}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, object]:
    root = tmp_path_factory.mktemp("results")
    case = write_example("toy", root / "case")
    out = root / "out"
    tr = train(case, config_overrides=ITERS, output_dir=out)
    sim = simulate(case, tr, output_dir=out, num_scenarios=8)
    return out, tr, sim


def test_convergence_matches_training(run) -> None:
    out, tr, _ = run
    df = Results.open(out).convergence()
    assert isinstance(df, pd.DataFrame) and len(df) == tr.iterations
    assert df["lower_bound"].iloc[-1] == tr.final_lower_bound


def test_costs_are_scenarios_by_stages_and_sum_to_the_mean_cost(run) -> None:
    out, _, sim = run
    costs = Results.open(out).costs()
    assert len(costs) == 8 * 6
    discounted = (
        (costs["discount_factor"] * costs["immediate_cost"]).groupby(costs["scenario_id"]).sum()
    )
    assert discounted.mean() == pytest.approx(sim.mean_cost, rel=1e-12)


def test_filters_are_applied(run) -> None:
    out, _, _ = run
    res = Results.open(out)
    t = res.thermals(ids=[1], stages=(2, 3), scenarios=(0, 4), to="arrow")
    assert isinstance(t, pa.Table) and t.num_rows == 1 * 2 * 5
    assert set(t["thermal_id"].to_pylist()) == {1}
    full = res.thermals()
    expect = full[(full.thermal_id == 1) & full.stage_id.between(2, 3) & (full.scenario_id <= 4)]
    assert expect.reset_index(drop=True).equals(t.to_pandas())


def test_polars_when_installed(run) -> None:
    pl = pytest.importorskip("polars")
    out, _, _ = run
    assert isinstance(Results.open(out).hydros(to="polars"), pl.DataFrame)


def test_missing_parts_raise_output_errors(tmp_path: Path) -> None:
    res = Results.open(tmp_path)
    with pytest.raises(CobreError) as err:
        res.costs()
    assert err.value.kind == "OutputNotFound"
    with pytest.raises(CobreError):
        res.convergence()
    assert "empty" in repr(res)
