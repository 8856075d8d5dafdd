"""Outputs of the result tools: query-results, query-convergence, inspect-policy,
compare-policies, export-results."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, WithJsonSchema

from cobre_mcp.models.common import ToolOutput
from cobre_mcp.models.jobs import IterationRow

JsonScalar = Annotated[
    str | int | float | bool | None,
    WithJsonSchema({"type": ["string", "number", "boolean", "null"]}),
]
"""A table cell. One ``type`` list instead of pydantic's ``anyOf``: clients validate thousands of
cells, and a type list is far cheaper to check."""


class QueryResultsOutput(ToolOutput):
    """One page of a filtered (optionally aggregated) simulation table."""

    entity_type: str
    columns: list[str]
    rows: list[list[JsonScalar]] = Field(description="Row values in `columns` order; NaN is null.")
    total_rows: int = Field(description="Rows matching the filters (before limit/offset).")
    truncated: bool = Field(description="True when more rows follow this page.")
    next_offset: int | None = Field(description="Pass as offset for the next page.")


class QueryConvergenceOutput(ToolOutput):
    """Training convergence: final figures and per-iteration rows."""

    total_iterations: int
    termination_reason: str | None
    final_lower_bound: float | None
    final_upper_bound: float | None
    final_gap_percent: float | None
    total_lp_solves: int
    total_time_ms: int
    cuts_active: int | None
    iterations: list[IterationRow] = Field(description="Rows in [iteration_min, iteration_max].")
    truncated: bool


class InspectPolicyOutput(ToolOutput):
    """Cut counts per stage, and one stage's cuts on request."""

    stages: int
    stage_ids: list[int]
    total_cuts: int
    state_dimension: int
    state_names: list[str] = Field(description="State variables (first 100).")
    cuts_per_stage: list[int]
    cut_formulation: str = Field(
        "single", description="'single', or 'multi' (one future cost per next-stage opening)."
    )
    boundary_cuts: int = Field(
        0, description="Cuts on the last stage: boundary cuts from another study (policy.boundary)."
    )
    stage: int | None = Field(None, description="The inspected stage id, when one was asked.")
    stage_cuts: int | None = None
    intercepts: list[float] = Field(default_factory=list, description="First 100 intercepts ($).")
    coefficients_sample: list[list[float]] = Field(
        default_factory=list, description="Coefficient vectors of the first 10 cuts."
    )
    coefficients_truncated: bool = False


class PolicyFigures(BaseModel):
    """One run in a comparison."""

    output_dir: str
    stages: int
    total_cuts: int
    state_dimension: int
    iterations: int | None
    final_lower_bound: float | None
    final_upper_bound: float | None
    final_gap_percent: float | None
    mean_simulated_cost: float | None


class PolicyDeltas(BaseModel):
    """Second run minus first (``_pct`` relative to the first)."""

    lower_bound_delta: float | None
    lower_bound_delta_pct: float | None
    upper_bound_delta: float | None
    upper_bound_delta_pct: float | None
    cut_count_delta: int
    mean_simulated_cost_delta: float | None


class ComparePoliciesOutput(ToolOutput):
    """Runs side by side; incompatibility is reported here, not as an error."""

    policies: list[PolicyFigures]
    compatible: bool = Field(description="Same stage count and state dimension.")
    incompatibilities: list[str]
    deltas: PolicyDeltas | None = Field(description="For exactly two compatible runs.")


class ExportOutput(ToolOutput):
    """A file written by export-results."""

    file_path: str
    format: str
    rows: int
    size_bytes: int
