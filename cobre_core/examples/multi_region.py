"""The ``multi_region`` example: three buses, a three-reservoir cascade and one stand-alone plant.

Twelve monthly stages of 2025, each split into three load blocks (``HEAVY`` 4 h/day,
``MEDIUM`` 12 h/day, ``LIGHT`` 8 h/day) whose per-bus load factors average exactly 1 when
weighted by hours. It exercises transmission limits with exchange costs, cascaded water balances
(upstream -> middle -> downstream), a minimum outflow, stochastic load on one bus, PAR(1) inflows
for every hydro with truncation, four openings per stage and a discount rate.

Entities:

* buses 0 ``NORTH``, 1 ``CENTER``, 2 ``SOUTH``; lines NORTH->CENTER, CENTER->SOUTH, NORTH->SOUTH;
* hydros 0 ``UPPER`` (bus 0) -> 1 ``MIDDLE`` (bus 0) -> 2 ``LOWER`` (bus 1, min outflow
  100 m³/s), and 3 ``COASTAL`` (bus 2, stand-alone);
* thermals 0 ``NORTH_GAS`` (bus 0), 1 ``CENTER_COAL`` and 2 ``CENTER_OIL`` (bus 1),
  3 ``SOUTH_GAS`` (bus 2);
* load means about 300 / 600 / 350 MW; the CENTER load has a std of 40 MW.
"""

from __future__ import annotations

from cobre_core.examples.common import (
    ar_residual_ratio,
    bus,
    config_file,
    entity_file,
    hydro,
    initial_conditions_file,
    line,
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
    schema_url,
)

YEAR = 2025
"""Calendar year of the study (stages 0..11 are January..December)."""

NUM_OPENINGS = 4
"""Openings (branching factor) per stage."""

BLOCK_HOURS_PER_DAY: tuple[tuple[str, int], ...] = (("HEAVY", 4), ("MEDIUM", 12), ("LIGHT", 8))
"""Load blocks and how many hours of each day they cover (they add up to 24)."""

LOAD_FACTORS: dict[int, tuple[float, float, float]] = {
    0: (1.25, 1.05, 0.80),
    1: (1.20, 1.10, 0.75),
    2: (1.30, 1.00, 0.85),
}
"""Per-bus block factors (HEAVY, MEDIUM, LIGHT); each averages exactly 1 over 4/12/8 hours."""

SEASONALITY: tuple[float, ...] = (
    1.45,
    1.55,
    1.40,
    1.15,
    0.85,
    0.65,
    0.55,
    0.50,
    0.60,
    0.80,
    1.10,
    1.40,
)
"""Monthly inflow shape (January first) multiplying each hydro's long-term mean inflow."""

LOAD_SEASONALITY: tuple[float, ...] = (
    1.04,
    1.05,
    1.03,
    1.00,
    0.97,
    0.95,
    0.95,
    0.96,
    0.98,
    1.00,
    1.02,
    1.05,
)
"""Monthly load shape (January first) multiplying each bus's average load."""

HYDRO_MEAN_INFLOW_M3S: dict[int, float] = {0: 260.0, 1: 80.0, 2: 45.0, 3: 150.0}
"""Long-term mean incremental inflow of each hydro (m³/s)."""

HYDRO_INFLOW_CV: dict[int, float] = {0: 0.30, 1: 0.35, 2: 0.40, 3: 0.30}
"""Coefficient of variation (std / mean) of each hydro's inflow."""

AR_COEFFICIENTS: dict[int, float] = {0: 0.45, 1: 0.40, 2: 0.35, 3: 0.50}
"""Standardised lag-1 PAR coefficient ψ* of each hydro (the same for every stage)."""

INITIAL_STORAGE_HM3: dict[int, float] = {0: 2400.0, 1: 900.0, 2: 250.0, 3: 1200.0}
"""Storage of each hydro at the start of the study (hm³)."""

BUS_LOAD_MW: dict[int, float] = {0: 300.0, 1: 600.0, 2: 350.0}
"""Average load of each bus (MW) before the monthly shape."""

STOCHASTIC_LOAD_STD_MW: dict[int, float] = {1: 40.0}
"""Standard deviation of the load of the buses whose load is stochastic (MW)."""

DEFICIT: tuple[tuple[float | None, float], ...] = ((100.0, 1200.0), (None, 4500.0))
"""Deficit segments ``(depth_mw, cost $/MWh)`` of every bus, the last one unbounded."""


def _hydros() -> list[dict[str, object]]:
    """Return the hydro records: the UPPER -> MIDDLE -> LOWER cascade and COASTAL."""
    return [
        hydro(
            0,
            "UPPER",
            0,
            1,
            min_storage_hm3=200.0,
            max_storage_hm3=4000.0,
            productivity_mw_per_m3s=0.5,
            max_turbined_m3s=400.0,
        ),
        hydro(
            1,
            "MIDDLE",
            0,
            2,
            min_storage_hm3=100.0,
            max_storage_hm3=1500.0,
            productivity_mw_per_m3s=0.8,
            max_turbined_m3s=500.0,
        ),
        hydro(
            2,
            "LOWER",
            1,
            None,
            min_storage_hm3=50.0,
            max_storage_hm3=400.0,
            productivity_mw_per_m3s=0.6,
            max_turbined_m3s=600.0,
            min_outflow_m3s=100.0,
        ),
        hydro(
            3,
            "COASTAL",
            2,
            None,
            min_storage_hm3=100.0,
            max_storage_hm3=2000.0,
            productivity_mw_per_m3s=0.9,
            max_turbined_m3s=250.0,
        ),
    ]


def _stats_rows() -> list[tuple[int, int, float, float]]:
    """Return inflow stats rows for every hydro at stage -1 (December 2024) and stages 0..11."""
    rows: list[tuple[int, int, float, float]] = []
    for hydro_id, long_term_mean in HYDRO_MEAN_INFLOW_M3S.items():
        cv = HYDRO_INFLOW_CV[hydro_id]
        # Stage -1 is December, so it takes the December shape.
        for stage_id, shape in [(-1, SEASONALITY[11]), *enumerate(SEASONALITY)]:
            mean = round(long_term_mean * shape, 6)
            rows.append((hydro_id, stage_id, mean, round(cv * mean, 6)))
    return rows


def build() -> CaseFiles:
    """Return the multi-region case as ``relative path -> JSON dict or pyarrow.Table``."""
    stages = []
    load_factor_entries = []
    for stage_id in range(12):
        month = stage_id + 1
        days = month_hours(YEAR, month) // 24
        blocks = [(name, per_day * days) for name, per_day in BLOCK_HOURS_PER_DAY]
        stages.append(monthly_stage(stage_id, YEAR, month, blocks, NUM_OPENINGS))
        for bus_id, factors in LOAD_FACTORS.items():
            load_factor_entries.append(
                {
                    "bus_id": bus_id,
                    "stage_id": stage_id,
                    "block_factors": [
                        {"block_id": block_id, "factor": factor}
                        for block_id, factor in enumerate(factors)
                    ],
                }
            )

    ar_rows = [
        (hydro_id, stage_id, 1, psi, ar_residual_ratio(psi))
        for hydro_id, psi in AR_COEFFICIENTS.items()
        for stage_id in range(12)
    ]
    load_rows = [
        (
            bus_id,
            stage_id,
            round(load * LOAD_SEASONALITY[stage_id], 6),
            STOCHASTIC_LOAD_STD_MW.get(bus_id, 0.0),
        )
        for bus_id, load in BUS_LOAD_MW.items()
        for stage_id in range(12)
    ]
    # Past inflows: December 2024 observations, slightly below the December mean.
    past_inflows = {
        hydro_id: [round(0.9 * mean * SEASONALITY[11], 1)]
        for hydro_id, mean in HYDRO_MEAN_INFLOW_M3S.items()
    }

    return {
        "config.json": config_file(iteration_limit=20, forward_passes=2, simulation_scenarios=20),
        "stages.json": stages_file(
            stages,
            pre_study_stages=[pre_study_month(-1, YEAR - 1, 12)],
            annual_discount_rate=0.08,
        ),
        "penalties.json": penalties_file(
            deficit=DEFICIT,
            excess_cost=0.01,
            exchange_cost=0.1,
            spillage_cost=0.01,
            operational_cost=8000.0,
        ),
        "initial_conditions.json": initial_conditions_file(INITIAL_STORAGE_HM3, past_inflows),
        "system/buses.json": entity_file(
            "buses",
            "buses",
            [bus(0, "NORTH", DEFICIT), bus(1, "CENTER", DEFICIT), bus(2, "SOUTH", DEFICIT)],
        ),
        "system/lines.json": entity_file(
            "lines",
            "lines",
            [
                line(0, "NORTH_CENTER", 0, 1, direct_mw=350.0, reverse_mw=250.0, exchange_cost=0.1),
                line(1, "CENTER_SOUTH", 1, 2, direct_mw=200.0, reverse_mw=200.0, exchange_cost=0.1),
                line(2, "NORTH_SOUTH", 0, 2, direct_mw=120.0, reverse_mw=120.0, exchange_cost=0.2),
            ],
        ),
        "system/hydros.json": entity_file("hydros", "hydros", _hydros()),
        "system/thermals.json": entity_file(
            "thermals",
            "thermals",
            [
                thermal(0, "NORTH_GAS", 0, max_mw=200.0, cost_per_mwh=45.0),
                thermal(1, "CENTER_COAL", 1, max_mw=300.0, cost_per_mwh=70.0),
                thermal(2, "CENTER_OIL", 1, max_mw=150.0, cost_per_mwh=160.0),
                thermal(3, "SOUTH_GAS", 2, max_mw=250.0, cost_per_mwh=60.0),
            ],
        ),
        "scenarios/inflow_seasonal_stats.parquet": inflow_seasonal_stats_table(_stats_rows()),
        "scenarios/inflow_ar_coefficients.parquet": inflow_ar_coefficients_table(ar_rows),
        "scenarios/load_seasonal_stats.parquet": load_seasonal_stats_table(load_rows),
        "scenarios/load_factors.json": {
            "$schema": schema_url("load_factors"),
            "load_factors": load_factor_entries,
        },
    }
