"""Model of ``scenarios/load_factors.json``: per-block load multipliers by bus and stage."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.ids import Int32


class BlockFactor(CaseModel):
    """Load multiplier of one block."""

    block_id: Int32 = Field(description="Block id within the stage [-]")
    factor: float = Field(
        gt=0.0, allow_inf_nan=False, description="Load multiplier, > 0 and finite [-]"
    )


class LoadFactorEntry(CaseModel):
    """Block load multipliers of one (bus, stage) pair; pairs not listed use factor 1."""

    bus_id: Int32 = Field(description="Bus id [-]")
    stage_id: Int32 = Field(description="Stage id [-]")
    block_factors: tuple[BlockFactor, ...] = Field(description="Per-block multipliers [-]")


class LoadFactorsFile(CaseFileModel):
    """Contents of ``scenarios/load_factors.json`` (optional file)."""

    RELATIVE_PATH: ClassVar[str] = "scenarios/load_factors.json"

    load_factors: tuple[LoadFactorEntry, ...] = Field(description="Load factor entries [-]")
