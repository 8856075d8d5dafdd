"""Immutable pydantic models of every Cobre case file, with upstream's field names and units."""

from cobre_core.model.buses import BusesFile
from cobre_core.model.config import ConfigFile
from cobre_core.model.energy_contracts import EnergyContractsFile
from cobre_core.model.exchange_factors import ExchangeFactorsFile
from cobre_core.model.generic_constraints import GenericConstraintsFile
from cobre_core.model.hydros import HydrosFile
from cobre_core.model.initial_conditions import InitialConditionsFile
from cobre_core.model.lines import LinesFile
from cobre_core.model.load_factors import LoadFactorsFile
from cobre_core.model.non_controllables import NonControllableSourcesFile
from cobre_core.model.penalties import PenaltiesFile
from cobre_core.model.production_models import ProductionModelsFile
from cobre_core.model.pumping_stations import PumpingStationsFile
from cobre_core.model.stages import StagesFile
from cobre_core.model.thermals import ThermalsFile

__all__ = [
    "BusesFile",
    "ConfigFile",
    "EnergyContractsFile",
    "ExchangeFactorsFile",
    "GenericConstraintsFile",
    "HydrosFile",
    "InitialConditionsFile",
    "LinesFile",
    "LoadFactorsFile",
    "NonControllableSourcesFile",
    "PenaltiesFile",
    "ProductionModelsFile",
    "PumpingStationsFile",
    "StagesFile",
    "ThermalsFile",
]
