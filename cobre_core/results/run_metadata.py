"""Header fields shared by training/metadata.json and simulation/metadata.json (§6.2)."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from typing import Any

import cobre_core
from cobre_core.solver.highs_solver import HIGHS_VERSION


def now_iso() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_header(
    started_at: str, completed_at: str, duration_seconds: float, status: str
) -> dict[str, Any]:
    """cobre_version, hostname, solver, solver_version, times and status."""
    return {
        "cobre_version": f"cobre-mcp {cobre_core.__version__}",
        "hostname": platform.node(),
        "solver": "highs",
        "solver_version": HIGHS_VERSION,
        "started_at": started_at,
        "completed_at": completed_at,
        "duration_seconds": float(duration_seconds),
        "status": status,
    }


def distribution(threads: int) -> dict[str, Any]:
    """The ``distribution`` block: one process, ``threads`` worker threads."""
    return {
        "backend": "threads",
        "world_size": 1,
        "ranks_participated": 1,
        "num_nodes": 1,
        "threads_per_rank": int(threads),
    }
