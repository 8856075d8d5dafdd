"""Per-stage resolved numbers of a case: every bound, cost and coefficient the stage LP needs.

All arrays are indexed by entity position (entities in id order). Penalty cascades, per-stage
overrides and production-model selection are already applied here, so the LP builder only
arranges numbers. Costs are in $ per unit as in the case files (not yet multiplied by hours).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cobre_core.model.expressions import Term

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class FphaPlanes:
    """Planes of one hydro at one stage: columns gamma_0, gamma_v, gamma_q, gamma_s, kappa."""

    coefficients: FloatArray


@dataclass(frozen=True)
class GenericRow:
    """A generic constraint active at a stage, with its bound per block."""

    constraint_id: int
    sense: str
    terms: tuple[Term, ...]
    bounds: FloatArray
    slack_penalty: float | None


@dataclass(frozen=True)
class HydroStageData:
    """Hydro bounds, costs and coefficients at one stage (arrays over hydros)."""

    active: BoolArray
    min_storage: FloatArray
    max_storage: FloatArray
    min_turbined: FloatArray
    max_turbined: FloatArray
    min_outflow: FloatArray
    max_outflow: FloatArray
    min_generation: FloatArray
    max_generation: FloatArray
    max_diversion: FloatArray
    withdrawal: FloatArray
    productivity: FloatArray
    entity_productivity: FloatArray
    is_fpha: BoolArray
    fpha_planes: tuple[FphaPlanes | None, ...]
    has_evaporation: BoolArray
    evaporation_k0: FloatArray
    evaporation_kv: FloatArray
    spillage_cost: FloatArray
    diversion_cost: FloatArray
    fpha_turbined_cost: FloatArray
    outflow_below_cost: FloatArray
    outflow_above_cost: FloatArray
    turbined_below_cost: FloatArray
    generation_below_cost: FloatArray
    evaporation_pos_cost: FloatArray
    evaporation_neg_cost: FloatArray
    withdrawal_pos_cost: FloatArray
    withdrawal_neg_cost: FloatArray
    inflow_slack_cost: FloatArray


@dataclass(frozen=True)
class StageData:
    """Everything stage ``index`` needs beyond the topology."""

    index: int
    stage_id: int
    block_hours: FloatArray
    num_openings: int
    discount: float
    hydro: HydroStageData
    thermal_min: FloatArray
    thermal_max: FloatArray
    thermal_cost: FloatArray
    line_direct: FloatArray
    line_reverse: FloatArray
    line_cost: FloatArray
    load_mean: FloatArray
    load_std: FloatArray
    load_factor: FloatArray
    deficit_depth: tuple[FloatArray, ...]
    deficit_cost: tuple[FloatArray, ...]
    excess_cost: FloatArray
    ncs_max: FloatArray
    ncs_mean: FloatArray
    ncs_std: FloatArray
    ncs_active: BoolArray
    ncs_cost: FloatArray
    generic: tuple[GenericRow, ...]

    @property
    def num_blocks(self) -> int:
        return int(self.block_hours.size)

    @property
    def total_hours(self) -> float:
        return float(self.block_hours.sum())
