"""Layer 3, referential: every id that points at another registry points at something that exists.

All problems are ``MissingReference`` with ``field``, ``referenced_value`` and
``referenced_registry``. Checked references:

* entity files: hydro / thermal / NCS / pumping / contract ``bus_id``; hydro ``downstream_id`` and
  ``diversion.downstream_id``; pumping source and destination hydros; line source and target buses;
* ``initial_conditions.json`` hydro ids; production-model hydro ids and ``start_stage_id``;
* generic-constraint expression terms (entity id and block index), and the bounds file's
  ``constraint_id`` / ``stage_id`` / ``block_id``;
* load and exchange factors: bus / line, study stage and that stage's block ids;
* Parquet id columns (``hydro_id``, ``bus_id``, ``thermal_id``, ``ncs_id``, ``stage_id``);
* ``scenarios/correlation.json`` group entities (hydro, bus or NCS by ``type``).

Stage ids of the inflow statistics and AR files may name pre-study stages; they are checked by the
dimensional layer (``StageMismatch``), not here. Table problems are reported once per distinct
missing value, with the first row and the number of rows.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from cobre_core.errors import ErrorKind
from cobre_core.io import tables
from cobre_core.validation.context import (
    EXCHANGE_FACTORS,
    GENERIC_CONSTRAINTS,
    INITIAL_CONDITIONS,
    LOAD_FACTORS,
    PRODUCTION_MODELS,
    REGISTRIES,
    STAGES,
    ValidationContext,
    as_int,
    dicts,
    dig,
)


def _missing(
    ctx: ValidationContext,
    *,
    file: str,
    entity_id: object,
    field: str,
    value: object,
    registry: str,
    what: str,
    label: str | None = None,
) -> None:
    target = REGISTRIES[registry][0] if registry in REGISTRIES else registry
    where = f"{what} {entity_id}" if entity_id is not None else what
    label = label or f"{field.rsplit('.', 1)[-1]} {value}"
    ctx.error(
        ErrorKind.MISSING_REFERENCE,
        f"{file}: {where} refers to {label}, which does not exist in {target}",
        f"Check that {value} exists in {target}, or correct {field}.",
        file=file,
        entity_id=entity_id,
        field=field,
        referenced_value=value,
        referenced_registry=target,
    )


def run(ctx: ValidationContext) -> None:
    """Run layer 3."""
    ids = {name: ctx.ids(name) for name in REGISTRIES}
    stage_ids = set(ctx.study_stage_ids())
    _entity_references(ctx, ids)
    _initial_conditions(ctx, ids["hydros"])
    _production_models(ctx, ids["hydros"], stage_ids)
    _generic_constraints(ctx, ids, stage_ids)
    _factor_files(ctx, ids, stage_ids)
    _table_references(ctx, ids, stage_ids)
    _correlation_entities(ctx, ids)


def _check_refs(
    ctx: ValidationContext,
    registry: str,
    refs: list[tuple[tuple[str, ...], str]],
    ids: dict[str, set[int]],
) -> None:
    """For each entity of ``registry``, check (key path -> target registry) references."""
    file, list_key = REGISTRIES[registry]
    for i, entity in enumerate(ctx.entities(registry)):
        for path, target in refs:
            value = as_int(dig(entity, *path))
            if value is not None and value not in ids[target]:
                _missing(
                    ctx,
                    file=file,
                    entity_id=entity.get("id"),
                    field=f"{list_key}[{i}].{'.'.join(path)}",
                    value=value,
                    registry=target,
                    what=registry.rstrip("s").replace("_", " "),
                )


def _entity_references(ctx: ValidationContext, ids: dict[str, set[int]]) -> None:
    _check_refs(
        ctx,
        "hydros",
        [
            (("bus_id",), "buses"),
            (("downstream_id",), "hydros"),
            (("diversion", "downstream_id"), "hydros"),
        ],
        ids,
    )
    _check_refs(ctx, "thermals", [(("bus_id",), "buses")], ids)
    _check_refs(ctx, "non_controllable_sources", [(("bus_id",), "buses")], ids)
    _check_refs(ctx, "lines", [(("source_bus_id",), "buses"), (("target_bus_id",), "buses")], ids)
    _check_refs(
        ctx,
        "pumping_stations",
        [
            (("bus_id",), "buses"),
            (("source_hydro_id",), "hydros"),
            (("destination_hydro_id",), "hydros"),
        ],
        ids,
    )
    _check_refs(ctx, "contracts", [(("bus_id",), "buses")], ids)


def _initial_conditions(ctx: ValidationContext, hydro_ids: set[int]) -> None:
    doc = ctx.doc(INITIAL_CONDITIONS)
    for key in ("storage", "filling_storage", "past_inflows", "recent_observations"):
        for i, item in enumerate(dicts(dig(doc, key))):
            value = as_int(item.get("hydro_id"))
            if value is not None and value not in hydro_ids:
                _missing(
                    ctx,
                    file=INITIAL_CONDITIONS,
                    entity_id=value,
                    field=f"{key}[{i}].hydro_id",
                    value=value,
                    registry="hydros",
                    what=f"{key} entry for hydro",
                )


def _production_models(ctx: ValidationContext, hydro_ids: set[int], stage_ids: set[int]) -> None:
    for i, item in enumerate(dicts(dig(ctx.doc(PRODUCTION_MODELS), "production_models"))):
        hydro = as_int(item.get("hydro_id"))
        if hydro is not None and hydro not in hydro_ids:
            _missing(
                ctx,
                file=PRODUCTION_MODELS,
                entity_id=hydro,
                field=f"production_models[{i}].hydro_id",
                value=hydro,
                registry="hydros",
                what="production model of hydro",
            )
        for j, stage_range in enumerate(dicts(item.get("stage_ranges"))):
            start = as_int(stage_range.get("start_stage_id"))
            if start is not None and stage_ids and start not in stage_ids:
                _missing(
                    ctx,
                    file=PRODUCTION_MODELS,
                    entity_id=hydro,
                    field=f"production_models[{i}].stage_ranges[{j}].start_stage_id",
                    value=start,
                    registry=STAGES,
                    what="production model of hydro",
                )


def _generic_constraints(
    ctx: ValidationContext, ids: dict[str, set[int]], stage_ids: set[int]
) -> None:
    max_blocks = max((len(b) for b in ctx.blocks_by_stage().values()), default=0)
    constraints = dicts(dig(ctx.doc(GENERIC_CONSTRAINTS), "constraints"))
    index_of = {c.get("id"): i for i, c in enumerate(constraints)}
    for cid, terms in ctx.generic_terms.items():
        i = index_of.get(cid)
        field = f"constraints[{i}].expression" if i is not None else "expression"
        for term in terms:
            if term.entity_id not in ids[term.registry]:
                _missing(
                    ctx,
                    file=GENERIC_CONSTRAINTS,
                    entity_id=cid,
                    field=field,
                    value=term.entity_id,
                    registry=term.registry,
                    what="constraint",
                    label=f"{term.variable}({term.entity_id})",
                )
            if term.block_id is not None and not 0 <= term.block_id < max(max_blocks, 1):
                _missing(
                    ctx,
                    file=GENERIC_CONSTRAINTS,
                    entity_id=cid,
                    field=field,
                    value=term.block_id,
                    registry=f"{STAGES} blocks",
                    what="constraint",
                    label=f"block {term.block_id} in {term.variable}({term.entity_id}, ...)",
                )
    bounds_file = tables.GENERIC_CONSTRAINT_BOUNDS.relative_path
    if not ctx.has_table(bounds_file):
        return
    constraint_ids = {as_int(c.get("id")) for c in constraints}
    blocks = ctx.blocks_by_stage()
    _table_column(ctx, bounds_file, "constraint_id", constraint_ids, GENERIC_CONSTRAINTS)
    _table_column(ctx, bounds_file, "stage_id", stage_ids, STAGES)
    bad_blocks: dict[tuple[int, int], list[int]] = {}
    for row_index, row in enumerate(ctx.rows(bounds_file)):
        stage, block = as_int(row.get("stage_id")), as_int(row.get("block_id"))
        if stage in blocks and block is not None and block not in blocks[stage]:
            bad_blocks.setdefault((stage, block), []).append(row_index)
    for (stage, block), rows in bad_blocks.items():
        ctx.error(
            ErrorKind.MISSING_REFERENCE,
            f"{bounds_file}: block_id {block} (in {len(rows)} row(s), first row {rows[0]}) "
            f"is not a block of stage {stage}",
            f"Use a block id of stage {stage} ({sorted(blocks[stage])}) or null for every block.",
            file=bounds_file,
            field="block_id",
            stage_id=stage,
            referenced_value=block,
            referenced_registry=f"{STAGES} blocks of stage {stage}",
            row=rows[0],
            rows=len(rows),
        )


def _factor_files(ctx: ValidationContext, ids: dict[str, set[int]], stage_ids: set[int]) -> None:
    blocks = ctx.blocks_by_stage()
    for file, list_key, entity_key, registry in (
        (LOAD_FACTORS, "load_factors", "bus_id", "buses"),
        (EXCHANGE_FACTORS, "exchange_factors", "line_id", "lines"),
    ):
        for i, entry in enumerate(dicts(dig(ctx.doc(file), list_key))):
            entity = as_int(entry.get(entity_key))
            stage = as_int(entry.get("stage_id"))
            if entity is not None and entity not in ids[registry]:
                _missing(
                    ctx,
                    file=file,
                    entity_id=entity,
                    field=f"{list_key}[{i}].{entity_key}",
                    value=entity,
                    registry=registry,
                    what=f"{list_key} entry for {entity_key}",
                )
            if stage is not None and stage not in stage_ids:
                _missing(
                    ctx,
                    file=file,
                    entity_id=entity,
                    field=f"{list_key}[{i}].stage_id",
                    value=stage,
                    registry=STAGES,
                    what=f"{list_key} entry for {entity_key}",
                )
                continue
            for j, factor in enumerate(dicts(entry.get("block_factors"))):
                block = as_int(factor.get("block_id"))
                if stage is not None and block is not None and block not in blocks.get(stage, ()):
                    _missing(
                        ctx,
                        file=file,
                        entity_id=entity,
                        field=f"{list_key}[{i}].block_factors[{j}].block_id",
                        value=block,
                        registry=f"{STAGES} blocks of stage {stage}",
                        what=f"{list_key} entry for {entity_key}",
                    )


def _table_column(
    ctx: ValidationContext,
    file: str,
    column: str,
    valid: Collection[int | None],
    registry: str,
) -> None:
    """MissingReference once per distinct value of ``column`` not in ``valid`` (nulls skipped)."""
    missing: dict[int, list[int]] = {}
    for row_index, row in enumerate(ctx.rows(file)):
        value = row.get(column)
        if value is None:
            continue
        if value not in valid:
            missing.setdefault(value, []).append(row_index)
    target = REGISTRIES[registry][0] if registry in REGISTRIES else registry
    for value, rows in sorted(missing.items()):
        ctx.error(
            ErrorKind.MISSING_REFERENCE,
            f"{file}: {column} {value} (in {len(rows)} row(s), first row {rows[0]}) does not "
            f"exist in {target}",
            f"Remove those rows or add {column.removesuffix('_id')} {value} to {target}.",
            file=file,
            entity_id=value,
            field=column,
            referenced_value=value,
            referenced_registry=target,
            row=rows[0],
            rows=len(rows),
        )


_TABLE_REFERENCES: tuple[tuple[tables.TableSpec, str, str], ...] = (
    (tables.FPHA_HYPERPLANES, "hydro_id", "hydros"),
    (tables.FPHA_HYPERPLANES, "stage_id", STAGES),
    (tables.HYDRO_GEOMETRY, "hydro_id", "hydros"),
    (tables.INFLOW_SEASONAL_STATS, "hydro_id", "hydros"),
    (tables.INFLOW_AR_COEFFICIENTS, "hydro_id", "hydros"),
    (tables.INFLOW_HISTORY, "hydro_id", "hydros"),
    (tables.LOAD_SEASONAL_STATS, "bus_id", "buses"),
    (tables.LOAD_SEASONAL_STATS, "stage_id", STAGES),
    (tables.NON_CONTROLLABLE_STATS, "ncs_id", "non_controllable_sources"),
    (tables.NON_CONTROLLABLE_STATS, "stage_id", STAGES),
    (tables.EXTERNAL_INFLOW_SCENARIOS, "hydro_id", "hydros"),
    (tables.EXTERNAL_INFLOW_SCENARIOS, "stage_id", STAGES),
    (tables.EXTERNAL_LOAD_SCENARIOS, "bus_id", "buses"),
    (tables.EXTERNAL_LOAD_SCENARIOS, "stage_id", STAGES),
    (tables.EXTERNAL_NCS_SCENARIOS, "ncs_id", "non_controllable_sources"),
    (tables.EXTERNAL_NCS_SCENARIOS, "stage_id", STAGES),
    (tables.NOISE_OPENINGS, "stage_id", STAGES),
    (tables.HYDRO_BOUNDS, "hydro_id", "hydros"),
    (tables.HYDRO_BOUNDS, "stage_id", STAGES),
    (tables.THERMAL_BOUNDS, "thermal_id", "thermals"),
    (tables.THERMAL_BOUNDS, "stage_id", STAGES),
)
"""(table, id column, registry) references checked in every Parquet file present."""


def _table_references(
    ctx: ValidationContext, ids: dict[str, set[int]], stage_ids: set[int]
) -> None:
    for spec, column, registry in _TABLE_REFERENCES:
        if not ctx.has_table(spec.relative_path):
            continue
        valid: Collection[Any] = stage_ids if registry == STAGES else ids[registry]
        _table_column(ctx, spec.relative_path, column, valid, registry)


CORRELATION = "scenarios/correlation.json"
_CORRELATION_REGISTRY = {"inflow": "hydros", "load": "buses", "ncs": "non_controllable_sources"}


def _correlation_entities(ctx: ValidationContext, ids: dict[str, set[int]]) -> None:
    """Every correlation-group entity names a declared hydro, bus or NCS of its type."""
    doc = ctx.doc(CORRELATION)
    profiles = doc.get("profiles") if doc is not None else None
    if not isinstance(profiles, dict):
        return
    for name, profile in profiles.items():
        for group in dicts(dig(profile, "correlation_groups")):
            for i, entity in enumerate(dicts(group.get("entities"))):
                registry = _CORRELATION_REGISTRY.get(str(entity.get("type")))
                eid = as_int(entity.get("id"))
                if registry is None or eid is None or eid in ids[registry]:
                    continue
                _missing(
                    ctx,
                    file=CORRELATION,
                    entity_id=None,
                    field=f"profiles.{name}.correlation_groups.{group.get('name')}.entities[{i}].id",
                    value=eid,
                    registry=registry,
                    what=f"correlation group {group.get('name')!r}",
                    label=f"{entity.get('type')} {eid}",
                )
