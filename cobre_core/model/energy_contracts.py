"""Model of ``system/energy_contracts.json``: bilateral import/export contracts.

Parsed for completeness; the stage LP adds nothing for contracts.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.ids import Int32


class ContractLimits(CaseModel):
    """Power bounds of a contract."""

    min_mw: float = Field(description="Minimum contracted power [MW]")
    max_mw: float = Field(description="Maximum contracted power [MW]")


class EnergyContract(CaseModel):
    """One energy contract at a bus."""

    id: Int32 = Field(description="Contract id, unique within the file [-]")
    name: str = Field(description="Human-readable contract name [-]")
    bus_id: Int32 = Field(description="Bus where power is injected or withdrawn [-]")
    type: Literal["import", "export"] = Field(
        description="Direction: import (into the system) or export (out of it) [-]"
    )
    price_per_mwh: float = Field(description="Contract price; may be negative [$/MWh]")
    limits: ContractLimits = Field(description="Power bounds [MW]")
    entry_stage_id: Int32 | None = Field(
        default=None, description="Stage id at which the contract starts; null = always [-]"
    )
    exit_stage_id: Int32 | None = Field(
        default=None, description="Stage id at which the contract expires; null = never [-]"
    )


class EnergyContractsFile(CaseFileModel):
    """Contents of ``system/energy_contracts.json`` (optional file)."""

    RELATIVE_PATH: ClassVar[str] = "system/energy_contracts.json"

    contracts: tuple[EnergyContract, ...] = Field(description="Contract entries [-]")
