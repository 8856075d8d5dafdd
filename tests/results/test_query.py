"""Queries over run outputs, checked against a naive pandas reading of the same Parquet files.

One toy run is built per module: 5 training iterations, 20 simulated scenarios, and an annual
discount rate of 12% patched into stages.json so that discounting shows in the cost totals.
"""

from __future__ import annotations

import itertools
import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from cobre_core.errors import VALIDATION_KINDS, CobreError, ErrorKind, OutputError
from cobre_core.examples import write_example
from cobre_core.results.query import (
    MAX_LIMIT,
    TableQuery,
    convergence_summary,
    cost_summary,
    export_table,
    query_table,
)
from cobre_core.study_runs import SimulationResult, TrainingResult, simulate, train

SHORT = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 5}]}}
SCENARIOS = 20
STAGES = 6


@dataclass(frozen=True)
class Run:
    out: Path
    training: TrainingResult
    simulation: SimulationResult


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("query")
    case = write_example("toy", root / "case")
    stages = json.loads((case / "stages.json").read_text())
    stages["policy_graph"]["annual_discount_rate"] = 0.12
    (case / "stages.json").write_text(json.dumps(stages))
    out = root / "out"
    res = train(case, config_overrides=SHORT, output_dir=out)
    sim = simulate(case, res, output_dir=out, num_scenarios=SCENARIOS)
    return Run(out, res, sim)


_FRAMES: dict[tuple[Path, str], pd.DataFrame] = {}


def naive(out: Path, entity: str) -> pd.DataFrame:
    """The whole table read file by file into pandas, scenario id taken from the directory."""
    key = (out, entity)
    if key not in _FRAMES:
        parts = []
        for path in sorted((out / "simulation" / entity).glob("scenario_id=*/data.parquet")):
            df = pq.read_table(path).to_pandas()
            df.insert(0, "scenario_id", int(path.parent.name.split("=")[1]))
            parts.append(df)
        _FRAMES[key] = pd.concat(parts, ignore_index=True)
    return _FRAMES[key]


def naive_filter(df: pd.DataFrame, q: TableQuery) -> pd.DataFrame:
    mask = pd.Series(True, index=df.index)
    for col, lo, hi in (
        ("scenario_id", q.scenario_min, q.scenario_max),
        ("stage_id", q.stage_min, q.stage_max),
    ):
        if lo is not None:
            mask &= df[col] >= lo
        if hi is not None:
            mask &= df[col] <= hi
    if q.block_id is not None:
        mask &= df["block_id"] == q.block_id
    if q.entity_ids:
        mask &= df[q.id_column].isin(q.entity_ids)
    return df[mask]


def as_rows(df: pd.DataFrame) -> list[list]:
    """DataFrame rows as JSON-ready lists (NaN -> None), like QueryPage.rows."""
    values = df.astype(object).where(df.notna(), None).to_numpy().tolist()
    return [[v.item() if isinstance(v, np.generic) else v for v in row] for row in values]


def invalid(out: Path, **kwargs) -> CobreError:
    with pytest.raises(CobreError) as info:
        query_table(out, TableQuery(**kwargs))
    assert info.value.kind == ErrorKind.INVALID_QUERY, info.value
    return info.value


FILTERS = [
    TableQuery("thermals"),
    TableQuery("thermals", entity_ids=(1,), stage_min=2),
    TableQuery("thermals", scenario_min=3, scenario_max=11, stage_max=3, block_id=0),
    TableQuery("hydros", stage_min=1, stage_max=4, columns=("storage_final_hm3", "inflow_m3s")),
    TableQuery("buses", block_id=1),
    TableQuery("costs", scenario_min=15, columns=("immediate_cost", "discount_factor")),
    TableQuery("inflow_lags", entity_ids=(0, 5), scenario_max=4),
    TableQuery("hydros", scenario_min=19, scenario_max=30),
]


# -- ErrorKind -------------------------------------------------------------------------------------


def test_invalid_query_kind_follows_cancelled() -> None:
    kinds = list(ErrorKind)
    assert kinds[kinds.index(ErrorKind.CANCELLED) + 1] is ErrorKind.INVALID_QUERY
    assert ErrorKind.INVALID_QUERY == "InvalidQuery"
    assert len(VALIDATION_KINDS) == 14 and ErrorKind.INVALID_QUERY not in VALIDATION_KINDS


# -- ungrouped pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("q", FILTERS, ids=lambda q: q.entity)
def test_filtered_rows_equal_naive_pandas(run: Run, q: TableQuery) -> None:
    page = query_table(run.out, replace(q, limit=MAX_LIMIT))
    want = naive_filter(naive(run.out, q.entity), q)
    want = want.sort_values(q.key_columns(), kind="stable")[q.output_columns()]
    assert page.total_rows == len(want) == page.table.num_rows
    assert page.columns == q.output_columns() == page.table.column_names
    assert page.rows == as_rows(want)
    assert not page.truncated and page.next_offset is None


def test_columns_put_keys_first_then_requested_order(run: Run) -> None:
    q = TableQuery("hydros", columns=("storage_final_hm3", "hydro_id", "turbined_m3s"), limit=1)
    page = query_table(run.out, q)
    keys = ["scenario_id", "stage_id", "block_id", "hydro_id"]
    assert page.columns == [*keys, "storage_final_hm3", "turbined_m3s"]
    assert query_table(run.out, TableQuery("inflow_lags", limit=1)).columns == [
        "scenario_id",
        "stage_id",
        "hydro_id",
        "lag_index",
        "inflow_m3s",
    ]


def test_paging_covers_every_row_exactly_once(run: Run) -> None:
    base = TableQuery("thermals", stage_min=1, scenario_max=14, limit=7)
    full = query_table(run.out, replace(base, limit=MAX_LIMIT))
    rows, offset, pages = [], 0, 0
    while offset is not None:
        page = query_table(run.out, replace(base, offset=offset))
        assert page.total_rows == full.total_rows == 15 * 5 * 2
        assert len(page.rows) == min(7, full.total_rows - offset)
        assert page.truncated == (page.next_offset is not None)
        rows += page.rows
        offset, pages = page.next_offset, pages + 1
    assert rows == full.rows and pages == -(-full.total_rows // 7)
    past = query_table(run.out, replace(base, offset=10_000))
    assert past.rows == [] and past.total_rows == full.total_rows and not past.truncated
    assert past.columns == full.columns


def test_page_is_json_ready(run: Run) -> None:
    page = query_table(run.out, TableQuery("thermals", limit=3))
    d = page.to_dict()
    assert "table" not in d and json.loads(json.dumps(d, allow_nan=False)) == d
    gnl = page.columns.index("gnl_committed_mw")
    assert all(row[gnl] is None for row in page.rows)  # null column -> None


# -- grouped ---------------------------------------------------------------------------------------

GROUPS = {
    "stage": ["stage_id"],
    "scenario": ["scenario_id"],
    "entity": ["thermal_id"],
    "stage_entity": ["stage_id", "thermal_id"],
}


@pytest.mark.parametrize("group_by", list(GROUPS))
def test_grouped_means_equal_pandas(run: Run, group_by: str) -> None:
    q = TableQuery("thermals", group_by=group_by, stage_min=1, limit=MAX_LIMIT)  # type: ignore[arg-type]
    page = query_table(run.out, q)
    keys = GROUPS[group_by]
    values = ["generation_mw", "generation_mwh", "generation_cost"]
    df = naive_filter(naive(run.out, "thermals"), q)
    want = df.groupby(keys, sort=True)[[*values, "operative_state_code"]].mean().reset_index()
    got = page.table.to_pandas()
    assert page.columns[: len(keys)] == keys and page.columns[-1] == "row_count"
    assert "gnl_committed_mw_mean" in page.columns and "is_gnl_mean" not in page.columns
    assert page.total_rows == len(want)
    np.testing.assert_array_equal(got[keys].to_numpy(), want[keys].to_numpy())
    for col in [*values, "operative_state_code"]:
        np.testing.assert_allclose(got[f"{col}_mean"], want[col], rtol=1e-12, atol=1e-9)
    sizes = df.groupby(keys, sort=True).size().to_numpy()
    np.testing.assert_array_equal(got["row_count"], sizes)


@pytest.mark.parametrize("agg", ["sum", "min", "max", "std"])
def test_other_aggregations_equal_pandas(run: Run, agg: str) -> None:
    q = TableQuery("hydros", group_by="stage", agg=agg, columns=("storage_final_hm3",))  # type: ignore[arg-type]
    page = query_table(run.out, q)
    assert page.columns == ["stage_id", f"storage_final_hm3_{agg}", "row_count"]
    grouped = naive(run.out, "hydros").groupby("stage_id")["storage_final_hm3"]
    want = getattr(grouped, agg)().to_numpy()  # pandas std is the sample std (ddof=1)
    np.testing.assert_allclose(page.table[f"storage_final_hm3_{agg}"], want, rtol=1e-9)


def test_grouped_paging(run: Run) -> None:
    q = TableQuery("hydros", group_by="scenario", columns=("turbined_m3s",), limit=6, offset=12)
    page = query_table(run.out, q)
    assert page.total_rows == SCENARIOS and page.truncated and page.next_offset == 18
    assert [r[0] for r in page.rows] == list(range(12, 18))


# -- errors ----------------------------------------------------------------------------------------


def test_bad_column_names_the_value_and_the_choices(run: Run) -> None:
    err = invalid(run.out, entity="hydros", columns=("storage_final_hm3", "volume"))
    assert err.context["value"] == ["volume"] and err.context["field"] == "columns"
    assert "storage_final_hm3" in err.context["valid"] and "scenario_id" in err.context["valid"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"entity": "hydros", "stage_min": 4, "stage_max": 2}, "stage_min"),
        ({"entity": "hydros", "scenario_min": 9, "scenario_max": 1}, "scenario_min"),
        ({"entity": "hydros", "limit": 0}, "limit"),
        ({"entity": "hydros", "limit": MAX_LIMIT + 1}, "limit"),
        ({"entity": "hydros", "offset": -1}, "offset"),
        ({"entity": "costs", "entity_ids": (0,)}, "entity_ids"),
        ({"entity": "hydros", "entity_ids": ("0",)}, "entity_ids"),
        ({"entity": "hydros", "entity_ids": (2**40,)}, "entity_ids"),
        ({"entity": "hydros", "columns": "turbined_m3s"}, "columns"),
        ({"entity": "costs", "group_by": "entity"}, "group_by"),
        ({"entity": "costs", "block_id": 0}, "block_id"),
        ({"entity": "inflow_lags", "block_id": 0}, "block_id"),
        ({"entity": "thermals", "group_by": "stage", "columns": ("is_gnl",)}, "columns"),
        ({"entity": "thermals", "group_by": "month"}, "group_by"),
        ({"entity": "thermals", "agg": "median"}, "agg"),
    ],
)
def test_invalid_arguments(run: Run, kwargs: dict, field: str) -> None:
    err = invalid(run.out, **kwargs)
    assert err.context["field"] == field and err.suggestion


def test_every_problem_is_reported(run: Run) -> None:
    err = invalid(run.out, entity="hydros", limit=0, offset=-2, stage_min=3, stage_max=1)
    assert [r.context["field"] for r in err.records] == ["limit", "offset", "stage_min"]


def test_missing_simulation_is_not_found(run: Run, tmp_path: Path) -> None:
    shutil.copytree(run.out / "training", tmp_path / "training")
    for fn in (lambda: query_table(tmp_path, TableQuery("costs")), lambda: cost_summary(tmp_path)):
        with pytest.raises(OutputError) as info:
            fn()
        assert info.value.kind == ErrorKind.OUTPUT_NOT_FOUND
        assert "simulate(" in info.value.suggestion
    with pytest.raises(OutputError) as info:
        convergence_summary(tmp_path / "nothing")
    assert info.value.kind == ErrorKind.OUTPUT_NOT_FOUND and "train(" in info.value.suggestion


def test_unreadable_partition_is_corrupted(run: Run, tmp_path: Path) -> None:
    out = Path(shutil.copytree(run.out / "simulation", tmp_path / "simulation")).parent
    (out / "simulation" / "costs" / "scenario_id=0002" / "data.parquet").write_bytes(b"junk")
    with pytest.raises(OutputError) as info:
        query_table(out, TableQuery("costs"))
    assert info.value.kind == ErrorKind.OUTPUT_CORRUPTED
    assert info.value.context["file"].endswith("costs")


# -- summaries -------------------------------------------------------------------------------------


def test_cost_summary_matches_simulation_result(run: Run) -> None:
    s = cost_summary(run.out)
    costs = run.simulation.scenario_costs
    assert s.scenarios == SCENARIOS and s.complete
    assert s.per_scenario["scenario_id"].to_pylist() == list(range(SCENARIOS))
    np.testing.assert_allclose(s.per_scenario["cost"], costs, rtol=1e-9)
    assert s.mean == pytest.approx(run.simulation.mean_cost, rel=1e-12)
    assert s.std == pytest.approx(run.simulation.std_cost, rel=1e-9)
    assert (s.min, s.max) == (pytest.approx(costs.min()), pytest.approx(costs.max()))
    p5, p50, p95 = np.percentile(s.per_scenario["cost"].to_numpy(), [5, 50, 95])
    assert [s.p5, s.p50, s.p95] == pytest.approx([p5, p50, p95], rel=1e-12)
    np.testing.assert_allclose([s.p5, s.p50, s.p95], np.percentile(costs, [5, 50, 95]), 1e-9)
    parts = sum(v for c, v in s.components.items() if c != "hydro_violation_cost")
    assert parts == pytest.approx(s.mean, rel=1e-9)  # the components split the immediate cost
    d = s.to_dict()
    assert "per_scenario" not in d and json.loads(json.dumps(d, allow_nan=False)) == d


def test_cost_summary_discounts_and_per_stage_means(run: Run) -> None:
    df = naive(run.out, "costs")
    undiscounted = df.groupby("scenario_id")["immediate_cost"].sum().to_numpy()
    assert not np.allclose(undiscounted, run.simulation.scenario_costs, rtol=1e-6)
    s = cost_summary(run.out)
    assert [r["stage_id"] for r in s.per_stage] == list(range(STAGES))
    stage = df.groupby("stage_id")
    np.testing.assert_allclose(
        [r["mean_immediate_cost"] for r in s.per_stage], stage["immediate_cost"].mean(), 1e-12
    )
    np.testing.assert_allclose(
        [r["mean_total_cost"] for r in s.per_stage], stage["total_cost"].mean(), 1e-12
    )
    factors = [r["discount_factor"] for r in s.per_stage]
    assert factors[0] == 1.0 and all(a > b for a, b in itertools.pairwise(factors))


def test_convergence_summary_matches_training_result(run: Run) -> None:
    res = run.training
    c = convergence_summary(run.out)
    assert c.iterations == res.iterations == 5
    assert c.final_lower_bound == res.final_lower_bound
    assert c.final_upper_bound_mean == res.final_upper_bound
    assert c.final_upper_bound_std == res.final_upper_bound_std
    if res.final_lower_bound > 0:
        assert c.final_gap_percent == pytest.approx(100 * res.final_gap, rel=1e-12)
    assert c.termination_reason == res.termination_reason == "iteration_limit"
    assert c.converged is False
    assert c.total_lp_solves == res.lp_solves and c.cuts_active == res.total_cuts
    history = res.convergence_history
    assert c.total_time_ms == sum(history["time_total_ms"].to_pylist())
    assert c.total_time_ms <= res.wall_time_ms + res.iterations
    assert c.history.equals(history)
    assert convergence_summary(run.out, last=2).history.equals(history.slice(3))
    assert convergence_summary(run.out, last=0).history.num_rows == 0
    assert "history" not in c.to_dict()
    with pytest.raises(CobreError) as info:
        convergence_summary(run.out, last=-1)
    assert info.value.kind == ErrorKind.INVALID_QUERY


# -- export ----------------------------------------------------------------------------------------


def read_back(path: Path, fmt: str, schema: pa.Schema) -> pa.Table:
    if fmt == "parquet":
        return pq.read_table(path)
    if fmt == "arrow":
        with pa.ipc.open_file(path) as reader:
            return reader.read_all()
    if fmt == "csv":
        types = {f.name: f.type for f in schema}
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
    lines = path.read_text().splitlines()
    return pa.Table.from_pylist([json.loads(line) for line in lines], schema=schema)


EXPORTS = [
    TableQuery("thermals", stage_min=2, entity_ids=(0,), limit=3, offset=5),
    TableQuery("hydros", group_by="stage_entity", agg="std", limit=1),
]


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "arrow"])
@pytest.mark.parametrize("q", EXPORTS, ids=["rows", "grouped"])
def test_export_round_trips(run: Run, tmp_path: Path, fmt: str, q: TableQuery) -> None:
    dest = tmp_path / "sub" / f"export.{fmt}"
    info = export_table(run.out, q, fmt, dest)  # type: ignore[arg-type]
    want = query_table(run.out, replace(q, limit=MAX_LIMIT, offset=0))
    assert info.path == dest and info.format == fmt and info.bytes == dest.stat().st_size
    assert info.rows == want.total_rows == want.table.num_rows > 3  # limit/offset ignored
    got = read_back(dest, fmt, want.table.schema)
    assert got.column_names == want.columns
    if fmt == "json":
        assert [list(r.values()) for r in map(json.loads, dest.read_text().splitlines())] == (
            want.rows
        )
    elif fmt == "csv":
        assert got.cast(want.table.schema).to_pylist() == want.table.to_pylist()
    else:
        assert got.equals(want.table, check_metadata=False)
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no temp file left behind


def test_export_rejects_bad_format_and_directory(run: Run, tmp_path: Path) -> None:
    for fmt, dest in (("xlsx", tmp_path / "x"), ("csv", tmp_path)):
        with pytest.raises(CobreError) as info:
            export_table(run.out, TableQuery("costs"), fmt, dest)  # type: ignore[arg-type]
        assert info.value.kind == ErrorKind.INVALID_QUERY
    assert list(tmp_path.iterdir()) == []
