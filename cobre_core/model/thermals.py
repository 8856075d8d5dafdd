"""Model of ``system/thermals.json``: dispatchable thermal plants."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.ids import Int32


class ThermalGeneration(CaseModel):
    """Generation bounds of a thermal plant."""

    min_mw: float = Field(description="Minimum generation (minimum stable load) [MW]")
    max_mw: float = Field(description="Maximum generation (installed capacity) [MW]")


class GnlConfig(CaseModel):
    """GNL (liquefied natural gas) dispatch-anticipation settings of a thermal plant."""

    lag_stages: Int32 = Field(description="Number of stages of dispatch anticipation [stages]")


class Thermal(CaseModel):
    """One thermal plant with a single linear generation cost."""

    id: Int32 = Field(description="Thermal plant identifier, unique within the file [-]")
    name: str = Field(description="Human-readable plant name [-]")
    bus_id: Int32 = Field(description="Bus where the plant's generation is injected [-]")
    cost_per_mwh: float = Field(ge=0.0, description="Marginal generation cost, >= 0 [$/MWh]")
    generation: ThermalGeneration = Field(description="Generation bounds [MW]")
    entry_stage_id: Int32 | None = Field(
        default=None, description="Stage id at which the plant enters service; null = always [-]"
    )
    exit_stage_id: Int32 | None = Field(
        default=None, description="Stage id at which the plant is decommissioned; null = never [-]"
    )
    gnl_config: GnlConfig | None = Field(
        default=None, description="GNL dispatch anticipation; absent or null = no lag [-]"
    )


class ThermalsFile(CaseFileModel):
    """Contents of ``system/thermals.json``."""

    RELATIVE_PATH: ClassVar[str] = "system/thermals.json"

    thermals: tuple[Thermal, ...] = Field(description="Thermal plant entries [-]")
