"""Queries over a run's outputs: filtered, paged or grouped simulation tables, summaries, exports.

Everything here reads through :class:`~cobre_core.results.run_outputs.RunOutputs` and Arrow:
filters go down to the dataset scan (``scenario_id`` prunes partition directories, the other
terms are evaluated by the Parquet reader) and only the requested columns are read. Ungrouped
pages are cut scenario by scenario, so a page reads the few partitions it covers, never the
whole table; rows become Python values only for the page itself.

* :func:`query_table` -- one page of a table (:class:`TableQuery` -> :class:`QueryPage`);
* :func:`export_table` -- every row a query matches, to CSV, JSON Lines, Parquet or Arrow IPC;
* :func:`cost_summary` -- distribution of the per-scenario discounted cost, per-stage means;
* :func:`convergence_summary` -- the final state of training and its history.

Bad arguments raise :class:`~cobre_core.errors.CobreError` with kind ``InvalidQuery``; missing or
unreadable outputs raise :class:`~cobre_core.errors.OutputError` (``OutputNotFound`` /
``OutputCorrupted``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from cobre_core.errors import CobreError, ErrorKind, ErrorRecord, record
from cobre_core.results.atomic import atomic_file
from cobre_core.results.run_outputs import (
    ENTITY_ID_COLUMNS,
    SIMULATE_HINT,
    TRAIN_HINT,
    RunOutputs,
    reading,
    simulation_schema,
)
from cobre_core.results.simulation_tables import COSTS_SCHEMA, SIMULATION_SCHEMAS
from cobre_core.results.table_cache import cached_dataset

GroupBy = Literal["none", "stage", "scenario", "entity", "stage_entity"]
Agg = Literal["mean", "sum", "min", "max", "std"]
ExportFormat = Literal["csv", "json", "parquet", "arrow"]

GROUP_BY_CHOICES: tuple[str, ...] = ("none", "stage", "scenario", "entity", "stage_entity")
AGG_CHOICES: tuple[str, ...] = ("mean", "sum", "min", "max", "std")
EXPORT_FORMATS: tuple[str, ...] = ("csv", "json", "parquet", "arrow")
MAX_LIMIT = 10_000
"""Largest page a query may ask for; use :func:`export_table` for more rows."""

ROW_COUNT = "row_count"
"""Name of the rows-per-group column of grouped results."""

_ARROW_AGG = {"mean": "mean", "sum": "sum", "min": "min", "max": "max", "std": "stddev"}
_PER_STAGE_TABLES = frozenset({"costs"})
"""Tables with one row per stage: ``block_id`` is always null there."""

_COST_TOTALS = ("total_cost", "immediate_cost", "future_cost", "discount_factor")
COST_COMPONENTS: tuple[str, ...] = tuple(
    n for n in COSTS_SCHEMA.names if n.endswith("_cost") and n not in _COST_TOTALS
)
"""Cost columns of the costs table that split ``immediate_cost`` (they overlap:
``hydro_violation_cost`` is the sum of the six hydro violation columns)."""


# -- query ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableQuery:
    """A filtered view of one simulation table, returned one page at a time.

    Filters are inclusive ranges (``None`` = open) on ``stage_id`` and ``scenario_id``, an exact
    ``block_id`` and a set of entity ids (the table's id column, e.g. ``hydro_id``; not for
    ``costs``, which has one row per stage). ``columns`` selects value columns (empty = all); the
    key columns ``scenario_id, stage_id, block_id, <entity id>`` (and ``lag_index`` for
    ``inflow_lags``) always come first in ungrouped results. Rows are sorted by those keys.

    With ``group_by`` other than ``"none"``, rows are aggregated with ``agg`` per stage,
    scenario, entity or (stage, entity); the value columns (the requested ones, else every
    numeric non-key column) come out as ``<column>_<agg>`` after the group keys, followed by
    ``row_count``. ``std`` is the sample standard deviation (null for a one-row group).
    Arguments are checked by :meth:`validate`, which query functions call for you.
    """

    entity: str
    entity_ids: tuple[int, ...] = ()
    stage_min: int | None = None
    stage_max: int | None = None
    scenario_min: int | None = None
    scenario_max: int | None = None
    block_id: int | None = None
    columns: tuple[str, ...] = ()
    group_by: GroupBy = "none"
    agg: Agg = "mean"
    limit: int = 100
    offset: int = 0

    @property
    def id_column(self) -> str | None:
        """The entity id column of the table (``None`` for costs or an unknown table)."""
        return ENTITY_ID_COLUMNS.get(self.entity)

    def key_columns(self) -> list[str]:
        """Columns identifying a row, in sort order."""
        names = SIMULATION_SCHEMAS[self.entity].names
        keys = ["scenario_id", "stage_id"]
        keys += [n for n in ("block_id",) if n in names]
        keys += [self.id_column] if self.id_column else []
        keys += [n for n in ("lag_index",) if n in names]
        return keys

    def group_keys(self) -> list[str]:
        """The grouping columns (empty for ``group_by="none"``)."""
        entity = [self.id_column] if self.id_column else []
        return {
            "none": [],
            "stage": ["stage_id"],
            "scenario": ["scenario_id"],
            "entity": entity,
            "stage_entity": ["stage_id", *entity],
        }[self.group_by]

    def output_columns(self) -> list[str]:
        """Columns read for an ungrouped result: the keys, then the requested value columns."""
        keys = self.key_columns()
        wanted = self.columns or tuple(simulation_schema(self.entity).names)
        return keys + [c for c in dict.fromkeys(wanted) if c not in keys]

    def aggregated_columns(self) -> list[str]:
        """Columns a grouped query aggregates: the requested ones, else numeric non-keys."""
        keys = set(self.group_keys())
        if self.columns:
            return [c for c in dict.fromkeys(self.columns) if c not in keys]
        schema = simulation_schema(self.entity)
        skip = set(self.key_columns())
        return [f.name for f in schema if f.name not in skip and _is_numeric(f.type)]

    def filter_expression(self) -> ds.Expression | None:
        """The row filter as a dataset expression (``None`` when nothing is filtered)."""
        terms: list[ds.Expression] = []
        for name, lo, hi in (
            ("scenario_id", self.scenario_min, self.scenario_max),
            ("stage_id", self.stage_min, self.stage_max),
        ):
            if lo is not None:
                terms.append(ds.field(name) >= int(lo))
            if hi is not None:
                terms.append(ds.field(name) <= int(hi))
        if self.block_id is not None:
            terms.append(ds.field("block_id") == int(self.block_id))
        if self.entity_ids and self.id_column:
            ids = pa.array([int(i) for i in self.entity_ids], pa.int32())
            terms.append(ds.field(self.id_column).isin(ids))
        return functools.reduce(operator.and_, terms) if terms else None

    def validate(self) -> None:
        """Raise ``InvalidQuery`` (one record per problem) when the arguments cannot be run.

        An unknown ``entity`` is not reported here: opening the table reports it as
        ``OutputNotFound`` together with the tables the run has.
        """
        problems = _check_paging(self) + _check_ranges(self) + _check_choices(self)
        if self.entity in SIMULATION_SCHEMAS:
            problems += _check_entity_filters(self) + _check_columns(self)
        if problems:
            raise CobreError(problems)


def _invalid(message: str, suggestion: str, **context: Any) -> ErrorRecord:
    return record(ErrorKind.INVALID_QUERY, message, suggestion, **context)


def _is_numeric(typ: pa.DataType) -> bool:
    return pa.types.is_integer(typ) or pa.types.is_floating(typ)


def _is_int32(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31


def _check_paging(q: TableQuery) -> list[ErrorRecord]:
    out = []
    if not 1 <= q.limit <= MAX_LIMIT:
        out.append(
            _invalid(
                f"limit {q.limit} is outside 1..{MAX_LIMIT}",
                f"Ask for 1 to {MAX_LIMIT} rows per page; export the table for more.",
                field="limit",
                value=q.limit,
                valid=f"1..{MAX_LIMIT}",
            )
        )
    if q.offset < 0:
        out.append(
            _invalid(
                f"offset {q.offset} is negative",
                "Start at offset 0 and follow next_offset.",
                field="offset",
                value=q.offset,
                valid=">= 0",
            )
        )
    return out


def _check_ranges(q: TableQuery) -> list[ErrorRecord]:
    out = []
    for name, lo, hi in (
        ("stage", q.stage_min, q.stage_max),
        ("scenario", q.scenario_min, q.scenario_max),
    ):
        if lo is not None and hi is not None and lo > hi:
            out.append(
                _invalid(
                    f"{name}_min {lo} is greater than {name}_max {hi}",
                    f"Give {name}_min <= {name}_max (both inclusive), or leave one open.",
                    field=f"{name}_min",
                    **{f"{name}_min": lo, f"{name}_max": hi},
                )
            )
    return out


def _check_choices(q: TableQuery) -> list[ErrorRecord]:
    out = []
    for name, value, choices in (
        ("group_by", q.group_by, GROUP_BY_CHOICES),
        ("agg", q.agg, AGG_CHOICES),
    ):
        if value not in choices:
            out.append(
                _invalid(
                    f"{name} {value!r} is not one of {', '.join(choices)}",
                    f"Use one of: {', '.join(choices)}.",
                    field=name,
                    value=value,
                    valid=list(choices),
                )
            )
    return out


def _check_entity_filters(q: TableQuery) -> list[ErrorRecord]:
    out = []
    if not all(_is_int32(i) for i in q.entity_ids):
        out.append(
            _invalid(
                "entity_ids must be 32-bit integers",
                f"Give the integer ids of the {q.entity} table ({q.id_column}).",
                field="entity_ids",
                value=[str(i) for i in q.entity_ids],
                entity=q.entity,
            )
        )
    if q.id_column is None and (q.entity_ids or q.group_by in ("entity", "stage_entity")):
        what = "entity_ids" if q.entity_ids else "group_by"
        out.append(
            _invalid(
                f"the {q.entity} table has one row per stage and no entity id column",
                "Drop entity_ids and use group_by 'none', 'stage' or 'scenario' for costs.",
                field=what,
                value=list(q.entity_ids) if q.entity_ids else q.group_by,
                entity=q.entity,
            )
        )
    names = SIMULATION_SCHEMAS[q.entity].names
    if q.block_id is not None and ("block_id" not in names or q.entity in _PER_STAGE_TABLES):
        out.append(
            _invalid(
                f"the {q.entity} table has no per-block rows",
                "Drop block_id for this table.",
                field="block_id",
                value=q.block_id,
                entity=q.entity,
            )
        )
    return out


def _check_columns(q: TableQuery) -> list[ErrorRecord]:
    schema = simulation_schema(q.entity)
    if isinstance(q.columns, str):
        return [
            _invalid(
                "columns must be a list of column names, not one string",
                f"Pass columns=[{q.columns!r}].",
                field="columns",
                value=q.columns,
                entity=q.entity,
                valid=schema.names,
            )
        ]
    unknown = [c for c in q.columns if c not in schema.names]
    if unknown:
        return [
            _invalid(
                f"unknown column(s) of {q.entity}: {', '.join(unknown)}",
                "Use column names from the valid list.",
                field="columns",
                value=unknown,
                entity=q.entity,
                valid=schema.names,
            )
        ]
    if q.group_by == "none" or q.group_by not in GROUP_BY_CHOICES:
        return []
    bad = [c for c in q.aggregated_columns() if not _is_numeric(schema.field(c).type)]
    if not bad:
        return []
    numeric = [f.name for f in schema if _is_numeric(f.type)]
    return [
        _invalid(
            f"cannot aggregate non-numeric column(s): {', '.join(bad)}",
            "Aggregate numeric columns only, or query with group_by='none'.",
            field="columns",
            value=bad,
            entity=q.entity,
            valid=numeric,
        )
    ]


# -- results -------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    """A JSON-ready Python value: non-finite floats become ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_rows(table: pa.Table) -> list[list[Any]]:
    """The rows of ``table`` as lists of JSON-ready values (NaN and infinities -> ``None``).

    Converts every cell to a Python object: meant for pages and summaries, not whole tables.
    """
    cols = [[_json_value(v) for v in col.to_pylist()] for col in table.columns]
    return [list(row) for row in zip(*cols, strict=True)]


@dataclass(frozen=True)
class QueryPage:
    """One page of a query result: JSON-ready ``rows`` plus the same page as an Arrow ``table``.

    ``total_rows`` counts every row (or group) the query matches; ``next_offset`` is the offset
    of the next page, ``None`` on the last one.
    """

    columns: list[str]
    rows: list[list[Any]]
    total_rows: int
    truncated: bool
    next_offset: int | None
    table: pa.Table = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict without the Arrow table."""
        return {
            "columns": list(self.columns),
            "rows": self.rows,
            "total_rows": self.total_rows,
            "truncated": self.truncated,
            "next_offset": self.next_offset,
        }


def _page(table: pa.Table, total: int, offset: int) -> QueryPage:
    end = offset + table.num_rows
    truncated = end < total
    return QueryPage(
        columns=list(table.column_names),
        rows=json_rows(table),
        total_rows=total,
        truncated=truncated,
        next_offset=end if truncated else None,
        table=table,
    )


# -- scanning ------------------------------------------------------------------------------------

EXPORT_CHUNK_ROWS = 250_000
"""Export reads whole scenarios at a time, about this many rows per read."""


def _and(*terms: ds.Expression | None) -> ds.Expression | None:
    present = [t for t in terms if t is not None]
    return functools.reduce(operator.and_, present) if present else None


def _scenario_counts(dataset: ds.Dataset, expr: ds.Expression | None) -> list[tuple[int, int]]:
    """``(scenario_id, matching rows)`` for each scenario with matching rows, in id order.

    The per-scenario breakdown of ``dataset.count_rows(filter=expr)``: one streamed scan of the
    ``scenario_id`` column (partition-pruned, filter pushed down), batch by batch.
    """
    counts: dict[int, int] = {}
    for batch in dataset.scanner(columns=["scenario_id"], filter=expr).to_batches():
        if batch.num_rows:
            vc = pc.value_counts(batch.column(0))
            ids, ns = vc.field("values").to_pylist(), vc.field("counts").to_pylist()
            for sid, n in zip(ids, ns, strict=True):
                counts[sid] = counts.get(sid, 0) + n
    return sorted(counts.items())


def _read_scenarios(
    dataset: ds.Dataset, q: TableQuery, expr: ds.Expression | None, first: int, last: int
) -> pa.Table:
    """The matching rows of scenarios ``first..last``, projected and sorted by the key columns."""
    sid = ds.field("scenario_id")
    scope = _and(expr, sid >= first, sid <= last)
    table = dataset.to_table(columns=q.output_columns(), filter=scope)
    return table.sort_by([(k, "ascending") for k in q.key_columns()])


def _empty(dataset: ds.Dataset, columns: list[str]) -> pa.Table:
    return pa.schema([dataset.schema.field(c) for c in columns]).empty_table()


def _ungrouped_page(dataset: ds.Dataset, q: TableQuery) -> tuple[pa.Table, int]:
    """The page of an ungrouped query and the total row count.

    Scenarios lead the sort order, so a page lies in a run of consecutive scenarios: the rows
    are counted per scenario, then only the scenarios the page covers are read and sorted.
    """
    expr = q.filter_expression()
    counts = _scenario_counts(dataset, expr)
    total = sum(n for _, n in counts)
    covered: list[int] = []
    skip, start = 0, 0
    for sid, n in counts:
        if start + n > q.offset and start < q.offset + q.limit:
            skip = skip if covered else q.offset - start
            covered.append(sid)
        start += n
    if not covered:
        return _empty(dataset, q.output_columns()), total
    table = _read_scenarios(dataset, q, expr, covered[0], covered[-1])
    return table.slice(skip, q.limit), total


def _scenario_chunks(counts: Sequence[tuple[int, int]], rows: int) -> Iterator[tuple[int, int]]:
    """Ranges ``(first, last)`` of consecutive scenarios holding about ``rows`` rows each."""
    first, acc = None, 0
    for sid, n in counts:
        first = sid if first is None else first
        acc += n
        if acc >= rows:
            yield first, sid
            first, acc = None, 0
    if first is not None:
        yield first, counts[-1][0]


def _grouped_table(dataset: ds.Dataset, q: TableQuery) -> pa.Table:
    """Every group of a grouped query, sorted by the group keys."""
    keys, values = q.group_keys(), q.aggregated_columns()
    table = dataset.to_table(columns=keys + values, filter=q.filter_expression())
    fn = _ARROW_AGG[q.agg]
    options = pc.VarianceOptions(ddof=1) if q.agg == "std" else None
    aggs: list[tuple[Any, ...]] = [(c, fn, options) for c in values]
    aggs.append(([], "count_all"))
    out = table.group_by(keys, use_threads=False).aggregate(aggs)
    names = [f"{c}_{q.agg}" for c in values]
    out = out.rename_columns(
        {f"{c}_{fn}": n for c, n in zip(values, names, strict=True)} | {"count_all": ROW_COUNT}
    )
    return out.select([*keys, *names, ROW_COUNT]).sort_by([(k, "ascending") for k in keys])


def _open(out_dir: str | Path, q: TableQuery) -> tuple[RunOutputs, ds.Dataset]:
    """The run's dataset for ``q.entity`` after checking the query's arguments."""
    outputs = RunOutputs(Path(out_dir))
    dataset = outputs.simulation_dataset(q.entity)
    q.validate()
    if outputs.simulation_complete:
        with reading(outputs.simulation_dir / q.entity, SIMULATE_HINT):
            dataset = cached_dataset(outputs.simulation_dir, q.entity, dataset)
    return outputs, dataset


def query_table(out_dir: str | Path, q: TableQuery) -> QueryPage:
    """One page (``q.offset``, at most ``q.limit`` rows) of a simulation table query.

    For browsing and small answers; use :func:`export_table` to get every matching row into a
    file. Follow ``next_offset`` to page through a result: pages of the same query on the same
    outputs never overlap and together cover every row once.
    """
    outputs, dataset = _open(out_dir, q)
    with reading(outputs.simulation_dir / q.entity, SIMULATE_HINT):
        if q.group_by == "none":
            table, total = _ungrouped_page(dataset, q)
        else:
            groups = _grouped_table(dataset, q)
            table, total = groups.slice(q.offset, q.limit), groups.num_rows
    return _page(table, total, q.offset)


# -- export --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportInfo:
    """What :func:`export_table` wrote: the file, its row count, size in bytes and format."""

    path: Path
    rows: int
    bytes: int
    format: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "path": str(self.path),
            "rows": self.rows,
            "bytes": self.bytes,
            "format": self.format,
        }


def _result_tables(dataset: ds.Dataset, q: TableQuery) -> tuple[pa.Schema, Iterator[pa.Table]]:
    """The full result of ``q`` (no paging) as its schema and an iterator of sorted chunks."""
    if q.group_by != "none":
        groups = _grouped_table(dataset, q)
        return groups.schema, iter([groups])
    expr = q.filter_expression()
    chunks = (
        _read_scenarios(dataset, q, expr, first, last)
        for first, last in _scenario_chunks(_scenario_counts(dataset, expr), EXPORT_CHUNK_ROWS)
    )
    return _empty(dataset, q.output_columns()).schema, chunks


def _write_jsonl(path: Path, schema: pa.Schema, tables: Iterator[pa.Table]) -> int:
    rows = 0
    with open(path, "w", encoding="utf-8") as fh:
        for table in tables:
            for row in json_rows(table):
                obj = dict(zip(schema.names, row, strict=True))
                fh.write(json.dumps(obj, allow_nan=False) + "\n")
                rows += 1
    return rows


def _write_with(writer: Any, tables: Iterator[pa.Table]) -> int:
    rows = 0
    with writer:
        for table in tables:
            writer.write_table(table)
            rows += table.num_rows
    return rows


_WRITERS: dict[str, Callable[[Path, pa.Schema, Iterator[pa.Table]], int]] = {
    "json": _write_jsonl,
    "csv": lambda p, s, t: _write_with(pacsv.CSVWriter(p, s), t),
    "parquet": lambda p, s, t: _write_with(pq.ParquetWriter(p, s), t),
    "arrow": lambda p, s, t: _write_with(pa.ipc.new_file(p, s), t),
}


def export_table(
    out_dir: str | Path, q: TableQuery, fmt: ExportFormat, dest: str | Path
) -> ExportInfo:
    """Write every row ``q`` matches to ``dest``, ignoring ``q.limit`` and ``q.offset``.

    Rows and columns are those of :func:`query_table` (same order, grouped or not), streamed
    one scenario partition at a time when ungrouped. Formats: ``csv`` (header row, empty field
    for null), ``json`` (JSON Lines: one object per row, NaN/inf as null), ``parquet`` and
    ``arrow`` (Arrow IPC file format; both keep the Arrow types). The file is written to a
    hidden temp sibling and renamed into place, so ``dest`` is either untouched or complete.
    """
    if fmt not in EXPORT_FORMATS:
        raise CobreError(
            _invalid(
                f"format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}",
                f"Use one of: {', '.join(EXPORT_FORMATS)}.",
                field="fmt",
                value=fmt,
                valid=list(EXPORT_FORMATS),
            )
        )
    dest = Path(dest)
    if dest.is_dir():
        raise CobreError(
            _invalid(
                f"export destination {dest} is a directory",
                "Give a file path.",
                field="dest",
                value=str(dest),
            )
        )
    outputs, dataset = _open(out_dir, dataclasses.replace(q, limit=1, offset=0))
    with reading(outputs.simulation_dir / q.entity, SIMULATE_HINT):
        schema, tables = _result_tables(dataset, q)
        with atomic_file(dest) as tmp:
            rows = _WRITERS[fmt](tmp, schema, tables)
    return ExportInfo(dest, rows, dest.stat().st_size, fmt)


# -- cost summary --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostSummary:
    """Distribution of the simulated cost per scenario, and where it comes from.

    The cost of a scenario is ``sum over stages of discount_factor * immediate_cost`` from the
    costs table, which is how the simulation accumulates ``SimulationResult.scenario_costs``
    (bit for bit on the toy case with a 12% discount rate): ``discount_factor`` is the
    cumulative factor D_t of the stage, ``immediate_cost`` its undiscounted cost. Summing
    ``immediate_cost`` alone ignores discounting, and ``total_cost`` must not be summed: it is
    the stage LP objective ``immediate_cost + future_cost``, where ``future_cost`` is the
    policy's (one-stage discounted) estimate of the cost still to come.
    ``std`` is the sample standard deviation (0 for one scenario); percentiles interpolate
    linearly (as ``numpy.percentile``). Statistics are ``None`` when no scenario finished.
    ``components`` are the mean per-scenario discounted cost of each cost column (overlapping,
    see :data:`COST_COMPONENTS`). ``per_scenario`` (scenario_id, cost) stays out of ``to_dict``.
    """

    scenarios: int
    complete: bool
    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    p5: float | None
    p50: float | None
    p95: float | None
    per_stage: list[dict[str, Any]]
    components: dict[str, float]
    per_scenario: pa.Table = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict without ``per_scenario``."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out.pop("per_scenario")
        return out


_PER_SCENARIO_SCHEMA = pa.schema(
    [pa.field("scenario_id", pa.int32(), nullable=False), pa.field("cost", pa.float64())]
)


def _scalar(value: pa.Scalar) -> float | None:
    return _json_value(value.as_py())


def _per_stage(costs: pa.Table) -> list[dict[str, Any]]:
    """Means over scenarios of each stage's costs (and the stage's discount factor)."""
    cols = ["discount_factor", "immediate_cost", "discounted_cost", "future_cost", "total_cost"]
    aggs = [(c, "mean") for c in cols]
    aggs += [("immediate_cost", "min"), ("immediate_cost", "max")]
    grouped = costs.group_by("stage_id", use_threads=False).aggregate(aggs).sort_by("stage_id")
    rename = {"discount_factor_mean": "discount_factor"}
    rename |= {f"{c}_mean": f"mean_{c}" for c in cols[1:]}
    rename |= {"immediate_cost_min": "min_immediate_cost"}
    rename |= {"immediate_cost_max": "max_immediate_cost"}
    grouped = grouped.rename_columns(rename)
    order = ["stage_id", *rename.values()]
    table = grouped.select(order)
    return [dict(zip(order, row, strict=True)) for row in json_rows(table)]


def _distribution(totals: pa.ChunkedArray) -> dict[str, float | None]:
    """mean, std, min, max and p5/p50/p95 of the per-scenario costs."""
    n = len(totals)
    if n == 0:
        return dict.fromkeys(("mean", "std", "min", "max", "p5", "p50", "p95"))
    q = [
        _json_value(v)
        for v in pc.quantile(totals, q=[0.05, 0.5, 0.95], interpolation="linear").to_pylist()
    ]
    return {
        "mean": _scalar(pc.mean(totals)),
        "std": _scalar(pc.stddev(totals, ddof=1)) if n > 1 else 0.0,
        "min": _scalar(pc.min(totals)),
        "max": _scalar(pc.max(totals)),
        "p5": q[0],
        "p50": q[1],
        "p95": q[2],
    }


def cost_summary(out_dir: str | Path) -> CostSummary:
    """Summarise the costs table of a simulation (complete or cancelled; see ``complete``).

    Reads only the costs table (a row per scenario and stage). For a cost split per entity
    (plant, bus, ...) query that entity's table instead.
    """
    outputs = RunOutputs(Path(out_dir))
    complete = outputs.simulation_complete
    columns = ["scenario_id", "stage_id", *_COST_TOTALS, *COST_COMPONENTS]
    if "costs" in outputs.simulation_entities():
        with reading(outputs.simulation_dir / "costs", SIMULATE_HINT):
            costs = outputs.simulation_dataset("costs").to_table(columns=columns)
    else:  # a simulation cancelled before its first scenario finished
        costs = simulation_schema("costs").empty_table().select(columns)
    discount = costs["discount_factor"]
    costs = costs.append_column("discounted_cost", pc.multiply(discount, costs["immediate_cost"]))
    per_scenario = (
        costs.group_by("scenario_id", use_threads=False)
        .aggregate([("discounted_cost", "sum")])
        .rename_columns({"discounted_cost_sum": "cost"})
        .select(["scenario_id", "cost"])
        .sort_by("scenario_id")
        .cast(_PER_SCENARIO_SCHEMA)
    )
    n = per_scenario.num_rows
    components = {
        c: (pc.sum(pc.multiply(discount, costs[c])).as_py() or 0.0) / n if n else 0.0
        for c in COST_COMPONENTS
    }
    return CostSummary(
        scenarios=n,
        complete=complete,
        **_distribution(per_scenario["cost"]),
        per_stage=_per_stage(costs),
        components=components,
        per_scenario=per_scenario,
    )


# -- convergence summary -------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvergenceSummary:
    """Where a training run ended, from ``training/convergence.parquet`` and its metadata.

    ``total_time_ms`` sums the per-iteration ``time_total_ms`` (forward + backward + bound;
    a little under the run's wall time). ``total_lp_solves`` is the last row's ``lp_solves``:
    that column is a running total, not a per-iteration count. ``history`` holds the
    convergence rows (the last ``last`` of them when asked) and stays out of ``to_dict``.
    Final values are ``None`` when no iteration completed.
    """

    iterations: int
    final_lower_bound: float | None
    final_upper_bound_mean: float | None
    final_upper_bound_std: float | None
    final_gap_percent: float | None
    termination_reason: str | None
    converged: bool | None
    total_time_ms: int
    total_lp_solves: int
    cuts_active: int
    history: pa.Table = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict without ``history``."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out.pop("history")
        return out


def convergence_summary(out_dir: str | Path, last: int | None = None) -> ConvergenceSummary:
    """Summarise a training run's convergence; ``last`` keeps only the final rows in ``history``.

    For the policy itself use ``RunOutputs(out_dir).policy()``.
    """
    if last is not None and last < 0:
        raise CobreError(
            _invalid(
                f"last {last} is negative",
                "Give last >= 0, or None for the whole history.",
                field="last",
                value=last,
                valid=">= 0 or null",
            )
        )
    outputs = RunOutputs(Path(out_dir))
    history = outputs.convergence()
    meta = outputs.training_metadata().get("convergence", {})
    final = history.slice(history.num_rows - 1).to_pylist()[0] if history.num_rows else {}
    with reading(outputs.training_dir / "convergence.parquet", TRAIN_HINT):
        total_time = pc.sum(history["time_total_ms"]).as_py() or 0
    return ConvergenceSummary(
        iterations=history.num_rows,
        final_lower_bound=_json_value(final.get("lower_bound")),
        final_upper_bound_mean=_json_value(final.get("upper_bound_mean")),
        final_upper_bound_std=_json_value(final.get("upper_bound_std")),
        final_gap_percent=_json_value(final.get("gap_percent")),
        termination_reason=meta.get("termination_reason"),
        converged=meta.get("achieved"),
        total_time_ms=int(total_time),
        total_lp_solves=int(final.get("lp_solves", 0)),
        cuts_active=int(final.get("cuts_active", 0)),
        history=history if last is None else history.slice(max(0, history.num_rows - last)),
    )


__all__ = [
    "AGG_CHOICES",
    "COST_COMPONENTS",
    "EXPORT_FORMATS",
    "GROUP_BY_CHOICES",
    "MAX_LIMIT",
    "ConvergenceSummary",
    "CostSummary",
    "ExportInfo",
    "QueryPage",
    "TableQuery",
    "convergence_summary",
    "cost_summary",
    "export_table",
    "json_rows",
    "query_table",
]
