"""Result tools: query-results, query-convergence, inspect-policy, compare-policies (read-only)
and export-results (writes). All read Parquet through pyarrow datasets, never whole outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import numpy as np
import pyarrow.compute as pc
from pydantic import Field

from cobre_core.results.query import (
    TableQuery,
    convergence_summary,
    cost_summary,
    export_table,
    query_table,
)
from cobre_core.results.run_outputs import RunOutputs
from cobre_core.results.simulation_tables import SIMULATION_SCHEMAS
from cobre_mcp.app import App, read_only, writes
from cobre_mcp.errors import ServerErrorKind, tool_failure
from cobre_mcp.models.jobs import IterationRow
from cobre_mcp.models.results import (
    ComparePoliciesOutput,
    ExportOutput,
    InspectPolicyOutput,
    PolicyDeltas,
    PolicyFigures,
    QueryConvergenceOutput,
    QueryResultsOutput,
)

RunDir = Annotated[
    str, Field(description="Run directory written by train/simulate (holds training/, policy/).")
]
EntityType = Literal[tuple(SIMULATION_SCHEMAS)]  # type: ignore[valid-type]
Int = Annotated[int, Field(ge=-1)]
MAX_SAMPLE_CUTS = 10
MAX_LISTED = 100


def _opt(value: int) -> int | None:
    """-1 means 'no bound' in the flat inputs."""
    return None if value < 0 else value


def _table_query(
    entity: str,
    entity_ids: tuple[int, ...],
    columns: tuple[str, ...],
    bounds: tuple[int, int, int, int],
    block_id: int = -1,
    **paging: Any,
) -> TableQuery:
    """The core query for the flat inputs of query-results and export-results.

    ``bounds`` is (stage_min, stage_max, scenario_min, scenario_max); -1 means no bound.
    """
    stage_min, stage_max, scenario_min, scenario_max = bounds
    return TableQuery(
        entity=entity,
        entity_ids=tuple(entity_ids),
        stage_min=_opt(stage_min),
        stage_max=_opt(stage_max),
        scenario_min=_opt(scenario_min),
        scenario_max=_opt(scenario_max),
        block_id=_opt(block_id),
        columns=tuple(columns),
        **paging,
    )


def _pct(delta: float | None, base: float | None) -> float | None:
    if delta is None or base in (None, 0):
        return None
    return 100.0 * delta / abs(base)


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def _figures(run: Path) -> PolicyFigures:
    """Bounds, cuts and mean cost of one run (whatever parts it has)."""
    outputs = RunOutputs(run)
    policy = outputs.policy()
    conv = convergence_summary(run) if outputs.has_training else None
    mean = cost_summary(run).mean if outputs.has_simulation else None
    return PolicyFigures(
        output_dir=str(run),
        stages=len(policy.stage_ids),
        total_cuts=policy.total_cuts,
        state_dimension=policy.state_dimension,
        iterations=conv.iterations if conv else None,
        final_lower_bound=conv.final_lower_bound if conv else None,
        final_upper_bound=conv.final_upper_bound_mean if conv else None,
        final_gap_percent=conv.final_gap_percent if conv else None,
        mean_simulated_cost=mean,
    )


def _compare(runs: list[Path]) -> ComparePoliciesOutput:
    figs = [_figures(r) for r in runs]
    issues = []
    base = figs[0]
    for f in figs[1:]:
        if f.stages != base.stages:
            issues.append(f"{f.output_dir}: {f.stages} stages vs {base.stages}")
        if f.state_dimension != base.state_dimension:
            issues.append(
                f"{f.output_dir}: state dimension {f.state_dimension} vs {base.state_dimension}"
            )
    deltas = None
    if len(figs) == 2 and not issues:
        a, b = figs
        lb, ub = (
            _diff(a.final_lower_bound, b.final_lower_bound),
            _diff(a.final_upper_bound, b.final_upper_bound),
        )
        deltas = PolicyDeltas(
            lower_bound_delta=lb,
            lower_bound_delta_pct=_pct(lb, a.final_lower_bound),
            upper_bound_delta=ub,
            upper_bound_delta_pct=_pct(ub, a.final_upper_bound),
            cut_count_delta=b.total_cuts - a.total_cuts,
            mean_simulated_cost_delta=_diff(a.mean_simulated_cost, b.mean_simulated_cost),
        )
    lbs = ", ".join(
        f"{f.final_lower_bound:,.2f}" if f.final_lower_bound is not None else "n/a" for f in figs
    )
    verdict = "compatible" if not issues else f"INCOMPATIBLE ({len(issues)} differences)"
    return ComparePoliciesOutput(
        summary=f"{len(figs)} runs, {verdict}; lower bounds: {lbs}",
        policies=figs,
        compatible=not issues,
        incompatibilities=issues,
        deltas=deltas,
    )


def register(app: App) -> None:
    """Add the result tools to ``app.server``."""
    mcp = app.server

    def run_dir(raw: str, argument: str = "output_dir") -> Path:
        return app.guard.resolve(raw, argument)

    @mcp.tool(
        name="query-results",
        title="Query simulation tables",
        annotations=read_only("Query simulation tables"),
        description=(
            "Read one simulation table (costs, hydros, thermals, exchanges, buses, "
            "non_controllables, inflow_lags, violations/generic) of a run, filtered by entity "
            "ids, stage, scenario and block ranges (inclusive; -1 = open), with chosen columns, "
            "paged by limit/offset; or aggregated with group_by (stage, scenario, entity, "
            "stage_entity) and agg (mean, sum, min, max, std). Returns columns, rows, total_rows, "
            "truncated, next_offset. Filters are pushed down to Parquet."
        ),
    )
    async def query_results_tool(
        output_dir: RunDir,
        entity_type: EntityType = "costs",  # type: ignore[valid-type]
        entity_ids: tuple[int, ...] = (),
        stage_min: Int = -1,
        stage_max: Int = -1,
        scenario_min: Int = -1,
        scenario_max: Int = -1,
        block_id: Int = -1,
        columns: tuple[str, ...] = (),
        group_by: Literal["none", "stage", "scenario", "entity", "stage_entity"] = "none",
        agg: Literal["mean", "sum", "min", "max", "std"] = "mean",
        limit: Annotated[int, Field(ge=1, le=1000)] = 100,
        offset: Annotated[int, Field(ge=0)] = 0,
    ) -> QueryResultsOutput:
        bounds = (stage_min, stage_max, scenario_min, scenario_max)
        q = _table_query(
            entity_type,
            entity_ids,
            columns,
            bounds,
            block_id,
            group_by=group_by,
            agg=agg,
            limit=limit,
            offset=offset,
        )
        page = await anyio.to_thread.run_sync(query_table, run_dir(output_dir), q)
        shown = len(page.rows)
        more = f", next_offset={page.next_offset}" if page.truncated else ""
        grouped = f" grouped by {group_by} ({agg})" if group_by != "none" else ""
        return QueryResultsOutput(
            summary=f"{entity_type}{grouped}: rows {offset}..{offset + shown - 1} of "
            f"{page.total_rows}{more}"
            if shown
            else f"{entity_type}: no rows match",
            entity_type=entity_type,
            columns=page.columns,
            rows=page.rows,
            total_rows=page.total_rows,
            truncated=page.truncated,
            next_offset=page.next_offset,
        )

    @mcp.tool(
        name="query-convergence",
        title="Training convergence",
        annotations=read_only("Training convergence"),
        description=(
            "Per-iteration lower bound, upper bound (mean, std), gap and timings of a training "
            "run, plus the termination reason and totals. iteration_min/max (-1 = open) select "
            "rows; at most `limit` rows are returned (the last ones)."
        ),
    )
    async def query_convergence_tool(
        output_dir: RunDir,
        iteration_min: Int = -1,
        iteration_max: Int = -1,
        limit: Annotated[int, Field(ge=1, le=2000)] = 200,
    ) -> QueryConvergenceOutput:
        summary = await anyio.to_thread.run_sync(convergence_summary, run_dir(output_dir))
        hist = summary.history
        mask = None
        it = hist["iteration"]
        if iteration_min >= 0:
            mask = pc.greater_equal(it, iteration_min)
        if iteration_max >= 0:
            upper = pc.less_equal(it, iteration_max)
            mask = upper if mask is None else pc.and_(mask, upper)
        if mask is not None:
            hist = hist.filter(mask)
        truncated = hist.num_rows > limit
        hist = hist.slice(max(0, hist.num_rows - limit))
        rows = [IterationRow.model_validate(r) for r in hist.to_pylist()]
        lb = summary.final_lower_bound
        gap = summary.final_gap_percent
        return QueryConvergenceOutput(
            summary=(
                f"{summary.iterations} iterations ({summary.termination_reason}); final lower "
                f"bound {lb:,.2f}, gap {gap:.3f}%"
                if lb is not None and gap is not None
                else f"{summary.iterations} iterations ({summary.termination_reason})"
            ),
            total_iterations=summary.iterations,
            termination_reason=summary.termination_reason,
            final_lower_bound=lb,
            final_upper_bound=summary.final_upper_bound_mean,
            final_gap_percent=gap,
            total_lp_solves=summary.total_lp_solves,
            total_time_ms=summary.total_time_ms,
            cuts_active=summary.cuts_active,
            iterations=rows,
            truncated=truncated,
        )

    @mcp.tool(
        name="inspect-policy",
        title="Inspect a policy",
        annotations=read_only("Inspect a policy"),
        description=(
            "Cuts per stage and the state variables of a trained policy (output_dir/policy). "
            "With stage=<stage id>, also that stage's intercepts (first 100) and the coefficient "
            "vectors of its first 10 cuts."
        ),
    )
    async def inspect_policy_tool(output_dir: RunDir, stage: Int = -1) -> InspectPolicyOutput:
        outputs = RunOutputs(run_dir(output_dir))
        policy = await anyio.to_thread.run_sync(outputs.policy)
        counts = [len(s) for s in policy.stages]
        extras = [f"{policy.cut_formulation}-cut"] if policy.cut_formulation != "single" else []
        if counts and counts[-1]:
            extras.append(f"{counts[-1]} boundary cuts")
        out = InspectPolicyOutput(
            summary=f"{policy.total_cuts} cuts over {len(counts)} stages, state dimension "
            f"{policy.state_dimension}" + "".join(f", {e}" for e in extras),
            stages=len(counts),
            stage_ids=list(policy.stage_ids),
            total_cuts=policy.total_cuts,
            state_dimension=policy.state_dimension,
            state_names=list(policy.state_names[:MAX_LISTED]),
            cuts_per_stage=counts,
            cut_formulation=policy.cut_formulation,
            boundary_cuts=counts[-1] if counts else 0,
        )
        if stage < 0:
            return out
        if stage not in policy.stage_ids:
            raise tool_failure(
                ServerErrorKind.INVALID_ARGUMENT,
                f"stage {stage} is not a stage of this policy",
                f"Use a stage id between {policy.stage_ids[0]} and {policy.stage_ids[-1]}.",
                stage=stage,
            )
        sc = policy.stages[policy.stage_ids.index(stage)]
        sample = np.asarray(sc.coefficients[:MAX_SAMPLE_CUTS], dtype=float)
        return out.model_copy(
            update={
                "summary": out.summary + f"; stage {stage} has {len(sc)} cuts",
                "stage": stage,
                "stage_cuts": len(sc),
                "intercepts": [float(x) for x in sc.intercepts[:MAX_LISTED]],
                "coefficients_sample": sample.tolist(),
                "coefficients_truncated": len(sc) > MAX_SAMPLE_CUTS,
            }
        )

    @mcp.tool(
        name="compare-policies",
        title="Compare runs",
        annotations=read_only("Compare runs"),
        description=(
            "Compare two or more run directories side by side: stages, cuts, state dimension, "
            "iterations, final bounds and gap, mean simulated cost, compatibility, and for two "
            "compatible runs the deltas (second minus first)."
        ),
    )
    async def compare_policies_tool(
        output_dirs: Annotated[tuple[str, ...], Field(min_length=2, max_length=10)],
    ) -> ComparePoliciesOutput:
        runs = [run_dir(d, "output_dirs") for d in output_dirs]
        return await anyio.to_thread.run_sync(_compare, runs)

    @mcp.tool(
        name="export-results",
        title="Export a table",
        annotations=writes("Export a table", idempotent=True),
        description=(
            "Write a filtered simulation table (same filters as query-results, without paging) "
            "to a CSV, JSON Lines, Parquet or Arrow IPC file. file_path defaults to "
            "<output_dir>/exports/<entity>.<ext>; an existing file is replaced atomically. "
            "Needs --allow-write."
        ),
    )
    async def export_results_tool(
        output_dir: RunDir,
        entity_type: EntityType = "costs",  # type: ignore[valid-type]
        format: Literal["csv", "json", "parquet", "arrow"] = "csv",
        file_path: Annotated[str, Field(description="Destination file; see default.")] = "",
        entity_ids: tuple[int, ...] = (),
        stage_min: Int = -1,
        stage_max: Int = -1,
        scenario_min: Int = -1,
        scenario_max: Int = -1,
        columns: tuple[str, ...] = (),
    ) -> ExportOutput:
        app.guard.require_write("export-results")
        run = run_dir(output_dir)
        ext = {"csv": "csv", "json": "jsonl", "parquet": "parquet", "arrow": "arrow"}[format]
        default = run / "exports" / f"{entity_type.replace('/', '_')}.{ext}"
        dest = app.guard.writable(file_path or str(default), "file_path", "export-results")
        bounds = (stage_min, stage_max, scenario_min, scenario_max)
        q = _table_query(entity_type, entity_ids, columns, bounds)
        info = await anyio.to_thread.run_sync(export_table, run, q, format, dest)
        return ExportOutput(
            summary=f"wrote {info.rows} rows of {entity_type} to {info.path} "
            f"({info.bytes:,} bytes, {format})",
            file_path=str(info.path),
            format=format,
            rows=info.rows,
            size_bytes=info.bytes,
        )
