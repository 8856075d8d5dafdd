"""Models of ``stages.json``: policy graph, seasons, study stages with blocks, pre-study stages.

Field names, types and defaults follow upstream's ``stages.json`` (book schema and the cobre-io
loader, where the loader wins). Dates are ISO ``YYYY-MM-DD`` strings read as ``datetime.date``.
Only the numeric ranges upstream's schema states (``minimum: 0`` on its unsigned integers) live
here; the rules its loader checks afterwards (``hours > 0``, ``num_scenarios > 0``, contiguous block
ids, CVaR ``alpha`` in (0, 1] and ``lambda`` in [0, 1], ``start_date < end_date``, unique ids, a
non-negative discount rate) belong to the case validator.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, field_validator

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.config import ScenarioSourceConfig
from cobre_core.model.ids import IsoDate

NonNegativeInt = Annotated[int, Field(ge=0)]
"""Upstream's unsigned integers (``u32``/``usize``): the schema states ``minimum: 0``."""

PolicyGraphType = Literal["finite_horizon", "cyclic"]
CycleType = Literal["monthly", "weekly", "custom"]
BlockMode = Literal["parallel", "chronological"]
SamplingMethod = Literal[
    "saa", "lhs", "qmc_sobol", "qmc_halton", "selective", "historical_residuals"
]


class _StagesModel(CaseModel):
    """Base of every ``stages.json`` model: field descriptions come from attribute docstrings."""

    model_config = ConfigDict(use_attribute_docstrings=True, serialize_by_alias=True)


# ── policy graph ────────────────────────────────────────────────────────────────────────────────


class Transition(_StagesModel):
    """One policy-graph edge between two stages, with an optional discount rate override."""

    source_id: int
    """Source stage id."""
    target_id: int
    """Target stage id."""
    probability: float
    """Transition probability."""
    annual_discount_rate_override: float | None = None
    """Annual discount rate of the source stage, overriding the global rate."""


class PolicyGraph(_StagesModel):
    """Horizon type, global discount rate and transitions (``policy_graph``)."""

    type: PolicyGraphType
    """Horizon type."""
    annual_discount_rate: float
    """Global annual discount rate (fraction per year, ≥ 0); 365.25-day years."""
    transitions: tuple[Transition, ...] = ()
    """Stage transitions; absent means the linear chain of study stages."""


# ── seasons ─────────────────────────────────────────────────────────────────────────────────────


class Season(_StagesModel):
    """One season of the cycle; day and end fields apply to the custom cycle only."""

    id: NonNegativeInt
    """Season index (0-based)."""
    label: str
    """Human-readable label."""
    month_start: NonNegativeInt
    """Calendar month where the season starts (1-12)."""
    day_start: NonNegativeInt | None = None
    """Calendar day where the season starts (1-31); custom cycle only."""
    month_end: NonNegativeInt | None = None
    """Calendar month where the season ends (1-12); custom cycle only."""
    day_end: NonNegativeInt | None = None
    """Calendar day where the season ends (1-31); custom cycle only."""


class SeasonDefinitions(_StagesModel):
    """Seasonal structure of the study (``season_definitions``)."""

    cycle_type: CycleType
    """Cycle type."""
    seasons: tuple[Season, ...]
    """Season entries."""


# ── stages ──────────────────────────────────────────────────────────────────────────────────────


class Block(_StagesModel):
    """One load block of a stage; its hours drive every cost and water conversion."""

    id: NonNegativeInt
    """Block index, 0-based and contiguous within the stage."""
    name: str
    """Human-readable label."""
    hours: float
    """Block duration in hours (> 0)."""


class StateVariables(_StagesModel):
    """State-variable flags of a stage (parsed; unused by upstream's solver)."""

    storage: bool = True
    """Storage is a state variable."""
    inflow_lags: bool = False
    """Inflow lags are state variables."""


class CVaRParams(_StagesModel):
    """Parameters of ρ = (1 − λ)·E + λ·CVaR_α, with α the upper-tail mass."""

    alpha: float
    """Upper-tail mass α in (0, 1]."""
    lambda_: float = Field(alias="lambda")
    """Risk aversion weight λ in [0, 1]."""


class CVaRRiskMeasure(_StagesModel):
    """CVaR risk measure, written ``{"cvar": {"alpha": ..., "lambda": ...}}``."""

    cvar: CVaRParams
    """CVaR parameters."""


RiskMeasure = Literal["expectation"] | CVaRRiskMeasure
"""Stage risk measure: ``"expectation"`` or a CVaR object."""


class Stage(_StagesModel):
    """One study stage (id ≥ 0): dates, season, load blocks, risk measure and opening count."""

    id: int
    """Stage identifier (non-negative for study stages)."""
    start_date: IsoDate
    """Start date (inclusive)."""
    end_date: IsoDate
    """End date (exclusive)."""
    season_id: NonNegativeInt | None = None
    """Season index; absent means no season."""
    blocks: tuple[Block, ...]
    """Load blocks."""
    block_mode: BlockMode = "parallel"
    """Block formulation (parsed; unused by the LP)."""
    state_variables: StateVariables | None = None
    """State-variable flags (parsed; unused)."""
    risk_measure: RiskMeasure = "expectation"
    """Risk measure aggregating this stage's openings."""
    num_scenarios: NonNegativeInt
    """Openings of this stage in the opening tree (branching factor, > 0)."""
    sampling_method: SamplingMethod = "saa"
    """Noise generation method of the opening tree."""

    @property
    def total_hours(self) -> float:
        """Stage duration T as the sum of its block hours."""
        return sum(block.hours for block in self.blocks)


class PreStudyStage(_StagesModel):
    """A stage before the study (id < 0), used for PAR lag initialisation."""

    id: int
    """Stage identifier (negative)."""
    start_date: IsoDate
    """Start date (inclusive)."""
    end_date: IsoDate
    """End date (exclusive)."""
    season_id: NonNegativeInt | None = None
    """Season index."""


# ── file ────────────────────────────────────────────────────────────────────────────────────────


class StagesFile(CaseFileModel):
    """The whole ``stages.json``: the temporal structure of one case."""

    model_config = ConfigDict(use_attribute_docstrings=True, serialize_by_alias=True)

    RELATIVE_PATH: ClassVar[str] = "stages.json"

    policy_graph: PolicyGraph
    """Horizon type, discount rate and transitions."""
    season_definitions: SeasonDefinitions | None = None
    """Seasonal structure; absent means none (lags then never shift in the forward pass)."""
    scenario_source: ScenarioSourceConfig | None = None
    """Legacy per-class scenario source; superseded by config.json's scenario sources."""
    pre_study_stages: tuple[PreStudyStage, ...] = ()
    """Pre-study stages (negative ids); absent or null means none."""
    stages: tuple[Stage, ...]
    """Study stages (non-negative ids)."""

    @field_validator("pre_study_stages", mode="before")
    @classmethod
    def _null_means_empty(cls, value: Any) -> Any:
        """Read ``"pre_study_stages": null`` as no pre-study stages, as upstream does."""
        return () if value is None else value

    def stage_by_id(self, stage_id: int) -> Stage:
        """Return the study stage with ``stage_id``; raise ``KeyError`` when there is none."""
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)
