"""Short, JSON-ready descriptions of a loaded case: what it holds and where its scenarios come from.

These feed the ``load-case`` and ``list-scenarios`` tools and notebook reprs. They read the loaded
:class:`Case` only (plus a directory listing and the config file's bytes for the digest); use
:meth:`Case.summary` when the short dict is enough.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cobre_core.model.config import ScenarioSourceConfig
from cobre_core.system.case import Case

_CASE_SUFFIXES = (".json", ".parquet", ".csv")


def files_present(root: Path) -> list[str]:
    """Case input files under ``root`` (POSIX, relative, sorted); skips outputs and hidden files."""
    found = []
    for p in root.rglob("*"):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or rel.parts[0] in ("output", "outputs"):
            continue
        if p.is_file() and p.suffix in _CASE_SUFFIXES:
            found.append(rel.as_posix())
    return sorted(found)


def config_digest(root: Path) -> str | None:
    """``sha256:<hex>`` of config.json's bytes: equal digests mean the same configuration."""
    path = root / "config.json"
    if not path.is_file():
        return None
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def scenario_overview(case: Case) -> dict[str, Any]:
    """Scenario source, openings and the stochastic entities with their PAR orders."""
    orders = case.par.order.max(axis=0) if case.par.order.size else []
    return {
        "scenario_source": case.inflow_model_source,
        "inflow_method": case.inflow_method,
        "seed": case.seed,
        "stages": case.num_stages,
        "openings_per_stage": [s.num_openings for s in case.stages],
        "stochastic_hydros": case.noise.num_hydros,
        "stochastic_load_buses": [case.buses[i].id for i in case.noise.load_buses.tolist()],
        "stochastic_non_controllables": [
            case.non_controllables[i].id for i in case.noise.ncs.tolist()
        ],
        "noise_dimension": case.noise.dim,
        "max_par_order": case.max_lag,
        "par_orders": [
            {"hydro_id": h.id, "max_order": int(o)}
            for h, o in zip(case.hydros, orders, strict=True)
        ],
        "simulation_scenarios": case.config.simulation.num_scenarios,
        "training_sampling": _schemes(case.config.training.resolved_scenario_source),
        "simulation_sampling": _schemes(case.config.simulation_scenario_source),
    }


def _schemes(source: ScenarioSourceConfig) -> str:
    """``"inflow=..., load=..., ncs=..."``: the sampling scheme of each noise class."""
    return f"inflow={source.inflow_scheme}, load={source.load_scheme}, ncs={source.ncs_scheme}"


def case_overview(case: Case) -> dict[str, Any]:
    """Entity counts, stage and block structure, scenario source, files and config digest."""
    root = case.path
    return {
        "case_dir": str(root) if root else None,
        "entities": {
            "hydros": len(case.hydros),
            "thermals": len(case.thermals),
            "buses": len(case.buses),
            "lines": len(case.lines),
            "non_controllable_sources": len(case.non_controllables),
        },
        "stages": case.num_stages,
        "blocks_per_stage": [s.num_blocks for s in case.stages],
        "openings_per_stage": [s.num_openings for s in case.stages],
        "scenario_source": case.inflow_model_source,
        "max_par_order": case.max_lag,
        "state_dimension": case.state_dim,
        "files_present": files_present(root) if root else [],
        "config_digest": config_digest(root) if root else None,
    }
