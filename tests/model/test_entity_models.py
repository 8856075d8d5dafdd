"""Tests of the system/entity case-file models (buses, lines, hydros, thermals, penalties, ...)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import ValidationError

from cobre_core.model.buses import Bus, BusesFile
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.energy_contracts import EnergyContractsFile
from cobre_core.model.exchange_factors import ExchangeFactorsFile
from cobre_core.model.generic_constraints import GenericConstraintsFile
from cobre_core.model.hydros import (
    ConstantEfficiency,
    ConstantProductivityGeneration,
    FactorHydraulicLosses,
    FphaGeneration,
    Hydro,
    HydrosFile,
    LinearizedHeadGeneration,
    PiecewiseTailrace,
    PolynomialTailrace,
)
from cobre_core.model.initial_conditions import InitialConditionsFile
from cobre_core.model.lines import LinesFile
from cobre_core.model.load_factors import LoadFactorsFile
from cobre_core.model.non_controllables import NonControllableSourcesFile
from cobre_core.model.penalties import PenaltiesFile
from cobre_core.model.production_models import (
    ProductionModelsFile,
    SeasonalProductionModel,
    StageRangesProductionModel,
)
from cobre_core.model.pumping_stations import PumpingStationsFile
from cobre_core.model.thermals import ThermalsFile

CASES_ROOT = Path(__file__).resolve().parents[3] / "shared" / "cobre-cases"
SKIP_REASON = f"shared Cobre reference cases not found at {CASES_ROOT}"

FILE_MODELS: tuple[type[CaseFileModel], ...] = (
    BusesFile,
    LinesFile,
    HydrosFile,
    ThermalsFile,
    NonControllableSourcesFile,
    ProductionModelsFile,
    PenaltiesFile,
    InitialConditionsFile,
    LoadFactorsFile,
    GenericConstraintsFile,
    ExchangeFactorsFile,
    EnergyContractsFile,
    PumpingStationsFile,
)
REQUIRED_FILE_MODELS: tuple[type[CaseFileModel], ...] = (
    BusesFile,
    LinesFile,
    HydrosFile,
    ThermalsFile,
    PenaltiesFile,
    InitialConditionsFile,
)


def _case_dirs() -> list[Path]:
    """Every shared case directory: 1dtoy, 4ree and each deterministic/d* folder."""
    if not CASES_ROOT.is_dir():
        return []
    dirs = [CASES_ROOT / "1dtoy", CASES_ROOT / "4ree"]
    deterministic = CASES_ROOT / "deterministic"
    if deterministic.is_dir():
        dirs.extend(sorted(p for p in deterministic.iterdir() if p.name.startswith("d")))
    return [d for d in dirs if d.is_dir()]


CASE_DIRS = _case_dirs()
CASE_FILES = [
    pytest.param(case, model, id=f"{case.name}:{model.RELATIVE_PATH}")
    for case in CASE_DIRS
    for model in FILE_MODELS
    if (case / model.RELATIVE_PATH).is_file()
]
needs_cases = pytest.mark.skipif(not CASE_DIRS, reason=SKIP_REASON)

FileModelT = TypeVar("FileModelT", bound=CaseFileModel)


def _case(name: str) -> Path:
    """Directory of one shared case, by folder name (top level or under deterministic/)."""
    for case in CASE_DIRS:
        if case.name == name:
            return case
    pytest.skip(f"{SKIP_REASON} (case {name})")


def _load(model: type[FileModelT], case_name: str) -> FileModelT:
    """Parse one file of a shared case with its file model."""
    return model.model_validate_json((_case(case_name) / model.RELATIVE_PATH).read_bytes())


# ── every shared case ────────────────────────────────────────────────────────


@needs_cases
def test_cases_are_present() -> None:
    names = {case.name for case in CASE_DIRS}
    assert {"1dtoy", "4ree", "d01-thermal-dispatch", "d13-generic-constraint"} <= names
    assert CASE_FILES, "no case file matched any model"


@needs_cases
@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda p: p.name)
def test_required_files_exist(case: Path) -> None:
    for model in REQUIRED_FILE_MODELS:
        assert (case / model.RELATIVE_PATH).is_file(), model.RELATIVE_PATH


@needs_cases
@pytest.mark.parametrize(("case", "model"), CASE_FILES)
def test_case_file_parses_and_round_trips(case: Path, model: type[CaseFileModel]) -> None:
    raw: dict[str, Any] = json.loads((case / model.RELATIVE_PATH).read_text(encoding="utf-8"))
    parsed = model.model_validate(raw)
    # Every key of the file is modelled: dumping what was set gives the file back.
    assert parsed.model_dump(mode="json", exclude_unset=True) == raw
    assert model.model_validate(parsed.model_dump(mode="json")) == parsed


# ── concrete values ──────────────────────────────────────────────────────────


def test_1dtoy_entities() -> None:
    thermals = _load(ThermalsFile, "1dtoy").thermals
    assert [t.id for t in thermals] == [0, 1]
    assert thermals[1].cost_per_mwh == 10.0
    assert thermals[1].generation.max_mw == 15.0
    assert thermals[1].gnl_config is None

    hydro = _load(HydrosFile, "1dtoy").hydros[0]
    assert isinstance(hydro.generation, ConstantProductivityGeneration)
    assert hydro.generation.productivity_mw_per_m3s == 1.0
    assert hydro.reservoir.max_storage_hm3 == 1000.0
    assert hydro.downstream_id is None

    assert _load(LinesFile, "1dtoy").lines == ()
    buses = _load(BusesFile, "1dtoy")
    assert buses.schema_ is not None and buses.schema_.endswith("buses.schema.json")
    assert buses.buses[0].deficit_segments is not None
    assert buses.buses[0].deficit_segments[0].depth_mw is None

    initial = _load(InitialConditionsFile, "1dtoy")
    assert initial.storage[0].value_hm3 == 83.222
    assert initial.filling_storage == ()
    assert initial.past_inflows == ()


def test_1dtoy_penalties() -> None:
    penalties = _load(PenaltiesFile, "1dtoy")
    assert [(s.depth_mw, s.cost) for s in penalties.bus.deficit_segments] == [
        (500.0, 1000.0),
        (None, 5000.0),
    ]
    assert penalties.bus.excess_cost == 100.0
    assert penalties.line.exchange_cost == 2.0
    assert penalties.hydro.fpha_turbined_cost == 0.05
    assert penalties.non_controllable_source.curtailment_cost == 0.005
    # Optional directional and inflow costs fall back to their documented defaults.
    assert penalties.hydro.water_withdrawal_violation_pos_cost is None
    assert penalties.hydro.resolved_water_withdrawal_violation_pos_cost == 1000.0
    assert penalties.hydro.resolved_water_withdrawal_violation_neg_cost == 1000.0
    assert penalties.hydro.resolved_evaporation_violation_pos_cost == 5000.0
    assert penalties.hydro.resolved_evaporation_violation_neg_cost == 5000.0
    assert penalties.hydro.resolved_inflow_nonnegativity_cost == 1000.0


def test_4ree_unbounded_outflow() -> None:
    hydros = _load(HydrosFile, "4ree").hydros
    assert len(hydros) == 4
    assert all(h.outflow.max_outflow_m3s is None for h in hydros)


def test_d04_line() -> None:
    (line,) = _load(LinesFile, "d04-transmission").lines
    assert (line.source_bus_id, line.target_bus_id) == (0, 1)
    assert (line.capacity.direct_mw, line.capacity.reverse_mw) == (15.0, 15.0)
    assert line.exchange_cost == 0.01
    assert line.losses_percent == 0.0
    assert line.entry_stage_id is None and line.exit_stage_id is None


def test_d05_fpha_generation_and_production_model() -> None:
    generation = _load(HydrosFile, "d05-fpha-constant-head").hydros[0].generation
    assert isinstance(generation, FphaGeneration)
    assert generation.model == "fpha"
    assert not hasattr(generation, "productivity_mw_per_m3s")
    assert generation.max_turbined_m3s == 50.0

    (entry,) = _load(ProductionModelsFile, "d05-fpha-constant-head").production_models
    assert isinstance(entry, StageRangesProductionModel)
    (stage_range,) = entry.stage_ranges
    assert (stage_range.start_stage_id, stage_range.end_stage_id) == (0, None)
    assert stage_range.model == "fpha"
    assert stage_range.fpha_config is not None
    assert stage_range.fpha_config.source == "precomputed"
    assert stage_range.productivity_override is None


def test_d07_computed_fpha_geometry_fields() -> None:
    hydro = _load(HydrosFile, "d07-fpha-computed").hydros[0]
    assert isinstance(hydro.tailrace, PolynomialTailrace)
    assert hydro.tailrace.coefficients == (300.0,)
    assert isinstance(hydro.hydraulic_losses, FactorHydraulicLosses)
    assert hydro.hydraulic_losses.value == 0.03
    assert isinstance(hydro.efficiency, ConstantEfficiency)
    assert hydro.efficiency.value == 0.92
    entry = _load(ProductionModelsFile, "d07-fpha-computed").production_models[0]
    assert isinstance(entry, StageRangesProductionModel)
    config = entry.stage_ranges[0].fpha_config
    assert config is not None and config.source == "computed"
    assert config.volume_discretization_points is None


def test_d08_evaporation() -> None:
    evaporation = _load(HydrosFile, "d08-evaporation").hydros[0].evaporation
    assert evaporation is not None
    assert evaporation.coefficients_mm == (100.0,) * 12
    assert evaporation.reference_volumes_hm3 is None


def test_d09_bus_deficit_segments() -> None:
    (bus,) = _load(BusesFile, "d09-multi-deficit").buses
    assert bus.deficit_segments is not None
    assert [(s.depth_mw, s.cost) for s in bus.deficit_segments] == [(10.0, 500.0), (None, 5000.0)]


def test_d13_generic_constraint() -> None:
    constraints = _load(GenericConstraintsFile, "d13-generic-constraint")
    assert constraints.schema_ is None
    (constraint,) = constraints.constraints
    assert constraint.id == 1
    assert constraint.expression == "thermal_generation(0)"
    assert constraint.sense == "<="
    assert constraint.slack.enabled is True
    assert constraint.slack.penalty == 5000.0


def test_d14_load_factors() -> None:
    entries = _load(LoadFactorsFile, "d14-block-factors").load_factors
    assert [(e.bus_id, e.stage_id) for e in entries] == [(0, 0), (0, 1)]
    assert [(b.block_id, b.factor) for b in entries[0].block_factors] == [(0, 0.8), (1, 1.2)]


def test_d15_non_controllable_source() -> None:
    (source,) = _load(
        NonControllableSourcesFile, "d15-non-controllable-source"
    ).non_controllable_sources
    assert source.max_generation_mw == 100.0
    assert source.curtailment_cost == 0.001
    assert source.entry_stage_id is None


def test_d19_past_inflows() -> None:
    initial = _load(InitialConditionsFile, "d19-multi-hydro-par")
    assert [(p.hydro_id, p.values_m3s) for p in initial.past_inflows] == [
        (0, (50.0, 45.0)),
        (1, (30.0, 28.0)),
    ]


def test_d20_operational_bounds() -> None:
    hydro = _load(HydrosFile, "d20-operational-violations").hydros[0]
    assert hydro.outflow.min_outflow_m3s == 40.0
    assert hydro.generation.min_turbined_m3s == 30.0
    assert hydro.generation.min_generation_mw == 20.0
    assert _load(
        PenaltiesFile, "d20-operational-violations"
    ).hydro.outflow_violation_below_cost == (5000.0)


def test_d28_recent_observations_are_dates() -> None:
    observations = _load(InitialConditionsFile, "d28-decomp-weekly-monthly").recent_observations
    assert observations
    for observation in observations:
        assert isinstance(observation.start_date, datetime.date)
        assert observation.start_date < observation.end_date


# ── inline documents: variants, errors, immutability ────────────────────────


def _hydro(**generation: Any) -> dict[str, Any]:
    """A minimal hydro entry whose generation sub-object is ``generation``."""
    return {
        "id": 0,
        "name": "H",
        "bus_id": 0,
        "reservoir": {"min_storage_hm3": 0.0, "max_storage_hm3": 10.0},
        "outflow": {"min_outflow_m3s": 0.0},
        "generation": {
            "min_turbined_m3s": 0.0,
            "max_turbined_m3s": 5.0,
            "min_generation_mw": 0.0,
            "max_generation_mw": 5.0,
            **generation,
        },
    }


def _error_types(excinfo: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {str(error["type"]) for error in excinfo.value.errors()}


def test_hydro_defaults_and_all_variants() -> None:
    hydro = Hydro.model_validate(
        _hydro(model="linearized_head", productivity_mw_per_m3s=0.9)
        | {
            "tailrace": {
                "type": "piecewise",
                "points": [{"outflow_m3s": 0.0, "height_m": 1.0}],
            },
            "hydraulic_losses": {"type": "constant", "value_m": 2.5},
            "diversion": {"downstream_id": 3, "max_flow_m3s": 7.0},
            "filling": {"start_stage_id": 4},
            "penalties": {"spillage_cost": 0.05, "inflow_nonnegativity_cost": 10.0},
            "evaporation": {"coefficients_mm": [1.0] * 12, "reference_volumes_hm3": [5.0] * 12},
        }
    )
    assert isinstance(hydro.generation, LinearizedHeadGeneration)
    assert hydro.generation.productivity_mw_per_m3s == 0.9
    assert isinstance(hydro.tailrace, PiecewiseTailrace)
    assert hydro.tailrace.points[0].height_m == 1.0
    assert hydro.hydraulic_losses is not None and hydro.hydraulic_losses.type == "constant"
    assert hydro.diversion is not None and hydro.diversion.downstream_id == 3
    assert hydro.filling is not None and hydro.filling.filling_inflow_m3s == 0.0
    assert hydro.penalties is not None and hydro.penalties.spillage_cost == 0.05
    assert hydro.penalties.diversion_cost is None
    assert hydro.penalties.inflow_nonnegativity_cost == 10.0
    assert hydro.outflow.max_outflow_m3s is None
    assert (hydro.downstream_id, hydro.entry_stage_id, hydro.exit_stage_id) == (None, None, None)
    assert hydro.efficiency is None


def test_wrong_generation_model_tag_is_rejected() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Hydro.model_validate(_hydro(model="constant_head", productivity_mw_per_m3s=1.0))
    assert "union_tag_invalid" in _error_types(excinfo)
    assert "constant_head" in str(excinfo.value)


def test_missing_generation_model_tag_is_rejected() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Hydro.model_validate(_hydro(productivity_mw_per_m3s=1.0))
    assert "union_tag_not_found" in _error_types(excinfo)


def test_constant_productivity_requires_productivity() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Hydro.model_validate(_hydro(model="constant_productivity"))
    assert excinfo.value.errors()[0]["loc"] == (
        "generation",
        "constant_productivity",
        "productivity_mw_per_m3s",
    )
    assert _error_types(excinfo) == {"missing"}


def test_fpha_generation_ignores_productivity() -> None:
    hydro = Hydro.model_validate(_hydro(model="fpha", productivity_mw_per_m3s=1.0))
    assert isinstance(hydro.generation, FphaGeneration)
    assert "productivity_mw_per_m3s" not in hydro.generation.model_dump()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tailrace", {"type": "exponential", "coefficients": [1.0]}),
        ("hydraulic_losses", {"type": "quadratic", "value": 0.1}),
        ("efficiency", {"type": "table", "value": 0.9}),
    ],
)
def test_wrong_type_tags_are_rejected(field: str, value: dict[str, Any]) -> None:
    document = _hydro(model="fpha") | {field: value}
    with pytest.raises(ValidationError) as excinfo:
        Hydro.model_validate(document)
    assert _error_types(excinfo) & {"union_tag_invalid", "literal_error"}
    assert excinfo.value.errors()[0]["loc"][0] == field


def test_wrong_selection_mode_is_rejected() -> None:
    document = {"production_models": [{"hydro_id": 0, "selection_mode": "yearly", "seasons": []}]}
    with pytest.raises(ValidationError) as excinfo:
        ProductionModelsFile.model_validate(document)
    assert "union_tag_invalid" in _error_types(excinfo)


def test_seasonal_production_model() -> None:
    document = {
        "production_models": [
            {
                "hydro_id": 2,
                "selection_mode": "seasonal",
                "default_model": "constant_productivity",
                "seasons": [
                    {"season_id": 0, "model": "linearized_head", "productivity_override": 0.8},
                    {
                        "season_id": 1,
                        "model": "fpha",
                        "fpha_config": {
                            "source": "computed",
                            "max_planes_per_hydro": 4,
                            "fitting_window": {"volume_min_percentile": 10.0},
                        },
                    },
                ],
            }
        ]
    }
    (entry,) = ProductionModelsFile.model_validate(document).production_models
    assert isinstance(entry, SeasonalProductionModel)
    assert entry.default_model == "constant_productivity"
    assert entry.seasons[0].productivity_override == 0.8
    config = entry.seasons[1].fpha_config
    assert config is not None and config.max_planes_per_hydro == 4
    assert config.fitting_window is not None
    assert config.fitting_window.volume_min_percentile == 10.0
    assert config.fitting_window.volume_max_hm3 is None


def test_production_model_checks() -> None:
    base = {"start_stage_id": 0, "model": "constant_productivity"}
    with pytest.raises(ValidationError):  # unknown model name
        ProductionModelsFile.model_validate(
            {
                "production_models": [
                    {
                        "hydro_id": 0,
                        "selection_mode": "stage_ranges",
                        "stage_ranges": [base | {"model": "table"}],
                    }
                ]
            }
        )
    with pytest.raises(ValidationError):  # productivity override must be > 0
        ProductionModelsFile.model_validate(
            {
                "production_models": [
                    {
                        "hydro_id": 0,
                        "selection_mode": "stage_ranges",
                        "stage_ranges": [base | {"productivity_override": 0.0}],
                    }
                ]
            }
        )


@pytest.mark.parametrize(
    ("model", "document"),
    [
        (
            ThermalsFile,
            {
                "thermals": [
                    {"id": 0, "name": "T", "bus_id": 0, "generation": {"min_mw": 0, "max_mw": 1}}
                ]
            },
        ),
        (BusesFile, {"buses": [{"id": 0}]}),
        (LinesFile, {"lines": [{"id": 0, "name": "L", "source_bus_id": 0, "target_bus_id": 1}]}),
        (InitialConditionsFile, {"storage": []}),
        (PenaltiesFile, {"bus": {"deficit_segments": [], "excess_cost": 1.0}}),
        (GenericConstraintsFile, {"constraints": [{"id": 0, "name": "c", "expression": "x(0)"}]}),
        (LoadFactorsFile, {"load_factors": [{"bus_id": 0, "stage_id": 0}]}),
        (NonControllableSourcesFile, {"non_controllable_sources": [{"id": 0, "name": "N"}]}),
        (HydrosFile, {}),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_missing_required_field_is_rejected(
    model: type[CaseFileModel], document: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        model.model_validate(document)
    assert "missing" in _error_types(excinfo)


def test_schema_numeric_checks() -> None:
    with pytest.raises(ValidationError):
        InitialConditionsFile.model_validate(
            {"storage": [{"hydro_id": 0, "value_hm3": -1.0}], "filling_storage": []}
        )
    with pytest.raises(ValidationError):
        InitialConditionsFile.model_validate(
            {
                "storage": [],
                "filling_storage": [],
                "past_inflows": [{"hydro_id": 0, "values_m3s": [1.0, -0.5]}],
            }
        )
    with pytest.raises(ValidationError):
        LoadFactorsFile.model_validate(
            {
                "load_factors": [
                    {"bus_id": 0, "stage_id": 0, "block_factors": [{"block_id": 0, "factor": 0}]}
                ]
            }
        )
    with pytest.raises(ValidationError):
        ThermalsFile.model_validate(
            {
                "thermals": [
                    {
                        "id": 0,
                        "name": "T",
                        "bus_id": 0,
                        "cost_per_mwh": -1.0,
                        "generation": {"min_mw": 0, "max_mw": 1},
                    }
                ]
            }
        )
    with pytest.raises(ValidationError):  # ids are int32
        Bus.model_validate({"id": 2**31, "name": "B"})


def test_recent_observation_dates_must_be_iso_text() -> None:
    observation = {"hydro_id": 0, "start_date": 19723, "end_date": "2024-02-01", "value_m3s": 1.0}
    document = {"storage": [], "filling_storage": [], "recent_observations": [observation]}
    with pytest.raises(ValidationError):
        InitialConditionsFile.model_validate(document)
    observation["start_date"] = "2024-01-01"
    parsed = InitialConditionsFile.model_validate(document)
    assert parsed.recent_observations[0].start_date == datetime.date(2024, 1, 1)


def test_sense_must_be_a_comparison() -> None:
    constraint = {
        "id": 0,
        "name": "c",
        "expression": "thermal_generation(0)",
        "sense": "<",
        "slack": {"enabled": False},
    }
    with pytest.raises(ValidationError) as excinfo:
        GenericConstraintsFile.model_validate({"constraints": [constraint]})
    assert "literal_error" in _error_types(excinfo)
    constraint["sense"] = "=="
    parsed = GenericConstraintsFile.model_validate({"constraints": [constraint]})
    assert parsed.constraints[0].slack.penalty is None
    assert parsed.constraints[0].description is None


def test_thermal_gnl_and_stage_window() -> None:
    document = {
        "thermals": [
            {
                "id": 3,
                "name": "GNL",
                "bus_id": 0,
                "cost_per_mwh": 0.0,
                "generation": {"min_mw": 1.0, "max_mw": 2.0},
                "entry_stage_id": 2,
                "exit_stage_id": 9,
                "gnl_config": {"lag_stages": 2},
            }
        ]
    }
    (thermal,) = ThermalsFile.model_validate(document).thermals
    assert thermal.gnl_config is not None and thermal.gnl_config.lag_stages == 2
    assert (thermal.entry_stage_id, thermal.exit_stage_id) == (2, 9)


def test_optional_files_not_in_the_cases() -> None:
    exchange = ExchangeFactorsFile.model_validate(
        {
            "exchange_factors": [
                {
                    "line_id": 0,
                    "stage_id": 1,
                    "block_factors": [{"block_id": 0, "direct_factor": 0.5, "reverse_factor": 1.0}],
                }
            ]
        }
    )
    assert exchange.exchange_factors[0].block_factors[0].direct_factor == 0.5
    contracts = EnergyContractsFile.model_validate(
        {
            "contracts": [
                {
                    "id": 0,
                    "name": "C",
                    "bus_id": 0,
                    "type": "export",
                    "price_per_mwh": -3.0,
                    "limits": {"min_mw": 0.0, "max_mw": 10.0},
                }
            ]
        }
    )
    assert contracts.contracts[0].type == "export"
    with pytest.raises(ValidationError):
        EnergyContractsFile.model_validate(
            {"contracts": [contracts.contracts[0].model_dump() | {"type": "swap"}]}
        )
    stations = PumpingStationsFile.model_validate(
        {
            "pumping_stations": [
                {
                    "id": 0,
                    "name": "P",
                    "bus_id": 0,
                    "source_hydro_id": 1,
                    "destination_hydro_id": 2,
                    "consumption_mw_per_m3s": 0.3,
                    "flow": {"min_m3s": 0.0, "max_m3s": 4.0},
                }
            ]
        }
    )
    assert stations.pumping_stations[0].flow.max_m3s == 4.0


def test_relative_paths() -> None:
    assert {model.__name__: model.RELATIVE_PATH for model in FILE_MODELS} == {
        "BusesFile": "system/buses.json",
        "LinesFile": "system/lines.json",
        "HydrosFile": "system/hydros.json",
        "ThermalsFile": "system/thermals.json",
        "NonControllableSourcesFile": "system/non_controllable_sources.json",
        "ProductionModelsFile": "system/hydro_production_models.json",
        "PenaltiesFile": "penalties.json",
        "InitialConditionsFile": "initial_conditions.json",
        "LoadFactorsFile": "scenarios/load_factors.json",
        "GenericConstraintsFile": "constraints/generic_constraints.json",
        "ExchangeFactorsFile": "constraints/exchange_factors.json",
        "EnergyContractsFile": "system/energy_contracts.json",
        "PumpingStationsFile": "system/pumping_stations.json",
    }
    # RELATIVE_PATH is a class constant, not a field.
    assert "RELATIVE_PATH" not in BusesFile.model_fields


def test_schema_key_round_trips_by_alias() -> None:
    uri = "https://example.invalid/buses.schema.json"
    buses = BusesFile.model_validate({"$schema": uri, "buses": [{"id": 0, "name": "B"}]})
    assert buses.schema_ == uri
    dumped = buses.model_dump()
    assert dumped["$schema"] == uri and "schema_" not in dumped
    assert json.loads(buses.model_dump_json())["$schema"] == uri
    assert BusesFile(buses=(), schema_=uri).schema_ == uri


def test_unknown_keys_are_ignored() -> None:
    buses = BusesFile.model_validate({"buses": [{"id": 0, "name": "B", "color": "red"}]})
    assert "color" not in buses.buses[0].model_dump()


def test_models_are_immutable() -> None:
    hydros = HydrosFile.model_validate({"hydros": [_hydro(model="fpha")]})
    with pytest.raises(ValidationError) as excinfo:
        hydros.hydros[0].name = "other"  # type: ignore[misc]
    assert "frozen_instance" in _error_types(excinfo)
    with pytest.raises(ValidationError):
        hydros.hydros[0].reservoir.max_storage_hm3 = 1.0  # type: ignore[misc]
    assert isinstance(hydros.hydros, tuple)
    with pytest.raises(TypeError):
        hydros.hydros[0] = hydros.hydros[0]  # type: ignore[index]
    # Frozen models are hashable and compare by value.
    again = HydrosFile.model_validate({"hydros": [_hydro(model="fpha")]})
    assert hash(again) == hash(hydros) and again == hydros
