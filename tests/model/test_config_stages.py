"""config.json and stages.json models: every reference case parses, defaults, tags, overrides."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cobre_core.model.config import (
    BoundStallingRule,
    ConfigFile,
    HistoricalYearRange,
    IterationLimitRule,
    SimulationRule,
    TimeLimitRule,
)
from cobre_core.model.stages import CVaRRiskMeasure, StagesFile

CASES_ROOT = Path(__file__).resolve().parents[3] / "shared" / "cobre-cases"

needs_cases = pytest.mark.skipif(
    not CASES_ROOT.is_dir(), reason=f"reference cases not found at {CASES_ROOT}"
)


def _case_dirs() -> list[Path]:
    if not CASES_ROOT.is_dir():
        return []
    candidates = [*CASES_ROOT.iterdir(), *(CASES_ROOT / "deterministic").glob("*")]
    return sorted(path for path in candidates if (path / "config.json").is_file())


def _case(name: str) -> Path:
    for path in _case_dirs():
        if path.name == name or path.name.startswith(f"{name}-"):
            return path
    pytest.skip(f"reference case {name!r} not found under {CASES_ROOT}")


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _config(name: str) -> ConfigFile:
    return ConfigFile.model_validate(_read(_case(name) / ConfigFile.RELATIVE_PATH))


def _stages(name: str) -> StagesFile:
    return StagesFile.model_validate(_read(_case(name) / StagesFile.RELATIVE_PATH))


MINIMAL_CONFIG: dict[str, Any] = {
    "training": {
        "forward_passes": 1,
        "stopping_rules": [{"type": "iteration_limit", "limit": 10}],
    }
}

MINIMAL_STAGES: dict[str, Any] = {
    "policy_graph": {"type": "finite_horizon", "annual_discount_rate": 0.0},
    "stages": [
        {
            "id": 0,
            "start_date": "2024-01-01",
            "end_date": "2024-02-01",
            "blocks": [{"id": 0, "name": "SINGLE", "hours": 744}],
            "num_scenarios": 1,
        }
    ],
}


# ── every reference case ────────────────────────────────────────────────────────────────────────


@needs_cases
@pytest.mark.parametrize("case_dir", _case_dirs(), ids=lambda path: path.name)
def test_every_case_parses(case_dir: Path) -> None:
    config = ConfigFile.model_validate(_read(case_dir / "config.json"))
    stages = StagesFile.model_validate(_read(case_dir / "stages.json"))
    assert config.training.stopping_rules
    assert stages.stages
    assert all(stage.id >= 0 for stage in stages.stages)
    assert all(stage.id < 0 for stage in stages.pre_study_stages)


@needs_cases
def test_case_list_is_complete() -> None:
    names = {path.name for path in _case_dirs()}
    assert {"1dtoy", "4ree", "d01-thermal-dispatch", "d30-multi-resolution-monthly-quarterly"} <= (
        names
    )


# ── concrete values ─────────────────────────────────────────────────────────────────────────────


@needs_cases
def test_1dtoy_config_values() -> None:
    config = _config("1dtoy")
    assert config.schema_ is not None
    assert config.training.forward_passes == 1
    assert config.training.stopping_rules == (IterationLimitRule(limit=128),)
    assert config.simulation.enabled is True
    assert config.simulation.num_scenarios == 100
    assert config.simulation.io_channel_capacity == 64
    assert config.modeling.inflow_non_negativity.method == "none"
    source = config.training.scenario_source
    assert source is not None
    assert source.seed == 42
    assert (source.inflow_scheme, source.load_scheme, source.ncs_scheme) == ("in_sample",) * 3
    assert config.simulation_scenario_source == source


@needs_cases
def test_1dtoy_stages_values() -> None:
    stages = _stages("1dtoy")
    assert stages.policy_graph.type == "finite_horizon"
    first = stages.stages[0]
    assert isinstance(first.start_date, datetime.date)
    assert first.start_date < first.end_date
    assert first.risk_measure == "expectation"
    assert first.sampling_method == "saa"
    assert first.block_mode == "parallel"
    assert first.total_hours == sum(block.hours for block in first.blocks)


@needs_cases
def test_d25_discount_rate() -> None:
    assert _stages("d25").policy_graph.annual_discount_rate == pytest.approx(0.12)


@needs_cases
def test_d16_pre_study_stage() -> None:
    stages = _stages("d16")
    assert [stage.id for stage in stages.pre_study_stages] == [-1]
    assert isinstance(stages.pre_study_stages[0].start_date, datetime.date)


@needs_cases
def test_d10_penalty_method_and_cost() -> None:
    non_negativity = _config("d10").modeling.inflow_non_negativity
    assert non_negativity.method == "penalty"
    assert non_negativity.penalty_cost == 500.0


@needs_cases
def test_d12_estimation_and_exports() -> None:
    config = _config("d12")
    assert config.estimation.order_selection == "pacf_annual"
    assert config.estimation.max_order == 6
    assert config.estimation.min_observations_per_season == 4
    assert config.exports.stochastic is True
    assert config.exports.states is False
    assert config.modeling.inflow_non_negativity.method == "truncation"


@needs_cases
def test_d28_external_and_d29_out_of_sample_schemes() -> None:
    d28 = _config("d28").training.resolved_scenario_source
    assert (d28.inflow_scheme, d28.load_scheme) == ("external", "in_sample")
    assert _config("d29").training.resolved_scenario_source.inflow_scheme == "out_of_sample"


@needs_cases
def test_season_definitions() -> None:
    monthly = _stages("d26").season_definitions
    assert monthly is not None
    assert monthly.cycle_type == "monthly"
    assert [season.month_start for season in monthly.seasons] == list(range(1, 13))
    custom = _stages("d30").season_definitions
    assert custom is not None
    assert custom.cycle_type == "custom"
    assert all(season.day_end is not None for season in custom.seasons)


@needs_cases
def test_sections_absent_take_defaults() -> None:
    raw = _read(_case("d01") / "config.json")
    assert raw["modeling"]["inflow_non_negativity"]["method"] == "none"
    stripped = {key: value for key, value in raw.items() if key in ("$schema", "training")}
    config = ConfigFile.model_validate(stripped)
    assert config.modeling.inflow_non_negativity.method == "penalty"
    assert config.modeling.inflow_non_negativity.penalty_cost == 1000.0


# ── defaults ────────────────────────────────────────────────────────────────────────────────────


def test_config_defaults() -> None:
    config = ConfigFile.model_validate(MINIMAL_CONFIG)
    training = config.training
    assert training.enabled is True
    assert training.stopping_mode == "any"
    assert training.tree_seed is None
    assert training.resolved_tree_seed == 42
    assert training.cut_formulation is None
    assert training.cut_selection.enabled is None
    assert training.solver.retry_max_attempts == 5
    assert training.solver.retry_time_budget_seconds == 30.0
    assert training.scenario_source is None
    assert training.resolved_scenario_source.inflow_scheme == "in_sample"
    assert config.modeling.inflow_non_negativity.method == "penalty"
    assert config.modeling.inflow_non_negativity.penalty_cost == 1000.0
    assert config.simulation.enabled is False
    assert config.simulation.num_scenarios == 2000
    assert config.simulation.io_channel_capacity == 64
    assert config.simulation.policy_type == "outer"
    assert config.simulation_scenario_source == training.resolved_scenario_source
    assert config.estimation.max_order == 6
    assert config.estimation.order_selection == "pacf"
    assert config.estimation.min_observations_per_season == 30
    assert config.estimation.max_coefficient_magnitude is None
    assert (config.exports.states, config.exports.stochastic) == (False, False)
    assert (config.exports.training, config.exports.cuts, config.exports.simulation) == (
        True,
        True,
        True,
    )
    assert config.policy.mode == "fresh"
    assert config.policy.path == "./policy"
    assert config.policy.validate_compatibility is True
    assert config.policy.boundary is None
    assert config.upper_bound_evaluation.enabled is None


def test_forward_passes_fallback_and_tree_seed_abs() -> None:
    config = ConfigFile.model_validate({"training": {"tree_seed": -7}})
    assert config.training.forward_passes is None
    assert config.training.resolved_forward_passes == 1
    assert config.training.stopping_rules is None
    assert config.training.resolved_tree_seed == 7


def test_stages_defaults() -> None:
    stages = StagesFile.model_validate(MINIMAL_STAGES)
    stage = stages.stages[0]
    assert stages.season_definitions is None
    assert stages.pre_study_stages == ()
    assert stages.policy_graph.transitions == ()
    assert stage.season_id is None
    assert stage.risk_measure == "expectation"
    assert stage.sampling_method == "saa"
    assert stage.block_mode == "parallel"
    assert stage.state_variables is None
    assert stage.blocks[0].hours == 744.0
    assert stages.stage_by_id(0) is stage


def test_null_pre_study_stages_mean_empty() -> None:
    stages = StagesFile.model_validate({**MINIMAL_STAGES, "pre_study_stages": None})
    assert stages.pre_study_stages == ()


def test_state_variables_defaults() -> None:
    raw = json.loads(json.dumps(MINIMAL_STAGES))
    raw["stages"][0]["state_variables"] = {}
    state = StagesFile.model_validate(raw).stages[0].state_variables
    assert state is not None
    assert (state.storage, state.inflow_lags) == (True, False)


# ── tagged unions and enums ─────────────────────────────────────────────────────────────────────


def test_all_stopping_rules_parse() -> None:
    rules = [
        {"type": "iteration_limit", "limit": 50},
        {"type": "time_limit", "seconds": 3600},
        {"type": "bound_stalling", "iterations": 5, "tolerance": 1e-4},
        {
            "type": "simulation",
            "replications": 100,
            "period": 10,
            "bound_window": 5,
            "distance_tol": 0.01,
            "bound_tol": 1e-4,
        },
    ]
    config = ConfigFile.model_validate(
        {"training": {"forward_passes": 2, "stopping_rules": rules, "stopping_mode": "all"}}
    )
    parsed = config.training.stopping_rules
    assert parsed is not None
    assert [type(rule) for rule in parsed] == [
        IterationLimitRule,
        TimeLimitRule,
        BoundStallingRule,
        SimulationRule,
    ]
    assert parsed[1] == TimeLimitRule(seconds=3600.0)
    assert config.training.stopping_mode == "all"


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "max_iterations", "limit": 10},
        {"limit": 10},
        {"type": "iteration_limit"},
        {"type": "iteration_limit", "limit": -1},
        {"type": "bound_stalling", "iterations": 5},
    ],
)
def test_invalid_stopping_rule_raises(rule: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ConfigFile.model_validate({"training": {"forward_passes": 1, "stopping_rules": [rule]}})


@pytest.mark.parametrize(
    "overrides",
    [
        {"modeling": {"inflow_non_negativity": {"method": "clip"}}},
        {"training": {"stopping_mode": "either"}},
        {"training": {"scenario_source": {"inflow": {"scheme": "monte_carlo"}}}},
        {"training": {"scenario_source": {"inflow": {}}}},
        {"policy": {"mode": "restart"}},
        {"estimation": {"order_selection": "aic"}},
        {"training": {"cut_selection": {"method": "level2"}}},
        {"simulation": {"num_scenarios": -5}},
    ],
)
def test_invalid_config_enums_raise(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ConfigFile.model_validate(MINIMAL_CONFIG).with_overrides(overrides)


def test_deprecated_fixed_order_selection_reads_as_pacf() -> None:
    config = ConfigFile.model_validate(
        {**MINIMAL_CONFIG, "estimation": {"order_selection": "fixed"}}
    )
    assert config.estimation.order_selection == "pacf"


def test_historical_years_list_and_range() -> None:
    base = ConfigFile.model_validate(MINIMAL_CONFIG)
    as_list = base.with_overrides(
        {"training": {"scenario_source": {"seed": 1, "historical_years": [1940, 1953]}}}
    )
    source = as_list.training.scenario_source
    assert source is not None
    assert source.historical_years == (1940, 1953)
    as_range = base.with_overrides(
        {
            "training": {
                "scenario_source": {"seed": 1, "historical_years": {"from": 1940, "to": 2010}}
            }
        }
    )
    source = as_range.training.scenario_source
    assert source is not None
    assert source.historical_years == HistoricalYearRange(from_=1940, to=2010)
    dumped = as_range.model_dump(mode="json")
    assert dumped["training"]["scenario_source"]["historical_years"] == {"from": 1940, "to": 2010}


def test_cvar_risk_measure() -> None:
    raw = json.loads(json.dumps(MINIMAL_STAGES))
    raw["stages"][0]["risk_measure"] = {"cvar": {"alpha": 0.5, "lambda": 0.25}}
    measure = StagesFile.model_validate(raw).stages[0].risk_measure
    assert isinstance(measure, CVaRRiskMeasure)
    assert (measure.cvar.alpha, measure.cvar.lambda_) == (0.5, 0.25)
    assert measure.model_dump() == {"cvar": {"alpha": 0.5, "lambda": 0.25}}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("policy_graph", "type"), "infinite_horizon"),
        (("stages", 0, "risk_measure"), "worst_case"),
        (("stages", 0, "risk_measure"), {"cvar": {"alpha": 0.5}}),
        (("stages", 0, "sampling_method"), "monte_carlo"),
        (("stages", 0, "block_mode"), "sequential"),
        (("stages", 0, "start_date"), "01/01/2024"),
        (("stages", 0, "start_date"), 1704067200),
        (("stages", 0, "num_scenarios"), -1),
        (("stages", 0, "blocks", 0, "id"), -1),
    ],
)
def test_invalid_stages_raise(path: tuple[str | int, ...], value: Any) -> None:
    raw = json.loads(json.dumps(MINIMAL_STAGES))
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError):
        StagesFile.model_validate(raw)


def test_invalid_cycle_type_raises() -> None:
    seasons = {"cycle_type": "daily", "seasons": [{"id": 0, "label": "Jan", "month_start": 1}]}
    with pytest.raises(ValidationError):
        StagesFile.model_validate({**MINIMAL_STAGES, "season_definitions": seasons})


@pytest.mark.parametrize(
    "method", ["saa", "lhs", "qmc_sobol", "qmc_halton", "selective", "historical_residuals"]
)
def test_sampling_methods(method: str) -> None:
    raw = json.loads(json.dumps(MINIMAL_STAGES))
    raw["stages"][0]["sampling_method"] = method
    assert StagesFile.model_validate(raw).stages[0].sampling_method == method


def test_transition_override() -> None:
    raw = json.loads(json.dumps(MINIMAL_STAGES))
    raw["policy_graph"]["transitions"] = [
        {"source_id": 0, "target_id": 1, "probability": 1.0, "annual_discount_rate_override": 0.1}
    ]
    (transition,) = StagesFile.model_validate(raw).policy_graph.transitions
    assert transition.annual_discount_rate_override == 0.1


def test_models_are_frozen() -> None:
    config = ConfigFile.model_validate(MINIMAL_CONFIG)
    with pytest.raises(ValidationError):
        config.training.enabled = False  # type: ignore[misc]


def test_unknown_keys_are_ignored() -> None:
    config = ConfigFile.model_validate({**MINIMAL_CONFIG, "future_section": {"x": 1}})
    assert not hasattr(config, "future_section")


# ── overrides ───────────────────────────────────────────────────────────────────────────────────


def test_with_overrides_deep_merges() -> None:
    base = ConfigFile.model_validate(
        {
            **MINIMAL_CONFIG,
            "simulation": {"enabled": True, "num_scenarios": 100},
            "modeling": {"inflow_non_negativity": {"method": "none"}},
        }
    )
    merged = base.with_overrides(
        {
            "training": {"tree_seed": 7, "stopping_rules": [{"type": "time_limit", "seconds": 5}]},
            "simulation": {"num_scenarios": 10},
            "modeling": {"inflow_non_negativity": {"penalty_cost": 250.0}},
        }
    )
    assert merged.training.tree_seed == 7
    assert merged.training.forward_passes == 1
    assert merged.training.stopping_rules == (TimeLimitRule(seconds=5.0),)
    assert merged.simulation.enabled is True
    assert merged.simulation.num_scenarios == 10
    assert merged.modeling.inflow_non_negativity.method == "none"
    assert merged.modeling.inflow_non_negativity.penalty_cost == 250.0
    assert base.simulation.num_scenarios == 100
    assert base.training.tree_seed is None


def test_with_overrides_empty_is_identity_and_keeps_schema_key() -> None:
    base = ConfigFile.model_validate({"$schema": "https://example.org/c.json", **MINIMAL_CONFIG})
    assert base.with_overrides({}) == base
    assert base.with_overrides({}).schema_ == "https://example.org/c.json"


@needs_cases
def test_with_overrides_round_trips_every_case() -> None:
    for case_dir in _case_dirs():
        config = ConfigFile.model_validate(_read(case_dir / "config.json"))
        assert config.with_overrides({}) == config, case_dir.name
