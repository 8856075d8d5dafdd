"""Turn parsed case files into a :class:`~cobre_core.system.case.Case`.

Assumes the files passed validation; inconsistencies that validation does not cover raise
``CaseValidationError`` with a record naming the file. Semantics follow cobre-formulation.md
(§2-§4): penalty cascades, per-stage overrides from ``constraints/*.parquet``, production-model
selection, evaporation linearisation, PAR precomputation and the noise layout.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from cobre_core.errors import CaseValidationError, CobreError, ErrorKind, record
from cobre_core.model.buses import BusesFile
from cobre_core.model.config import ConfigFile
from cobre_core.model.expressions import ExpressionError, parse_expression
from cobre_core.model.generic_constraints import GenericConstraintsFile
from cobre_core.model.hydros import FphaGeneration, Hydro, HydrosFile
from cobre_core.model.initial_conditions import InitialConditionsFile
from cobre_core.model.lines import LinesFile
from cobre_core.model.load_factors import LoadFactorsFile
from cobre_core.model.non_controllables import NonControllableSourcesFile
from cobre_core.model.penalties import PenaltiesFile
from cobre_core.model.production_models import FphaConfig, ProductionModelsFile
from cobre_core.model.stages import Stage, StagesFile
from cobre_core.model.thermals import ThermalsFile
from cobre_core.stochastic.estimation import (
    EstimationError,
    EstimationPath,
    EstimationResult,
    StageSpan,
    estimate_par,
    observations_from_rows,
)
from cobre_core.stochastic.par import ParModel, build_par_model
from cobre_core.system.case import Case, NoiseLayout, StageCalendar, Topology
from cobre_core.system.fpha_fitting import FphaFittingError, fit_hydro
from cobre_core.system.stage_data import (
    FphaPlanes,
    GenericRow,
    HydroStageData,
    StageData,
)

M = TypeVar("M")
ModelGetter = Callable[[type[M]], M | None]
TableGetter = Callable[[str], pa.Table | None]

DEFAULT_SEED = 42
INFLOW_STATS = "scenarios/inflow_seasonal_stats.parquet"
INFLOW_AR = "scenarios/inflow_ar_coefficients.parquet"
INFLOW_HISTORY = "scenarios/inflow_history.parquet"
DAYS_PER_YEAR = 365.25


def _rows(table: pa.Table | None) -> list[dict[str, Any]]:
    return [] if table is None else table.to_pylist()


def _is_active(entry: int | None, exit_: int | None, stage_id: int) -> bool:
    return (entry is None or stage_id >= entry) and (exit_ is None or stage_id < exit_)


def _first(value: float | None, default: float) -> float:
    return float(default if value is None else value)


def _positions(ids: Sequence[int]) -> dict[int, int]:
    return {eid: pos for pos, eid in enumerate(ids)}


def _fail(kind: ErrorKind, message: str, file: str, suggestion: str, **ctx: Any) -> None:
    raise CaseValidationError(record(kind, message, suggestion, file=file, **ctx))


_HYDRO_ARRAY_FIELDS = [
    "min_storage",
    "max_storage",
    "min_turbined",
    "max_turbined",
    "min_outflow",
    "max_outflow",
    "min_generation",
    "max_generation",
    "max_diversion",
    "withdrawal",
    "productivity",
    "entity_productivity",
    "evaporation_k0",
    "evaporation_kv",
    "spillage_cost",
    "diversion_cost",
    "fpha_turbined_cost",
    "outflow_below_cost",
    "outflow_above_cost",
    "turbined_below_cost",
    "generation_below_cost",
    "evaporation_pos_cost",
    "evaporation_neg_cost",
    "withdrawal_pos_cost",
    "withdrawal_neg_cost",
    "inflow_slack_cost",
]


class _HydroResolver:
    """Applies penalty cascades, bounds overrides and production-model selection for hydros."""

    def __init__(
        self,
        hydros: tuple[Hydro, ...],
        penalties: PenaltiesFile,
        production: ProductionModelsFile | None,
        bounds: pa.Table | None,
        planes: pa.Table | None,
        geometry: pa.Table | None,
    ) -> None:
        self.hydros = hydros
        self.penalties = penalties
        self.production = (
            {p.hydro_id: p for p in production.production_models} if production else {}
        )
        self.bounds: dict[tuple[int, int], dict[str, Any]] = {
            (r["hydro_id"], r["stage_id"]): r for r in _rows(bounds)
        }
        self.planes: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in _rows(planes):
            self.planes[r["hydro_id"]].append(r)
        self.geometry: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.forebay: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for r in _rows(geometry):
            self.geometry[r["hydro_id"]].append((r["volume_hm3"], r["area_km2"]))
            self.forebay[r["hydro_id"]].append((r["volume_hm3"], r["height_m"]))
        self.fitted: dict[tuple[int, str], FphaPlanes] = {}

    def _penalty(self, hydro: Hydro, name: str) -> float:
        override = getattr(hydro.penalties, name, None) if hydro.penalties else None
        if override is not None:
            return float(override)
        value = getattr(self.penalties.hydro, name, None)
        return float(value) if value is not None else 0.0

    def _directional(self, hydro: Hydro, name: str, symmetric: str) -> float:
        value = getattr(self.penalties.hydro, name, None)
        if value is not None:
            return float(value)
        return self._penalty(hydro, symmetric)

    def _model(self, hydro: Hydro, stage: Stage) -> tuple[str, float | None]:
        """Production model name and productivity override at a stage."""
        spec = self.production.get(hydro.id)
        if spec is None:
            return hydro.generation.model, None
        if spec.selection_mode == "stage_ranges":
            for rng in spec.stage_ranges:
                end = rng.end_stage_id
                if rng.start_stage_id <= stage.id and (end is None or stage.id <= end):
                    return rng.model, rng.productivity_override
            return hydro.generation.model, None
        for season in spec.seasons:
            if season.season_id == stage.season_id:
                return season.model, season.productivity_override
        return spec.default_model, None

    def _fpha_config(self, hydro: Hydro, stage: Stage) -> FphaConfig | None:
        """``fpha_config`` of the production-model entry that applies at a stage, if any."""
        spec = self.production.get(hydro.id)
        if spec is None:
            return None
        if spec.selection_mode == "stage_ranges":
            for rng in spec.stage_ranges:
                end = rng.end_stage_id
                if rng.start_stage_id <= stage.id and (end is None or stage.id <= end):
                    return rng.fpha_config
            return None
        for season in spec.seasons:
            if season.season_id == stage.season_id:
                return season.fpha_config
        return None

    def _computed_planes(self, hydro: Hydro, config: FphaConfig) -> FphaPlanes:
        """Planes fitted from the volume-height curve (cached per hydro and fitting settings)."""
        key = (hydro.id, config.model_dump_json())
        if key in self.fitted:
            return self.fitted[key]
        missing = [
            name
            for name in ("tailrace", "hydraulic_losses", "efficiency")
            if getattr(hydro, name) is None
        ]
        if missing:
            _fail(
                ErrorKind.INCOMPATIBLE_SETTINGS,
                f"hydro {hydro.id} fits FPHA planes (source computed) but has no "
                + ", ".join(missing),
                "system/hydros.json",
                "Give the hydro tailrace, hydraulic_losses and efficiency models, or use "
                "precomputed planes.",
                entity_id=hydro.id,
            )
        points = self.forebay.get(hydro.id, [])
        if not points:
            _fail(
                ErrorKind.COVERAGE_MISMATCH,
                f"hydro {hydro.id} fits FPHA planes but has no geometry rows",
                "system/hydro_geometry.parquet",
                "Add the volume-height-area curve of this hydro.",
                entity_id=hydro.id,
                missing_dimension="hydro_id",
            )
        try:
            fit = fit_hydro(
                hydro,
                np.array([p[0] for p in points], dtype=np.float64),
                np.array([p[1] for p in points], dtype=np.float64),
                config,
            )
        except FphaFittingError as exc:
            _fail(
                ErrorKind.PHYSICAL_CONSTRAINT,
                f"hydro {hydro.id}: FPHA fitting failed: {exc}",
                "system/hydro_production_models.json",
                "Check the hydro's geometry, tailrace, losses and fpha_config fitting settings.",
                entity_id=hydro.id,
            )
        self.fitted[key] = fit.as_fpha_planes()
        return self.fitted[key]

    def _fpha_planes(self, hydro: Hydro, stage: Stage) -> FphaPlanes:
        """Planes at a stage: fitted for ``source: computed``, else from the parquet file."""
        config = self._fpha_config(hydro, stage)
        if config is not None and config.source == "computed":
            return self._computed_planes(hydro, config)
        stage_id = stage.id
        rows = [r for r in self.planes.get(hydro.id, []) if r["stage_id"] == stage_id]
        if not rows:
            rows = [r for r in self.planes.get(hydro.id, []) if r["stage_id"] is None]
        if not rows:
            _fail(
                ErrorKind.COVERAGE_MISMATCH,
                f"hydro {hydro.id} uses FPHA at stage {stage_id} but has no planes",
                "system/fpha_hyperplanes.parquet",
                "Add planes for this hydro (stage_id null applies to every stage).",
                entity_id=hydro.id,
                missing_dimension="stage_id",
            )
        rows.sort(key=lambda r: r["plane_id"])
        coef = np.array(
            [
                [r["gamma_0"], r["gamma_v"], r["gamma_q"], r["gamma_s"], r.get("kappa") or 1.0]
                for r in rows
            ],
            dtype=np.float64,
        )
        return FphaPlanes(coef)

    def _evaporation(self, hydro: Hydro, stage: Stage, hours: float) -> tuple[float, float]:
        """Linearised evaporation (k0, kv) in m3/s and m3/s per hm3."""
        evap = hydro.evaporation
        assert evap is not None
        if stage.season_id is None or not 0 <= stage.season_id < 12:
            _fail(
                ErrorKind.INCOMPATIBLE_SETTINGS,
                f"hydro {hydro.id} has evaporation but stage {stage.id} has no month season_id",
                "stages.json",
                "Give every stage a season_id in 0..11 (the month) when hydros evaporate.",
                entity_id=stage.id,
            )
        month = int(stage.season_id)  # type: ignore[arg-type]
        points = sorted(self.geometry.get(hydro.id, []))
        if len(points) < 2:
            _fail(
                ErrorKind.COVERAGE_MISMATCH,
                f"hydro {hydro.id} has evaporation but fewer than 2 geometry points",
                "system/hydro_geometry.parquet",
                "Add a volume-area table for this hydro.",
                entity_id=hydro.id,
                missing_dimension="volume_hm3",
            )
        vol = np.array([p[0] for p in points])
        area = np.array([p[1] for p in points])
        if evap.reference_volumes_hm3:
            v_ref = float(evap.reference_volumes_hm3[month])
        else:
            v_ref = 0.5 * (hydro.reservoir.min_storage_hm3 + hydro.reservoir.max_storage_hm3)
        a_ref = float(np.interp(v_ref, vol, area))
        seg = int(np.searchsorted(vol, v_ref, side="right")) - 1
        seg = min(max(seg, 0), vol.size - 2)
        slope = (area[seg + 1] - area[seg]) / (vol[seg + 1] - vol[seg])
        zeta_e = 1.0 / (3.6 * hours)
        c_ev = float(evap.coefficients_mm[month])
        kv = zeta_e * c_ev * slope
        k0 = zeta_e * c_ev * a_ref - kv * v_ref
        return k0, kv

    def stage(self, stage: Stage, hours: float) -> HydroStageData:
        n = len(self.hydros)
        z = np.zeros(n)
        out: dict[str, Any] = {k: z.copy() for k in _HYDRO_ARRAY_FIELDS}
        active = np.zeros(n, dtype=bool)
        is_fpha = np.zeros(n, dtype=bool)
        has_evap = np.zeros(n, dtype=bool)
        planes: list[FphaPlanes | None] = []
        for i, h in enumerate(self.hydros):
            g = h.generation
            ov = self.bounds.get((h.id, stage.id), {})

            def pick(col: str, base: float | None, _ov: dict[str, Any] = ov) -> float | None:
                v = _ov.get(col)
                return base if v is None else float(v)

            active[i] = _is_active(h.entry_stage_id, h.exit_stage_id, stage.id)
            out["min_storage"][i] = pick("min_storage_hm3", h.reservoir.min_storage_hm3)
            out["max_storage"][i] = pick("max_storage_hm3", h.reservoir.max_storage_hm3)
            out["min_turbined"][i] = pick("min_turbined_m3s", g.min_turbined_m3s)
            max_turb = pick("max_turbined_m3s", g.max_turbined_m3s)
            out["min_outflow"][i] = pick("min_outflow_m3s", h.outflow.min_outflow_m3s)
            mo = pick("max_outflow_m3s", h.outflow.max_outflow_m3s)
            out["max_outflow"][i] = np.inf if mo is None else mo
            out["min_generation"][i] = pick("min_generation_mw", g.min_generation_mw)
            max_gen = pick("max_generation_mw", g.max_generation_mw)
            out["max_generation"][i] = max_gen
            div_base = h.diversion.max_flow_m3s if h.diversion else 0.0
            out["max_diversion"][i] = pick("max_diversion_m3s", div_base)
            out["withdrawal"][i] = pick("water_withdrawal_m3s", 0.0)
            model, prod_override = self._model(h, stage)
            entity_rho = 0.0 if isinstance(g, FphaGeneration) else g.productivity_mw_per_m3s
            rho = entity_rho if prod_override is None else prod_override
            out["entity_productivity"][i] = entity_rho
            out["productivity"][i] = rho
            if model == "fpha":
                is_fpha[i] = True
                planes.append(self._fpha_planes(h, stage))
                cap = max_turb
            else:
                planes.append(None)
                cap = min(max_turb, max_gen / rho) if rho > 0 else max_turb
            out["max_turbined"][i] = cap if active[i] else 0.0
            if h.evaporation is not None:
                has_evap[i] = True
                k0, kv = self._evaporation(h, stage, hours)
                out["evaporation_k0"][i] = k0
                out["evaporation_kv"][i] = kv
            out["spillage_cost"][i] = self._penalty(h, "spillage_cost")
            out["diversion_cost"][i] = self._penalty(h, "diversion_cost")
            out["fpha_turbined_cost"][i] = self._penalty(h, "fpha_turbined_cost")
            out["outflow_below_cost"][i] = self._penalty(h, "outflow_violation_below_cost")
            out["outflow_above_cost"][i] = self._penalty(h, "outflow_violation_above_cost")
            out["turbined_below_cost"][i] = self._penalty(h, "turbined_violation_below_cost")
            out["generation_below_cost"][i] = self._penalty(h, "generation_violation_below_cost")
            out["evaporation_pos_cost"][i] = self._directional(
                h, "evaporation_violation_pos_cost", "evaporation_violation_cost"
            )
            out["evaporation_neg_cost"][i] = self._directional(
                h, "evaporation_violation_neg_cost", "evaporation_violation_cost"
            )
            out["withdrawal_pos_cost"][i] = self._directional(
                h, "water_withdrawal_violation_pos_cost", "water_withdrawal_violation_cost"
            )
            out["withdrawal_neg_cost"][i] = self._directional(
                h, "water_withdrawal_violation_neg_cost", "water_withdrawal_violation_cost"
            )
            entity_inflow = h.penalties.inflow_nonnegativity_cost if h.penalties else None
            out["inflow_slack_cost"][i] = _first(
                entity_inflow, self.penalties.hydro.resolved_inflow_nonnegativity_cost
            )
        return HydroStageData(
            active=active,
            is_fpha=is_fpha,
            fpha_planes=tuple(planes),
            has_evaporation=has_evap,
            **out,
        )


def _discount_factors(stages_file: StagesFile, stages: Sequence[Stage]) -> list[float]:
    base = stages_file.policy_graph.annual_discount_rate
    overrides = {
        t.source_id: t.annual_discount_rate_override
        for t in stages_file.policy_graph.transitions
        if t.annual_discount_rate_override is not None
    }
    out = []
    for s in stages:
        rate = overrides.get(s.id, base)
        years = (s.end_date - s.start_date).days / DAYS_PER_YEAR
        out.append(1.0 / (1.0 + rate) ** years if rate else 1.0)
    return out


def build_case(path: Path | None, get_model: ModelGetter[Any], get_table: TableGetter) -> Case:
    """Resolve the parsed files into a :class:`Case` (see module docstring)."""
    config = get_model(ConfigFile)
    stages_file = get_model(StagesFile)
    penalties = get_model(PenaltiesFile)
    assert config is not None and stages_file is not None and penalties is not None
    hydros = tuple(sorted(_entities(get_model(HydrosFile), "hydros"), key=lambda e: e.id))
    thermals = tuple(sorted(_entities(get_model(ThermalsFile), "thermals"), key=lambda e: e.id))
    buses = tuple(sorted(_entities(get_model(BusesFile), "buses"), key=lambda e: e.id))
    lines = tuple(sorted(_entities(get_model(LinesFile), "lines"), key=lambda e: e.id))
    ncs = tuple(
        sorted(
            _entities(get_model(NonControllableSourcesFile), "non_controllable_sources"),
            key=lambda e: e.id,
        )
    )
    study = tuple(sorted(stages_file.stages, key=lambda s: s.id))
    bus_pos = _positions([b.id for b in buses])
    hydro_pos = _positions([h.id for h in hydros])
    topology = Topology(
        hydro_bus=np.array([bus_pos[h.bus_id] for h in hydros], dtype=np.int64),
        hydro_downstream=np.array(
            [hydro_pos[h.downstream_id] if h.downstream_id is not None else -1 for h in hydros],
            dtype=np.int64,
        ),
        hydro_diversion_target=np.array(
            [hydro_pos[h.diversion.downstream_id] if h.diversion else -1 for h in hydros],
            dtype=np.int64,
        ),
        thermal_bus=np.array([bus_pos[t.bus_id] for t in thermals], dtype=np.int64),
        line_source=np.array([bus_pos[ln.source_bus_id] for ln in lines], dtype=np.int64),
        line_target=np.array([bus_pos[ln.target_bus_id] for ln in lines], dtype=np.int64),
        ncs_bus=np.array([bus_pos[s.bus_id] for s in ncs], dtype=np.int64),
    )
    hydro_resolver = _HydroResolver(
        hydros,
        penalties,
        get_model(ProductionModelsFile),
        get_table("constraints/hydro_bounds.parquet"),
        get_table("system/fpha_hyperplanes.parquet"),
        get_table("system/hydro_geometry.parquet"),
    )
    thermal_bounds = {
        (r["thermal_id"], r["stage_id"]): r
        for r in _rows(get_table("constraints/thermal_bounds.parquet"))
    }
    load_stats = {
        (r["bus_id"], r["stage_id"]): (r["mean_mw"], r["std_mw"])
        for r in _rows(get_table("scenarios/load_seasonal_stats.parquet"))
    }
    ncs_stats = {
        (r["ncs_id"], r["stage_id"]): (r["mean"], r["std"])
        for r in _rows(get_table("scenarios/non_controllable_stats.parquet"))
    }
    load_factors: dict[tuple[int, int, int], float] = {}
    lf_file = get_model(LoadFactorsFile)
    if lf_file is not None:
        for entry in lf_file.load_factors:
            for bf in entry.block_factors:
                load_factors[(entry.bus_id, entry.stage_id, bf.block_id)] = bf.factor
    generic = _generic_constraints(
        get_model(GenericConstraintsFile),
        get_table("constraints/generic_constraint_bounds.parquet"),
    )
    discounts = _discount_factors(stages_file, study)

    stage_data: list[StageData] = []
    for t, s in enumerate(study):
        hours = np.array([b.hours for b in sorted(s.blocks, key=lambda b: b.id)], dtype=np.float64)
        block_ids = [b.id for b in sorted(s.blocks, key=lambda b: b.id)]
        th_min, th_max, th_cost = [], [], []
        for th in thermals:
            ov = thermal_bounds.get((th.id, s.id), {})
            on = _is_active(th.entry_stage_id, th.exit_stage_id, s.id)
            lo = ov.get("min_generation_mw")
            hi = ov.get("max_generation_mw")
            c = ov.get("cost_per_mwh")
            th_min.append((th.generation.min_mw if lo is None else lo) if on else 0.0)
            th_max.append((th.generation.max_mw if hi is None else hi) if on else 0.0)
            th_cost.append(th.cost_per_mwh if c is None else c)
        line_on = np.array(
            [_is_active(ln.entry_stage_id, ln.exit_stage_id, s.id) for ln in lines], dtype=bool
        )
        deficit_depth, deficit_cost = [], []
        for b in buses:
            segs = b.deficit_segments if b.deficit_segments else penalties.bus.deficit_segments
            deficit_depth.append(
                np.array([np.inf if g.depth_mw is None else g.depth_mw for g in segs])
            )
            deficit_cost.append(np.array([g.cost for g in segs]))
        stage_data.append(
            StageData(
                index=t,
                stage_id=s.id,
                block_hours=hours,
                num_openings=max(int(s.num_scenarios), 1),
                discount=discounts[t],
                hydro=hydro_resolver.stage(s, float(hours.sum())),
                thermal_min=np.array(th_min, dtype=np.float64),
                thermal_max=np.array(th_max, dtype=np.float64),
                thermal_cost=np.array(th_cost, dtype=np.float64),
                line_direct=np.array(
                    [
                        ln.capacity.direct_mw if on else 0.0
                        for ln, on in zip(lines, line_on, strict=True)
                    ]
                ),
                line_reverse=np.array(
                    [
                        ln.capacity.reverse_mw if on else 0.0
                        for ln, on in zip(lines, line_on, strict=True)
                    ]
                ),
                line_cost=np.array(
                    [
                        ln.exchange_cost
                        if ln.exchange_cost is not None
                        else penalties.line.exchange_cost
                        for ln in lines
                    ],
                    dtype=np.float64,
                ),
                load_mean=np.array([load_stats.get((b.id, s.id), (0.0, 0.0))[0] for b in buses]),
                load_std=np.array([load_stats.get((b.id, s.id), (0.0, 0.0))[1] for b in buses]),
                load_factor=np.array(
                    [[load_factors.get((b.id, s.id, k), 1.0) for k in block_ids] for b in buses],
                    dtype=np.float64,
                ).reshape(len(buses), len(block_ids)),
                deficit_depth=tuple(deficit_depth),
                deficit_cost=tuple(deficit_cost),
                excess_cost=np.full(len(buses), penalties.bus.excess_cost, dtype=np.float64),
                ncs_max=np.array([x.max_generation_mw for x in ncs], dtype=np.float64),
                ncs_mean=np.array([ncs_stats.get((x.id, s.id), (0.0, 0.0))[0] for x in ncs]),
                ncs_std=np.array([ncs_stats.get((x.id, s.id), (0.0, 0.0))[1] for x in ncs]),
                ncs_active=np.array(
                    [_is_active(x.entry_stage_id, x.exit_stage_id, s.id) for x in ncs], dtype=bool
                ),
                ncs_cost=np.array(
                    [
                        x.curtailment_cost
                        if x.curtailment_cost is not None
                        else penalties.non_controllable_source.curtailment_cost
                        for x in ncs
                    ],
                    dtype=np.float64,
                ),
                generic=tuple(_generic_rows_for_stage(generic, s.id, block_ids)),
            )
        )

    par, inflow_source, estimation = _par_model(get_table, hydros, stages_file, study, config)
    initial = get_model(InitialConditionsFile)
    storage0 = np.zeros(len(hydros))
    lags0 = np.zeros((par.max_order, len(hydros)))
    if initial is not None:
        for st in initial.storage:
            storage0[hydro_pos[st.hydro_id]] = st.value_hm3
        for pi in initial.past_inflows:
            vals = list(pi.values_m3s)[: par.max_order]
            lags0[: len(vals), hydro_pos[pi.hydro_id]] = vals

    stochastic_loads = np.array(
        [i for i in range(len(buses)) if any(sd.load_std[i] > 0 for sd in stage_data)],
        dtype=np.int64,
    )
    stochastic_ncs = np.array(
        [i for i in range(len(ncs)) if any(sd.ncs_std[i] > 0 for sd in stage_data)],
        dtype=np.int64,
    )
    return Case(
        path=path,
        config=config,
        stages_file=stages_file,
        hydros=hydros,
        thermals=thermals,
        buses=buses,
        lines=lines,
        non_controllables=ncs,
        topology=topology,
        calendar=tuple(StageCalendar(s.id, s.start_date, s.end_date, s.season_id) for s in study),
        stages=tuple(stage_data),
        par=par,
        initial_storage=storage0,
        initial_lags=lags0,
        noise=NoiseLayout(len(hydros), stochastic_loads, stochastic_ncs),
        inflow_method=config.modeling.inflow_non_negativity.method,
        seed=_resolve_seed(config),
        inflow_model_source=inflow_source,
        estimation_report=estimation.report() if estimation is not None else None,
        user_openings=_user_openings(
            get_table(NOISE_OPENINGS_FILE),
            {st.id: sd.num_openings for st, sd in zip(study, stage_data, strict=True)},
            len(hydros) + int(stochastic_loads.size) + int(stochastic_ncs.size),
        ),
    )


NOISE_OPENINGS_FILE = "scenarios/noise_openings.parquet"


def _user_openings(
    table: Any, counts: dict[int, int], dim: int
) -> dict[int, NDArray[np.float64]] | None:
    """Opening tree from noise_openings.parquet: ``{stage_id: (num_openings, dim)}``.

    Every (opening, entity) of every listed stage must be present exactly once; stages absent
    from the file keep the generated openings.
    """
    if table is None or table.num_rows == 0:
        return None
    cols = {
        c: np.asarray(table.column(c).to_numpy(zero_copy_only=False))
        for c in ("stage_id", "opening_index", "entity_index", "value")
    }
    out: dict[int, NDArray[np.float64]] = {}
    for sid in np.unique(cols["stage_id"]).tolist():
        if sid not in counts:
            _fail(
                ErrorKind.STAGE_MISMATCH,
                f"noise openings for unknown stage {sid}",
                NOISE_OPENINGS_FILE,
                "Use stage ids from stages.json.",
                stage_id=sid,
            )
        n = counts[sid]
        rows = cols["stage_id"] == sid
        o, e = (
            cols["opening_index"][rows].astype(np.int64),
            cols["entity_index"][rows].astype(np.int64),
        )
        if (
            o.size != n * dim
            or o.min() < 0
            or e.min() < 0
            or o.max() >= n
            or e.max() >= dim
            or np.unique(o * dim + e).size != n * dim
        ):
            _fail(
                ErrorKind.COVERAGE_MISMATCH,
                f"stage {sid} needs {n} openings x {dim} noise entries exactly once",
                NOISE_OPENINGS_FILE,
                "List every opening_index < num_scenarios of the stage and every entity_index "
                "< noise dimension (hydros, then stochastic load buses, then stochastic NCS).",
                stage_id=sid,
                expected_rows=n * dim,
                rows=int(o.size),
            )
        block = np.empty((n, dim))
        block[o, e] = cols["value"][rows]
        block.setflags(write=False)
        out[int(sid)] = block
    return out


def apply_config(case: Case, config: ConfigFile) -> Case:
    """The same case under another config.json (seed and inflow method follow the config).

    The PAR model is not rebuilt: changing the ``estimation`` section of a case whose model was
    estimated from history raises ``CobreError`` (IncompatibleSettings); reload the case instead.
    """
    estimated = case.inflow_model_source in ("estimated", "history")
    if estimated and config.estimation != case.config.estimation:
        raise CobreError(
            record(
                ErrorKind.INCOMPATIBLE_SETTINGS,
                "the estimation settings cannot be overridden on a loaded case: its PAR model "
                "was estimated from the inflow history when the case was loaded",
                "Edit config.json's estimation section and load the case again.",
                file="config.json",
                settings=["estimation"],
            )
        )
    return dataclasses.replace(
        case,
        config=config,
        inflow_method=config.modeling.inflow_non_negativity.method,
        seed=_resolve_seed(config),
    )


def _resolve_seed(config: ConfigFile) -> int:
    """|training.tree_seed|, else the training scenario-source seed, else 42."""
    seed = config.training.tree_seed
    if seed is None and config.training.scenario_source is not None:
        seed = config.training.scenario_source.seed
    return abs(int(seed)) if seed is not None else DEFAULT_SEED


def _entities(file_model: Any, attr: str) -> tuple[Any, ...]:
    return () if file_model is None else tuple(getattr(file_model, attr))


def _user_stats(get_table: TableGetter) -> dict[tuple[int, int], tuple[float, float]]:
    return {
        (r["hydro_id"], r["stage_id"]): (float(r["mean_m3s"]), float(r["std_m3s"] or 0.0))
        for r in _rows(get_table(INFLOW_STATS))
        if r["mean_m3s"] is not None
    }


def _user_ar(get_table: TableGetter) -> dict[tuple[int, int], tuple[tuple[float, ...], float]]:
    ar_rows: dict[tuple[int, int], list[tuple[int, float, float]]] = defaultdict(list)
    for r in _rows(get_table(INFLOW_AR)):
        ar_rows[(r["hydro_id"], r["stage_id"])].append(
            (int(r["lag"]), float(r["coefficient"]), float(r["residual_std_ratio"]))
        )
    return {
        key: (tuple(c for _, c, _ in sorted(rows)), sorted(rows)[0][2])
        for key, rows in ar_rows.items()
    }


def _estimation_path(has_history: bool, has_stats: bool, has_ar: bool) -> EstimationPath | None:
    """The H S R path that estimates something from history (100, 101, 110), else None."""
    if not has_history or (has_stats and has_ar):
        return None
    if has_stats:
        return "partial_estimation"
    return "user_ar_history_stats" if has_ar else "full_estimation"


def _estimate(
    get_table: TableGetter,
    hydros: tuple[Hydro, ...],
    stages_file: StagesFile,
    config: ConfigFile,
    path: EstimationPath,
) -> EstimationResult:
    """Run §4.7 estimation over the history; failures become a CaseValidationError."""
    spans = [
        StageSpan(s.id, s.start_date, s.end_date, s.season_id)
        for s in (*stages_file.pre_study_stages, *stages_file.stages)
    ]
    est = config.estimation
    try:
        return estimate_par(
            [h.id for h in hydros],
            observations_from_rows(_rows(get_table(INFLOW_HISTORY))),
            spans,
            stages_file.season_definitions,
            max_order=int(est.max_order),
            max_coefficient_magnitude=est.max_coefficient_magnitude,
            min_observations_per_season=int(est.min_observations_per_season),
            path=path,
            order_selection=est.order_selection,
        )
    except EstimationError as exc:
        raise CaseValidationError(
            record(
                ErrorKind.COVERAGE_MISMATCH,
                f"PAR estimation from the inflow history failed: {exc}",
                "Give every (hydro, season) at least 2 observations whose dates fall in a stage "
                "or a season of season_definitions (pacf_annual: and every hydro at least 13 "
                "consecutive observations).",
                file=INFLOW_HISTORY,
                **exc.context,
            )
        ) from exc


def _par_model(
    get_table: TableGetter,
    hydros: tuple[Hydro, ...],
    stages_file: StagesFile,
    study: Sequence[Stage],
    config: ConfigFile,
) -> tuple[ParModel, str, EstimationResult | None]:
    """The PAR model, its source ("user", "estimated", "none") and any estimation.

    With ``order_selection = "pacf_annual"`` the estimated model is PAR(p)-A, folded into an
    ordinary PAR(12) (:func:`build_par_model`'s ``annual``); with user AR coefficients (path 101)
    there is nothing to fit and the user's PAR(p) is kept.
    """
    has_stats = get_table(INFLOW_STATS) is not None
    has_ar = get_table(INFLOW_AR) is not None
    has_history = get_table(INFLOW_HISTORY) is not None
    stats, ar = _user_stats(get_table), _user_ar(get_table)
    path = _estimation_path(has_history, has_stats, has_ar)
    estimation = None
    annual = None
    source = "user" if has_stats else "none"
    if path is not None:
        estimation = _estimate(get_table, hydros, stages_file, config, path)
        if path != "partial_estimation":
            stats = estimation.stats_by_stage()
        if path != "user_ar_history_stats":
            ar = estimation.ar_by_stage()
            annual = estimation.annual_by_stage()
        source = "estimated"
    model = build_par_model(
        [h.id for h in hydros],
        [s.id for s in study],
        [s.season_id for s in study],
        stats,
        ar,
        annual,
    )
    return model, source, estimation


def _generic_constraints(
    file_model: GenericConstraintsFile | None, bounds: pa.Table | None
) -> list[tuple[Any, tuple, dict[int, dict[int | None, float]]]]:
    if file_model is None:
        return []
    by_constraint: dict[int, dict[int, dict[int | None, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for r in _rows(bounds):
        by_constraint[r["constraint_id"]][r["stage_id"]][r["block_id"]] = float(r["bound"])
    out = []
    for c in file_model.constraints:
        try:
            terms = tuple(parse_expression(c.expression))
        except ExpressionError as exc:
            raise CaseValidationError(
                record(
                    ErrorKind.SCHEMA_VIOLATION,
                    f"generic constraint {c.id}: {exc}",
                    "Write terms as 'coef * variable(id[, block])' joined by + or -.",
                    file="constraints/generic_constraints.json",
                    entity_id=c.id,
                    field="expression",
                )
            ) from exc
        out.append((c, terms, by_constraint.get(c.id, {})))
    return out


def _generic_rows_for_stage(
    generic: list[tuple[Any, tuple, dict[int, dict[int | None, float]]]],
    stage_id: int,
    block_ids: Sequence[int],
) -> list[GenericRow]:
    rows = []
    for c, terms, bounds in generic:
        stage_bounds = bounds.get(stage_id)
        if not stage_bounds:
            continue
        per_block = np.full(len(block_ids), np.nan)
        for k, bid in enumerate(block_ids):
            if bid in stage_bounds:
                per_block[k] = stage_bounds[bid]
            elif None in stage_bounds:
                per_block[k] = stage_bounds[None]
        penalty = c.slack.penalty if c.slack.enabled else None
        rows.append(GenericRow(c.id, c.sense, terms, per_block, penalty))
    return rows
