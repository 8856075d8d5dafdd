"""Model of ``system/non_controllable_sources.json``: intermittent sources (wind, solar, ...)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.ids import Int32


class NonControllableSource(CaseModel):
    """One non-controllable source whose available generation may be curtailed."""

    id: Int32 = Field(description="Source identifier, unique within the file [-]")
    name: str = Field(description="Human-readable source name [-]")
    bus_id: Int32 = Field(description="Bus where the source's generation is injected [-]")
    max_generation_mw: float = Field(description="Maximum generation (installed capacity) [MW]")
    curtailment_cost: float | None = Field(
        default=None,
        description=(
            "Source-level curtailment cost [$/MWh]; absent or null = penalties.json "
            "non_controllable_source.curtailment_cost"
        ),
    )
    entry_stage_id: Int32 | None = Field(
        default=None, description="Stage id at which the source enters service; null = always [-]"
    )
    exit_stage_id: Int32 | None = Field(
        default=None,
        description="Stage id at which the source is decommissioned; null = never [-]",
    )


class NonControllableSourcesFile(CaseFileModel):
    """Contents of ``system/non_controllable_sources.json`` (optional file)."""

    RELATIVE_PATH: ClassVar[str] = "system/non_controllable_sources.json"

    non_controllable_sources: tuple[NonControllableSource, ...] = Field(
        description="Non-controllable source entries [-]"
    )
