"""Models of ``config.json``: training, simulation, modeling, estimation, policy, exports.

Field names, types and defaults follow upstream's ``config.json`` (book schema and the cobre-io
loader, where the loader wins). Every section except ``training`` is optional and takes its defaults
when absent. Only the numeric ranges that upstream's schema states (``minimum: 0`` on its unsigned
integers) live here; cross-field rules (an ``iteration_limit`` rule is mandatory, a seed is required
for non-``in_sample`` schemes, ...) belong to the case validator.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel

DEFAULT_TREE_SEED = 42
"""Base seed used when ``training.tree_seed`` is absent (upstream CLI default)."""

DEFAULT_FORWARD_PASSES = 1
"""Forward passes the solver falls back to when ``training.forward_passes`` is absent."""

NonNegativeInt = Annotated[int, Field(ge=0)]
"""Upstream's unsigned integers (``u32``/``usize``): the schema states ``minimum: 0``."""

SamplingScheme = Literal["in_sample", "out_of_sample", "external", "historical"]
InflowNonNegativityMethod = Literal["none", "penalty", "truncation", "truncation_with_penalty"]
StoppingMode = Literal["any", "all"]
PolicyMode = Literal["fresh", "warm_start", "resume"]
CutSelectionMethod = Literal["level1", "lml1", "domination"]


class _ConfigModel(CaseModel):
    """Base of every ``config.json`` model: field descriptions come from attribute docstrings."""

    model_config = ConfigDict(use_attribute_docstrings=True, serialize_by_alias=True)


# ── modeling ────────────────────────────────────────────────────────────────────────────────────


class InflowNonNegativityConfig(_ConfigModel):
    """How negative PAR inflows are treated (``modeling.inflow_non_negativity``)."""

    method: InflowNonNegativityMethod = "penalty"
    """Treatment of negative modelled inflows."""
    penalty_cost: float = 1000.0
    """Deprecated penalty coefficient ($/(m³/s·h)); the LP takes the penalties.json cascade."""


class ModelingConfig(_ConfigModel):
    """Modeling options (``modeling``)."""

    inflow_non_negativity: InflowNonNegativityConfig = Field(
        default_factory=InflowNonNegativityConfig
    )
    """Strategy for non-negative inflows."""


# ── scenario sources ────────────────────────────────────────────────────────────────────────────


class ClassSchemeConfig(_ConfigModel):
    """Sampling scheme of one entity class (inflow, load or NCS) of a scenario source."""

    scheme: SamplingScheme
    """Where the class's forward-pass noise comes from."""


class HistoricalYearRange(_ConfigModel):
    """Inclusive range of historical years, written ``{"from": 1940, "to": 2010}``."""

    from_: int = Field(alias="from")
    """First year (inclusive)."""
    to: int
    """Last year (inclusive)."""


HistoricalYears = tuple[int, ...] | HistoricalYearRange
"""Historical year pool: an explicit list of years or an inclusive range."""


class ScenarioSourceConfig(_ConfigModel):
    """Per-class scenario source (``training.scenario_source`` / ``simulation.scenario_source``)."""

    seed: int | None = None
    """Seed for out-of-sample, external and historical sampling."""
    historical_years: HistoricalYears | None = None
    """Historical year pool; absent means every valid window."""
    inflow: ClassSchemeConfig | None = None
    """Inflow class scheme; absent means in_sample."""
    load: ClassSchemeConfig | None = None
    """Load class scheme; absent means in_sample."""
    ncs: ClassSchemeConfig | None = None
    """Non-controllable source class scheme; absent means in_sample."""

    @property
    def inflow_scheme(self) -> SamplingScheme:
        """Effective inflow scheme (``in_sample`` when the class entry is absent)."""
        return self.inflow.scheme if self.inflow is not None else "in_sample"

    @property
    def load_scheme(self) -> SamplingScheme:
        """Effective load scheme (``in_sample`` when the class entry is absent)."""
        return self.load.scheme if self.load is not None else "in_sample"

    @property
    def ncs_scheme(self) -> SamplingScheme:
        """Effective NCS scheme (``in_sample`` when the class entry is absent)."""
        return self.ncs.scheme if self.ncs is not None else "in_sample"


# ── training ────────────────────────────────────────────────────────────────────────────────────


def _require_type_tag(schema: dict[str, Any]) -> None:
    """Mark the ``type`` tag required in the JSON Schema even though Python callers may omit it."""
    required: list[str] = schema.setdefault("required", [])
    if "type" not in required:
        required.insert(0, "type")


class _StoppingRule(_ConfigModel):
    """Base of the stopping rules: the ``type`` tag is required in JSON, defaulted in Python."""

    model_config = ConfigDict(json_schema_extra=_require_type_tag)


class IterationLimitRule(_StoppingRule):
    """Stop once the iteration count (1-based) reaches ``limit``; every rule set needs one."""

    type: Literal["iteration_limit"] = "iteration_limit"
    limit: NonNegativeInt
    """Maximum iteration count."""


class TimeLimitRule(_StoppingRule):
    """Stop once the wall-clock training time exceeds ``seconds``."""

    type: Literal["time_limit"] = "time_limit"
    seconds: float
    """Time limit in seconds."""


class BoundStallingRule(_StoppingRule):
    """Stop when the lower bound's relative improvement over a window falls below a tolerance."""

    type: Literal["bound_stalling"] = "bound_stalling"
    iterations: NonNegativeInt
    """Window size (iterations)."""
    tolerance: float
    """Relative improvement threshold."""


class SimulationRule(_StoppingRule):
    """Stop when bound and simulated policy cost stabilise (parsed; unimplemented upstream)."""

    type: Literal["simulation"] = "simulation"
    replications: NonNegativeInt
    """Monte Carlo forward simulations per check."""
    period: NonNegativeInt
    """Iterations between checks."""
    bound_window: NonNegativeInt
    """Past iterations of the bound stability check."""
    distance_tol: float
    """Normalised distance threshold between consecutive simulation results."""
    bound_tol: float
    """Relative tolerance of the bound stability check."""


StoppingRule = Annotated[
    IterationLimitRule | TimeLimitRule | BoundStallingRule | SimulationRule,
    Field(discriminator="type"),
]
"""One entry of ``training.stopping_rules``, tagged by ``type``."""


class ForwardPassConfig(_ConfigModel):
    """Forward pass mode (``training.forward_pass``)."""

    type: str
    """Forward pass type, e.g. ``default``."""


class AngularPruningConfig(_ConfigModel):
    """Angular-diversity pruning settings (``training.cut_selection.angular_pruning``)."""

    enabled: bool | None = None
    """Enable angular pruning; absent means disabled."""
    cosine_threshold: float | None = None
    """Cosine similarity threshold in (0, 1]; 0.999 when enabled and absent."""
    check_frequency: NonNegativeInt | None = None
    """Iterations between runs; inherits the parent's check_frequency, else 5."""


class CutSelectionConfig(_ConfigModel):
    """Cut selection settings (``training.cut_selection``); disabled by default."""

    enabled: bool | None = None
    """Enable cut pruning."""
    method: CutSelectionMethod | None = None
    """Pruning method."""
    threshold: NonNegativeInt | None = None
    """Deprecated generic threshold (level1: iterations before the first pruning pass)."""
    memory_window: NonNegativeInt | None = None
    """Memory window of the lml1 method (iterations)."""
    domination_epsilon: float | None = None
    """Epsilon of the domination method."""
    check_frequency: NonNegativeInt | None = None
    """Iterations between pruning checks."""
    cut_activity_tolerance: float | None = None
    """Minimum dual multiplier for a cut to count as binding."""
    basis_activity_window: NonNegativeInt | None = None
    """Activity window of the basis-reconstruction classifier (1..31; 5 when absent)."""
    max_active_per_stage: NonNegativeInt | None = None
    """Hard cap on active cuts per stage; absent means no cap."""
    basis_padding: bool | None = None
    """Informed basis status for new cut rows before warm-starting."""
    angular_pruning: AngularPruningConfig = Field(default_factory=AngularPruningConfig)
    """Angular-diversity pruning settings."""


class TrainingSolverConfig(_ConfigModel):
    """LP solver retry settings (``training.solver``)."""

    retry_max_attempts: NonNegativeInt = 5
    """Maximum retry attempts before a hard error."""
    retry_time_budget_seconds: float = 30.0
    """Time budget in seconds across all retries of one solve."""


class TrainingConfig(_ConfigModel):
    """Training parameters (``training``); forward_passes and stopping_rules are mandatory."""

    enabled: bool = True
    """Run the training phase; when false, go straight to simulation."""
    tree_seed: int | None = None
    """Base seed of the opening tree; the solver uses |tree_seed|, or 42 when absent."""
    forward_passes: NonNegativeInt | None = None
    """Forward-pass trajectories per iteration (mandatory; the validator rejects null)."""
    stopping_rules: tuple[StoppingRule, ...] | None = None
    """Stopping rules (mandatory; must include an iteration_limit rule)."""
    stopping_mode: StoppingMode = "any"
    """How the rules combine: any (OR) or all (AND)."""
    cut_formulation: Literal["single", "multi"] | None = None
    """Cut formulation; parsed but unused (single cut)."""
    forward_pass: ForwardPassConfig | None = None
    """Forward pass mode."""
    cut_selection: CutSelectionConfig = Field(default_factory=CutSelectionConfig)
    """Cut selection settings."""
    solver: TrainingSolverConfig = Field(default_factory=TrainingSolverConfig)
    """LP solver retry settings."""
    scenario_source: ScenarioSourceConfig | None = None
    """Training scenario source; absent means every class in_sample."""

    @property
    def resolved_tree_seed(self) -> int:
        """Base seed the solver uses: ``|tree_seed|``, or 42 when absent."""
        return DEFAULT_TREE_SEED if self.tree_seed is None else abs(self.tree_seed)

    @property
    def resolved_forward_passes(self) -> int:
        """Forward passes per iteration, falling back to 1 when absent."""
        return DEFAULT_FORWARD_PASSES if self.forward_passes is None else self.forward_passes

    @property
    def resolved_scenario_source(self) -> ScenarioSourceConfig:
        """Training scenario source, all classes in_sample when absent."""
        return self.scenario_source if self.scenario_source is not None else ScenarioSourceConfig()


# ── upper bound evaluation ──────────────────────────────────────────────────────────────────────


class LipschitzConfig(_ConfigModel):
    """Lipschitz constant settings of the inner approximation."""

    mode: Literal["auto"] | None = None
    """Computation mode."""
    fallback_value: float | None = None
    """Fallback value when automatic computation fails."""
    scale_factor: float | None = None
    """Multiplicative safety margin on computed constants."""


class UpperBoundEvaluationConfig(_ConfigModel):
    """Vertex-based (inner approximation) upper bound settings (``upper_bound_evaluation``)."""

    enabled: bool | None = None
    """Enable the inner-approximation upper bound."""
    initial_iteration: NonNegativeInt | None = None
    """First iteration to compute the upper bound."""
    interval_iterations: NonNegativeInt | None = None
    """Iterations between evaluations."""
    lipschitz: LipschitzConfig = Field(default_factory=LipschitzConfig)
    """Lipschitz constant settings."""


# ── policy ──────────────────────────────────────────────────────────────────────────────────────


class CheckpointingConfig(_ConfigModel):
    """Periodic checkpoint settings (``policy.checkpointing``)."""

    enabled: bool | None = None
    """Enable periodic checkpointing."""
    initial_iteration: NonNegativeInt | None = None
    """First iteration to write a checkpoint (defaults to interval_iterations)."""
    interval_iterations: NonNegativeInt | None = None
    """Iterations between checkpoints (at least 1 when enabled)."""
    store_basis: bool | None = None
    """Include the LP basis in checkpoints."""
    compress: bool | None = None
    """Compress checkpoint files."""


class BoundaryPolicy(_ConfigModel):
    """Boundary cuts loaded from another policy checkpoint into the terminal stage."""

    path: str
    """Source policy checkpoint directory."""
    source_stage: NonNegativeInt
    """0-based stage index in the source checkpoint."""


class PolicyConfig(_ConfigModel):
    """Policy directory, initialisation mode and checkpointing (``policy``)."""

    path: str = "./policy"
    """Directory for policy data (cuts, states, vertices, basis)."""
    mode: PolicyMode = "fresh"
    """Initialisation mode."""
    validate_compatibility: bool = True
    """Check state dimension and entity compatibility when loading a stored policy."""
    checkpointing: CheckpointingConfig = Field(default_factory=CheckpointingConfig)
    """Checkpoint settings."""
    boundary: BoundaryPolicy | None = None
    """Optional boundary-cut policy for the terminal stage."""


# ── simulation ──────────────────────────────────────────────────────────────────────────────────


class SimulationConfig(_ConfigModel):
    """Post-training simulation settings (``simulation``)."""

    enabled: bool = False
    """Run the post-training simulation."""
    num_scenarios: NonNegativeInt = 2000
    """Number of simulation scenarios."""
    policy_type: Literal["outer", "inner"] = "outer"
    """Policy representation: outer (cuts) or inner (vertices)."""
    output_path: str | None = None
    """Directory for simulation output files."""
    output_mode: Literal["streaming", "batched"] | None = None
    """Output mode."""
    io_channel_capacity: NonNegativeInt = 64
    """Channel capacity between simulation workers and the output writer."""
    scenario_source: ScenarioSourceConfig | None = None
    """Simulation scenario source; absent means the training scenario source."""


# ── estimation ──────────────────────────────────────────────────────────────────────────────────


def _map_deprecated_order_selection(value: object) -> object:
    """Read the deprecated ``fixed`` order selection as ``pacf``, as upstream did."""
    return "pacf" if value == "fixed" else value


OrderSelection = Annotated[
    Literal["pacf", "pacf_annual"], BeforeValidator(_map_deprecated_order_selection)
]


class EstimationConfig(_ConfigModel):
    """PAR(p) estimation from inflow history (``estimation``)."""

    max_order: NonNegativeInt = 6
    """Maximum AR order considered."""
    order_selection: OrderSelection = "pacf"
    """Order selection: pacf (periodic PACF) or pacf_annual (PAR(p)-A)."""
    min_observations_per_season: NonNegativeInt = 30
    """Minimum observations per (entity, season) group to estimate."""
    max_coefficient_magnitude: float | None = None
    """Reduce a season to order 0 when any |coefficient| exceeds this; absent disables."""


# ── exports ─────────────────────────────────────────────────────────────────────────────────────


class ExportsConfig(_ConfigModel):
    """Output selection flags (``exports``); upstream honours only states and stochastic."""

    training: bool = True
    """Export training summary metrics."""
    cuts: bool = True
    """Export the cut pool."""
    states: bool = False
    """Export visited forward-pass trial points to the policy checkpoint."""
    vertices: bool = True
    """Export inner approximation vertices."""
    simulation: bool = True
    """Export simulation results."""
    forward_detail: bool = False
    """Export per-scenario forward-pass detail."""
    backward_detail: bool = False
    """Export per-scenario backward-pass detail."""
    stochastic: bool = False
    """Export stochastic preprocessing artifacts to output/stochastic/."""
    compression: Literal["zstd", "lz4", "none"] | None = None
    """Compression of output files."""


# ── file ────────────────────────────────────────────────────────────────────────────────────────


class ConfigFile(CaseFileModel):
    """The whole ``config.json``: solver configuration of one case."""

    model_config = ConfigDict(use_attribute_docstrings=True, serialize_by_alias=True)

    RELATIVE_PATH: ClassVar[str] = "config.json"

    modeling: ModelingConfig = Field(default_factory=ModelingConfig)
    """Modeling options."""
    training: TrainingConfig
    """Training parameters."""
    upper_bound_evaluation: UpperBoundEvaluationConfig = Field(
        default_factory=UpperBoundEvaluationConfig
    )
    """Inner-approximation upper bound settings."""
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    """Policy directory settings."""
    simulation: SimulationConfig = Field(default_factory=SimulationConfig)
    """Post-training simulation settings."""
    exports: ExportsConfig = Field(default_factory=ExportsConfig)
    """Output selection flags."""
    estimation: EstimationConfig = Field(default_factory=EstimationConfig)
    """PAR estimation settings."""

    @property
    def simulation_scenario_source(self) -> ScenarioSourceConfig:
        """Scenario source of the simulation: its own, else the training one."""
        if self.simulation.scenario_source is not None:
            return self.simulation.scenario_source
        return self.training.resolved_scenario_source

    def with_overrides(self, overrides: dict[str, Any]) -> ConfigFile:
        """Return a new config with ``overrides`` deep-merged over this one, re-validated.

        Keys are the JSON names (aliases). Nested objects merge key by key; any other value,
        lists and ``None`` included, replaces the current one (``stopping_rules`` is replaced
        as a whole). Raises ``pydantic.ValidationError`` when the merged config is invalid.
        """
        base = self.model_dump(mode="json", by_alias=True)
        return type(self).model_validate(deep_merge(base, overrides))

    def run_overrides(
        self,
        *,
        iterations: int | None = None,
        forward_passes: int | None = None,
        seed: int | None = None,
        time_limit_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Overrides (for :meth:`with_overrides` or ``train``) for the usual knobs of a run.

        ``iterations`` replaces the iteration_limit rule's limit and ``time_limit_seconds`` any
        time_limit rule; the other stopping rules are kept. ``seed`` sets ``training.tree_seed``.
        ``None`` leaves a setting as configured. Returns ``{}`` when nothing changes.
        """
        training: dict[str, Any] = {}
        if forward_passes is not None:
            training["forward_passes"] = forward_passes
        if seed is not None:
            training["tree_seed"] = seed
        if iterations is not None or time_limit_seconds is not None:
            rules = [
                r.model_dump(mode="json", by_alias=True)
                for r in self.training.stopping_rules or ()
                if not (time_limit_seconds is not None and r.type == "time_limit")
            ]
            if iterations is not None:
                rules = [
                    {**r, "limit": iterations} if r["type"] == "iteration_limit" else r
                    for r in rules
                ]
            if time_limit_seconds is not None:
                rules.append({"type": "time_limit", "seconds": time_limit_seconds})
            training["stopping_rules"] = rules
        return {"training": training} if training else {}


def deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Merge ``overrides`` into a copy of ``base``: dicts recursively, anything else replaced."""
    merged = dict(base)
    for key, value in overrides.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged
