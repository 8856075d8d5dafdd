"""Model of ``penalties.json``: global penalty cost defaults.

The four sections are required. Plant- or source-level values (hydros.json ``penalties``,
lines.json ``exchange_cost``, non_controllable_sources.json ``curtailment_cost``, buses.json
``deficit_segments``) override these; per-stage parquet overrides come last.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.deficit import DeficitSegment

DEFAULT_INFLOW_NONNEGATIVITY_COST = 1000.0
"""Inflow non-negativity cost [$/(m³/s·h)] used when neither penalties.json nor the plant set it."""


class BusPenalties(CaseModel):
    """Default bus penalties: deficit tiers and excess cost."""

    deficit_segments: tuple[DeficitSegment, ...] = Field(
        description="Default deficit tiers [MW, $/MWh]"
    )
    excess_cost: float = Field(description="Cost of excess (surplus) injection [$/MWh]")


class LinePenalties(CaseModel):
    """Default line penalties."""

    exchange_cost: float = Field(description="Cost of flow on a line, per direction [$/MWh]")


class HydroPenalties(CaseModel):
    """Default hydro penalties; the four directional costs and the inflow cost are optional."""

    spillage_cost: float = Field(description="Spillage cost [$/(m³/s·h)]")
    fpha_turbined_cost: float = Field(
        description="Turbined-flow regularisation cost under FPHA [$/(m³/s·h)]"
    )
    diversion_cost: float = Field(description="Diversion cost [$/(m³/s·h)]")
    storage_violation_below_cost: float = Field(
        description="Storage below minimum (parsed, unused by the LP) [$/hm³]"
    )
    filling_target_violation_cost: float = Field(
        description="Filling target violation (parsed, unused by the LP) [$/hm³]"
    )
    turbined_violation_below_cost: float = Field(
        description="Turbined flow below minimum [$/(m³/s·h)]"
    )
    outflow_violation_below_cost: float = Field(
        description="Total outflow below minimum [$/(m³/s·h)]"
    )
    outflow_violation_above_cost: float = Field(
        description="Total outflow above maximum [$/(m³/s·h)]"
    )
    generation_violation_below_cost: float = Field(description="Generation below minimum [$/MWh]")
    evaporation_violation_cost: float = Field(
        description="Evaporation violation, both directions [$/(m³/s·h)]"
    )
    water_withdrawal_violation_cost: float = Field(
        description="Water withdrawal violation, both directions [$/(m³/s·h)]"
    )
    water_withdrawal_violation_pos_cost: float | None = Field(
        default=None,
        description="Over-withdrawal cost [$/(m³/s·h)]; absent = water_withdrawal_violation_cost",
    )
    water_withdrawal_violation_neg_cost: float | None = Field(
        default=None,
        description="Under-withdrawal cost [$/(m³/s·h)]; absent = water_withdrawal_violation_cost",
    )
    evaporation_violation_pos_cost: float | None = Field(
        default=None,
        description="Over-evaporation cost [$/(m³/s·h)]; absent = evaporation_violation_cost",
    )
    evaporation_violation_neg_cost: float | None = Field(
        default=None,
        description="Under-evaporation cost [$/(m³/s·h)]; absent = evaporation_violation_cost",
    )
    inflow_nonnegativity_cost: float | None = Field(
        default=None,
        description="Negative-inflow slack cost [$/(m³/s·h)]; absent = 1000",
    )

    @property
    def resolved_water_withdrawal_violation_pos_cost(self) -> float:
        """Over-withdrawal cost after falling back to the symmetric cost [$/(m³/s·h)]."""
        if self.water_withdrawal_violation_pos_cost is None:
            return self.water_withdrawal_violation_cost
        return self.water_withdrawal_violation_pos_cost

    @property
    def resolved_water_withdrawal_violation_neg_cost(self) -> float:
        """Under-withdrawal cost after falling back to the symmetric cost [$/(m³/s·h)]."""
        if self.water_withdrawal_violation_neg_cost is None:
            return self.water_withdrawal_violation_cost
        return self.water_withdrawal_violation_neg_cost

    @property
    def resolved_evaporation_violation_pos_cost(self) -> float:
        """Over-evaporation cost after falling back to the symmetric cost [$/(m³/s·h)]."""
        if self.evaporation_violation_pos_cost is None:
            return self.evaporation_violation_cost
        return self.evaporation_violation_pos_cost

    @property
    def resolved_evaporation_violation_neg_cost(self) -> float:
        """Under-evaporation cost after falling back to the symmetric cost [$/(m³/s·h)]."""
        if self.evaporation_violation_neg_cost is None:
            return self.evaporation_violation_cost
        return self.evaporation_violation_neg_cost

    @property
    def resolved_inflow_nonnegativity_cost(self) -> float:
        """Negative-inflow slack cost after falling back to the default 1000 [$/(m³/s·h)]."""
        if self.inflow_nonnegativity_cost is None:
            return DEFAULT_INFLOW_NONNEGATIVITY_COST
        return self.inflow_nonnegativity_cost


class NcsPenalties(CaseModel):
    """Default non-controllable source penalties."""

    curtailment_cost: float = Field(description="Cost of curtailed available generation [$/MWh]")


class PenaltiesFile(CaseFileModel):
    """Contents of ``penalties.json``."""

    RELATIVE_PATH: ClassVar[str] = "penalties.json"

    version: str | None = Field(
        default=None, description="File format version; informational, not validated [-]"
    )
    bus: BusPenalties = Field(description="Bus penalty defaults [$/MWh]")
    line: LinePenalties = Field(description="Line penalty defaults [$/MWh]")
    hydro: HydroPenalties = Field(description="Hydro penalty defaults [$]")
    non_controllable_source: NcsPenalties = Field(
        description="Non-controllable source penalty defaults [$/MWh]"
    )
