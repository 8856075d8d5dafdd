"""Model of ``system/buses.json``: the electrical buses (network nodes)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.deficit import DeficitSegment
from cobre_core.model.ids import Int32


class Bus(CaseModel):
    """One electrical bus, with an optional bus-specific deficit cost curve."""

    id: Int32 = Field(description="Bus identifier, unique within the file [-]")
    name: str = Field(description="Human-readable bus name [-]")
    deficit_segments: tuple[DeficitSegment, ...] | None = Field(
        default=None,
        description=(
            "Bus-level deficit tiers [MW, $/MWh]; absent or null = the global "
            "penalties.json bus.deficit_segments apply"
        ),
    )


class BusesFile(CaseFileModel):
    """Contents of ``system/buses.json``."""

    RELATIVE_PATH: ClassVar[str] = "system/buses.json"

    buses: tuple[Bus, ...] = Field(description="Bus entries [-]")
