"""Writes simulation output in upstream's layout (cobre-formulation.md §6.1-§6.2).

::

    <sim_dir>/<entity>/scenario_id=NNNN/data.parquet    (entity may be nested: violations/generic)
    <sim_dir>/metadata.json
    <sim_dir>/_SUCCESS                                  (written last)

Every file goes to a hidden temp name in its final directory and is then ``os.replace``'d, so a
reader never sees a partial ``data.parquet``; hidden names are also ignored by
``pyarrow.dataset``. ``_SUCCESS`` marks a complete simulation directory.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from cobre_core.results.atomic import mark_success, write_json_atomic, write_parquet_atomic
from cobre_core.results.run_metadata import distribution, run_header

DATA_FILE = "data.parquet"
"""File name of one partition."""

METADATA_FILE = "metadata.json"
"""Name of the simulation metadata file (upstream's code writes this, not ``_manifest.json``)."""


def partition_dir(sim_dir: str | Path, entity: str, scenario_id: int) -> Path:
    """``<sim_dir>/<entity>/scenario_id=NNNN`` (4-digit zero padding, hive style)."""
    return Path(sim_dir) / entity / f"scenario_id={int(scenario_id):04d}"


def write_scenario(
    sim_dir: str | Path, scenario_id: int, tables: Mapping[str, pa.Table]
) -> list[Path]:
    """Write one scenario's tables, one ``data.parquet`` per entity; returns the files written."""
    written: list[Path] = []
    for entity, table in tables.items():
        path = partition_dir(sim_dir, entity, scenario_id) / DATA_FILE
        write_parquet_atomic(path, table)
        written.append(path)
    return written


def simulation_metadata(
    *,
    started_at: str,
    completed_at: str,
    duration_seconds: float,
    status: str,
    total: int,
    completed: int,
    failed: int = 0,
    threads: int = 1,
) -> dict[str, Any]:
    """The fields of ``simulation/metadata.json`` (§6.2): header, scenarios and distribution."""
    return {
        **run_header(started_at, completed_at, duration_seconds, status),
        "scenarios": {"total": int(total), "completed": int(completed), "failed": int(failed)},
        "distribution": distribution(threads),
    }


def finalize(sim_dir: str | Path, metadata: Mapping[str, Any]) -> None:
    """Write ``metadata.json`` atomically, then the ``_SUCCESS`` marker (always last)."""
    directory = Path(sim_dir)
    directory.mkdir(parents=True, exist_ok=True)
    write_json_atomic(directory / METADATA_FILE, dict(metadata))
    mark_success(directory)


class SimulationWriter:
    """An ``on_scenario`` callback for :func:`~cobre_core.sddp.simulation.simulate_policy`.

    Writes each finished scenario's tables under ``sim_dir`` and counts them; thread-safe on its
    own, so it also works outside the simulation's lock.
    """

    def __init__(self, sim_dir: str | Path) -> None:
        self.sim_dir = Path(sim_dir)
        self.completed = 0
        self._lock = threading.Lock()

    def __call__(self, scenario_id: int, tables: dict[str, pa.Table], total_cost: float) -> None:
        """Write one scenario (``total_cost`` is not stored; it is in the costs table)."""
        write_scenario(self.sim_dir, scenario_id, tables)
        with self._lock:
            self.completed += 1
