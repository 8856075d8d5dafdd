"""Model of ``system/lines.json``: transmission lines (interchanges) between buses."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.ids import Int32


class LineCapacity(CaseModel):
    """Flow limits of a line in each direction."""

    direct_mw: float = Field(description="Maximum flow from source to target bus [MW]")
    reverse_mw: float = Field(description="Maximum flow from target to source bus [MW]")


class Line(CaseModel):
    """One transmission line connecting a source bus to a target bus."""

    id: Int32 = Field(description="Line identifier, unique within the file [-]")
    name: str = Field(description="Human-readable line name [-]")
    source_bus_id: Int32 = Field(description="Sending-end bus id (direct flow leaves it) [-]")
    target_bus_id: Int32 = Field(description="Receiving-end bus id (direct flow enters it) [-]")
    entry_stage_id: Int32 | None = Field(
        default=None, description="Stage id at which the line enters service; null = always [-]"
    )
    exit_stage_id: Int32 | None = Field(
        default=None, description="Stage id at which the line is decommissioned; null = never [-]"
    )
    capacity: LineCapacity = Field(description="Direct and reverse flow limits [MW]")
    exchange_cost: float | None = Field(
        default=None,
        description=(
            "Line-level exchange cost per direction [$/MWh]; absent = penalties.json "
            "line.exchange_cost"
        ),
    )
    losses_percent: float = Field(
        default=0.0, description="Transmission losses; parsed but not used by the LP [%]"
    )


class LinesFile(CaseFileModel):
    """Contents of ``system/lines.json``."""

    RELATIVE_PATH: ClassVar[str] = "system/lines.json"

    lines: tuple[Line, ...] = Field(description="Line entries [-]")
