"""Outputs of the case tools: load-case, validate, list-scenarios, get-config-schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from cobre_core.errors import ErrorRecord
from cobre_mcp.models.common import ToolOutput


class EntityCounts(BaseModel):
    hydros: int
    thermals: int
    buses: int
    lines: int
    non_controllable_sources: int


class LoadCaseOutput(ToolOutput):
    """A loaded, validated case and its handle."""

    case_id: str = Field(description="Opaque handle for later tools (case_id=...).")
    case_dir: str
    entities: EntityCounts
    stages: int
    blocks_per_stage: list[int]
    openings_per_stage: list[int]
    scenario_source: str = Field(
        description="'user' (PAR statistics given), 'estimated' (fitted from inflow history) "
        "or 'none'."
    )
    max_par_order: int
    state_dimension: int
    files_present: list[str]
    config_digest: str | None = Field(description="sha256 of config.json's bytes.")
    warnings: list[ErrorRecord] = Field(description="Validation warnings (first 20).")
    warning_count: int


class ValidationTotals(BaseModel):
    files_checked: int
    entities_validated: int
    layers_completed: int
    error_count: int
    warning_count: int


class ValidateOutput(ToolOutput):
    """The 5-layer validation report. An invalid case is a normal result (valid=false)."""

    valid: bool
    errors: list[ErrorRecord] = Field(description="Errors, at most `max_records`.")
    warnings: list[ErrorRecord] = Field(description="Warnings, at most `max_records`.")
    totals: ValidationTotals = Field(description="Counts (upstream's validate `summary`).")
    truncated: bool = Field(description="True when errors or warnings were cut to max_records.")


class ParOrder(BaseModel):
    hydro_id: int
    max_order: int


class ListScenariosOutput(ToolOutput):
    """Where the case's uncertainty comes from and how it is sampled."""

    case_id: str
    scenario_source: str
    inflow_method: str
    seed: int
    stages: int
    openings_per_stage: list[int]
    stochastic_hydros: int
    stochastic_load_buses: list[int]
    stochastic_non_controllables: list[int]
    noise_dimension: int
    max_par_order: int
    par_orders: list[ParOrder]
    simulation_scenarios: int
    training_sampling: str = Field(
        description="Forward-pass scheme per noise class: 'inflow=..., load=..., ncs=...' "
        "(in_sample, out_of_sample, external or historical)."
    )
    simulation_sampling: str = Field(
        description="Simulation scheme per noise class, same form (training's when unset)."
    )


class ConfigSchemaOutput(ToolOutput):
    """A case file's JSON Schema (draft 2020-12)."""

    file: str
    available_files: list[str]
    json_schema: dict[str, Any] = Field(description="The JSON Schema document.")
