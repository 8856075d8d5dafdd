"""Model of ``system/hydro_production_models.json``: per-stage choice of hydro production model.

Each entry selects, for one hydro, which generation model applies at each stage, either by
explicit stage ranges (``selection_mode: "stage_ranges"``) or by season (``"seasonal"``, with a
``default_model`` for seasons not listed). FPHA entries say where the hyperplanes come from
(``precomputed``: ``system/fpha_hyperplanes.parquet``; ``computed``: fitted from
``system/hydro_geometry.parquet``).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.hydros import GenerationModelName
from cobre_core.model.ids import Int32

DEFAULT_DISCRETIZATION_POINTS = 5
"""Algorithm default for the volume, turbine and spillage discretization points when absent."""
DEFAULT_MAX_PLANES_PER_HYDRO = 10
"""Algorithm default for ``max_planes_per_hydro`` when absent."""


class FittingWindow(CaseModel):
    """Storage range used when fitting FPHA hyperplanes.

    Absolute and percentile bounds are mutually exclusive for the same side (checked by the
    validator, not here).
    """

    volume_min_hm3: float | None = Field(
        default=None, description="Explicit minimum volume for fitting [hm³]"
    )
    volume_max_hm3: float | None = Field(
        default=None, description="Explicit maximum volume for fitting [hm³]"
    )
    volume_min_percentile: float | None = Field(
        default=None, description="Minimum as a percentile of the operating range [%]"
    )
    volume_max_percentile: float | None = Field(
        default=None, description="Maximum as a percentile of the operating range [%]"
    )


class FphaConfig(CaseModel):
    """Where FPHA hyperplanes come from and, when computed, how they are fitted."""

    source: Literal["computed", "precomputed"] = Field(
        description=(
            "Hyperplane source: computed (fitted from geometry) or precomputed "
            "(fpha_hyperplanes.parquet) [-]"
        )
    )
    volume_discretization_points: Int32 | None = Field(
        default=None, description="Volume grid points for fitting; absent = 5 [-]"
    )
    turbine_discretization_points: Int32 | None = Field(
        default=None, description="Turbined-flow grid points for fitting; absent = 5 [-]"
    )
    spillage_discretization_points: Int32 | None = Field(
        default=None, description="Spillage grid points for fitting; absent = 5 [-]"
    )
    max_planes_per_hydro: Int32 | None = Field(
        default=None, description="Maximum planes kept after selection; absent = 10 [-]"
    )
    fitting_window: FittingWindow | None = Field(
        default=None, description="Storage range for fitting; absent = full operating range [-]"
    )


class StageRange(CaseModel):
    """Production model for an inclusive range of stage ids (``stage_ranges`` mode)."""

    start_stage_id: Int32 = Field(description="First stage id of the range (inclusive) [-]")
    end_stage_id: Int32 | None = Field(
        default=None,
        description="Last stage id of the range (inclusive); null = until end of horizon [-]",
    )
    model: GenerationModelName = Field(description="Production model for these stages [-]")
    fpha_config: FphaConfig | None = Field(
        default=None, description="FPHA settings; required when model is fpha [-]"
    )
    productivity_override: float | None = Field(
        default=None,
        gt=0.0,
        description=(
            "Replaces the plant's productivity for these stages (constant_productivity and "
            "linearized_head only), > 0 [MW/(m³/s)]"
        ),
    )


class SeasonConfig(CaseModel):
    """Production model for one season (``seasonal`` mode)."""

    season_id: Int32 = Field(description="Season index (0-based, as in stages.json) [-]")
    model: GenerationModelName = Field(description="Production model for this season [-]")
    fpha_config: FphaConfig | None = Field(
        default=None, description="FPHA settings; required when model is fpha [-]"
    )
    productivity_override: float | None = Field(
        default=None,
        gt=0.0,
        description=(
            "Replaces the plant's productivity in this season (constant_productivity and "
            "linearized_head only), > 0 [MW/(m³/s)]"
        ),
    )


class StageRangesProductionModel(CaseModel):
    """Production-model selection for one hydro by explicit stage ranges."""

    hydro_id: Int32 = Field(description="Hydro plant id, unique within the file [-]")
    selection_mode: Literal["stage_ranges"] = Field(description="Selection mode tag [-]")
    stage_ranges: tuple[StageRange, ...] = Field(
        description="Stage ranges; the first one containing a stage applies [-]"
    )


class SeasonalProductionModel(CaseModel):
    """Production-model selection for one hydro by season, with a default."""

    hydro_id: Int32 = Field(description="Hydro plant id, unique within the file [-]")
    selection_mode: Literal["seasonal"] = Field(description="Selection mode tag [-]")
    default_model: GenerationModelName = Field(
        description="Model for seasons not listed in seasons [-]"
    )
    seasons: tuple[SeasonConfig, ...] = Field(description="Season-specific models [-]")


ProductionModel = Annotated[
    StageRangesProductionModel | SeasonalProductionModel,
    Field(discriminator="selection_mode"),
]
"""One hydro's production-model selection, discriminated by ``selection_mode``."""


class ProductionModelsFile(CaseFileModel):
    """Contents of ``system/hydro_production_models.json`` (optional file)."""

    RELATIVE_PATH: ClassVar[str] = "system/hydro_production_models.json"

    production_models: tuple[ProductionModel, ...] = Field(
        description="Per-hydro production-model selections [-]"
    )
