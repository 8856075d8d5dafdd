"""Layer 4, dimensional: the stage structure is consistent and per-stage data covers what it must.

``StageMismatch`` (errors unless noted):

* study stage ids are >= 0 and pre-study ids < 0; ``end_date > start_date``; a gap, an overlap
  or a stage starting before its predecessor (by id) is only a *warning*: upstream's ``d28`` case
  deliberately follows weekly stages with a monthly stage that starts earlier;
* every stage has blocks with ids ``0..n-1`` and ``hours > 0``;
* ``season_id`` of stages, pre-study stages and seasonal production models exist in
  ``season_definitions`` (when it is given); evaporating hydros need a month ``season_id`` 0-11;
* policy-graph transitions name existing stages and their probabilities sum to 1 per source;
* entity ``entry_stage_id < exit_stage_id``; a filling ``start_stage_id`` is a study stage;
* inflow statistics / AR rows reference a study or pre-study stage.

``CoverageMismatch`` (errors unless noted):

* inflow statistics, when the file has rows, cover every active hydro at every study stage;
  load statistics, when the file has rows, cover every bus at every study stage;
* AR rows have statistics for their (hydro, stage) (unless history will supply them) and lags
  ``1..p`` without holes;
* every hydro has an initial storage (run-of-river plants with ``max_storage_hm3 == 0`` excepted);
* ``past_inflows`` of a hydro hold at least its AR order of values (no entry at all is a
  *warning*: lags then start at 0, as upstream does);
* FPHA hydros have hyperplanes (precomputed) or geometry (computed); evaporation data has 12
  monthly values and geometry rows;
* external inflow scenarios cover every hydro and study stage; an inflow history used for
  estimation covers every hydro.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

from cobre_core.errors import ErrorKind
from cobre_core.io import tables
from cobre_core.validation.context import (
    HYDROS,
    INITIAL_CONDITIONS,
    PRODUCTION_MODELS,
    REGISTRIES,
    STAGES,
    ValidationContext,
    as_date,
    as_int,
    describe_ids,
    dicts,
    dig,
    num,
)

PROBABILITY_TOLERANCE = 1e-6
"""Allowed deviation of a stage's outgoing transition probabilities from 1."""

STATS = tables.INFLOW_SEASONAL_STATS.relative_path
AR = tables.INFLOW_AR_COEFFICIENTS.relative_path
LOAD_STATS = tables.LOAD_SEASONAL_STATS.relative_path
HISTORY = tables.INFLOW_HISTORY.relative_path
EXTERNAL_INFLOW = tables.EXTERNAL_INFLOW_SCENARIOS.relative_path
FPHA = tables.FPHA_HYPERPLANES.relative_path
GEOMETRY = tables.HYDRO_GEOMETRY.relative_path


def run(ctx: ValidationContext) -> None:
    """Run layer 4."""
    _stage_structure(ctx)
    _seasons(ctx)
    _transitions(ctx)
    _lifecycles(ctx)
    _inflow_stage_ids(ctx)
    _stats_coverage(ctx)
    _ar_structure(ctx)
    _initial_conditions(ctx)
    _production_coverage(ctx)
    _evaporation(ctx)
    _external_and_history(ctx)


def _stage_mismatch(
    ctx: ValidationContext,
    message: str,
    suggestion: str,
    *,
    file: str = STAGES,
    warning: bool = False,
    **context: Any,
) -> None:
    ctx.report(ErrorKind.STAGE_MISMATCH, message, suggestion, warning=warning, file=file, **context)


def _coverage(
    ctx: ValidationContext,
    message: str,
    suggestion: str,
    *,
    file: str,
    warning: bool = False,
    **context: Any,
) -> None:
    ctx.report(
        ErrorKind.COVERAGE_MISMATCH, message, suggestion, warning=warning, file=file, **context
    )


# ── stages and blocks ─────────────────────────────────────────────────────────────────────────


def _stage_structure(ctx: ValidationContext) -> None:
    for group, expect_negative in (("stages", False), ("pre_study_stages", True)):
        entries = ctx.stages() if group == "stages" else ctx.pre_study_stages()
        for i, stage in enumerate(entries):
            sid = as_int(stage.get("id"))
            if sid is None:
                continue
            if expect_negative and sid >= 0:
                _stage_mismatch(
                    ctx,
                    f"{STAGES}: pre-study stage id {sid} must be negative",
                    "Number pre-study stages -1, -2, ... counting back from the study start.",
                    entity_id=sid,
                    stage_id=sid,
                    field=f"{group}[{i}].id",
                    detail="pre-study stage id >= 0",
                )
            if not expect_negative and sid < 0:
                _stage_mismatch(
                    ctx,
                    f"{STAGES}: study stage id {sid} is negative",
                    "Study stage ids are >= 0; move warm-up stages to pre_study_stages.",
                    entity_id=sid,
                    stage_id=sid,
                    field=f"{group}[{i}].id",
                    detail="study stage id < 0",
                )
            start, end = as_date(stage.get("start_date")), as_date(stage.get("end_date"))
            if start is not None and end is not None and end <= start:
                _stage_mismatch(
                    ctx,
                    f"{STAGES}: stage {sid} ends on {end}, not after its start {start}",
                    "Make end_date later than start_date (end_date is exclusive).",
                    entity_id=sid,
                    stage_id=sid,
                    field=f"{group}[{i}].end_date",
                    detail=f"start_date {start}, end_date {end}",
                )
    _stage_sequence(ctx)
    for i, stage in enumerate(ctx.stages()):
        _blocks(ctx, i, stage)


def _stage_sequence(ctx: ValidationContext) -> None:
    dated = []
    for stage in ctx.pre_study_stages() + ctx.stages():
        sid = as_int(stage.get("id"))
        start, end = as_date(stage.get("start_date")), as_date(stage.get("end_date"))
        if sid is not None and start is not None and end is not None and end > start:
            dated.append((sid, start, end))
    dated.sort()
    for (prev_id, prev_start, prev_end), (sid, start, _end) in itertools.pairwise(dated):
        if start < prev_start:
            _stage_mismatch(
                ctx,
                f"{STAGES}: stage {sid} starts on {start}, before stage {prev_id} ({prev_start})",
                "Check the dates; ids are expected to follow the calendar (overlapping "
                "resolutions, as in a weekly-then-monthly study, are allowed).",
                warning=True,
                entity_id=sid,
                stage_id=sid,
                detail=f"stage {prev_id} starts {prev_start}, stage {sid} starts {start}",
            )
        elif start != prev_end:
            gap = "a gap" if start > prev_end else "an overlap"
            _stage_mismatch(
                ctx,
                f"{STAGES}: {gap} between stage {prev_id} (ends {prev_end}) and stage {sid} "
                f"(starts {start})",
                "Stages are usually contiguous; check the dates if this is not intended.",
                warning=True,
                entity_id=sid,
                stage_id=sid,
                detail=f"previous end {prev_end}, start {start}",
            )


def _blocks(ctx: ValidationContext, index: int, stage: dict[str, Any]) -> None:
    sid = stage.get("id")
    blocks = dicts(stage.get("blocks"))
    if not blocks:
        _stage_mismatch(
            ctx,
            f"{STAGES}: stage {sid} has no blocks",
            "Give every stage at least one block with its hours.",
            entity_id=sid,
            stage_id=sid,
            field=f"stages[{index}].blocks",
            detail="empty block list",
        )
        return
    ids = [as_int(b.get("id")) for b in blocks]
    if sorted(i for i in ids if i is not None) != list(range(len(blocks))):
        _stage_mismatch(
            ctx,
            f"{STAGES}: stage {sid} block ids {ids} are not 0..{len(blocks) - 1}",
            "Number blocks 0, 1, 2, ... without gaps within each stage.",
            entity_id=sid,
            stage_id=sid,
            field=f"stages[{index}].blocks",
            detail=f"block ids {ids}",
        )
    for j, block in enumerate(blocks):
        hours = num(block.get("hours"))
        if hours is not None and hours <= 0:
            _stage_mismatch(
                ctx,
                f"{STAGES}: stage {sid} block {block.get('id')} has {hours} hours; block "
                "durations must be > 0",
                "Give every block a positive number of hours.",
                entity_id=sid,
                stage_id=sid,
                field=f"stages[{index}].blocks[{j}].hours",
                detail=f"hours = {hours}",
            )


def _seasons(ctx: ValidationContext) -> None:
    doc = ctx.doc(STAGES)
    defs = dig(doc, "season_definitions")
    if not isinstance(defs, dict):
        return
    season_ids = {i for s in dicts(defs.get("seasons")) if (i := as_int(s.get("id"))) is not None}
    for group in ("pre_study_stages", "stages"):
        for i, stage in enumerate(dicts(dig(doc, group))):
            season = as_int(stage.get("season_id"))
            if season is not None and season not in season_ids:
                _stage_mismatch(
                    ctx,
                    f"{STAGES}: stage {stage.get('id')} has season_id {season}, which "
                    "season_definitions does not define",
                    f"Use one of the defined seasons ({describe_ids(season_ids)}).",
                    entity_id=stage.get("id"),
                    stage_id=stage.get("id"),
                    field=f"{group}[{i}].season_id",
                    detail=f"season_id {season} not in season_definitions",
                )
    for i, model in enumerate(dicts(dig(ctx.doc(PRODUCTION_MODELS), "production_models"))):
        for j, season in enumerate(dicts(model.get("seasons"))):
            sid = as_int(season.get("season_id"))
            if sid is not None and sid not in season_ids:
                _stage_mismatch(
                    ctx,
                    f"{PRODUCTION_MODELS}: hydro {model.get('hydro_id')} selects a model for "
                    f"season {sid}, which season_definitions does not define",
                    f"Use one of the defined seasons ({describe_ids(season_ids)}).",
                    file=PRODUCTION_MODELS,
                    entity_id=model.get("hydro_id"),
                    field=f"production_models[{i}].seasons[{j}].season_id",
                    detail=f"season_id {sid} not in {STAGES} season_definitions",
                )


def _transitions(ctx: ValidationContext) -> None:
    transitions = dicts(dig(ctx.doc(STAGES), "policy_graph", "transitions"))
    stage_ids = set(ctx.study_stage_ids())
    sums: dict[int, float] = defaultdict(float)
    for i, transition in enumerate(transitions):
        for key in ("source_id", "target_id"):
            value = as_int(transition.get(key))
            if value is not None and value not in stage_ids:
                _stage_mismatch(
                    ctx,
                    f"{STAGES}: policy-graph transition {i} has {key} {value}, which is not a "
                    "study stage",
                    "Point transitions at existing study stage ids.",
                    stage_id=value,
                    field=f"policy_graph.transitions[{i}].{key}",
                    detail=f"{key} {value} not among study stages",
                )
        source, probability = (
            as_int(transition.get("source_id")),
            num(transition.get("probability")),
        )
        if source is not None and probability is not None:
            sums[source] += probability
    for source, total in sorted(sums.items()):
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            _stage_mismatch(
                ctx,
                f"{STAGES}: transitions leaving stage {source} have probabilities summing to "
                f"{total:.8g}, not 1",
                "Make the outgoing probabilities of each stage sum to 1.",
                entity_id=source,
                stage_id=source,
                field="policy_graph.transitions",
                detail=f"sum = {total}",
            )


def _lifecycles(ctx: ValidationContext) -> None:
    stage_ids = set(ctx.study_stage_ids())
    for registry, (file, key) in REGISTRIES.items():
        for i, entity in enumerate(ctx.entities(registry)):
            entry, exit_ = as_int(entity.get("entry_stage_id")), as_int(entity.get("exit_stage_id"))
            if entry is not None and exit_ is not None and entry >= exit_:
                _stage_mismatch(
                    ctx,
                    f"{file}: {registry} entry {entity.get('id')} enters at stage {entry} but "
                    f"exits at stage {exit_}",
                    "entry_stage_id must be before exit_stage_id.",
                    file=file,
                    entity_id=entity.get("id"),
                    stage_id=entry,
                    field=f"{key}[{i}].entry_stage_id",
                    detail=f"entry {entry} >= exit {exit_}",
                )
    for i, hydro in enumerate(ctx.entities("hydros")):
        start = as_int(dig(hydro, "filling", "start_stage_id"))
        if start is not None and start not in stage_ids:
            _stage_mismatch(
                ctx,
                f"{HYDROS}: hydro {hydro.get('id')} starts filling at stage {start}, which is "
                "not a study stage",
                "Use a study stage id for filling.start_stage_id.",
                file=HYDROS,
                entity_id=hydro.get("id"),
                stage_id=start,
                field=f"hydros[{i}].filling.start_stage_id",
                detail=f"stage {start} not among study stages",
            )


def _inflow_stage_ids(ctx: ValidationContext) -> None:
    known = set(ctx.study_stage_ids()) | ctx.pre_study_stage_ids()
    for file in (STATS, AR):
        bad: dict[int, tuple[int, object]] = {}
        for row_index, row in enumerate(ctx.rows(file)):
            sid = as_int(row.get("stage_id"))
            if sid is not None and sid not in known and sid not in bad:
                bad[sid] = (row_index, row.get("hydro_id"))
        for sid, (row_index, hydro) in sorted(bad.items()):
            _stage_mismatch(
                ctx,
                f"{file}: stage_id {sid} (first at row {row_index}) is neither a study nor a "
                "pre-study stage",
                f"Remove the rows or declare stage {sid} in {STAGES} (pre_study_stages for "
                "negative ids).",
                file=file,
                entity_id=hydro,
                stage_id=sid,
                field="stage_id",
                row=row_index,
                detail=f"stage {sid} not declared",
            )


# ── coverage ──────────────────────────────────────────────────────────────────────────────────


def _active(entity: dict[str, Any], stage_id: int) -> bool:
    entry, exit_ = as_int(entity.get("entry_stage_id")), as_int(entity.get("exit_stage_id"))
    return (entry is None or stage_id >= entry) and (exit_ is None or stage_id < exit_)


def _stats_coverage(ctx: ValidationContext) -> None:
    stage_ids = ctx.study_stage_ids()
    for file, registry, id_column in (
        (STATS, "hydros", "hydro_id"),
        (LOAD_STATS, "buses", "bus_id"),
    ):
        rows = ctx.rows(file)
        if not rows:
            continue
        pairs = {(as_int(r.get(id_column)), as_int(r.get("stage_id"))) for r in rows}
        for entity in ctx.entities(registry):
            eid = as_int(entity.get("id"))
            missing = [s for s in stage_ids if _active(entity, s) and (eid, s) not in pairs]
            if missing:
                _coverage(
                    ctx,
                    f"{file}: {registry.rstrip('s')} {eid} has no statistics for stage(s) "
                    f"{describe_ids(missing)}",
                    f"Add a row ({id_column}={eid}, stage_id=...) for every study stage.",
                    file=file,
                    entity_id=eid,
                    missing_dimension="stage_id",
                    expected_coverage=f"every study stage ({len(stage_ids)})",
                    missing=missing[:50],
                )


def _ar_orders(ctx: ValidationContext) -> dict[int, int]:
    """Largest AR lag per hydro (0 when the hydro has no AR rows)."""
    orders: dict[int, int] = {}
    for row in ctx.rows(AR):
        hydro, lag = as_int(row.get("hydro_id")), as_int(row.get("lag"))
        if hydro is not None and lag is not None:
            orders[hydro] = max(orders.get(hydro, 0), lag)
    return orders


def _ar_structure(ctx: ValidationContext) -> None:
    rows = ctx.rows(AR)
    if not rows:
        return
    lags: dict[tuple[int, int], list[int]] = defaultdict(list)
    for row in rows:
        hydro, stage, lag = (as_int(row.get(k)) for k in ("hydro_id", "stage_id", "lag"))
        if hydro is not None and stage is not None and lag is not None:
            lags[(hydro, stage)].append(lag)
    for (hydro, stage), values in sorted(lags.items()):
        if sorted(values) != list(range(1, len(values) + 1)):
            _coverage(
                ctx,
                f"{AR}: hydro {hydro} stage {stage} has lags {sorted(values)}; lags must be "
                f"1..{len(values)} without holes",
                "Write one row per lag 1, 2, ..., p (use coefficient 0 for an unused lag).",
                file=AR,
                entity_id=hydro,
                stage_id=stage,
                missing_dimension="lag",
                expected_coverage=f"lags 1..{max(values)}",
            )
    if ctx.has_table(HISTORY):
        return  # statistics may be estimated from the history (paths 101 / 111)
    stats = {(as_int(r.get("hydro_id")), as_int(r.get("stage_id"))) for r in ctx.rows(STATS)}
    missing: dict[int, list[int]] = defaultdict(list)
    for hydro, stage in lags:
        if (hydro, stage) not in stats:
            missing[hydro].append(stage)
    for hydro, stages in sorted(missing.items()):
        _coverage(
            ctx,
            f"{AR}: hydro {hydro} has AR coefficients but no seasonal statistics for stage(s) "
            f"{describe_ids(stages)}",
            f"Add those (hydro, stage) rows to {STATS}.",
            file=AR,
            entity_id=hydro,
            missing_dimension="stage_id",
            expected_coverage=f"statistics in {STATS} for every AR (hydro, stage)",
        )


def _initial_conditions(ctx: ValidationContext) -> None:
    doc = ctx.doc(INITIAL_CONDITIONS)
    if doc is None:
        return
    given = {
        as_int(item.get("hydro_id"))
        for key in ("storage", "filling_storage")
        for item in dicts(doc.get(key))
    }
    for hydro in ctx.entities("hydros"):
        hid = as_int(hydro.get("id"))
        max_storage = num(dig(hydro, "reservoir", "max_storage_hm3"))
        if hid is not None and hid not in given and max_storage != 0:
            _coverage(
                ctx,
                f"{INITIAL_CONDITIONS}: hydro {hid} has no initial storage",
                f'Add {{"hydro_id": {hid}, "value_hm3": ...}} to storage (or filling_storage).',
                file=INITIAL_CONDITIONS,
                entity_id=hid,
                missing_dimension="storage",
                expected_coverage="one initial storage per hydro with a reservoir",
            )
    past = {as_int(p.get("hydro_id")): p for p in dicts(doc.get("past_inflows"))}
    for hydro, order in sorted(_ar_orders(ctx).items()):
        if order <= 0:
            continue
        entry = past.get(hydro)
        if entry is None:
            _coverage(
                ctx,
                f"{INITIAL_CONDITIONS}: hydro {hydro} has AR order {order} but no past_inflows; "
                "its lags start at 0",
                f"Add past_inflows for hydro {hydro} with {order} value(s), most recent first.",
                file=INITIAL_CONDITIONS,
                warning=True,
                entity_id=hydro,
                missing_dimension="past_inflows",
                expected_coverage=f"{order} value(s)",
            )
            continue
        values = entry.get("values_m3s")
        count = len(values) if isinstance(values, list | tuple) else 0
        if count < order:
            _coverage(
                ctx,
                f"{INITIAL_CONDITIONS}: hydro {hydro} has {count} past inflow value(s) but AR "
                f"order {order}",
                f"Give at least {order} past inflow value(s), most recent first.",
                file=INITIAL_CONDITIONS,
                entity_id=hydro,
                missing_dimension="past_inflows.values_m3s",
                expected_coverage=f"at least {order} value(s)",
            )


def fpha_sources(ctx: ValidationContext) -> dict[int, set[str]]:
    """FPHA hyperplane sources (``precomputed`` / ``computed``) each hydro uses at some stage."""
    sources: dict[int, set[str]] = defaultdict(set)
    configured: set[int] = set()
    for model in dicts(dig(ctx.doc(PRODUCTION_MODELS), "production_models")):
        hid = as_int(model.get("hydro_id"))
        if hid is None:
            continue
        configured.add(hid)
        choices = dicts(model.get("stage_ranges")) + dicts(model.get("seasons"))
        if model.get("default_model") == "fpha":
            choices.append({"model": "fpha"})
        for choice in choices:
            if choice.get("model") == "fpha":
                source = dig(choice, "fpha_config", "source") or "precomputed"
                sources[hid].add(str(source))
    for hydro in ctx.entities("hydros"):
        hid = as_int(hydro.get("id"))
        if (
            hid is not None
            and hid not in configured
            and dig(hydro, "generation", "model") == "fpha"
        ):
            sources[hid].add("precomputed")
    return sources


def _production_coverage(ctx: ValidationContext) -> None:
    planes = {as_int(r.get("hydro_id")) for r in ctx.rows(FPHA)}
    geometry = {as_int(r.get("hydro_id")) for r in ctx.rows(GEOMETRY)}
    for hid, sources in sorted(fpha_sources(ctx).items()):
        if "precomputed" in sources and hid not in planes:
            _coverage(
                ctx,
                f"{FPHA}: hydro {hid} uses precomputed FPHA but has no hyperplanes",
                f"Add rows for hydro {hid} to {FPHA}, or use fpha_config.source 'computed'.",
                file=FPHA,
                entity_id=hid,
                missing_dimension="hydro_id",
                expected_coverage="hyperplanes for every precomputed-FPHA hydro",
            )
        if "computed" in sources and hid not in geometry:
            _coverage(
                ctx,
                f"{GEOMETRY}: hydro {hid} fits FPHA planes but has no geometry rows",
                f"Add the volume-height-area curve of hydro {hid} to {GEOMETRY}.",
                file=GEOMETRY,
                entity_id=hid,
                missing_dimension="hydro_id",
                expected_coverage="geometry for every computed-FPHA hydro",
            )


def _evaporation(ctx: ValidationContext) -> None:
    geometry = {as_int(r.get("hydro_id")) for r in ctx.rows(GEOMETRY)}
    evaporating = []
    for i, hydro in enumerate(ctx.entities("hydros")):
        evaporation = hydro.get("evaporation")
        if not isinstance(evaporation, dict):
            continue
        hid = hydro.get("id")
        evaporating.append(hid)
        for key in ("coefficients_mm", "reference_volumes_hm3"):
            values = evaporation.get(key)
            if values is not None and (not isinstance(values, list | tuple) or len(values) != 12):
                _coverage(
                    ctx,
                    f"{HYDROS}: hydro {hid} evaporation.{key} has "
                    f"{len(values) if isinstance(values, list | tuple) else 0} values, not 12",
                    "Give one value per calendar month, January first.",
                    file=HYDROS,
                    entity_id=hid,
                    field=f"hydros[{i}].evaporation.{key}",
                    missing_dimension="month",
                    expected_coverage="12 monthly values",
                )
        if as_int(hid) not in geometry:
            _coverage(
                ctx,
                f"{GEOMETRY}: evaporating hydro {hid} has no geometry rows (area is needed)",
                f"Add the volume-area curve of hydro {hid} to {GEOMETRY}.",
                file=GEOMETRY,
                entity_id=hid,
                missing_dimension="hydro_id",
                expected_coverage="geometry for every evaporating hydro",
            )
    if not evaporating:
        return
    for i, stage in enumerate(ctx.stages()):
        season = as_int(stage.get("season_id"))
        if season is None or not 0 <= season <= 11:
            _stage_mismatch(
                ctx,
                f"{STAGES}: stage {stage.get('id')} needs a season_id 0-11 (its month) because "
                f"hydro(s) {describe_ids(evaporating)} evaporate",
                "Set season_id to the month index (0 = January) on every stage.",
                entity_id=stage.get("id"),
                stage_id=stage.get("id"),
                field=f"stages[{i}].season_id",
                detail=f"season_id {season}",
            )


def _external_and_history(ctx: ValidationContext) -> None:
    stage_ids = ctx.study_stage_ids()
    if ctx.has_table(EXTERNAL_INFLOW):
        pairs = {
            (as_int(r.get("hydro_id")), as_int(r.get("stage_id")))
            for r in ctx.rows(EXTERNAL_INFLOW)
        }
        for hydro in ctx.entities("hydros"):
            hid = as_int(hydro.get("id"))
            missing = [s for s in stage_ids if _active(hydro, s) and (hid, s) not in pairs]
            if missing:
                _coverage(
                    ctx,
                    f"{EXTERNAL_INFLOW}: hydro {hid} has no scenarios for stage(s) "
                    f"{describe_ids(missing)}",
                    "Give every hydro at least one scenario value per study stage.",
                    file=EXTERNAL_INFLOW,
                    entity_id=hid,
                    missing_dimension="stage_id",
                    expected_coverage="every hydro at every study stage",
                )
    if ctx.has_table(HISTORY) and not ctx.rows(STATS):
        observed = {as_int(r.get("hydro_id")) for r in ctx.rows(HISTORY)}
        for hydro in ctx.entities("hydros"):
            hid = as_int(hydro.get("id"))
            if hid not in observed:
                _coverage(
                    ctx,
                    f"{HISTORY}: hydro {hid} has no history, so its inflow model cannot be "
                    "estimated",
                    f"Add the inflow series of hydro {hid}, or give its statistics in {STATS}.",
                    file=HISTORY,
                    entity_id=hid,
                    missing_dimension="hydro_id",
                    expected_coverage="every hydro when estimating from history",
                )
