"""Layer 5, semantic: business rules on settings, physics, capacities and penalties.

``IncompatibleSettings``: several correlation profiles without a ``"default"`` one, or an entity
id in two groups of one profile (``scenarios/correlation.json``); no ``iteration_limit`` stopping
rule; a non-``in_sample`` scheme without
a seed; an ``external`` scheme without its scenario file; an ``historical`` inflow scheme without
``inflow_history``; an inflow history without ``season_definitions``; a cyclic policy graph without
a positive discount rate; thermals with ``gnl_config`` (not implemented); simulation enabled with 0
scenarios. Warnings: an ``estimation`` section with no history to estimate from, a config
``penalty_cost`` (ignored by the LP), training and simulation both disabled, settings asking for
what is not built (inner policy or upper bound, angular pruning, stored bases, a non-SAA
``sampling_method``).

``PhysicalConstraint``: cyclic hydro cascade (error); negative standard deviations, AR
``residual_std_ratio`` outside (0, 1] or differing between lags of one (hydro, stage) (errors);
reservoir geometry not increasing (error); initial storage outside the reservoir bounds (error);
negative productivity (error). Warnings: thermal or NCS with zero capacity (unused entity), zero
productivity, zero inflow std (deterministic inflow), FPHA coefficient signs, NCS mean outside
[0, 1], a line from a bus to itself.

``CapacityViolation`` (errors): ``min > max`` or negative bounds for hydro storage, turbined flow,
outflow and generation, thermal generation, pumping flow and contract power; negative line
capacities, NCS capacity and diversion capacity; per-stage overrides in ``hydro_bounds`` /
``thermal_bounds`` whose effective bounds cross.

``PenaltyConsistency``: deficit segments not increasing, last segment not unbounded
(``depth_mw: null``), an intermediate segment unbounded or of non-positive depth, negative penalty
costs, a generic constraint slack enabled without a positive penalty (errors). Warnings: zero
penalty costs, equal consecutive deficit costs, and upstream's penalty-ordering checks (filling >
storage > deficit > constraint violations > resource costs > 0, FPHA turbined > spillage).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

from cobre_core.errors import ErrorKind
from cobre_core.io import tables
from cobre_core.validation.context import (
    BUSES,
    CONFIG,
    CONTRACTS,
    GENERIC_CONSTRAINTS,
    HYDROS,
    INITIAL_CONDITIONS,
    LINES,
    NCS,
    PENALTIES,
    PUMPING,
    STAGES,
    THERMALS,
    ValidationContext,
    as_int,
    describe_ids,
    dicts,
    dig,
    num,
)
from cobre_core.validation.dimensional import fpha_sources

STATS = tables.INFLOW_SEASONAL_STATS.relative_path
AR = tables.INFLOW_AR_COEFFICIENTS.relative_path
LOAD_STATS = tables.LOAD_SEASONAL_STATS.relative_path
NCS_STATS = tables.NON_CONTROLLABLE_STATS.relative_path
HISTORY = tables.INFLOW_HISTORY.relative_path
GEOMETRY = tables.HYDRO_GEOMETRY.relative_path
FPHA = tables.FPHA_HYPERPLANES.relative_path
HYDRO_BOUNDS = tables.HYDRO_BOUNDS.relative_path
THERMAL_BOUNDS = tables.THERMAL_BOUNDS.relative_path

EXTERNAL_FILES = {
    "inflow": tables.EXTERNAL_INFLOW_SCENARIOS.relative_path,
    "load": tables.EXTERNAL_LOAD_SCENARIOS.relative_path,
    "ncs": tables.EXTERNAL_NCS_SCENARIOS.relative_path,
}

CONSTRAINT_VIOLATION_COSTS = (
    "turbined_violation_below_cost",
    "outflow_violation_below_cost",
    "outflow_violation_above_cost",
    "generation_violation_below_cost",
    "evaporation_violation_cost",
    "water_withdrawal_violation_cost",
)
"""Hydro operational-violation penalties (upstream's 'constraint violation costs')."""

RESOURCE_COSTS = ("spillage_cost", "diversion_cost")
"""Hydro regularisation penalties (upstream's 'resource costs')."""


def run(ctx: ValidationContext) -> None:
    """Run layer 5."""
    _settings(ctx)
    _stage_sampling(ctx)
    _correlation(ctx)
    _cascade(ctx)
    _entities_physics(ctx)
    _scenario_statistics(ctx)
    _geometry_and_fpha(ctx)
    _initial_storage(ctx)
    _capacities(ctx)
    _stage_overrides(ctx)
    _deficit_segments(ctx)
    _penalty_values(ctx)
    _penalty_ordering(ctx)
    _generic_slacks(ctx)


# ── correlation ───────────────────────────────────────────────────────────────────────────────

CORRELATION = "scenarios/correlation.json"


def _correlation(ctx: ValidationContext) -> None:
    """correlation.json: a default profile when several exist; disjoint groups in a profile."""
    doc = ctx.doc(CORRELATION)
    if doc is None:
        return
    profiles = doc.get("profiles")
    if not isinstance(profiles, dict):
        return
    if len(profiles) > 1 and "default" not in profiles:
        _incompatible(
            ctx,
            f"{CORRELATION}: {len(profiles)} profiles and none is named 'default'",
            "Name one profile 'default'; it applies to every stage the schedule omits.",
            settings=["profiles"],
            file=CORRELATION,
        )
    for name, profile in profiles.items():
        seen: dict[int, str] = {}
        for group in dicts(dig(profile, "correlation_groups")):
            for entity in dicts(group.get("entities")):
                eid = as_int(entity.get("id"))
                if eid is None:
                    continue
                if eid in seen:
                    _incompatible(
                        ctx,
                        f"{CORRELATION}: profile {name!r} lists id {eid} in groups "
                        f"{seen[eid]!r} and {group.get('name')!r}; groups must be disjoint",
                        "List each entity id in at most one group of a profile (whatever its "
                        "type, as upstream).",
                        settings=[f"profiles.{name}.correlation_groups"],
                        file=CORRELATION,
                        entity_id=eid,
                    )
                seen[eid] = str(group.get("name"))


# ── settings ──────────────────────────────────────────────────────────────────────────────────


def _incompatible(
    ctx: ValidationContext,
    message: str,
    suggestion: str,
    *,
    settings: list[str],
    file: str = CONFIG,
    warning: bool = False,
    **context: Any,
) -> None:
    ctx.report(
        ErrorKind.INCOMPATIBLE_SETTINGS,
        message,
        suggestion,
        warning=warning,
        file=file,
        settings=settings,
        detail=message.split(": ", 1)[-1],
        **context,
    )


def _settings(ctx: ValidationContext) -> None:
    config = ctx.doc(CONFIG)
    raw_config = ctx.files.raw.get(CONFIG)
    if config is not None:
        rules = dicts(dig(config, "training", "stopping_rules"))
        if dig(config, "training", "stopping_rules") is not None and not any(
            rule.get("type") == "iteration_limit" for rule in rules
        ):
            _incompatible(
                ctx,
                f"{CONFIG}: training.stopping_rules has no iteration_limit rule",
                'Add {"type": "iteration_limit", "limit": N}; it is the mandatory safety bound.',
                settings=["training.stopping_rules"],
            )
        for section in ("training", "simulation"):
            source = dig(config, section, "scenario_source")
            if not isinstance(source, dict):
                continue
            schemes = {
                cls: str(dig(source, cls, "scheme") or "in_sample")
                for cls in ("inflow", "load", "ncs")
            }
            non_default = sorted(c for c, s in schemes.items() if s != "in_sample")
            if non_default and source.get("seed") is None:
                _incompatible(
                    ctx,
                    f"{CONFIG}: {section}.scenario_source uses scheme(s) "
                    f"{[schemes[c] for c in non_default]} for {non_default} but has no seed",
                    f"Set {section}.scenario_source.seed to an integer.",
                    settings=[f"{section}.scenario_source.seed"]
                    + [f"{section}.scenario_source.{c}.scheme" for c in non_default],
                )
            for cls, scheme in schemes.items():
                if scheme == "external" and not ctx.has(EXTERNAL_FILES[cls]):
                    _incompatible(
                        ctx,
                        f"{CONFIG}: {section}.scenario_source.{cls}.scheme is 'external' but "
                        f"{EXTERNAL_FILES[cls]} is missing",
                        f"Provide {EXTERNAL_FILES[cls]} or use another scheme.",
                        settings=[f"{section}.scenario_source.{cls}.scheme", EXTERNAL_FILES[cls]],
                    )
                if scheme == "historical" and cls == "inflow" and not ctx.has(HISTORY):
                    _incompatible(
                        ctx,
                        f"{CONFIG}: {section}.scenario_source.inflow.scheme is 'historical' but "
                        f"{HISTORY} is missing",
                        f"Provide {HISTORY} or use another scheme.",
                        settings=[f"{section}.scenario_source.inflow.scheme", HISTORY],
                    )
        if isinstance(raw_config, dict) and "estimation" in raw_config and not ctx.has(HISTORY):
            _incompatible(
                ctx,
                f"{CONFIG}: an estimation section is given but there is no {HISTORY} to "
                "estimate from; it is ignored",
                f"Remove the estimation section or provide {HISTORY}.",
                settings=["estimation", HISTORY],
                warning=True,
            )
        if dig(raw_config, "modeling", "inflow_non_negativity", "penalty_cost") is not None:
            _incompatible(
                ctx,
                f"{CONFIG}: modeling.inflow_non_negativity.penalty_cost is deprecated and not "
                "used by the LP",
                f"Set hydro.inflow_nonnegativity_cost in {PENALTIES} (default 1000) instead.",
                settings=["modeling.inflow_non_negativity.penalty_cost"],
                warning=True,
            )
        for path, value, what in _unhonoured_settings(config):
            _incompatible(
                ctx,
                f"{CONFIG}: {path} = {value!r} is parsed but not acted on ({what})",
                "Remove it, or expect the run to behave as if it were absent.",
                settings=[path],
                warning=True,
            )
        if (
            dig(config, "training", "enabled") is False
            and dig(config, "simulation", "enabled") is False
        ):
            _incompatible(
                ctx,
                f"{CONFIG}: training and simulation are both disabled; a run does nothing",
                "Enable training or simulation.",
                settings=["training.enabled", "simulation.enabled"],
                warning=True,
            )
        if (
            dig(config, "simulation", "enabled") is True
            and as_int(dig(config, "simulation", "num_scenarios")) == 0
        ):
            _incompatible(
                ctx,
                f"{CONFIG}: simulation is enabled with num_scenarios 0",
                "Set simulation.num_scenarios >= 1 or disable the simulation.",
                settings=["simulation.enabled", "simulation.num_scenarios"],
            )
    stages = ctx.doc(STAGES)
    if ctx.has(HISTORY) and stages is not None and stages.get("season_definitions") is None:
        _incompatible(
            ctx,
            f"{STAGES}: {HISTORY} is provided but stages.json has no season_definitions",
            "Add season_definitions so observations can be grouped by season.",
            file=STAGES,
            settings=["season_definitions", HISTORY],
        )
    graph = dig(stages, "policy_graph")
    if isinstance(graph, dict) and graph.get("type") == "cyclic":
        rate = num(graph.get("annual_discount_rate"))
        if rate is None or rate <= 0:
            _incompatible(
                ctx,
                f"{STAGES}: a cyclic policy graph needs annual_discount_rate > 0 (got {rate})",
                "Set a positive annual_discount_rate so the cycle converges.",
                file=STAGES,
                settings=["policy_graph.type", "policy_graph.annual_discount_rate"],
            )
    for i, thermal in enumerate(ctx.entities("thermals")):
        if thermal.get("gnl_config") is not None:
            _incompatible(
                ctx,
                f"{THERMALS}: thermal {thermal.get('id')} has gnl_config; GNL dispatch "
                "anticipation is not implemented",
                "Remove gnl_config from the thermal.",
                file=THERMALS,
                settings=[f"thermals[{i}].gnl_config"],
                entity_id=thermal.get("id"),
            )


# ── physics ───────────────────────────────────────────────────────────────────────────────────


_UNHONOURED: tuple[tuple[tuple[str, ...], object, str], ...] = (
    (("simulation", "policy_type"), "inner", "no inner-approximation policy"),
    (("upper_bound_evaluation", "enabled"), True, "no inner-approximation upper bound"),
    (("training", "cut_selection", "angular_pruning", "enabled"), True, "no angular pruning"),
    (("policy", "checkpointing", "store_basis"), True, "checkpoints hold no LP basis"),
)
"""Config values whose feature is not built: (path, value that asks for it, what is missing)."""


def _unhonoured_settings(config: Any) -> list[tuple[str, object, str]]:
    """The config settings that ask for something this engine does not do."""
    return [
        (".".join(path), value, what)
        for path, value, what in _UNHONOURED
        if dig(config, *path) == value
    ]


def _stage_sampling(ctx: ValidationContext) -> None:
    """Warn about stages whose ``sampling_method`` is not SAA (trees are always SAA here)."""
    for i, stage in enumerate(dig(ctx.doc(STAGES), "stages") or []):
        method = dig(stage, "sampling_method")
        if method not in (None, "saa"):
            _incompatible(
                ctx,
                f"{STAGES}: stages[{i}].sampling_method {method!r} is not implemented; the "
                "opening tree uses plain sampling (saa)",
                "Remove sampling_method or set it to 'saa'.",
                settings=[f"stages[{i}].sampling_method"],
                warning=True,
            )


def _physical(
    ctx: ValidationContext,
    message: str,
    suggestion: str,
    *,
    file: str,
    rule: str,
    warning: bool = False,
    **context: Any,
) -> None:
    ctx.report(
        ErrorKind.PHYSICAL_CONSTRAINT,
        message,
        suggestion,
        warning=warning,
        file=file,
        rule=rule,
        detail=message.split(": ", 1)[-1],
        **context,
    )


def _cascade(ctx: ValidationContext) -> None:
    downstream: dict[int, int] = {}
    for hydro in ctx.entities("hydros"):
        hid, down = as_int(hydro.get("id")), as_int(hydro.get("downstream_id"))
        if hid is not None and down is not None:
            downstream[hid] = down
    reported: set[int] = set()
    for start in sorted(downstream):
        path: list[int] = []
        on_path: set[int] = set()
        node: int | None = start
        while node is not None and node in downstream and node not in on_path:
            if node in reported:
                break
            path.append(node)
            on_path.add(node)
            node = downstream[node]
        if node is not None and node in on_path and node not in reported:
            cycle = path[path.index(node) :]
            reported.update(cycle)
            loop = " -> ".join(str(h) for h in [*cycle, cycle[0]])
            _physical(
                ctx,
                f"{HYDROS}: the hydro cascade has a cycle: {loop}",
                "Water must flow downhill: break the cycle by fixing a downstream_id.",
                file=HYDROS,
                rule="acyclic_cascade",
                entity_id=cycle[0],
                cycle=cycle,
            )
        reported.update(path)


def _entities_physics(ctx: ValidationContext) -> None:
    for thermal in ctx.entities("thermals"):
        if num(dig(thermal, "generation", "max_mw")) == 0:
            _physical(
                ctx,
                f"{THERMALS}: thermal {thermal.get('id')} has max_mw 0 and never generates",
                "If the plant is meant to be off, no action is needed.",
                file=THERMALS,
                rule="unused_entity",
                warning=True,
                entity_id=thermal.get("id"),
            )
    for source in ctx.entities("non_controllable_sources"):
        if num(source.get("max_generation_mw")) == 0:
            _physical(
                ctx,
                f"{NCS}: source {source.get('id')} has max_generation_mw 0 and never generates",
                "If the source is meant to be off, no action is needed.",
                file=NCS,
                rule="unused_entity",
                warning=True,
                entity_id=source.get("id"),
            )
    for hydro in ctx.entities("hydros"):
        rho = num(dig(hydro, "generation", "productivity_mw_per_m3s"))
        if rho is not None and rho <= 0:
            _physical(
                ctx,
                f"{HYDROS}: hydro {hydro.get('id')} has productivity {rho} MW/(m³/s)",
                "Productivity must be positive for the plant to generate.",
                file=HYDROS,
                rule="positive_productivity",
                warning=rho == 0,
                entity_id=hydro.get("id"),
            )
    for line in ctx.entities("lines"):
        if line.get("source_bus_id") == line.get("target_bus_id"):
            _physical(
                ctx,
                f"{LINES}: line {line.get('id')} connects bus {line.get('source_bus_id')} to "
                "itself and carries nothing",
                "Check source_bus_id and target_bus_id.",
                file=LINES,
                rule="line_endpoints",
                warning=True,
                entity_id=line.get("id"),
            )


def _scenario_statistics(ctx: ValidationContext) -> None:
    for file, id_column, std_column in (
        (STATS, "hydro_id", "std_m3s"),
        (LOAD_STATS, "bus_id", "std_mw"),
        (NCS_STATS, "ncs_id", "std"),
    ):
        zero = 0
        for row_index, row in enumerate(ctx.rows(file)):
            std = num(row.get(std_column))
            if std is not None and std < 0:
                _physical(
                    ctx,
                    f"{file}: {id_column} {row.get(id_column)} stage {row.get('stage_id')} has "
                    f"negative {std_column} {std}",
                    "A standard deviation cannot be negative.",
                    file=file,
                    rule="non_negative_std",
                    entity_id=row.get(id_column),
                    stage_id=row.get("stage_id"),
                    row=row_index,
                )
            elif std == 0:
                zero += 1
        if zero and file == STATS:
            _physical(
                ctx,
                f"{file}: {zero} (hydro, stage) row(s) have std_m3s 0; inflow is deterministic "
                "there",
                "Intended for deterministic studies; otherwise give a positive std.",
                file=file,
                rule="deterministic_inflow",
                warning=True,
                rows=zero,
            )
    for row_index, row in enumerate(ctx.rows(NCS_STATS)):
        mean = num(row.get("mean"))
        if mean is not None and not 0 <= mean <= 1:
            _physical(
                ctx,
                f"{NCS_STATS}: ncs {row.get('ncs_id')} stage {row.get('stage_id')} has mean "
                f"availability {mean}, outside [0, 1]; it is clamped",
                "Availability is a fraction of max_generation_mw.",
                file=NCS_STATS,
                rule="availability_range",
                warning=True,
                entity_id=row.get("ncs_id"),
                row=row_index,
            )
    ratios: dict[tuple[object, object], float] = {}
    for row_index, row in enumerate(ctx.rows(AR)):
        ratio = num(row.get("residual_std_ratio"))
        key = (row.get("hydro_id"), row.get("stage_id"))
        if ratio is None:
            continue
        if not 0 < ratio <= 1:
            _physical(
                ctx,
                f"{AR}: hydro {key[0]} stage {key[1]} lag {row.get('lag')} has "
                f"residual_std_ratio {ratio}, outside (0, 1]",
                "The residual std is a fraction of the std: use a value in (0, 1].",
                file=AR,
                rule="residual_std_ratio_range",
                entity_id=key[0],
                stage_id=key[1],
                row=row_index,
            )
        elif key in ratios and abs(ratios[key] - ratio) > 1e-12:
            _physical(
                ctx,
                f"{AR}: hydro {key[0]} stage {key[1]} has residual_std_ratio {ratios[key]} and "
                f"{ratio} on different lags",
                "Use the same residual_std_ratio on every lag row of a (hydro, stage).",
                file=AR,
                rule="residual_std_ratio_consistency",
                entity_id=key[0],
                stage_id=key[1],
                row=row_index,
            )
        ratios.setdefault(key, ratio)


def _geometry_and_fpha(ctx: ValidationContext) -> None:
    curves: dict[object, list[tuple[float, float, float]]] = defaultdict(list)
    for row in ctx.rows(GEOMETRY):
        values = [num(row.get(c)) for c in ("volume_hm3", "height_m", "area_km2")]
        if all(v is not None for v in values):
            curves[row.get("hydro_id")].append(tuple(values))  # type: ignore[arg-type]
    for hydro, points in curves.items():
        points.sort()
        for (v0, h0, a0), (v1, h1, a1) in itertools.pairwise(points):
            problems = []
            if h1 < h0:
                problems.append(f"height falls from {h0} to {h1} m")
            if a1 < a0:
                problems.append(f"area falls from {a0} to {a1} km²")
            if problems:
                _physical(
                    ctx,
                    f"{GEOMETRY}: hydro {hydro} between {v0} and {v1} hm³: " + "; ".join(problems),
                    "Height and area must not decrease as the stored volume grows.",
                    file=GEOMETRY,
                    rule="geometry_monotonicity",
                    entity_id=hydro,
                )
    signs: dict[object, set[str]] = defaultdict(set)
    for row in ctx.rows(FPHA):
        gamma_v, gamma_q, gamma_s = (num(row.get(c)) for c in ("gamma_v", "gamma_q", "gamma_s"))
        if gamma_v is not None and gamma_v < 0:
            signs[row.get("hydro_id")].add("gamma_v < 0")
        if gamma_q is not None and gamma_q < 0:
            signs[row.get("hydro_id")].add("gamma_q < 0")
        if gamma_s is not None and gamma_s > 0:
            signs[row.get("hydro_id")].add("gamma_s > 0")
    for hydro, found in signs.items():
        _physical(
            ctx,
            f"{FPHA}: hydro {hydro} has planes with {', '.join(sorted(found))}; generation "
            "should grow with storage and turbined flow and not with spillage",
            "Check the sign of the plane coefficients.",
            file=FPHA,
            rule="fpha_coefficient_signs",
            warning=True,
            entity_id=hydro,
        )


def _initial_storage(ctx: ValidationContext) -> None:
    doc = ctx.doc(INITIAL_CONDITIONS)
    if doc is None:
        return
    hydros = {as_int(h.get("id")): h for h in ctx.entities("hydros")}
    for key in ("storage", "filling_storage"):
        for i, item in enumerate(dicts(doc.get(key))):
            hydro = hydros.get(as_int(item.get("hydro_id")))
            value = num(item.get("value_hm3"))
            if hydro is None or value is None:
                continue
            low = num(dig(hydro, "reservoir", "min_storage_hm3"))
            high = num(dig(hydro, "reservoir", "max_storage_hm3"))
            if key == "filling_storage":
                low, high = 0.0, low
            if low is None or high is None or low <= value <= high:
                continue
            _physical(
                ctx,
                f"{INITIAL_CONDITIONS}: hydro {item.get('hydro_id')} starts with {value} hm³, "
                f"outside [{low}, {high}]",
                "Initial storage must lie within the reservoir bounds (filling hydros: between "
                "0 and min_storage_hm3).",
                file=INITIAL_CONDITIONS,
                rule="initial_storage_bounds",
                entity_id=item.get("hydro_id"),
                field=f"{key}[{i}].value_hm3",
                value=value,
            )


# ── capacities ────────────────────────────────────────────────────────────────────────────────


def _capacity(
    ctx: ValidationContext,
    *,
    file: str,
    entity_id: object,
    field_min: str,
    value_min: float | None,
    field_max: str,
    value_max: float | None,
    what: str,
    **context: Any,
) -> None:
    ctx.error(
        ErrorKind.CAPACITY_VIOLATION,
        f"{file}: {what} {entity_id}: {field_min} ({value_min}) > {field_max} ({value_max})",
        f"Make {field_min} <= {field_max}.",
        file=file,
        entity_id=entity_id,
        field_min=field_min,
        value_min=value_min,
        field_max=field_max,
        value_max=value_max,
        **context,
    )


def _bound_pairs(
    ctx: ValidationContext,
    entity: dict[str, Any],
    *,
    file: str,
    what: str,
    pairs: list[tuple[str, str]],
    non_negative: list[str],
) -> None:
    """Check dotted-path (min, max) pairs and non-negative fields of one entity."""
    eid = entity.get("id")

    def get(path: str) -> float | None:
        return num(dig(entity, *path.split(".")))

    for low_path, high_path in pairs:
        low, high = get(low_path), get(high_path)
        if low is not None and high is not None and low > high:
            _capacity(
                ctx,
                file=file,
                entity_id=eid,
                field_min=low_path,
                value_min=low,
                field_max=high_path,
                value_max=high,
                what=what,
            )
    for path in non_negative:
        value = get(path)
        if value is not None and value < 0:
            _capacity(
                ctx,
                file=file,
                entity_id=eid,
                field_min="0",
                value_min=0.0,
                field_max=path,
                value_max=value,
                what=what,
            )


def _capacities(ctx: ValidationContext) -> None:
    for hydro in ctx.entities("hydros"):
        _bound_pairs(
            ctx,
            hydro,
            file=HYDROS,
            what="hydro",
            pairs=[
                ("reservoir.min_storage_hm3", "reservoir.max_storage_hm3"),
                ("generation.min_turbined_m3s", "generation.max_turbined_m3s"),
                ("outflow.min_outflow_m3s", "outflow.max_outflow_m3s"),
                ("generation.min_generation_mw", "generation.max_generation_mw"),
            ],
            non_negative=[
                "reservoir.min_storage_hm3",
                "reservoir.max_storage_hm3",
                "generation.min_turbined_m3s",
                "generation.max_turbined_m3s",
                "outflow.min_outflow_m3s",
                "outflow.max_outflow_m3s",
                "generation.min_generation_mw",
                "generation.max_generation_mw",
                "diversion.max_flow_m3s",
            ],
        )
    for thermal in ctx.entities("thermals"):
        _bound_pairs(
            ctx,
            thermal,
            file=THERMALS,
            what="thermal",
            pairs=[("generation.min_mw", "generation.max_mw")],
            non_negative=["generation.min_mw", "generation.max_mw"],
        )
    for line in ctx.entities("lines"):
        _bound_pairs(
            ctx,
            line,
            file=LINES,
            what="line",
            pairs=[],
            non_negative=["capacity.direct_mw", "capacity.reverse_mw"],
        )
    for source in ctx.entities("non_controllable_sources"):
        _bound_pairs(
            ctx, source, file=NCS, what="source", pairs=[], non_negative=["max_generation_mw"]
        )
    for station in ctx.entities("pumping_stations"):
        _bound_pairs(
            ctx,
            station,
            file=PUMPING,
            what="pumping station",
            pairs=[("flow.min_m3s", "flow.max_m3s")],
            non_negative=["flow.min_m3s", "flow.max_m3s"],
        )
    for contract in ctx.entities("contracts"):
        _bound_pairs(
            ctx,
            contract,
            file=CONTRACTS,
            what="contract",
            pairs=[("limits.min_mw", "limits.max_mw")],
            non_negative=["limits.min_mw", "limits.max_mw"],
        )


_HYDRO_OVERRIDES = (
    (
        "min_storage_hm3",
        "max_storage_hm3",
        ("reservoir", "min_storage_hm3"),
        ("reservoir", "max_storage_hm3"),
    ),
    (
        "min_turbined_m3s",
        "max_turbined_m3s",
        ("generation", "min_turbined_m3s"),
        ("generation", "max_turbined_m3s"),
    ),
    (
        "min_outflow_m3s",
        "max_outflow_m3s",
        ("outflow", "min_outflow_m3s"),
        ("outflow", "max_outflow_m3s"),
    ),
    (
        "min_generation_mw",
        "max_generation_mw",
        ("generation", "min_generation_mw"),
        ("generation", "max_generation_mw"),
    ),
)
_THERMAL_OVERRIDES = (
    ("min_generation_mw", "max_generation_mw", ("generation", "min_mw"), ("generation", "max_mw")),
)


def _stage_overrides(ctx: ValidationContext) -> None:
    for file, id_column, registry, pairs in (
        (HYDRO_BOUNDS, "hydro_id", "hydros", _HYDRO_OVERRIDES),
        (THERMAL_BOUNDS, "thermal_id", "thermals", _THERMAL_OVERRIDES),
    ):
        entities = {as_int(e.get("id")): e for e in ctx.entities(registry)}
        for row_index, row in enumerate(ctx.rows(file)):
            base = entities.get(as_int(row.get(id_column)), {})
            for low_col, high_col, low_path, high_path in pairs:
                low = num(row.get(low_col))
                high = num(row.get(high_col))
                low = low if low is not None else num(dig(base, *low_path))
                high = high if high is not None else num(dig(base, *high_path))
                if low is not None and high is not None and low > high:
                    _capacity(
                        ctx,
                        file=file,
                        entity_id=row.get(id_column),
                        field_min=low_col,
                        value_min=low,
                        field_max=high_col,
                        value_max=high,
                        what=f"stage {row.get('stage_id')}, {registry.rstrip('s')}",
                        stage_id=row.get("stage_id"),
                        row=row_index,
                    )
            for column in (
                "max_storage_hm3",
                "max_turbined_m3s",
                "max_generation_mw",
                "max_outflow_m3s",
                "max_diversion_m3s",
                "water_withdrawal_m3s",
            ):
                value = num(row.get(column))
                if value is not None and value < 0:
                    _capacity(
                        ctx,
                        file=file,
                        entity_id=row.get(id_column),
                        field_min="0",
                        value_min=0.0,
                        field_max=column,
                        value_max=value,
                        what=f"stage {row.get('stage_id')}, {registry.rstrip('s')}",
                        stage_id=row.get("stage_id"),
                        row=row_index,
                    )


# ── penalties ─────────────────────────────────────────────────────────────────────────────────


def _penalty(
    ctx: ValidationContext,
    message: str,
    suggestion: str,
    *,
    file: str,
    penalty_field: str,
    value: object,
    violated_rule: str,
    warning: bool = False,
    **context: Any,
) -> None:
    ctx.report(
        ErrorKind.PENALTY_CONSISTENCY,
        message,
        suggestion,
        warning=warning,
        file=file,
        penalty_field=penalty_field,
        value=value,
        violated_rule=violated_rule,
        **context,
    )


def _check_segments(
    ctx: ValidationContext, segments: list[dict[str, Any]], *, file: str, path: str, owner: object
) -> None:
    where = f"bus {owner}" if owner is not None else "default"
    if not segments:
        _penalty(
            ctx,
            f"{file}: {where} deficit_segments is empty",
            "Give at least one segment; the last one with depth_mw null.",
            file=file,
            penalty_field=path,
            value=[],
            violated_rule="deficit_last_segment_unbounded",
            entity_id=owner,
        )
        return
    last = len(segments) - 1
    for k, segment in enumerate(segments):
        depth = segment.get("depth_mw")
        if k == last and depth is not None:
            _penalty(
                ctx,
                f"{file}: {where} last deficit segment has depth_mw {depth}; it must be null "
                "(unbounded) so any deficit can be priced",
                "Set depth_mw of the last segment to null.",
                file=file,
                penalty_field=f"{path}[{k}].depth_mw",
                value=depth,
                violated_rule="deficit_last_segment_unbounded",
                entity_id=owner,
            )
        if k < last and (depth is None or (num(depth) is not None and num(depth) <= 0)):  # type: ignore[operator]
            _penalty(
                ctx,
                f"{file}: {where} deficit segment {k} has depth_mw {depth}; only the last "
                "segment may be unbounded and depths must be > 0",
                "Give intermediate segments a positive depth_mw.",
                file=file,
                penalty_field=f"{path}[{k}].depth_mw",
                value=depth,
                violated_rule="deficit_segment_depth",
                entity_id=owner,
            )
        if k:
            before, cost = num(segments[k - 1].get("cost")), num(segment.get("cost"))
            if before is not None and cost is not None and cost <= before:
                _penalty(
                    ctx,
                    f"{file}: {where} deficit segment {k} costs {cost}, "
                    f"{'not more than' if cost == before else 'less than'} segment {k - 1} "
                    f"({before}); deficit costs must increase",
                    "Order deficit segments by increasing cost.",
                    file=file,
                    penalty_field=f"{path}[{k}].cost",
                    value=cost,
                    violated_rule="deficit_monotonicity",
                    warning=cost == before,
                    entity_id=owner,
                )


def _deficit_segments(ctx: ValidationContext) -> None:
    penalties = ctx.doc(PENALTIES)
    if penalties is not None and dig(penalties, "bus", "deficit_segments") is not None:
        _check_segments(
            ctx,
            dicts(dig(penalties, "bus", "deficit_segments")),
            file=PENALTIES,
            path="bus.deficit_segments",
            owner=None,
        )
    for i, bus in enumerate(ctx.entities("buses")):
        if bus.get("deficit_segments") is not None:
            _check_segments(
                ctx,
                dicts(bus.get("deficit_segments")),
                file=BUSES,
                path=f"buses[{i}].deficit_segments",
                owner=bus.get("id"),
            )


def _walk_costs(value: object, path: str) -> list[tuple[str, float]]:
    if isinstance(value, dict):
        out = []
        for key, sub in value.items():
            if key in ("$schema", "version", "deficit_segments"):
                continue
            out.extend(_walk_costs(sub, f"{path}.{key}" if path else key))
        return out
    number = num(value)
    return [(path, number)] if number is not None else []


def _penalty_values(ctx: ValidationContext) -> None:
    sources: list[tuple[str, object, list[tuple[str, float]]]] = []
    penalties = ctx.doc(PENALTIES)
    if penalties is not None:
        costs = _walk_costs(penalties, "")
        segments = dicts(dig(penalties, "bus", "deficit_segments"))
        costs += [
            (f"bus.deficit_segments[{k}].cost", c)
            for k, s in enumerate(segments)
            if (c := num(s.get("cost"))) is not None
        ]
        sources.append((PENALTIES, None, costs))
    for i, hydro in enumerate(ctx.entities("hydros")):
        sources.append(
            (HYDROS, hydro.get("id"), _walk_costs(hydro.get("penalties"), f"hydros[{i}].penalties"))
        )
    for i, line in enumerate(ctx.entities("lines")):
        cost = num(line.get("exchange_cost"))
        if cost is not None:
            sources.append((LINES, line.get("id"), [(f"lines[{i}].exchange_cost", cost)]))
    for i, source in enumerate(ctx.entities("non_controllable_sources")):
        cost = num(source.get("curtailment_cost"))
        if cost is not None:
            sources.append(
                (NCS, source.get("id"), [(f"non_controllable_sources[{i}].curtailment_cost", cost)])
            )
    for i, bus in enumerate(ctx.entities("buses")):
        costs = [
            (f"buses[{i}].deficit_segments[{k}].cost", c)
            for k, s in enumerate(dicts(bus.get("deficit_segments")))
            if (c := num(s.get("cost"))) is not None
        ]
        sources.append((BUSES, bus.get("id"), costs))
    zero: dict[str, list[str]] = defaultdict(list)
    for file, owner, costs in sources:
        for path, cost in costs:
            if cost < 0:
                _penalty(
                    ctx,
                    f"{file}: {path} is {cost}; penalty costs must not be negative",
                    "Use a positive cost.",
                    file=file,
                    penalty_field=path,
                    value=cost,
                    violated_rule="positive_penalty",
                    entity_id=owner,
                )
            elif cost == 0:
                zero[file].append(path)
    for file, paths in zero.items():
        _penalty(
            ctx,
            f"{file}: {len(paths)} penalty cost(s) are 0 ({describe_ids(paths, 5)}); upstream "
            "expects strictly positive penalties",
            "Zero penalties make the LP indifferent to those slacks; use a small positive cost.",
            file=file,
            penalty_field=paths[0],
            value=0.0,
            violated_rule="positive_penalty",
            warning=True,
            fields=paths[:20],
        )


def _resolved_hydro_penalties(ctx: ValidationContext) -> dict[object, dict[str, float]]:
    defaults = dig(ctx.doc(PENALTIES), "hydro")
    out: dict[object, dict[str, float]] = {}
    if not isinstance(defaults, dict):
        return out
    for hydro in ctx.entities("hydros"):
        overrides = hydro.get("penalties") if isinstance(hydro.get("penalties"), dict) else {}
        resolved: dict[str, float] = {}
        for key, value in defaults.items():
            own = num(overrides.get(key)) if overrides else None
            base = num(value)
            if own is not None:
                resolved[key] = own
            elif base is not None:
                resolved[key] = base
        out[hydro.get("id")] = resolved
    return out


def _penalty_ordering(ctx: ValidationContext) -> None:
    hydros = _resolved_hydro_penalties(ctx)
    if not hydros:
        return
    deficit_costs = [
        c
        for segs in [dig(ctx.doc(PENALTIES), "bus", "deficit_segments")]
        + [b.get("deficit_segments") for b in ctx.entities("buses")]
        for s in dicts(segs)
        if (c := num(s.get("cost"))) is not None
    ]
    max_deficit = max([0.0, *deficit_costs])

    def warn(rule: str, message: str, field: str, value: float, ids: list[object]) -> None:
        _penalty(
            ctx,
            f"{PENALTIES}: penalty ordering: {message} ({len(ids)} hydro(s): {describe_ids(ids)})",
            "Penalty tiers should be ordered so that the LP prefers the cheaper violation; "
            "this is a warning and does not prevent the run.",
            file=PENALTIES,
            penalty_field=field,
            value=value,
            violated_rule=rule,
            warning=True,
            entity_id=ids[0],
        )

    def check(rule: str, field: str, bad: dict[object, float], text: str) -> None:
        if bad:
            worst = min(bad, key=lambda h: bad[h])
            warn(rule, text.format(value=bad[worst]), field, bad[worst], sorted(bad, key=str))

    check(
        "filling_above_storage",
        "hydro.filling_target_violation_cost",
        {
            h: p["filling_target_violation_cost"]
            for h, p in hydros.items()
            if p.get("filling_target_violation_cost", 1.0)
            <= p.get("storage_violation_below_cost", 0.0)
        },
        "filling_target_violation_cost ({value}) should exceed storage_violation_below_cost",
    )
    check(
        "storage_above_deficit",
        "hydro.storage_violation_below_cost",
        {
            h: p["storage_violation_below_cost"]
            for h, p in hydros.items()
            if "storage_violation_below_cost" in p
            and p["storage_violation_below_cost"] <= max_deficit
        },
        f"storage_violation_below_cost ({{value}}) should exceed the highest deficit cost "
        f"({max_deficit})",
    )
    constraint_max = {
        h: max(p[k] for k in CONSTRAINT_VIOLATION_COSTS if k in p)
        for h, p in hydros.items()
        if any(k in p for k in CONSTRAINT_VIOLATION_COSTS)
    }
    check(
        "deficit_above_constraint",
        "bus.deficit_segments",
        {h: v for h, v in constraint_max.items() if max_deficit <= v},
        f"the highest deficit cost ({max_deficit}) should exceed the hydro constraint violation "
        "costs (up to {value})",
    )
    constraint_min = {
        h: min(p[k] for k in CONSTRAINT_VIOLATION_COSTS if k in p)
        for h, p in hydros.items()
        if any(k in p for k in CONSTRAINT_VIOLATION_COSTS)
    }
    resource_max = max([0.0] + [p[k] for p in hydros.values() for k in RESOURCE_COSTS if k in p])
    check(
        "constraint_above_resource",
        "hydro.turbined_violation_below_cost",
        {h: v for h, v in constraint_min.items() if v <= resource_max},
        f"hydro constraint violation costs (down to {{value}}) should exceed the resource costs "
        f"(spillage, diversion; up to {resource_max})",
    )
    check(
        "resource_positive",
        "hydro.spillage_cost",
        {
            h: min(p[k] for k in RESOURCE_COSTS if k in p)
            for h, p in hydros.items()
            if any(k in p for k in RESOURCE_COSTS)
            and min(p[k] for k in RESOURCE_COSTS if k in p) <= 0
        },
        "resource costs (spillage, diversion; down to {value}) should be > 0",
    )
    fpha = set(fpha_sources(ctx))
    check(
        "fpha_turbined_above_spillage",
        "hydro.fpha_turbined_cost",
        {
            h: p["fpha_turbined_cost"]
            for h, p in hydros.items()
            if as_int(h) in fpha
            and "fpha_turbined_cost" in p
            and p["fpha_turbined_cost"] <= p.get("spillage_cost", 0.0)
        },
        "fpha_turbined_cost ({value}) should exceed spillage_cost for FPHA hydros",
    )


def _generic_slacks(ctx: ValidationContext) -> None:
    for i, constraint in enumerate(dicts(dig(ctx.doc(GENERIC_CONSTRAINTS), "constraints"))):
        slack = constraint.get("slack")
        if not isinstance(slack, dict) or slack.get("enabled") is not True:
            continue
        penalty = num(slack.get("penalty"))
        if penalty is None or penalty <= 0:
            _penalty(
                ctx,
                f"{GENERIC_CONSTRAINTS}: constraint {constraint.get('id')} enables its slack "
                f"with penalty {slack.get('penalty')}; the penalty must be > 0",
                "Give the slack a positive penalty, or disable it.",
                file=GENERIC_CONSTRAINTS,
                penalty_field=f"constraints[{i}].slack.penalty",
                value=slack.get("penalty"),
                violated_rule="generic_slack_penalty",
                entity_id=constraint.get("id"),
            )
