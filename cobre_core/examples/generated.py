"""Generated cases of any size: river cascades, thermals, a ring of buses, PAR(1) inflows.

:func:`build_generated` returns an in-memory case in the same layout as the bundled examples
(``relative path -> JSON dict or pyarrow.Table``) and :func:`write_generated_case` writes it out.
The same arguments always give the same files: every random number comes from
``random.Random(seed)``. The benchmarks use it to grow one dimension at a time (hydros, stages,
openings) while the others stay fixed.

Shape of a generated case:

* ``buses`` buses joined in a chain, closed into a ring when there are three or more; every line
  carries about a third of the average system load each way;
* hydros grouped into river basins of ``cascade_length`` plants in series (upstream first, each
  basin's last plant has no downstream), basin ``k`` on bus ``k mod buses``; so 4 hydros with
  the default length 3 are one 0 -> 1 -> 2 cascade plus a stand-alone plant 3;
* ``thermals`` plants (by default ``max(2 * buses, hydros // 2)``) spread round-robin over the
  buses with a rising cost ladder; together they cover about 70 % of the average load;
* monthly stages from January 2025 (``stages`` of them, spanning several years when more than
  twelve) with a monthly season cycle, ``blocks`` load blocks per stage (1, or 3 with the
  multi-region example's HEAVY/MEDIUM/LIGHT split), ``openings`` openings per stage;
* PAR(1) inflows for every hydro (seasonal mean and std for stage -1 and every study stage, one
  lag-1 coefficient per hydro); the average hydro energy covers about 60 % of the load, whose
  bus 0 share is stochastic (5 % std).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cobre_core.examples import write_case_dir
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
from cobre_core.examples.multi_region import (
    BLOCK_HOURS_PER_DAY,
    LOAD_FACTORS,
    LOAD_SEASONALITY,
    SEASONALITY,
)
from cobre_core.examples.writer import (
    CaseFiles,
    inflow_ar_coefficients_table,
    inflow_seasonal_stats_table,
    load_seasonal_stats_table,
    schema_url,
)

START_YEAR = 2025
"""Calendar year of the first study stage (stage 0 is January of this year)."""

DEFICIT: tuple[tuple[float | None, float], ...] = ((0.05, 1500.0), (None, 5000.0))
"""Deficit segments as ``(share of the bus's average load, cost $/MWh)``; the last unbounded."""

DEFICIT_PENALTY: tuple[tuple[float | None, float], ...] = ((100.0, 1500.0), (None, 5000.0))
"""Default deficit segments of ``penalties.json`` (each bus also carries its own)."""


OPERATIONAL_COST = 1000.0
"""Cost of hydro operational violations ($/unit); below every deficit cost."""

HYDRO_SHARE = 0.6
"""Share of the average load the average hydro energy covers."""

THERMAL_SHARE = 0.7
"""Share of the average load the installed thermal capacity covers."""

LINE_SHARE = 1.0 / 3.0
"""Line capacity each way as a share of the average system load."""

STOCHASTIC_LOAD_CV = 0.05
"""Coefficient of variation of bus 0's load (the other buses are deterministic)."""

TURBINE_HEADROOM = 1.4
"""Maximum turbined flow over the mean flow reaching a plant (own plus upstream inflow)."""

BLOCK_CHOICES = (1, 3)
"""Supported numbers of load blocks per stage."""


def _check_sizes(
    hydros: int, stages: int, openings: int, buses: int, thermals: int, blocks: int
) -> None:
    """Raise ``ValueError`` for sizes the generator cannot produce."""
    for name, value in (
        ("hydros", hydros),
        ("stages", stages),
        ("openings", openings),
        ("buses", buses),
        ("thermals", thermals),
    ):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    if blocks not in BLOCK_CHOICES:
        raise ValueError(f"blocks must be one of {BLOCK_CHOICES}, got {blocks}")


def _calendar(stages: int) -> list[tuple[int, int]]:
    """Return ``(year, month)`` of every study stage, starting in January ``START_YEAR``."""
    return [(START_YEAR + t // 12, t % 12 + 1) for t in range(stages)]


def _downstream(hydros: int, cascade_length: int) -> list[int | None]:
    """Return each hydro's downstream id: plants in series within basins of ``cascade_length``."""
    length = max(1, cascade_length)
    return [h + 1 if h % length != length - 1 and h + 1 < hydros else None for h in range(hydros)]


def _hydro_data(
    rng: random.Random, hydros: int, buses: int, cascade_length: int
) -> list[dict[str, Any]]:
    """Draw the physical parameters of every hydro; return one plain dict per plant."""
    downstream = _downstream(hydros, cascade_length)
    plants: list[dict[str, Any]] = []
    for h in range(hydros):
        max_storage = round(rng.uniform(500.0, 5000.0), 1)
        plants.append(
            {
                "id": h,
                "bus_id": (h // max(1, cascade_length)) % buses,
                "downstream_id": downstream[h],
                "max_storage": max_storage,
                "min_storage": round(0.1 * max_storage, 1),
                "productivity": round(rng.uniform(0.5, 1.0), 3),
                "mean_inflow": round(rng.uniform(50.0, 300.0), 1),
                "cv": round(rng.uniform(0.25, 0.40), 3),
                "psi": round(rng.uniform(0.30, 0.60), 3),
                "phase": rng.randrange(-1, 2),
            }
        )
    # Mean flow reaching each plant: its own inflow plus everything released upstream.
    reaching = {p["id"]: p["mean_inflow"] for p in plants}
    for p in plants:  # upstream plants have smaller ids, so one pass in id order suffices
        if p["downstream_id"] is not None:
            reaching[p["downstream_id"]] += reaching[p["id"]]
    for p in plants:
        p["max_turbined"] = round(TURBINE_HEADROOM * reaching[p["id"]], 1)
        p["mean_energy_mw"] = p["productivity"] * reaching[p["id"]]
    return plants


def _seasonal(shape: Sequence[float], month: int, phase: int = 0) -> float:
    """Return the monthly shape value of ``month`` (1-12) shifted by ``phase`` months."""
    return shape[(month - 1 + phase) % 12]


def _block_list(year: int, month: int, blocks: int) -> list[tuple[str, int]]:
    """Return the ``(name, hours)`` blocks of one monthly stage."""
    if blocks == 1:
        return [("SINGLE", month_hours(year, month))]
    days = month_hours(year, month) // 24
    return [(name, per_day * days) for name, per_day in BLOCK_HOURS_PER_DAY]


def _penalties() -> dict[str, Any]:
    """Return ``penalties.json`` in the shared builder's layout, with the tiers validation expects:
    filling > storage violation > deficit > other hydro violations > spillage, FPHA cost > 0."""
    penalties = penalties_file(
        deficit=DEFICIT_PENALTY,
        excess_cost=0.01,
        exchange_cost=0.1,
        spillage_cost=0.01,
        operational_cost=OPERATIONAL_COST,
    )
    hydro_costs = penalties["hydro"]
    hydro_costs["fpha_turbined_cost"] = 0.01
    hydro_costs["storage_violation_below_cost"] = 10.0 * OPERATIONAL_COST
    hydro_costs["filling_target_violation_cost"] = 20.0 * OPERATIONAL_COST
    return penalties


def build_generated(
    hydros: int = 4,
    stages: int = 12,
    openings: int = 10,
    *,
    buses: int = 3,
    thermals: int | None = None,
    blocks: int = 1,
    cascade_length: int = 3,
    forward_passes: int = 2,
    iteration_limit: int = 20,
    simulation_scenarios: int = 20,
    seed: int = 0,
) -> CaseFiles:
    """Return a generated case as ``relative path -> JSON dict or pyarrow.Table``.

    ``thermals`` defaults to ``max(2 * buses, hydros // 2)``. ``seed`` drives the plant
    parameters and is also the case's scenario seed. Raises ``ValueError`` for a size below 1 or
    an unsupported block count.
    """
    n_thermals = max(2 * buses, hydros // 2) if thermals is None else thermals
    _check_sizes(hydros, stages, openings, buses, n_thermals, blocks)
    rng = random.Random(seed)
    plants = _hydro_data(rng, hydros, buses, cascade_length)
    calendar = _calendar(stages)

    hydro_energy = sum(p["mean_energy_mw"] for p in plants)
    total_load = hydro_energy / HYDRO_SHARE
    weights = [rng.uniform(0.7, 1.3) for _ in range(buses)]
    bus_load = [round(total_load * w / sum(weights), 1) for w in weights]
    deficit_by_bus = [
        tuple((None if depth is None else round(depth * load, 1), cost) for depth, cost in DEFICIT)
        for load in bus_load
    ]

    thermal_mw = round(THERMAL_SHARE * total_load / n_thermals, 1)
    thermal_records = [
        thermal(
            k,
            f"THERMAL_{k:03d}",
            k % buses,
            max_mw=thermal_mw,
            cost_per_mwh=round(30.0 + 270.0 * k / max(1, n_thermals - 1) + rng.uniform(0, 5), 2),
        )
        for k in range(n_thermals)
    ]

    line_mw = round(LINE_SHARE * total_load, 1)
    pairs = [(b, b + 1) for b in range(buses - 1)]
    if buses >= 3:
        pairs.append((buses - 1, 0))
    line_records = [
        line(k, f"LINE_{a}_{b}", a, b, direct_mw=line_mw, reverse_mw=line_mw, exchange_cost=0.1)
        for k, (a, b) in enumerate(pairs)
    ]

    stage_records = []
    load_factor_entries = []
    for t, (year, month) in enumerate(calendar):
        stage_records.append(
            monthly_stage(t, year, month, _block_list(year, month, blocks), openings)
        )
        if blocks > 1:
            for b in range(buses):
                factors = LOAD_FACTORS[b % len(LOAD_FACTORS)]
                load_factor_entries.append(
                    {
                        "bus_id": b,
                        "stage_id": t,
                        "block_factors": [
                            {"block_id": k, "factor": f} for k, f in enumerate(factors)
                        ],
                    }
                )

    stats_rows: list[tuple[int, int, float, float]] = []
    ar_rows: list[tuple[int, int, int, float, float]] = []
    for p in plants:
        # Stage -1 is December of the year before the study.
        for stage_id, month in [(-1, 12), *((t, m) for t, (_, m) in enumerate(calendar))]:
            mean = round(p["mean_inflow"] * _seasonal(SEASONALITY, month, p["phase"]), 6)
            stats_rows.append((p["id"], stage_id, mean, round(p["cv"] * mean, 6)))
        ratio = ar_residual_ratio(p["psi"])
        ar_rows += [(p["id"], t, 1, p["psi"], ratio) for t in range(stages)]

    load_rows = [
        (
            b,
            t,
            round(bus_load[b] * _seasonal(LOAD_SEASONALITY, month), 6),
            round(STOCHASTIC_LOAD_CV * bus_load[b], 6) if b == 0 else 0.0,
        )
        for b in range(buses)
        for t, (_, month) in enumerate(calendar)
    ]
    storage = {p["id"]: round(0.5 * (p["min_storage"] + p["max_storage"]), 1) for p in plants}
    past_inflows = {
        p["id"]: [round(0.9 * p["mean_inflow"] * _seasonal(SEASONALITY, 12, p["phase"]), 1)]
        for p in plants
    }

    files: CaseFiles = {
        "config.json": config_file(
            iteration_limit=iteration_limit,
            forward_passes=forward_passes,
            simulation_scenarios=simulation_scenarios,
            seed=seed,
        ),
        "stages.json": stages_file(
            stage_records,
            pre_study_stages=[pre_study_month(-1, START_YEAR - 1, 12)],
            annual_discount_rate=0.08,
        ),
        "penalties.json": _penalties(),
        "initial_conditions.json": initial_conditions_file(storage, past_inflows),
        "system/buses.json": entity_file(
            "buses",
            "buses",
            [bus(b, f"BUS_{b}", deficit_by_bus[b]) for b in range(buses)],
        ),
        "system/lines.json": entity_file("lines", "lines", line_records),
        "system/hydros.json": entity_file(
            "hydros",
            "hydros",
            [
                hydro(
                    p["id"],
                    f"HYDRO_{p['id']:03d}",
                    p["bus_id"],
                    p["downstream_id"],
                    min_storage_hm3=p["min_storage"],
                    max_storage_hm3=p["max_storage"],
                    productivity_mw_per_m3s=p["productivity"],
                    max_turbined_m3s=p["max_turbined"],
                )
                for p in plants
            ],
        ),
        "system/thermals.json": entity_file("thermals", "thermals", thermal_records),
        "scenarios/inflow_seasonal_stats.parquet": inflow_seasonal_stats_table(stats_rows),
        "scenarios/inflow_ar_coefficients.parquet": inflow_ar_coefficients_table(ar_rows),
        "scenarios/load_seasonal_stats.parquet": load_seasonal_stats_table(load_rows),
    }
    if load_factor_entries:
        files["scenarios/load_factors.json"] = {
            "$schema": schema_url("load_factors"),
            "load_factors": load_factor_entries,
        }
    return files


def write_generated_case(
    dest: str | Path,
    hydros: int = 4,
    stages: int = 12,
    openings: int = 10,
    *,
    overwrite: bool = False,
    **options: Any,
) -> Path:
    """Write a generated case to ``dest`` and return the resolved case directory.

    ``options`` are the keyword arguments of :func:`build_generated` (``buses``, ``thermals``,
    ``blocks``, ``cascade_length``, ``forward_passes``, ``iteration_limit``,
    ``simulation_scenarios``, ``seed``). A non-empty ``dest`` is refused with
    ``FileExistsError`` unless ``overwrite`` is true, as for :func:`write_example`.
    """
    files = build_generated(hydros, stages, openings, **options)
    return write_case_dir(files, dest, overwrite=overwrite)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m cobre_core.examples.generated DEST [--hydros N ...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m cobre_core.examples.generated",
        description="Write a generated Cobre case of the requested size.",
    )
    parser.add_argument("dest", help="destination case directory (created if missing)")
    parser.add_argument("--hydros", type=int, default=4)
    parser.add_argument("--stages", type=int, default=12)
    parser.add_argument("--openings", type=int, default=10)
    parser.add_argument("--buses", type=int, default=3)
    parser.add_argument("--blocks", type=int, choices=BLOCK_CHOICES, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    try:
        path = write_generated_case(
            args.dest,
            args.hydros,
            args.stages,
            args.openings,
            overwrite=args.overwrite,
            buses=args.buses,
            blocks=args.blocks,
            seed=args.seed,
        )
    except (FileExistsError, NotADirectoryError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
