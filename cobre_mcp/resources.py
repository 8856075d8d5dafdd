"""``cobre://`` resources: case config and entities, convergence, result tables, policy summary.

URIs name server-minted handles (``case_id`` from load-case, ``job_id`` from train/simulate),
never file paths. Every resource is JSON; tables are row-capped (``RESOURCE_ROW_CAP``) with
``total_rows`` and ``truncated`` so an agent knows to switch to query-results. Failures are
resource errors whose message is the error record as JSON.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from cobre_core.errors import CobreError
from cobre_core.results.query import TableQuery, convergence_summary, json_rows, query_table
from cobre_core.results.run_outputs import RunOutputs
from cobre_core.system.overview import case_overview
from cobre_mcp.app import App
from cobre_mcp.errors import ServerErrorKind, record_for_exception, tool_failure

RESOURCE_ROW_CAP = 1000
JSON = "application/json"

ENTITY_TYPES = ("hydros", "thermals", "buses", "lines", "non_controllables")


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=1, default=str)


def _guarded(fn: Callable[..., Any]) -> Callable[..., str]:
    """Run a resource body; any failure becomes a ResourceError carrying the record as JSON."""

    def wrapper(*args: Any, **kwargs: Any) -> str:
        try:
            return _dump(fn(*args, **kwargs))
        except CobreError as exc:
            rec = record_for_exception("resource", exc)
            cls = ResourceNotFoundError if rec.kind.endswith("NotFound") else ResourceError
            raise cls(json.dumps(rec.to_dict())) from None
        except Exception as exc:
            rec = record_for_exception("resource", exc)
            raise ResourceError(json.dumps(rec.to_dict())) from None

    return functools.wraps(fn)(wrapper)


def register(app: App) -> None:
    """Add the resource templates to ``app.server``."""
    mcp = app.server

    def run_dir(job_id: str) -> Path:
        job = app.jobs.get(job_id)
        return app.guard.resolve(job.params["output_dir"], "job_id")

    @mcp.resource(
        "cobre://cases/{case_id}/config",
        name="case-config",
        title="Case config.json",
        description="The case's config.json as loaded (defaults filled in).",
        mime_type=JSON,
    )
    @_guarded
    def case_config(case_id: str) -> Any:
        return app.cases.get(case_id).config.model_dump(mode="json", by_alias=True)

    @mcp.resource(
        "cobre://cases/{case_id}/overview",
        name="case-overview",
        title="Case overview",
        description="Entity counts, stages, blocks, openings, files and config digest.",
        mime_type=JSON,
    )
    @_guarded
    def case_overview_resource(case_id: str) -> Any:
        return case_overview(app.cases.get(case_id))

    @mcp.resource(
        "cobre://cases/{case_id}/entities/{entity_type}",
        name="case-entities",
        title="Case entities",
        description="One entity registry of the case (hydros, thermals, buses, lines, "
        "non_controllables) as loaded.",
        mime_type=JSON,
    )
    @_guarded
    def case_entities(case_id: str, entity_type: str) -> Any:
        if entity_type not in ENTITY_TYPES:
            raise tool_failure(
                ServerErrorKind.INVALID_ARGUMENT,
                f"unknown entity type {entity_type!r}",
                f"Use one of {', '.join(ENTITY_TYPES)}.",
                entity_type=entity_type,
            )
        entities = getattr(app.cases.get(case_id), entity_type)
        return [e.model_dump(mode="json", by_alias=True) for e in entities]

    @mcp.resource(
        "cobre://jobs/{job_id}/convergence",
        name="run-convergence",
        title="Training convergence",
        description=f"Convergence rows of a train job's run (last {RESOURCE_ROW_CAP}).",
        mime_type=JSON,
    )
    @_guarded
    def run_convergence(job_id: str) -> Any:
        summary = convergence_summary(run_dir(job_id), last=RESOURCE_ROW_CAP)
        table = summary.history
        return {
            **summary.to_dict(),
            "columns": table.column_names,
            "rows": json_rows(table),
            "truncated": summary.iterations > table.num_rows,
        }

    @mcp.resource(
        "cobre://jobs/{job_id}/results/{entity_type}",
        name="run-results",
        title="Simulation table",
        description=f"First {RESOURCE_ROW_CAP} rows of a simulation table of a job's run "
        "(write violations/generic as violations-generic); use query-results for more.",
        mime_type=JSON,
    )
    @_guarded
    def run_results(job_id: str, entity_type: str) -> Any:
        entity = entity_type.replace("-", "/")
        page = query_table(run_dir(job_id), TableQuery(entity=entity, limit=RESOURCE_ROW_CAP))
        return {
            "entity_type": entity,
            "columns": page.columns,
            "rows": page.rows,
            "total_rows": page.total_rows,
            "truncated": page.truncated,
        }

    @mcp.resource(
        "cobre://jobs/{job_id}/policy",
        name="run-policy",
        title="Policy summary",
        description="Stages, cuts per stage and state dimension of a job's trained policy.",
        mime_type=JSON,
    )
    @_guarded
    def run_policy(job_id: str) -> Any:
        policy = RunOutputs(run_dir(job_id)).policy()
        return {
            "stages": len(policy.stage_ids),
            "stage_ids": list(policy.stage_ids),
            "total_cuts": policy.total_cuts,
            "state_dimension": policy.state_dimension,
            "state_names": list(policy.state_names),
            "cuts_per_stage": [len(s) for s in policy.stages],
        }
