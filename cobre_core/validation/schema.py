"""Layer 2, schema: each file on its own matches its model or table spec; ids are unique.

JSON files are validated against their pydantic models (errors mapped to ``SchemaViolation``,
``TypeMismatch``, ``OutOfRange``, ``InvalidEnum``; unknown keys are warnings). Parquet files are
checked against their table specs. On top of the models, this layer checks what the models leave
to the validator: mandatory ``training`` fields, simple ranges (``forward_passes >= 1``,
``num_scenarios >= 1``, CVaR parameters, discount rate), generic-constraint expressions, and
``DuplicateId`` in every registry (entities, stage ids, block ids per stage, season ids, per-hydro
lists of initial conditions and production models, load/exchange factor keys).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cobre_core.errors import ErrorKind
from cobre_core.io.catalog import FileFormat
from cobre_core.io.reader import check_parquet, validate_document
from cobre_core.model.expressions import (
    VARIABLE_REGISTRY,
    ExpressionError,
    UnknownVariableError,
    parse_expression,
)
from cobre_core.validation.context import (
    CONFIG,
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
    num,
)


def run(ctx: ValidationContext) -> None:
    """Run layer 2 on the files layer 1 read."""
    for rel, entry in ctx.files.present.items():
        if not entry.supported:
            continue
        if entry.format is FileFormat.JSON and rel in ctx.files.raw:
            model, normalised, diags = validate_document(ctx.files.raw[rel], entry)
            ctx.diags.extend(diags)
            if model is not None and normalised is not None:
                ctx.files.models[rel] = model
                ctx.files.docs[rel] = normalised
        elif entry.format is FileFormat.PARQUET:
            table = ctx.files.table(rel)
            if table is not None:
                ctx.diags.extend(check_parquet(table, entry))
    _check_config(ctx)
    _check_stage_ranges(ctx)
    _check_generic_expressions(ctx)
    _check_duplicates(ctx)


# ── ranges and mandatory fields the models leave open ─────────────────────────────────────────


def _check_config(ctx: ValidationContext) -> None:
    training = dig(ctx.doc(CONFIG), "training")
    if not isinstance(training, dict):
        return
    passes = training.get("forward_passes")
    if passes is None:
        ctx.error(
            ErrorKind.SCHEMA_VIOLATION,
            f"{CONFIG}: training.forward_passes is required",
            "Set training.forward_passes to the number of trajectories per iteration (>= 1).",
            file=CONFIG,
            field="training.forward_passes",
            expected="integer >= 1",
            actual="missing",
        )
    elif as_int(passes) is not None and as_int(passes) < 1:  # type: ignore[operator]
        ctx.error(
            ErrorKind.OUT_OF_RANGE,
            f"{CONFIG}: training.forward_passes is {passes}; it must be at least 1",
            "Use at least one forward pass per iteration.",
            file=CONFIG,
            field="training.forward_passes",
            value=passes,
            min=1,
        )
    rules = training.get("stopping_rules")
    if rules is None:
        ctx.error(
            ErrorKind.SCHEMA_VIOLATION,
            f"{CONFIG}: training.stopping_rules is required",
            'Add e.g. "stopping_rules": [{"type": "iteration_limit", "limit": 100}].',
            file=CONFIG,
            field="training.stopping_rules",
            expected="array of stopping rules",
            actual="missing",
        )
    for i, rule in enumerate(dicts(rules)):
        for key in ("limit", "iterations"):
            value = as_int(rule.get(key))
            if value is not None and value < 1:
                ctx.error(
                    ErrorKind.OUT_OF_RANGE,
                    f"{CONFIG}: training.stopping_rules[{i}].{key} is {value}; it must be >= 1",
                    "Use a positive count.",
                    file=CONFIG,
                    field=f"training.stopping_rules[{i}].{key}",
                    value=value,
                    min=1,
                )
        seconds = num(rule.get("seconds"))
        if seconds is not None and seconds <= 0:
            ctx.error(
                ErrorKind.OUT_OF_RANGE,
                f"{CONFIG}: training.stopping_rules[{i}].seconds is {seconds}; it must be > 0",
                "Use a positive time limit.",
                file=CONFIG,
                field=f"training.stopping_rules[{i}].seconds",
                value=seconds,
                min=0,
                exclusive_min=True,
            )


def _check_stage_ranges(ctx: ValidationContext) -> None:
    doc = ctx.doc(STAGES)
    if doc is None:
        return
    rate = num(dig(doc, "policy_graph", "annual_discount_rate"))
    if rate is not None and rate < 0:
        ctx.error(
            ErrorKind.OUT_OF_RANGE,
            f"{STAGES}: policy_graph.annual_discount_rate is {rate}; it must be >= 0",
            "Use a non-negative annual rate (0.12 means 12% per year).",
            file=STAGES,
            field="policy_graph.annual_discount_rate",
            value=rate,
            min=0,
        )
    for i, transition in enumerate(dicts(dig(doc, "policy_graph", "transitions"))):
        probability = num(transition.get("probability"))
        if probability is not None and not 0 <= probability <= 1:
            ctx.error(
                ErrorKind.OUT_OF_RANGE,
                f"{STAGES}: transition {i} has probability {probability}, outside [0, 1]",
                "Use a probability between 0 and 1.",
                file=STAGES,
                field=f"policy_graph.transitions[{i}].probability",
                value=probability,
                min=0,
                max=1,
            )
    for i, stage in enumerate(dicts(doc.get("stages"))):
        sid = stage.get("id")
        scenarios = as_int(stage.get("num_scenarios"))
        if scenarios is not None and scenarios < 1:
            ctx.error(
                ErrorKind.OUT_OF_RANGE,
                f"{STAGES}: stage {sid} has num_scenarios {scenarios}; it must be >= 1",
                "Give every stage at least one opening.",
                file=STAGES,
                entity_id=sid,
                field=f"stages[{i}].num_scenarios",
                value=scenarios,
                min=1,
            )
        cvar = dig(stage, "risk_measure", "cvar")
        if isinstance(cvar, dict):
            alpha, lam = num(cvar.get("alpha")), num(cvar.get("lambda"))
            if alpha is not None and not 0 < alpha <= 1:
                ctx.error(
                    ErrorKind.OUT_OF_RANGE,
                    f"{STAGES}: stage {sid} CVaR alpha {alpha} is outside (0, 1]",
                    "alpha is the upper-tail mass: use a value in (0, 1].",
                    file=STAGES,
                    entity_id=sid,
                    field=f"stages[{i}].risk_measure.cvar.alpha",
                    value=alpha,
                    min=0,
                    max=1,
                    exclusive_min=True,
                )
            if lam is not None and not 0 <= lam <= 1:
                ctx.error(
                    ErrorKind.OUT_OF_RANGE,
                    f"{STAGES}: stage {sid} CVaR lambda {lam} is outside [0, 1]",
                    "lambda weights CVaR against the expectation: use a value in [0, 1].",
                    file=STAGES,
                    entity_id=sid,
                    field=f"stages[{i}].risk_measure.cvar.lambda",
                    value=lam,
                    min=0,
                    max=1,
                )


def _check_generic_expressions(ctx: ValidationContext) -> None:
    constraints = dicts(dig(ctx.doc(GENERIC_CONSTRAINTS), "constraints"))
    for i, constraint in enumerate(constraints):
        cid = constraint.get("id")
        text = constraint.get("expression")
        if not isinstance(text, str):
            continue
        try:
            ctx.generic_terms[cid] = parse_expression(text)
        except UnknownVariableError as exc:
            ctx.error(
                ErrorKind.INVALID_ENUM,
                f"{GENERIC_CONSTRAINTS}: constraint {cid} uses unknown variable '{exc.name}'",
                "Use one of the documented LP variable names.",
                file=GENERIC_CONSTRAINTS,
                entity_id=cid,
                field=f"constraints[{i}].expression",
                value=exc.name,
                allowed_values=sorted(VARIABLE_REGISTRY),
            )
        except ExpressionError as exc:
            ctx.error(
                ErrorKind.SCHEMA_VIOLATION,
                f"{GENERIC_CONSTRAINTS}: constraint {cid} expression does not parse: {exc}",
                "Write terms as 'coef * name(id)' or 'coef * name(id, block)' joined by + or -.",
                file=GENERIC_CONSTRAINTS,
                entity_id=cid,
                field=f"constraints[{i}].expression",
                expected="sum of 'coef * variable(id[, block])' terms",
                actual=text[:200],
            )


# ── duplicate ids ─────────────────────────────────────────────────────────────────────────────


def _report_duplicates(
    ctx: ValidationContext,
    items: Iterable[tuple[object, str]],
    *,
    file: str,
    registry: str,
    what: str,
) -> None:
    """Record DuplicateId for every repeated value; ``items`` are (value, field path) pairs."""
    first: dict[object, str] = {}
    for value, path in items:
        if value is None:
            continue
        key = value if not isinstance(value, list) else tuple(value)
        if key in first:
            ctx.error(
                ErrorKind.DUPLICATE_ID,
                f"{file}: {what} {value} appears more than once ({first[key]} and {path})",
                f"Give each {what} a unique value.",
                file=file,
                entity_id=value if not isinstance(value, tuple) else str(value),
                registry=registry,
                field=path,
            )
        else:
            first[key] = path


def _indexed(items: list[dict[str, Any]], key: str, prefix: str) -> list[tuple[object, str]]:
    return [(item.get(key), f"{prefix}[{i}].{key}") for i, item in enumerate(items)]


def _check_duplicates(ctx: ValidationContext) -> None:
    for registry, (file, key) in REGISTRIES.items():
        items = ctx.entities(registry)
        _report_duplicates(ctx, _indexed(items, "id", key), file=file, registry=registry, what="id")
    stages_doc = ctx.doc(STAGES)
    if stages_doc is not None:
        study = dicts(stages_doc.get("stages"))
        pre = dicts(stages_doc.get("pre_study_stages"))
        _report_duplicates(
            ctx,
            _indexed(pre, "id", "pre_study_stages") + _indexed(study, "id", "stages"),
            file=STAGES,
            registry="stages",
            what="stage id",
        )
        for i, stage in enumerate(study):
            _report_duplicates(
                ctx,
                _indexed(dicts(stage.get("blocks")), "id", f"stages[{i}].blocks"),
                file=STAGES,
                registry=f"blocks of stage {stage.get('id')}",
                what="block id",
            )
        seasons = dicts(dig(stages_doc, "season_definitions", "seasons"))
        _report_duplicates(
            ctx,
            _indexed(seasons, "id", "season_definitions.seasons"),
            file=STAGES,
            registry="seasons",
            what="season id",
        )
    ic = ctx.doc(INITIAL_CONDITIONS)
    if ic is not None:
        storage = dicts(ic.get("storage"))
        filling = dicts(ic.get("filling_storage"))
        _report_duplicates(
            ctx,
            _indexed(storage, "hydro_id", "storage")
            + _indexed(filling, "hydro_id", "filling_storage"),
            file=INITIAL_CONDITIONS,
            registry="initial storage",
            what="hydro_id",
        )
        _report_duplicates(
            ctx,
            _indexed(dicts(ic.get("past_inflows")), "hydro_id", "past_inflows"),
            file=INITIAL_CONDITIONS,
            registry="past_inflows",
            what="hydro_id",
        )
    models = dicts(dig(ctx.doc(PRODUCTION_MODELS), "production_models"))
    _report_duplicates(
        ctx,
        _indexed(models, "hydro_id", "production_models"),
        file=PRODUCTION_MODELS,
        registry="production_models",
        what="hydro_id",
    )
    constraints = dicts(dig(ctx.doc(GENERIC_CONSTRAINTS), "constraints"))
    _report_duplicates(
        ctx,
        _indexed(constraints, "id", "constraints"),
        file=GENERIC_CONSTRAINTS,
        registry="constraints",
        what="constraint id",
    )
    for file, list_key, entity_key in (
        (LOAD_FACTORS, "load_factors", "bus_id"),
        (EXCHANGE_FACTORS, "exchange_factors", "line_id"),
    ):
        entries = dicts(dig(ctx.doc(file), list_key))
        _report_duplicates(
            ctx,
            [
                ((e.get(entity_key), e.get("stage_id")), f"{list_key}[{i}]")
                for i, e in enumerate(entries)
            ],
            file=file,
            registry=list_key,
            what=f"({entity_key}, stage_id)",
        )
        for i, entry in enumerate(entries):
            _report_duplicates(
                ctx,
                _indexed(
                    dicts(entry.get("block_factors")), "block_id", f"{list_key}[{i}].block_factors"
                ),
                file=file,
                registry=f"block_factors of {list_key}[{i}]",
                what="block_id",
            )
