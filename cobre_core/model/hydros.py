"""Model of ``system/hydros.json``: hydro plants with reservoir, turbines and cascade links.

Sub-objects that come in several kinds are tagged unions: ``generation`` on ``model``
(``constant_productivity``, ``linearized_head``, ``fpha``) and ``tailrace``, ``hydraulic_losses``
and ``efficiency`` on ``type``. The FPHA generation variant carries no productivity.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.ids import Int32

# ── reservoir and outflow ────────────────────────────────────────────────────


class Reservoir(CaseModel):
    """Storage bounds of a hydro reservoir."""

    min_storage_hm3: float = Field(description="Minimum operational storage (dead volume) [hm³]")
    max_storage_hm3: float = Field(description="Maximum operational storage [hm³]")


class Outflow(CaseModel):
    """Bounds on total outflow (turbined + spilled + diverted) of a hydro plant."""

    min_outflow_m3s: float = Field(description="Minimum total outflow [m³/s]")
    max_outflow_m3s: float | None = Field(
        default=None, description="Maximum total outflow [m³/s]; null = no upper bound"
    )


# ── generation (tagged on "model") ───────────────────────────────────────────


class _GenerationBounds(CaseModel):
    """Turbine-flow and generation bounds shared by every generation model."""

    min_turbined_m3s: float = Field(description="Minimum turbined flow [m³/s]")
    max_turbined_m3s: float = Field(description="Maximum turbined flow [m³/s]")
    min_generation_mw: float = Field(description="Minimum electrical generation [MW]")
    max_generation_mw: float = Field(description="Maximum electrical generation [MW]")


class ConstantProductivityGeneration(_GenerationBounds):
    """Generation = productivity × turbined flow, with a fixed productivity."""

    model: Literal["constant_productivity"] = Field(description="Generation model tag [-]")
    productivity_mw_per_m3s: float = Field(
        description="Power per unit of turbined flow [MW/(m³/s)]"
    )


class LinearizedHeadGeneration(_GenerationBounds):
    """Head-dependent productivity linearised at a reference head (LP uses it as constant)."""

    model: Literal["linearized_head"] = Field(description="Generation model tag [-]")
    productivity_mw_per_m3s: float = Field(
        description="Nominal power per unit of turbined flow at the reference head [MW/(m³/s)]"
    )


class FphaGeneration(_GenerationBounds):
    """Hydro production function approximated by hyperplanes (FPHA); no productivity field."""

    model: Literal["fpha"] = Field(description="Generation model tag [-]")


HydroGeneration = Annotated[
    ConstantProductivityGeneration | LinearizedHeadGeneration | FphaGeneration,
    Field(discriminator="model"),
]
"""Generation sub-object of a hydro, discriminated by its ``model`` key."""

GenerationModelName = Literal["constant_productivity", "linearized_head", "fpha"]
"""Names of the hydro generation models, as used by ``model`` tags."""


# ── tailrace (tagged on "type") ──────────────────────────────────────────────


class TailracePoint(CaseModel):
    """One breakpoint of a piecewise-linear tailrace curve."""

    outflow_m3s: float = Field(description="Total outflow at this breakpoint [m³/s]")
    height_m: float = Field(description="Downstream water level (tailrace height) [m]")


class PolynomialTailrace(CaseModel):
    """Tailrace height as a polynomial of total outflow."""

    type: Literal["polynomial"] = Field(description="Tailrace model tag [-]")
    coefficients: tuple[float, ...] = Field(
        description="Coefficients in ascending power order [m, m/(m³/s), m/(m³/s)², ...]"
    )


class PiecewiseTailrace(CaseModel):
    """Tailrace height as a piecewise-linear curve of total outflow."""

    type: Literal["piecewise"] = Field(description="Tailrace model tag [-]")
    points: tuple[TailracePoint, ...] = Field(description="Curve breakpoints [m³/s, m]")


Tailrace = Annotated[PolynomialTailrace | PiecewiseTailrace, Field(discriminator="type")]
"""Tailrace sub-object of a hydro, discriminated by its ``type`` key."""


# ── hydraulic losses (tagged on "type") ──────────────────────────────────────


class FactorHydraulicLosses(CaseModel):
    """Penstock losses as a fraction of the net head."""

    type: Literal["factor"] = Field(description="Hydraulic-loss model tag [-]")
    value: float = Field(description="Loss factor, fraction of net head [-]")


class ConstantHydraulicLosses(CaseModel):
    """Penstock losses as a fixed head loss."""

    type: Literal["constant"] = Field(description="Hydraulic-loss model tag [-]")
    value_m: float = Field(description="Fixed head loss [m]")


HydraulicLosses = Annotated[
    FactorHydraulicLosses | ConstantHydraulicLosses, Field(discriminator="type")
]
"""Hydraulic-losses sub-object of a hydro, discriminated by its ``type`` key."""


# ── efficiency (tagged on "type"; upstream has a single variant) ─────────────


class ConstantEfficiency(CaseModel):
    """Turbine-generator efficiency that is constant over all operating points."""

    type: Literal["constant"] = Field(description="Efficiency model tag [-]")
    value: float = Field(gt=0.0, le=1.0, description="Efficiency, a fraction in (0, 1] [-]")


Efficiency = ConstantEfficiency
"""Efficiency sub-object of a hydro; ``constant`` is upstream's only variant, so a wrong
``type`` tag is reported as a literal mismatch."""


# ── optional features ────────────────────────────────────────────────────────


class Evaporation(CaseModel):
    """Monthly evaporation data of a reservoir (index 0 = January ... 11 = December)."""

    coefficients_mm: tuple[float, ...] = Field(
        description="Evaporation coefficient per calendar month, 12 values [mm/month]"
    )
    reference_volumes_hm3: tuple[float, ...] | None = Field(
        default=None,
        description=(
            "Linearisation storage per calendar month, 12 values [hm³]; absent = midpoint "
            "of the storage range"
        ),
    )


class DiversionChannel(CaseModel):
    """A channel that diverts water from this plant to another hydro."""

    downstream_id: Int32 = Field(description="Hydro receiving the diverted water [-]")
    max_flow_m3s: float = Field(description="Maximum diversion flow [m³/s]")


class FillingConfig(CaseModel):
    """Reservoir filling operation (new reservoir being filled)."""

    start_stage_id: Int32 = Field(description="Stage id at which filling begins (inclusive) [-]")
    filling_inflow_m3s: float = Field(
        default=0.0,
        description="Constant inflow applied during filling [m³/s]; absent = passive filling (0)",
    )


class HydroPenaltyOverrides(CaseModel):
    """Plant-level overrides of the global hydro penalties; null/absent = global default."""

    spillage_cost: float | None = Field(default=None, description="Spillage cost [$/(m³/s·h)]")
    diversion_cost: float | None = Field(default=None, description="Diversion cost [$/(m³/s·h)]")
    fpha_turbined_cost: float | None = Field(
        default=None, description="Turbined-flow regularisation cost under FPHA [$/(m³/s·h)]"
    )
    storage_violation_below_cost: float | None = Field(
        default=None, description="Storage below minimum (parsed, unused by the LP) [$/hm³]"
    )
    filling_target_violation_cost: float | None = Field(
        default=None, description="Filling target violation (parsed, unused by the LP) [$/hm³]"
    )
    turbined_violation_below_cost: float | None = Field(
        default=None, description="Turbined flow below minimum [$/(m³/s·h)]"
    )
    outflow_violation_below_cost: float | None = Field(
        default=None, description="Total outflow below minimum [$/(m³/s·h)]"
    )
    outflow_violation_above_cost: float | None = Field(
        default=None, description="Total outflow above maximum [$/(m³/s·h)]"
    )
    generation_violation_below_cost: float | None = Field(
        default=None, description="Generation below minimum [$/MWh]"
    )
    evaporation_violation_cost: float | None = Field(
        default=None, description="Evaporation violation, both directions [$/(m³/s·h)]"
    )
    water_withdrawal_violation_cost: float | None = Field(
        default=None, description="Water withdrawal violation, both directions [$/(m³/s·h)]"
    )
    inflow_nonnegativity_cost: float | None = Field(
        default=None, description="Negative-inflow slack cost [$/(m³/s·h)]"
    )


# ── the plant ────────────────────────────────────────────────────────────────


class Hydro(CaseModel):
    """One hydro plant: reservoir, outflow bounds, generation model and optional features."""

    id: Int32 = Field(description="Hydro plant identifier, unique within the file [-]")
    name: str = Field(description="Human-readable plant name [-]")
    bus_id: Int32 = Field(description="Bus where the plant's generation is injected [-]")
    downstream_id: Int32 | None = Field(
        default=None, description="Downstream plant in the cascade; null = none [-]"
    )
    entry_stage_id: Int32 | None = Field(
        default=None, description="Stage id at which the plant enters service; null = always [-]"
    )
    exit_stage_id: Int32 | None = Field(
        default=None, description="Stage id at which the plant is decommissioned; null = never [-]"
    )
    reservoir: Reservoir = Field(description="Storage bounds [hm³]")
    outflow: Outflow = Field(description="Total outflow bounds [m³/s]")
    generation: HydroGeneration = Field(
        description="Generation model and turbine/generation bounds [m³/s, MW]"
    )
    tailrace: Tailrace | None = Field(
        default=None, description="Tailrace elevation model; absent or null = none [m]"
    )
    hydraulic_losses: HydraulicLosses | None = Field(
        default=None, description="Penstock loss model; absent or null = lossless [-]"
    )
    efficiency: Efficiency | None = Field(
        default=None, description="Turbine efficiency model; absent or null = 100% [-]"
    )
    evaporation: Evaporation | None = Field(
        default=None, description="Monthly evaporation; absent or null = no evaporation [mm]"
    )
    diversion: DiversionChannel | None = Field(
        default=None, description="Diversion channel; absent or null = none [m³/s]"
    )
    filling: FillingConfig | None = Field(
        default=None, description="Reservoir filling operation; absent or null = none [-]"
    )
    penalties: HydroPenaltyOverrides | None = Field(
        default=None, description="Plant-level penalty overrides; absent = global defaults [$]"
    )


class HydrosFile(CaseFileModel):
    """Contents of ``system/hydros.json``."""

    RELATIVE_PATH: ClassVar[str] = "system/hydros.json"

    hydros: tuple[Hydro, ...] = Field(description="Hydro plant entries [-]")
