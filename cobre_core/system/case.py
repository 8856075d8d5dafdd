"""The loaded case: entities in id order, topology as index arrays, per-stage numbers, PAR model.

``Case`` is what the engine consumes. It is immutable; build it with ``cobre_core.load_case``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cobre_core.model.buses import Bus
from cobre_core.model.config import ConfigFile
from cobre_core.model.hydros import Hydro
from cobre_core.model.lines import Line
from cobre_core.model.non_controllables import NonControllableSource
from cobre_core.model.stages import StagesFile
from cobre_core.model.thermals import Thermal
from cobre_core.stochastic.par import ParModel
from cobre_core.system.stage_data import StageData

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Topology:
    """Who connects to whom, as positions into the id-ordered entity tuples (-1 = none)."""

    hydro_bus: IntArray
    hydro_downstream: IntArray
    hydro_diversion_target: IntArray
    thermal_bus: IntArray
    line_source: IntArray
    line_target: IntArray
    ncs_bus: IntArray


@dataclass(frozen=True)
class NoiseLayout:
    """Order of the noise vector: hydros, then stochastic load buses, then stochastic NCS."""

    num_hydros: int
    load_buses: IntArray
    ncs: IntArray

    @property
    def dim(self) -> int:
        return self.num_hydros + int(self.load_buses.size) + int(self.ncs.size)


@dataclass(frozen=True)
class StageCalendar:
    """Dates and season of a study stage."""

    stage_id: int
    start_date: date
    end_date: date
    season_id: int | None


@dataclass(frozen=True)
class Case:
    """An immutable, validated Cobre case ready for the engine."""

    path: Path | None
    config: ConfigFile
    stages_file: StagesFile
    hydros: tuple[Hydro, ...]
    thermals: tuple[Thermal, ...]
    buses: tuple[Bus, ...]
    lines: tuple[Line, ...]
    non_controllables: tuple[NonControllableSource, ...]
    topology: Topology
    calendar: tuple[StageCalendar, ...]
    stages: tuple[StageData, ...]
    par: ParModel
    initial_storage: NDArray[np.float64]
    initial_lags: NDArray[np.float64]
    noise: NoiseLayout
    inflow_method: str
    seed: int
    inflow_model_source: str = "user"
    """"user" (stats/AR given), "estimated" (some of them estimated from inflow_history, §4.7,
    PAR(p) or PAR(p)-A), "none" (no inflow model: deterministic inflows)."""
    user_openings: dict[int, NDArray[np.float64]] | None = None
    """Openings per stage id from scenarios/noise_openings.parquet (they replace generated ones)."""
    warnings: tuple = field(default=())
    estimation_report: Mapping[str, Any] | None = None
    """JSON-ready report of the PAR estimation from history (None when nothing was estimated)."""

    @property
    def num_stages(self) -> int:
        return len(self.stages)

    @property
    def num_hydros(self) -> int:
        return len(self.hydros)

    @property
    def max_lag(self) -> int:
        return self.par.max_order

    @property
    def state_dim(self) -> int:
        return self.num_hydros * (1 + self.max_lag)

    @property
    def truncates_inflows(self) -> bool:
        """Whether negative inflows are clipped by the noise (the ``truncation`` methods)."""
        return self.inflow_method in ("truncation", "truncation_with_penalty")

    def lags_of(self, state: NDArray[np.float64]) -> NDArray[np.float64]:
        """The inflow lags ``(max_lag, num_hydros)`` held in a state vector, lag 1 first (and
        ``(F, max_lag, num_hydros)`` for a stack of ``F`` states)."""
        n = self.num_hydros
        state = np.asarray(state, dtype=np.float64)
        return state[..., n:].reshape(*state.shape[:-1], self.max_lag, n)

    def summary(self) -> dict[str, object]:
        """Entity counts, stages, blocks and openings: a short overview."""
        return {
            "path": str(self.path) if self.path else None,
            "hydros": len(self.hydros),
            "thermals": len(self.thermals),
            "buses": len(self.buses),
            "lines": len(self.lines),
            "non_controllable_sources": len(self.non_controllables),
            "stages": self.num_stages,
            "blocks_per_stage": [s.num_blocks for s in self.stages],
            "openings_per_stage": [s.num_openings for s in self.stages],
            "max_par_order": self.max_lag,
            "state_dimension": self.state_dim,
        }
