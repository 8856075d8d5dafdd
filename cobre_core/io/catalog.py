"""The catalogue of Cobre case files: where each lives, whether it is required, how to read it.

Every file a case directory may hold is listed once here, with its path relative to the case root,
its format, whether the case is invalid without it, and either the pydantic model of a JSON file
or the :class:`~cobre_core.io.tables.TableSpec` of a Parquet file. Files upstream knows but this
project does not model yet (penalty overrides, line bounds, ...) are listed without a
model or table spec (``supported`` is False): the validator warns that they are ignored instead of
silently dropping them. Files that are parsed and checked but have no effect on the LP (pumping
stations, energy contracts: upstream's LP adds nothing for them either) carry ``used=False`` and
also get a warning. Anything else found in the case directory is unknown and is reported too.

Required files follow the upstream book and loader: the four root files and ``system/buses.json``,
``system/lines.json``, ``system/hydros.json``, ``system/thermals.json`` (an empty list is fine, the
file is not optional).

Not for output files: ``output/`` (and hidden files) are skipped by :func:`is_ignored`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from pydantic import BaseModel

from cobre_core.io import tables
from cobre_core.io.tables import TableSpec


class FileFormat(StrEnum):
    """On-disk format of a case file."""

    JSON = "json"
    PARQUET = "parquet"


@dataclass(frozen=True)
class CatalogEntry:
    """One file of the case-directory layout.

    ``model_ref`` names the pydantic model of a JSON file as ``"module:Class"``; it is imported on
    first use (:meth:`model_class`) so the catalogue can be read without importing every model.
    ``used`` is False for files whose contents do not reach the solver.
    """

    relative_path: str
    format: FileFormat
    required: bool = False
    model_ref: str | None = None
    table: TableSpec | None = None
    used: bool = True
    description: str = ""

    @property
    def supported(self) -> bool:
        """Whether the file is parsed and checked (it has a JSON model or a table spec)."""
        return self.model_ref is not None or self.table is not None

    def model_class(self) -> type[BaseModel] | None:
        """The JSON model class, or ``None`` for Parquet / unsupported files or a missing model."""
        if self.model_ref is None:
            return None
        return _resolve_model(self.model_ref)


@cache
def _resolve_model(ref: str) -> type[BaseModel] | None:
    module_name, _, class_name = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    cls = getattr(module, class_name, None)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return cls
    return None


def _json(
    path: str, model: str, description: str, *, required: bool = False, used: bool = True
) -> CatalogEntry:
    return CatalogEntry(
        path,
        FileFormat.JSON,
        required=required,
        model_ref=f"cobre_core.model.{model}",
        used=used,
        description=description,
    )


def _parquet(spec: TableSpec) -> CatalogEntry:
    return CatalogEntry(
        spec.relative_path, FileFormat.PARQUET, table=spec, description=spec.description
    )


def _unsupported(path: str, description: str) -> CatalogEntry:
    fmt = FileFormat.PARQUET if path.endswith(".parquet") else FileFormat.JSON
    return CatalogEntry(path, fmt, used=False, description=description)


CATALOG: tuple[CatalogEntry, ...] = (
    # Root, required
    _json("config.json", "config:ConfigFile", "Solver configuration", required=True),
    _json("penalties.json", "penalties:PenaltiesFile", "Global penalty defaults", required=True),
    _json("stages.json", "stages:StagesFile", "Stages, blocks and policy graph", required=True),
    _json(
        "initial_conditions.json",
        "initial_conditions:InitialConditionsFile",
        "Initial storage and past inflows",
        required=True,
    ),
    # system/, required
    _json("system/buses.json", "buses:BusesFile", "Bus registry", required=True),
    _json("system/lines.json", "lines:LinesFile", "Transmission line registry", required=True),
    _json("system/hydros.json", "hydros:HydrosFile", "Hydro plant registry", required=True),
    _json("system/thermals.json", "thermals:ThermalsFile", "Thermal plant registry", required=True),
    # system/, optional
    _json(
        "system/non_controllable_sources.json",
        "non_controllables:NonControllableSourcesFile",
        "Non-controllable (intermittent) source registry",
    ),
    _json(
        "system/hydro_production_models.json",
        "production_models:ProductionModelsFile",
        "Per-stage hydro production model selection",
    ),
    _parquet(tables.HYDRO_GEOMETRY),
    _parquet(tables.FPHA_HYPERPLANES),
    # scenarios/, optional
    _parquet(tables.INFLOW_SEASONAL_STATS),
    _parquet(tables.INFLOW_AR_COEFFICIENTS),
    _parquet(tables.INFLOW_HISTORY),
    _parquet(tables.LOAD_SEASONAL_STATS),
    _json("scenarios/load_factors.json", "load_factors:LoadFactorsFile", "Per-block load factors"),
    _parquet(tables.NON_CONTROLLABLE_STATS),
    _parquet(tables.EXTERNAL_INFLOW_SCENARIOS),
    _parquet(tables.EXTERNAL_LOAD_SCENARIOS),
    _parquet(tables.EXTERNAL_NCS_SCENARIOS),
    _parquet(tables.NOISE_OPENINGS),
    CatalogEntry(
        "scenarios/correlation.json",
        FileFormat.JSON,
        model_ref="cobre_core.stochastic.correlation:CorrelationFile",
        description="Spatial correlation of the noise (profiles, groups, schedule)",
    ),
    # constraints/, optional
    _parquet(tables.HYDRO_BOUNDS),
    _parquet(tables.THERMAL_BOUNDS),
    _json(
        "constraints/generic_constraints.json",
        "generic_constraints:GenericConstraintsFile",
        "User-defined linear constraints",
    ),
    _parquet(tables.GENERIC_CONSTRAINT_BOUNDS),
    _json(
        "constraints/exchange_factors.json",
        "exchange_factors:ExchangeFactorsFile",
        "Per-block line capacity factors",
    ),
    # Known upstream, not modelled here: reported as ignored.
    _unsupported("post_study_stages.json", "Post-study stages"),
    _json(
        "system/pumping_stations.json",
        "pumping_stations:PumpingStationsFile",
        "Pumping station registry",
        used=False,
    ),
    _json(
        "system/energy_contracts.json",
        "energy_contracts:EnergyContractsFile",
        "Bilateral energy contract registry",
        used=False,
    ),
    _unsupported("system/hydro_energy_productivity.parquet", "Per-stage hydro productivity"),
    _unsupported("system/tailrace_curves.parquet", "Tailrace curves"),
    _unsupported("system/scalar_parameters.json", "Scalar parameters (removed upstream)"),
    _unsupported("scenarios/inflow_annual_component.parquet", "PAR-A annual component"),
    _unsupported("scenarios/external_scenarios.parquet", "External inflows (book name)"),
    _unsupported("scenarios/non_controllable_factors.json", "Per-block NCS factors"),
    _unsupported("constraints/line_bounds.parquet", "Stage-varying line capacity"),
    _unsupported("constraints/pumping_bounds.parquet", "Stage-varying pumping bounds"),
    _unsupported("constraints/contract_bounds.parquet", "Stage-varying contract bounds"),
    _unsupported("constraints/generic_parameters.json", "Generic constraint parameters"),
    _unsupported("constraints/ncs_bounds.parquet", "Stage-varying NCS bounds"),
    _unsupported("constraints/hydro_unit_group_bounds.parquet", "Hydro unit-group bounds"),
    _unsupported("constraints/penalty_overrides_bus.parquet", "Per-stage bus penalties"),
    _unsupported("constraints/penalty_overrides_line.parquet", "Per-stage line penalties"),
    _unsupported("constraints/penalty_overrides_hydro.parquet", "Per-stage hydro penalties"),
    _unsupported("constraints/penalty_overrides_ncs.parquet", "Per-stage NCS penalties"),
)
"""Every case file the project knows, required files first."""

_BY_PATH: dict[str, CatalogEntry] = {entry.relative_path: entry for entry in CATALOG}

IGNORED_TOP_LEVEL: frozenset[str] = frozenset({"output", "validation_report.json"})
"""Top-level names skipped when scanning a case: solver outputs and upstream's report file."""


def entry_for(relative_path: str) -> CatalogEntry | None:
    """The catalogue entry of a POSIX relative path, or ``None`` if the file is unknown."""
    return _BY_PATH.get(relative_path)


def required_entries() -> tuple[CatalogEntry, ...]:
    """Entries whose file must exist for the case to be valid."""
    return tuple(entry for entry in CATALOG if entry.required)


def supported_entries() -> tuple[CatalogEntry, ...]:
    """Entries the validator parses and checks (JSON models and Parquet table specs)."""
    return tuple(entry for entry in CATALOG if entry.supported)


def is_ignored(relative_parts: tuple[str, ...]) -> bool:
    """Whether a path inside the case (split in parts) is skipped: hidden, or under ``output/``."""
    if not relative_parts:
        return True
    if relative_parts[0] in IGNORED_TOP_LEVEL:
        return True
    return any(part.startswith(".") for part in relative_parts)
