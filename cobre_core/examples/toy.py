"""The ``toy`` example: one bus, one reservoir and two thermal plants over six months.

It is the smallest case that still exercises the whole SDDP machinery: a storage state, a PAR(1)
inflow lag state, five openings per stage, truncated inflows and a two-segment deficit. Training
it (30 iterations, 2 forward passes) takes a few seconds.

Numbers at a glance (2025, January to June, one block per stage of days × 24 hours):

* bus 0 ``SYSTEM``, load 130/130/125/120/120/125 MW (deterministic);
* hydro 0 ``RIVER``: storage 20..600 hm³ starting at 300 hm³, productivity 0.95 MW/(m³/s),
  up to 100 m³/s turbined (95 MW); mean inflow falls from 95 m³/s (wet season) to 40 m³/s,
  with a 30 % coefficient of variation, AR(1) coefficient 0.4;
* thermals: ``GAS_CC`` 50 MW at 25 $/MWh and ``GAS_PEAKER`` 40 MW at 90 $/MWh;
* deficit: 15 MW at 500 $/MWh, then unbounded at 2500 $/MWh.
"""

from __future__ import annotations

from cobre_core.examples.common import (
    ar_residual_ratio,
    bus,
    config_file,
    entity_file,
    hydro,
    initial_conditions_file,
    month_hours,
    monthly_stage,
    penalties_file,
    pre_study_month,
    stages_file,
    thermal,
)
from cobre_core.examples.writer import (
    CaseFiles,
    inflow_ar_coefficients_table,
    inflow_seasonal_stats_table,
    load_seasonal_stats_table,
)

YEAR = 2025
"""Calendar year of the study."""

MONTHS: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
"""Calendar months of the six study stages."""

NUM_OPENINGS = 5
"""Openings (branching factor) per stage."""

INFLOW_MEAN_M3S: tuple[float, ...] = (95.0, 100.0, 85.0, 60.0, 45.0, 40.0)
"""Mean natural inflow of the hydro per study stage (m³/s)."""

PRE_STUDY_INFLOW_MEAN_M3S = 85.0
"""Mean inflow of December 2024, the pre-study stage -1 (m³/s)."""

INFLOW_CV = 0.3
"""Coefficient of variation of the inflows (std / mean)."""

AR_COEFFICIENT = 0.4
"""Standardised lag-1 coefficient ψ* of the PAR(1) model at every stage."""

PAST_INFLOW_M3S = 90.0
"""Observed inflow of December 2024, the initial lag state (m³/s)."""

LOAD_MW: tuple[float, ...] = (130.0, 130.0, 125.0, 120.0, 120.0, 125.0)
"""Load of the single bus per study stage (MW, deterministic)."""

DEFICIT: tuple[tuple[float | None, float], ...] = ((15.0, 500.0), (None, 2500.0))
"""Deficit segments ``(depth_mw, cost $/MWh)``, the last one unbounded."""


def build() -> CaseFiles:
    """Return the toy case as ``relative path -> JSON dict or pyarrow.Table``."""
    stages = [
        monthly_stage(
            stage_id,
            YEAR,
            month,
            blocks=[("SINGLE", month_hours(YEAR, month))],
            num_scenarios=NUM_OPENINGS,
        )
        for stage_id, month in enumerate(MONTHS)
    ]
    stats_rows = [(0, -1, PRE_STUDY_INFLOW_MEAN_M3S, INFLOW_CV * PRE_STUDY_INFLOW_MEAN_M3S)]
    stats_rows += [
        (0, stage_id, mean, round(INFLOW_CV * mean, 6))
        for stage_id, mean in enumerate(INFLOW_MEAN_M3S)
    ]
    ratio = ar_residual_ratio(AR_COEFFICIENT)
    ar_rows = [(0, stage_id, 1, AR_COEFFICIENT, ratio) for stage_id in range(len(MONTHS))]
    load_rows = [(0, stage_id, load, 0.0) for stage_id, load in enumerate(LOAD_MW)]

    return {
        "config.json": config_file(iteration_limit=30, forward_passes=2, simulation_scenarios=20),
        "stages.json": stages_file(
            stages,
            pre_study_stages=[pre_study_month(-1, YEAR - 1, 12)],
            annual_discount_rate=0.0,
        ),
        "penalties.json": penalties_file(
            deficit=DEFICIT,
            excess_cost=0.01,
            exchange_cost=0.01,
            spillage_cost=0.01,
            operational_cost=5000.0,
        ),
        "initial_conditions.json": initial_conditions_file(
            storage_hm3={0: 300.0}, past_inflows_m3s={0: [PAST_INFLOW_M3S]}
        ),
        "system/buses.json": entity_file("buses", "buses", [bus(0, "SYSTEM", DEFICIT)]),
        "system/lines.json": entity_file("lines", "lines", []),
        "system/hydros.json": entity_file(
            "hydros",
            "hydros",
            [
                hydro(
                    0,
                    "RIVER",
                    0,
                    None,
                    min_storage_hm3=20.0,
                    max_storage_hm3=600.0,
                    productivity_mw_per_m3s=0.95,
                    max_turbined_m3s=100.0,
                )
            ],
        ),
        "system/thermals.json": entity_file(
            "thermals",
            "thermals",
            [
                thermal(0, "GAS_CC", 0, max_mw=50.0, cost_per_mwh=25.0),
                thermal(1, "GAS_PEAKER", 0, max_mw=40.0, cost_per_mwh=90.0),
            ],
        ),
        "scenarios/inflow_seasonal_stats.parquet": inflow_seasonal_stats_table(stats_rows),
        "scenarios/inflow_ar_coefficients.parquet": inflow_ar_coefficients_table(ar_rows),
        "scenarios/load_seasonal_stats.parquet": load_seasonal_stats_table(load_rows),
    }
