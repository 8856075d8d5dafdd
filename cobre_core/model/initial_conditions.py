"""Model of ``initial_conditions.json``: storage and inflow history at the start of the study."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.ids import Int32, IsoDate

NonNegativeInflow = Annotated[float, Field(ge=0.0)]
"""An inflow value that the schema requires to be >= 0 [m³/s]."""


class HydroStorage(CaseModel):
    """Initial storage of one hydro reservoir."""

    hydro_id: Int32 = Field(description="Hydro plant id, unique within its array [-]")
    value_hm3: float = Field(ge=0.0, description="Initial reservoir volume, >= 0 [hm³]")


class HydroPastInflows(CaseModel):
    """Inflows before the study start, used to initialise the PAR(p) lags of one hydro."""

    hydro_id: Int32 = Field(description="Hydro plant id, unique within past_inflows [-]")
    values_m3s: tuple[NonNegativeInflow, ...] = Field(
        description="Past inflows, most recent first (index 0 = lag 1), each >= 0 [m³/s]"
    )


class RecentObservation(CaseModel):
    """Observed average inflow of one hydro over a date range just before the study start."""

    hydro_id: Int32 = Field(description="Hydro plant id [-]")
    start_date: IsoDate = Field(description="Start of the period, inclusive [ISO date]")
    end_date: IsoDate = Field(description="End of the period, exclusive [ISO date]")
    value_m3s: float = Field(
        ge=0.0, allow_inf_nan=False, description="Average inflow over the period, >= 0 [m³/s]"
    )


class InitialConditionsFile(CaseFileModel):
    """Contents of ``initial_conditions.json``."""

    RELATIVE_PATH: ClassVar[str] = "initial_conditions.json"

    storage: tuple[HydroStorage, ...] = Field(
        description="Initial volumes of operating hydros [hm³]"
    )
    filling_storage: tuple[HydroStorage, ...] = Field(
        description="Initial volumes of filling hydros [hm³]"
    )
    past_inflows: tuple[HydroPastInflows, ...] = Field(
        default=(), description="Past inflows for PAR lag initialisation; absent = none [m³/s]"
    )
    recent_observations: tuple[RecentObservation, ...] = Field(
        default=(), description="Observed inflows for mid-season starts; absent = none [m³/s]"
    )
