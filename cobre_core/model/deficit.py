"""Deficit cost tiers, shared by ``system/buses.json`` and ``penalties.json``."""

from __future__ import annotations

from pydantic import Field

from cobre_core.model.base import CaseModel


class DeficitSegment(CaseModel):
    """One tier of a bus's piecewise-linear deficit (unserved load) cost."""

    depth_mw: float | None = Field(
        default=None,
        description="Width of this tier [MW]; null means unbounded (last segment only)",
    )
    cost: float = Field(description="Cost of deficit within this tier [$/MWh]")
