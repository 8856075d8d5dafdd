"""Model of ``system/pumping_stations.json``: stations pumping water between reservoirs.

Parsed for completeness; the stage LP adds nothing for pumping stations.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.ids import Int32


class PumpingFlow(CaseModel):
    """Pumped-flow bounds of a station."""

    min_m3s: float = Field(description="Minimum pumped flow [m³/s]")
    max_m3s: float = Field(description="Maximum pumped flow [m³/s]")


class PumpingStation(CaseModel):
    """One pumping station moving water from a source to a destination reservoir."""

    id: Int32 = Field(description="Station id, unique within the file [-]")
    name: str = Field(description="Human-readable station name [-]")
    bus_id: Int32 = Field(description="Bus supplying the pumping power [-]")
    source_hydro_id: Int32 = Field(description="Hydro whose reservoir water is taken from [-]")
    destination_hydro_id: Int32 = Field(description="Hydro whose reservoir receives water [-]")
    consumption_mw_per_m3s: float = Field(
        description="Power consumed per unit of pumped flow [MW/(m³/s)]"
    )
    flow: PumpingFlow = Field(description="Pumped-flow bounds [m³/s]")
    entry_stage_id: Int32 | None = Field(
        default=None, description="Stage id at which the station enters service; null = always [-]"
    )
    exit_stage_id: Int32 | None = Field(
        default=None,
        description="Stage id at which the station is decommissioned; null = never [-]",
    )


class PumpingStationsFile(CaseFileModel):
    """Contents of ``system/pumping_stations.json`` (optional file)."""

    RELATIVE_PATH: ClassVar[str] = "system/pumping_stations.json"

    pumping_stations: tuple[PumpingStation, ...] = Field(description="Station entries [-]")
