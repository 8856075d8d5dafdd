"""Builders shared by the example cases: calendar stages, config, penalties and entity records.

Every builder returns plain JSON-able dicts laid out exactly like the upstream case files, so an
example module only has to choose the numbers.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from typing import Any

from cobre_core.examples.writer import schema_url

MONTH_LABELS: tuple[str, ...] = tuple(calendar.month_name[m] for m in range(1, 13))
"""English month names, January first, used as season labels."""


def month_start(year: int, month: int) -> date:
    """Return the first day of ``month`` (1-12) of ``year``; month 13 rolls into next January."""
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def month_hours(year: int, month: int) -> int:
    """Return the number of hours of a calendar month (days × 24)."""
    return calendar.monthrange(year, month)[1] * 24


def monthly_season_definitions() -> dict[str, Any]:
    """Return the ``season_definitions`` object of a monthly cycle (season id = month - 1)."""
    return {
        "cycle_type": "monthly",
        "seasons": [
            {"id": m - 1, "month_start": m, "label": MONTH_LABELS[m - 1]} for m in range(1, 13)
        ],
    }


def monthly_stage(
    stage_id: int,
    year: int,
    month: int,
    blocks: Sequence[tuple[str, int]],
    num_scenarios: int,
) -> dict[str, Any]:
    """Return one study-stage record covering a calendar month.

    ``blocks`` lists ``(name, hours)`` pairs; block ids are their positions. The season id is the
    month index (0 = January) of the monthly cycle.
    """
    return {
        "id": stage_id,
        "start_date": month_start(year, month).isoformat(),
        "end_date": month_start(year, month + 1).isoformat(),
        "season_id": month - 1,
        "blocks": [
            {"id": block_id, "name": name, "hours": hours}
            for block_id, (name, hours) in enumerate(blocks)
        ],
        "state_variables": {"storage": True, "inflow_lags": True},
        "num_scenarios": num_scenarios,
    }


def pre_study_month(stage_id: int, year: int, month: int) -> dict[str, Any]:
    """Return a pre-study stage record (negative id) covering a calendar month."""
    return {
        "id": stage_id,
        "start_date": month_start(year, month).isoformat(),
        "end_date": month_start(year, month + 1).isoformat(),
        "season_id": month - 1,
    }


def stages_file(
    stages: list[dict[str, Any]],
    pre_study_stages: list[dict[str, Any]],
    annual_discount_rate: float,
) -> dict[str, Any]:
    """Return the content of ``stages.json`` for a finite horizon with a monthly season cycle."""
    return {
        "$schema": schema_url("stages"),
        "season_definitions": monthly_season_definitions(),
        "policy_graph": {"type": "finite_horizon", "annual_discount_rate": annual_discount_rate},
        "pre_study_stages": pre_study_stages,
        "stages": stages,
    }


def config_file(
    *,
    iteration_limit: int,
    forward_passes: int,
    simulation_scenarios: int,
    inflow_non_negativity: str = "truncation",
    seed: int = 42,
) -> dict[str, Any]:
    """Return the content of ``config.json``: iteration-limit stopping, in-sample scenarios for
    every class, simulation enabled, and the given inflow non-negativity method."""
    return {
        "$schema": schema_url("config"),
        "training": {
            "forward_passes": forward_passes,
            "stopping_rules": [{"type": "iteration_limit", "limit": iteration_limit}],
            "scenario_source": {
                "seed": seed,
                "inflow": {"scheme": "in_sample"},
                "load": {"scheme": "in_sample"},
                "ncs": {"scheme": "in_sample"},
            },
        },
        "simulation": {"enabled": True, "num_scenarios": simulation_scenarios},
        "modeling": {"inflow_non_negativity": {"method": inflow_non_negativity}},
    }


def deficit_segments(segments: Sequence[tuple[float | None, float]]) -> list[dict[str, Any]]:
    """Return deficit segments from ``(depth_mw, cost)`` pairs; a ``None`` depth is unbounded."""
    return [{"depth_mw": depth, "cost": cost} for depth, cost in segments]


def penalties_file(
    *,
    deficit: Sequence[tuple[float | None, float]],
    excess_cost: float,
    exchange_cost: float,
    spillage_cost: float,
    operational_cost: float,
) -> dict[str, Any]:
    """Return the content of ``penalties.json``.

    ``operational_cost`` is used for every hydro operational violation (outflow, turbining,
    generation, evaporation, withdrawal); storage and filling violations get twice as much.
    """
    return {
        "$schema": schema_url("penalties"),
        "bus": {"deficit_segments": deficit_segments(deficit), "excess_cost": excess_cost},
        "line": {"exchange_cost": exchange_cost},
        "hydro": {
            "spillage_cost": spillage_cost,
            "fpha_turbined_cost": 0.0,
            "diversion_cost": spillage_cost,
            "storage_violation_below_cost": 2.0 * operational_cost,
            "filling_target_violation_cost": 2.0 * operational_cost,
            "turbined_violation_below_cost": operational_cost,
            "outflow_violation_below_cost": operational_cost,
            "outflow_violation_above_cost": operational_cost,
            "generation_violation_below_cost": operational_cost,
            "evaporation_violation_cost": operational_cost,
            "water_withdrawal_violation_cost": operational_cost,
        },
        "non_controllable_source": {"curtailment_cost": 0.005},
    }


def bus(bus_id: int, name: str, deficit: Sequence[tuple[float | None, float]]) -> dict[str, Any]:
    """Return one ``buses.json`` record with its own deficit segments."""
    return {"id": bus_id, "name": name, "deficit_segments": deficit_segments(deficit)}


def line(
    line_id: int,
    name: str,
    source_bus_id: int,
    target_bus_id: int,
    direct_mw: float,
    reverse_mw: float,
    exchange_cost: float,
) -> dict[str, Any]:
    """Return one ``lines.json`` record (direct = source -> target)."""
    return {
        "id": line_id,
        "name": name,
        "source_bus_id": source_bus_id,
        "target_bus_id": target_bus_id,
        "capacity": {"direct_mw": direct_mw, "reverse_mw": reverse_mw},
        "exchange_cost": exchange_cost,
    }


def hydro(
    hydro_id: int,
    name: str,
    bus_id: int,
    downstream_id: int | None,
    *,
    min_storage_hm3: float,
    max_storage_hm3: float,
    productivity_mw_per_m3s: float,
    max_turbined_m3s: float,
    min_outflow_m3s: float = 0.0,
    max_outflow_m3s: float | None = None,
) -> dict[str, Any]:
    """Return one constant-productivity ``hydros.json`` record.

    The maximum generation is the productivity times the maximum turbined flow, so neither limit
    hides the other.
    """
    return {
        "id": hydro_id,
        "name": name,
        "bus_id": bus_id,
        "downstream_id": downstream_id,
        "reservoir": {"min_storage_hm3": min_storage_hm3, "max_storage_hm3": max_storage_hm3},
        "outflow": {"min_outflow_m3s": min_outflow_m3s, "max_outflow_m3s": max_outflow_m3s},
        "generation": {
            "model": "constant_productivity",
            "productivity_mw_per_m3s": productivity_mw_per_m3s,
            "min_turbined_m3s": 0.0,
            "max_turbined_m3s": max_turbined_m3s,
            "min_generation_mw": 0.0,
            "max_generation_mw": round(productivity_mw_per_m3s * max_turbined_m3s, 6),
        },
    }


def thermal(
    thermal_id: int, name: str, bus_id: int, max_mw: float, cost_per_mwh: float
) -> dict[str, Any]:
    """Return one ``thermals.json`` record with a zero minimum generation."""
    return {
        "id": thermal_id,
        "name": name,
        "bus_id": bus_id,
        "generation": {"min_mw": 0.0, "max_mw": max_mw},
        "cost_per_mwh": cost_per_mwh,
    }


def entity_file(stem: str, key: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Return a ``system/<stem>.json`` file holding ``records`` under ``key``."""
    return {"$schema": schema_url(stem), key: records}


def initial_conditions_file(
    storage_hm3: dict[int, float], past_inflows_m3s: dict[int, list[float]]
) -> dict[str, Any]:
    """Return ``initial_conditions.json``: initial storage per hydro and past inflows
    (most recent first) per hydro."""
    return {
        "$schema": schema_url("initial_conditions"),
        "storage": [
            {"hydro_id": hydro_id, "value_hm3": value}
            for hydro_id, value in sorted(storage_hm3.items())
        ],
        "filling_storage": [],
        "past_inflows": [
            {"hydro_id": hydro_id, "values_m3s": values}
            for hydro_id, values in sorted(past_inflows_m3s.items())
        ],
    }


def ar_residual_ratio(coefficient: float) -> float:
    """Return the residual std ratio sqrt(1 - ψ²) of a stationary standardised AR(1), rounded."""
    return round((1.0 - coefficient * coefficient) ** 0.5, 4)
