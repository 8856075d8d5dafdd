"""A corpus of broken cases derived from a valid example: each yields the exact kind and file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from case_edit import edit_json, read_table, write_json, write_table

from cobre_core.errors import ErrorRecord
from cobre_core.validation import ValidationResult, validate

HYDROS = "system/hydros.json"
THERMALS = "system/thermals.json"
BUSES = "system/buses.json"
STAGES = "stages.json"
CONFIG = "config.json"
PENALTIES = "penalties.json"
INITIAL = "initial_conditions.json"
STATS = "scenarios/inflow_seasonal_stats.parquet"
AR = "scenarios/inflow_ar_coefficients.parquet"
LOAD_FACTORS = "scenarios/load_factors.json"
LOAD_STATS = "scenarios/load_seasonal_stats.parquet"


def the_error(result: ValidationResult, kind: str, file: str) -> ErrorRecord:
    """The first error of ``kind`` in ``file``; fails listing every error otherwise."""
    for error in result.errors:
        if error.kind == kind and error.context.get("file") == file:
            assert not error.context.get("internal"), error.message
            return error
    raise AssertionError(
        f"no {kind} error in {file}; got {[(e.kind, e.context.get('file')) for e in result.errors]}"
    )


def the_warning(result: ValidationResult, kind: str, file: str) -> ErrorRecord:
    """The first warning of ``kind`` in ``file``."""
    for warning in result.warnings:
        if warning.kind == kind and warning.context.get("file") == file:
            return warning
    raise AssertionError(f"no {kind} warning in {file}; got {[w.message for w in result.warnings]}")


def hydro(doc: dict[str, Any], hydro_id: int) -> dict[str, Any]:
    return next(h for h in doc["hydros"] if h["id"] == hydro_id)


# ── layer 1: structural ───────────────────────────────────────────────────────────────────────


def test_missing_required_file(case_dir: Path) -> None:
    (case_dir / HYDROS).unlink()
    result = validate(case_dir)
    error = the_error(result, "MissingFile", HYDROS)
    assert "hydros.json" in error.message
    assert result.summary.layers_completed == 1
    assert not result.valid


def test_malformed_json_reports_line_and_column(case_dir: Path) -> None:
    (case_dir / THERMALS).write_text('{\n  "thermals": [\n    {"id": 0,,}\n  ]\n}\n')
    error = the_error(validate(case_dir), "ParseError", THERMALS)
    assert error.context["line"] == 3
    assert error.context["column"] > 1


def test_truncated_parquet(case_dir: Path) -> None:
    path = case_dir / STATS
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    the_error(validate(case_dir), "ParseError", STATS)


def test_binary_junk_in_json(case_dir: Path) -> None:
    (case_dir / CONFIG).write_bytes(bytes(range(256)))
    the_error(validate(case_dir), "ParseError", CONFIG)


def test_nan_literal_is_not_json(case_dir: Path) -> None:
    (case_dir / PENALTIES).write_text('{"bus": NaN}')
    the_error(validate(case_dir), "ParseError", PENALTIES)


def test_unknown_and_unsupported_files_are_warnings(case_dir: Path) -> None:
    (case_dir / "system" / "hydro.json").write_text("{}")  # typo of hydros.json
    (case_dir / "scenarios" / "non_controllable_factors.json").write_text("{}")
    (case_dir / ".hidden").write_text("ignored")
    (case_dir / "output").mkdir()
    (case_dir / "output" / "junk.bin").write_bytes(b"\x00")
    result = validate(case_dir)
    assert result.valid
    unknown = the_warning(result, "IncompatibleSettings", "system/hydro.json")
    assert "unknown file" in unknown.message
    unsupported = the_warning(
        result, "IncompatibleSettings", "scenarios/non_controllable_factors.json"
    )
    assert "does not model" in unsupported.message
    files = {w.context["file"] for w in result.warnings}
    assert ".hidden" not in files and "output/junk.bin" not in files


def test_structural_errors_stop_before_schema(case_dir: Path) -> None:
    (case_dir / HYDROS).unlink()
    edit_json(case_dir, THERMALS, lambda d: d["thermals"][0].update(bus_id="zero"))
    result = validate(case_dir)
    assert result.kinds() == {"MissingFile"}
    assert result.layers_run == ("structural",)


# ── layer 2: schema ───────────────────────────────────────────────────────────────────────────


def test_wrong_type(case_dir: Path) -> None:
    edit_json(case_dir, HYDROS, lambda d: hydro(d, 1)["reservoir"].update(max_storage_hm3="lots"))
    error = the_error(validate(case_dir), "TypeMismatch", HYDROS)
    assert error.context["entity_id"] == 1
    assert error.context["field"] == "hydros[1].reservoir.max_storage_hm3"
    assert error.context["expected_type"] == "number"
    assert error.context["actual_type"] == "string"


def test_list_where_object_expected(case_dir: Path) -> None:
    write_json(case_dir, CONFIG, [1, 2, 3])
    error = the_error(validate(case_dir), "TypeMismatch", CONFIG)
    assert error.context["expected_type"] == "object"
    assert error.context["actual_type"] == "array"


def test_missing_field(case_dir: Path) -> None:
    edit_json(case_dir, HYDROS, lambda d: hydro(d, 2).pop("bus_id"))
    error = the_error(validate(case_dir), "SchemaViolation", HYDROS)
    assert error.context["entity_id"] == 2
    assert error.context["field"].endswith(".bus_id")


def test_value_out_of_range(case_dir: Path) -> None:
    edit_json(case_dir, INITIAL, lambda d: d["storage"][1].update(value_hm3=-5.0))
    error = the_error(validate(case_dir), "OutOfRange", INITIAL)
    assert error.context["value"] == -5.0
    assert error.context["min"] == 0.0
    assert error.context["field"] == "storage[1].value_hm3"
    assert error.context["entity_id"] == 1


def test_forward_passes_below_one(case_dir: Path) -> None:
    edit_json(case_dir, CONFIG, lambda d: d["training"].update(forward_passes=0))
    error = the_error(validate(case_dir), "OutOfRange", CONFIG)
    assert error.context["field"] == "training.forward_passes"


def test_unknown_enum_tag(case_dir: Path) -> None:
    edit_json(case_dir, HYDROS, lambda d: hydro(d, 0)["generation"].update(model="magic"))
    error = the_error(validate(case_dir), "InvalidEnum", HYDROS)
    assert error.context["value"] == "magic"
    assert "constant_productivity" in error.context["allowed_values"]
    assert error.context["entity_id"] == 0


def test_unknown_enum_literal(case_dir: Path) -> None:
    edit_json(case_dir, CONFIG, lambda d: d["training"].update(stopping_mode="sometimes"))
    error = the_error(validate(case_dir), "InvalidEnum", CONFIG)
    assert set(error.context["allowed_values"]) == {"any", "all"}


def test_unknown_key_is_a_warning(case_dir: Path) -> None:
    edit_json(case_dir, HYDROS, lambda d: hydro(d, 3).update(max_storage=5.0))
    result = validate(case_dir)
    assert result.valid
    warning = the_warning(result, "SchemaViolation", HYDROS)
    assert "max_storage" in warning.message
    assert warning.context["entity_id"] == 3


def test_duplicate_entity_id(case_dir: Path) -> None:
    edit_json(case_dir, THERMALS, lambda d: d["thermals"][1].update(id=d["thermals"][0]["id"]))
    error = the_error(validate(case_dir), "DuplicateId", THERMALS)
    assert error.context["registry"] == "thermals"


def test_duplicate_stage_and_block_ids(case_dir: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["stages"][1]["id"] = doc["stages"][0]["id"]
        blocks = doc["stages"][2]["blocks"]
        blocks[1]["id"] = blocks[0]["id"]

    edit_json(case_dir, STAGES, change)
    result = validate(case_dir)
    registries = {e.context.get("registry") for e in result.errors if e.kind == "DuplicateId"}
    assert "stages" in registries
    assert any(str(r).startswith("blocks of stage") for r in registries)


def test_duplicate_parquet_key(case_dir: Path) -> None:
    table = read_table(case_dir, STATS)
    write_table(case_dir, STATS, pa.concat_tables([table, table.slice(0, 1)]))
    the_error(validate(case_dir), "DuplicateId", STATS)


def test_parquet_missing_column_and_wrong_type(case_dir: Path) -> None:
    table = read_table(case_dir, STATS)
    write_table(case_dir, STATS, table.drop_columns(["std_m3s"]))
    table = read_table(case_dir, AR)
    lag = table.column("lag").cast(pa.string())
    write_table(case_dir, AR, table.set_column(2, "lag", lag))
    result = validate(case_dir)
    missing = the_error(result, "SchemaViolation", STATS)
    assert missing.context["field"] == "std_m3s"
    mistyped = the_error(result, "TypeMismatch", AR)
    assert mistyped.context["actual_type"] == "string"


def test_int64_and_float32_columns_are_accepted(case_dir: Path) -> None:
    table = read_table(case_dir, STATS)
    table = table.set_column(0, "hydro_id", table.column("hydro_id").cast(pa.int64()))
    table = table.set_column(3, "std_m3s", table.column("std_m3s").cast(pa.float32()))
    write_table(case_dir, STATS, table)
    assert validate(case_dir).valid


def test_bad_generic_constraint_expression(case_dir: Path) -> None:
    write_json(
        case_dir,
        "constraints/generic_constraints.json",
        {
            "constraints": [
                {
                    "id": 0,
                    "name": "bad",
                    "expression": "2 * thermal_power(0)",
                    "sense": "<=",
                    "slack": {"enabled": False},
                }
            ]
        },
    )
    error = the_error(validate(case_dir), "InvalidEnum", "constraints/generic_constraints.json")
    assert error.context["value"] == "thermal_power"


# ── layer 3: referential ──────────────────────────────────────────────────────────────────────


def test_dangling_bus_reference(case_dir: Path) -> None:
    edit_json(case_dir, HYDROS, lambda d: hydro(d, 3).update(bus_id=99))
    error = the_error(validate(case_dir), "MissingReference", HYDROS)
    assert error.context["referenced_value"] == 99
    assert error.context["referenced_registry"] == BUSES
    assert error.context["entity_id"] == 3
    assert error.context["field"].endswith("bus_id")


def test_dangling_parquet_reference(case_dir: Path) -> None:
    table = read_table(case_dir, STATS)
    ids = pc.if_else(pc.equal(table.column("hydro_id"), 3), 42, table.column("hydro_id"))
    write_table(case_dir, STATS, table.set_column(0, "hydro_id", ids.cast(pa.int32())))
    error = the_error(validate(case_dir), "MissingReference", STATS)
    assert error.context["referenced_value"] == 42
    assert error.context["rows"] > 1  # one record per distinct missing id, not per row


def test_dangling_generic_constraint_term(case_dir: Path) -> None:
    write_json(
        case_dir,
        "constraints/generic_constraints.json",
        {
            "constraints": [
                {
                    "id": 7,
                    "name": "cap",
                    "expression": "thermal_generation(0) + 0.5 * hydro_generation(77)",
                    "sense": "<=",
                    "slack": {"enabled": True, "penalty": 100.0},
                }
            ]
        },
    )
    error = the_error(
        validate(case_dir), "MissingReference", "constraints/generic_constraints.json"
    )
    assert error.context["referenced_value"] == 77
    assert error.context["entity_id"] == 7


def test_load_factor_block_out_of_stage(case_dir: Path) -> None:
    edit_json(
        case_dir,
        LOAD_FACTORS,
        lambda d: d["load_factors"][0]["block_factors"][0].update(block_id=9),
    )
    error = the_error(validate(case_dir), "MissingReference", LOAD_FACTORS)
    assert error.context["referenced_value"] == 9


def test_several_errors_of_one_layer_in_one_run(case_dir: Path) -> None:
    edit_json(case_dir, HYDROS, lambda d: hydro(d, 0).update(bus_id=50, downstream_id=60))
    edit_json(case_dir, THERMALS, lambda d: d["thermals"][0].update(bus_id=70))
    edit_json(case_dir, INITIAL, lambda d: d["storage"][0].update(hydro_id=80))
    result = validate(case_dir)
    values = {e.context["referenced_value"] for e in result.errors}
    assert {50, 60, 70, 80} <= values
    assert result.kinds() == {"MissingReference"}
    assert result.summary.layers_completed == 3
    assert result.layers_run[-1] == "referential"


# ── layer 4: dimensional ──────────────────────────────────────────────────────────────────────


def test_missing_stage_coverage(case_dir: Path) -> None:
    table = read_table(case_dir, STATS)
    keep = pc.invert(
        pc.and_(pc.equal(table.column("hydro_id"), 2), pc.equal(table.column("stage_id"), 5))
    )
    write_table(case_dir, STATS, table.filter(keep))
    result = validate(case_dir)
    error = the_error(result, "CoverageMismatch", STATS)
    assert error.context["entity_id"] == 2
    assert 5 in error.context["missing"]
    # AR rows of (2, 5) now lack their statistics too
    the_error(result, "CoverageMismatch", AR)


def test_missing_initial_storage(case_dir: Path) -> None:
    edit_json(case_dir, INITIAL, lambda d: d["storage"].pop(2))
    error = the_error(validate(case_dir), "CoverageMismatch", INITIAL)
    assert error.context["entity_id"] == 2


def test_past_inflows_shorter_than_ar_order(case_dir: Path) -> None:
    edit_json(case_dir, INITIAL, lambda d: d["past_inflows"][0].update(values_m3s=[]))
    the_error(validate(case_dir), "CoverageMismatch", INITIAL)


def test_stage_ends_before_it_starts(case_dir: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        stage = doc["stages"][3]
        stage["end_date"] = stage["start_date"]

    edit_json(case_dir, STAGES, change)
    error = the_error(validate(case_dir), "StageMismatch", STAGES)
    assert error.context["stage_id"] == 3


def test_block_with_zero_hours(case_dir: Path) -> None:
    edit_json(case_dir, STAGES, lambda d: d["stages"][0]["blocks"][0].update(hours=0))
    error = the_error(validate(case_dir), "StageMismatch", STAGES)
    assert "hours" in error.message


def test_ar_stage_out_of_range(case_dir: Path) -> None:
    table = read_table(case_dir, AR)
    stages = pc.if_else(pc.equal(table.column("stage_id"), 11), 40, table.column("stage_id"))
    write_table(case_dir, AR, table.set_column(1, "stage_id", stages.cast(pa.int32())))
    error = the_error(validate(case_dir), "StageMismatch", AR)
    assert error.context["stage_id"] == 40


def test_undefined_season(case_dir: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["season_definitions"] = {
            "cycle_type": "monthly",
            "seasons": [{"id": 0, "label": "Jan", "month_start": 1}],
        }

    edit_json(case_dir, STAGES, change)
    result = validate(case_dir)
    error = the_error(result, "StageMismatch", STAGES)
    assert "season" in error.message


def test_stage_gap_is_only_a_warning(toy_dir: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["stages"][1]["start_date"] = "2030-01-01"
        doc["stages"][1]["end_date"] = "2030-02-01"

    edit_json(toy_dir, STAGES, change)
    result = validate(toy_dir)
    assert not [e for e in result.errors if e.kind == "StageMismatch"]
    the_warning(result, "StageMismatch", STAGES)


# ── layer 5: semantic ─────────────────────────────────────────────────────────────────────────


def test_missing_iteration_limit(case_dir: Path) -> None:
    edit_json(
        case_dir,
        CONFIG,
        lambda d: d["training"].update(stopping_rules=[{"type": "time_limit", "seconds": 60}]),
    )
    error = the_error(validate(case_dir), "IncompatibleSettings", CONFIG)
    assert "training.stopping_rules" in error.context["settings"]


def test_scheme_without_seed(case_dir: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        source = doc["training"]["scenario_source"]
        source.pop("seed")
        source["inflow"]["scheme"] = "out_of_sample"

    edit_json(case_dir, CONFIG, change)
    error = the_error(validate(case_dir), "IncompatibleSettings", CONFIG)
    assert "seed" in error.message


def test_external_scheme_without_file(case_dir: Path) -> None:
    edit_json(
        case_dir,
        CONFIG,
        lambda d: d["training"]["scenario_source"]["load"].update(scheme="external"),
    )
    error = the_error(validate(case_dir), "IncompatibleSettings", CONFIG)
    assert "external_load_scenarios" in error.message


def test_cyclic_cascade(case_dir: Path) -> None:
    edit_json(case_dir, HYDROS, lambda d: hydro(d, 2).update(downstream_id=0))
    error = the_error(validate(case_dir), "PhysicalConstraint", HYDROS)
    assert error.context["rule"] == "acyclic_cascade"
    assert sorted(error.context["cycle"]) == [0, 1, 2]


def test_negative_std_and_bad_ratio(case_dir: Path) -> None:
    table = read_table(case_dir, AR)
    ratio = pc.multiply(table.column("residual_std_ratio"), 2.0)
    write_table(case_dir, AR, table.set_column(4, "residual_std_ratio", ratio))
    table = read_table(case_dir, LOAD_STATS)
    std = pc.subtract(table.column("std_mw"), 1.0)
    write_table(case_dir, LOAD_STATS, table.set_column(3, "std_mw", std))
    result = validate(case_dir)
    error = the_error(result, "PhysicalConstraint", AR)
    assert error.context["rule"] == "residual_std_ratio_range"
    error = the_error(result, "PhysicalConstraint", LOAD_STATS)
    assert error.context["rule"] == "non_negative_std"


def test_estimation_without_history_is_a_warning(case_dir: Path) -> None:
    edit_json(case_dir, CONFIG, lambda d: d.update(estimation={"max_order": 2}))
    result = validate(case_dir)
    assert result.valid
    the_warning(result, "IncompatibleSettings", CONFIG)


def test_zero_capacity_thermal_is_a_warning(case_dir: Path) -> None:
    edit_json(
        case_dir, THERMALS, lambda d: d["thermals"][0]["generation"].update(min_mw=0, max_mw=0)
    )
    result = validate(case_dir)
    assert result.valid
    assert the_warning(result, "PhysicalConstraint", THERMALS).context["rule"] == "unused_entity"


def test_min_above_max(case_dir: Path) -> None:
    edit_json(
        case_dir,
        HYDROS,
        lambda d: hydro(d, 1)["reservoir"].update(min_storage_hm3=2000.0, max_storage_hm3=1500.0),
    )
    edit_json(case_dir, THERMALS, lambda d: d["thermals"][1]["generation"].update(min_mw=1e6))
    result = validate(case_dir)
    error = the_error(result, "CapacityViolation", HYDROS)
    assert error.context["field_min"] == "reservoir.min_storage_hm3"
    assert error.context["value_min"] == 2000.0
    assert error.context["value_max"] == 1500.0
    assert error.context["entity_id"] == 1
    the_error(result, "CapacityViolation", THERMALS)


def test_negative_line_capacity(case_dir: Path) -> None:
    edit_json(
        case_dir, "system/lines.json", lambda d: d["lines"][0]["capacity"].update(direct_mw=-1)
    )
    the_error(validate(case_dir), "CapacityViolation", "system/lines.json")


def test_initial_storage_above_reservoir(case_dir: Path) -> None:
    edit_json(case_dir, INITIAL, lambda d: d["storage"][0].update(value_hm3=1e7))
    error = the_error(validate(case_dir), "PhysicalConstraint", INITIAL)
    assert error.context["rule"] == "initial_storage_bounds"


def test_decreasing_deficit_costs(case_dir: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        segments = doc["buses"][0]["deficit_segments"]
        segments[0]["cost"], segments[1]["cost"] = 9000.0, 100.0

    edit_json(case_dir, BUSES, change)
    error = the_error(validate(case_dir), "PenaltyConsistency", BUSES)
    assert error.context["violated_rule"] == "deficit_monotonicity"
    assert error.context["entity_id"] == 0


def test_last_deficit_segment_must_be_unbounded(case_dir: Path) -> None:
    edit_json(
        case_dir, PENALTIES, lambda d: d["bus"]["deficit_segments"][-1].update(depth_mw=500.0)
    )
    error = the_error(validate(case_dir), "PenaltyConsistency", PENALTIES)
    assert error.context["violated_rule"] == "deficit_last_segment_unbounded"


def test_negative_penalty(case_dir: Path) -> None:
    edit_json(case_dir, PENALTIES, lambda d: d["hydro"].update(spillage_cost=-1.0))
    error = the_error(validate(case_dir), "PenaltyConsistency", PENALTIES)
    assert error.context["penalty_field"] == "hydro.spillage_cost"


def test_settings_that_are_not_built_are_warnings(case_dir: Path) -> None:
    def config(d: dict) -> None:
        d.setdefault("simulation", {})["policy_type"] = "inner"
        d.setdefault("policy", {}).setdefault("checkpointing", {})["store_basis"] = True

    edit_json(case_dir, "config.json", config)
    edit_json(case_dir, "stages.json", lambda d: d["stages"][1].update(sampling_method="lhs"))
    result = validate(case_dir)
    assert result.valid
    texts = [w.message for w in result.warnings if w.kind == "IncompatibleSettings"]
    assert any("simulation.policy_type" in t for t in texts)
    assert any("policy.checkpointing.store_basis" in t for t in texts)
    assert any("stages[1].sampling_method 'lhs'" in t for t in texts)
