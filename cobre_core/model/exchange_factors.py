"""Model of ``constraints/exchange_factors.json``: per-block line capacity multipliers."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.ids import Int32


class BlockExchangeFactor(CaseModel):
    """Capacity multipliers of a line in one block."""

    block_id: Int32 = Field(description="Block id within the stage [-]")
    direct_factor: float = Field(
        gt=0.0, allow_inf_nan=False, description="Multiplier of direct_mw, > 0 and finite [-]"
    )
    reverse_factor: float = Field(
        gt=0.0, allow_inf_nan=False, description="Multiplier of reverse_mw, > 0 and finite [-]"
    )


class ExchangeFactorEntry(CaseModel):
    """Block capacity multipliers of one (line, stage) pair; pairs not listed use 1."""

    line_id: Int32 = Field(description="Line id [-]")
    stage_id: Int32 = Field(description="Stage id [-]")
    block_factors: tuple[BlockExchangeFactor, ...] = Field(
        description="Per-block capacity multipliers [-]"
    )


class ExchangeFactorsFile(CaseFileModel):
    """Contents of ``constraints/exchange_factors.json`` (optional file)."""

    RELATIVE_PATH: ClassVar[str] = "constraints/exchange_factors.json"

    exchange_factors: tuple[ExchangeFactorEntry, ...] = Field(
        description="Exchange factor entries [-]"
    )
