"""Case tools: load-case, validate, list-scenarios, get-config-schema (all read-only)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import Field

from cobre_core.schema_export import CASE_FILE_MODELS, schema_text
from cobre_core.system.overview import case_overview, scenario_overview
from cobre_core.validation import validate
from cobre_mcp.app import App, read_only
from cobre_mcp.models.cases import (
    ConfigSchemaOutput,
    ListScenariosOutput,
    LoadCaseOutput,
    ValidateOutput,
    ValidationTotals,
)

CaseId = Annotated[str, Field(description="Handle from load-case; or pass case_dir instead.")]
CaseDir = Annotated[str, Field(description="Case directory (inside the allowed directories).")]
SchemaFile = Literal[tuple(sorted(CASE_FILE_MODELS))]  # type: ignore[valid-type]
MAX_WARNINGS = 20


def register(app: App) -> None:
    """Add the case tools to ``app.server``."""
    mcp = app.server

    @mcp.tool(
        name="load-case",
        title="Load a case",
        annotations=read_only("Load a case"),
        description=(
            "Validate and load a Cobre case directory (config.json, stages.json, system/, "
            "scenarios/) and return a case_id handle plus an overview: entity counts, stages, "
            "blocks, openings, scenario source, files present and a config digest. Pass the "
            "case_id to validate, list-scenarios, train and simulate. Handles last as long as the "
            "server's state directory. An invalid case fails with the first error record; call "
            "validate for the full report."
        ),
    )
    def load_case_tool(case_dir: CaseDir) -> LoadCaseOutput:
        path = app.guard.resolve(case_dir, "case_dir")
        case_id, case = app.cases.load(path)
        ov = case_overview(case)
        ent = ov["entities"]
        return LoadCaseOutput(
            summary=(
                f"loaded {path.name} as {case_id}: {ent['hydros']} hydros, {ent['thermals']} "
                f"thermals, {ent['buses']} buses, {ov['stages']} stages, "
                f"{len(case.warnings)} warnings"
            ),
            case_id=case_id,
            warnings=list(case.warnings[:MAX_WARNINGS]),
            warning_count=len(case.warnings),
            **ov,
        )

    @mcp.tool(
        name="validate",
        title="Validate a case",
        annotations=read_only("Validate a case"),
        description=(
            "Run the 5-layer validation (structural, schema, referential, dimensional, "
            "semantic) on a case directory or a loaded case_id. Returns valid, error and warning "
            "records {kind, message, context, suggestion} and totals. An invalid case is a normal "
            "result (valid=false), not a tool error."
        ),
    )
    def validate_tool(
        case_dir: CaseDir = "",
        case_id: CaseId = "",
        max_records: Annotated[int, Field(ge=1, le=500)] = 50,
    ) -> ValidateOutput:
        path, _ = app.cases.resolve(case_id, case_dir)
        report = validate(path)
        s = report.summary
        truncated = len(report.errors) > max_records or len(report.warnings) > max_records
        verdict = "valid" if report.valid else "INVALID"
        return ValidateOutput(
            summary=(
                f"{path.name} is {verdict}: {s.error_count} errors, {s.warning_count} warnings "
                f"({s.files_checked} files, {s.layers_completed} layers)"
            ),
            valid=report.valid,
            errors=list(report.errors[:max_records]),
            warnings=list(report.warnings[:max_records]),
            totals=ValidationTotals.model_validate(s, from_attributes=True),
            truncated=truncated,
        )

    @mcp.tool(
        name="list-scenarios",
        title="Scenario overview",
        annotations=read_only("Scenario overview"),
        description=(
            "Describe where a case's uncertainty comes from: scenario source, inflow method, "
            "seed, openings per stage, stochastic hydros, load buses and non-controllable "
            "sources, the PAR order of each hydro, and the sampling scheme of each noise class "
            "in training and in simulation."
        ),
    )
    def list_scenarios_tool(case_id: CaseId = "", case_dir: CaseDir = "") -> ListScenariosOutput:
        cid, case = app.cases.case_for(case_id, case_dir)
        ov = scenario_overview(case)
        return ListScenariosOutput(
            summary=(
                f"{ov['scenario_source']} scenarios, {ov['stochastic_hydros']} stochastic hydros, "
                f"PAR order up to {ov['max_par_order']}, {ov['openings_per_stage'][0]} openings "
                f"per stage, seed {ov['seed']}; training samples {ov['training_sampling']}"
            ),
            case_id=cid,
            **ov,
        )

    @mcp.tool(
        name="get-config-schema",
        title="Case file JSON Schema",
        annotations=read_only("Case file JSON Schema"),
        description=(
            "JSON Schema (draft 2020-12) of config.json, or of another case file named by "
            "`file` (hydros, thermals, stages, ...). Use it to write or fix case files."
        ),
    )
    def config_schema_tool(file: SchemaFile = "config") -> ConfigSchemaOutput:  # type: ignore[valid-type]
        model = CASE_FILE_MODELS[file]
        schema = json.loads(schema_text(model))
        return ConfigSchemaOutput(
            summary=f"JSON Schema of {model.RELATIVE_PATH} ({len(schema.get('properties', {}))} "
            "top-level properties)",
            file=model.RELATIVE_PATH,
            available_files=sorted(CASE_FILE_MODELS),
            json_schema=schema,
        )
