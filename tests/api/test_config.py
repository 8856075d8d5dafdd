"""Config: dotted-path get/set with validation, atomic save, round trips, use in a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cobre_core as cc
from cobre_core.configuration import Config, format_path, parse_path
from cobre_core.errors import CaseValidationError, ValidationError


def test_parse_path_splits_keys_and_indices() -> None:
    assert parse_path("training.stopping_rules[0].limit") == (
        "training",
        "stopping_rules",
        0,
        "limit",
    )
    assert parse_path("a[1][-1].b") == ("a", 1, -1, "b")
    assert format_path(("training", "stopping_rules", 2, "limit")) == (
        "training.stopping_rules[2].limit"
    )
    for bad in ("", "training..x", "training.[0]", "a[x]", "a.b]"):
        with pytest.raises(ValueError):
            parse_path(bad)


def test_load_from_a_case_dir_or_a_file(toy_dir: Path) -> None:
    by_dir = Config.load(toy_dir)
    by_file = Config.load(toy_dir / "config.json")
    assert by_dir == by_file
    assert by_dir.source == toy_dir / "config.json"
    assert by_dir.to_dict() == json.loads((toy_dir / "config.json").read_text())


def test_get_reads_values_defaults_and_list_items(toy_dir: Path) -> None:
    cfg = Config.load(toy_dir)
    assert cfg.get("training.forward_passes") == 2
    assert cfg.get("training.stopping_rules[0].limit") == 30
    assert cfg.get("training.stopping_rules[-1].type") == "iteration_limit"
    assert cfg.get("training.stopping_mode") == "any"  # absent from the file: the default
    assert cfg.get("policy.checkpointing.enabled") is None
    assert cfg.get("training.nope", "fallback") == "fallback"
    assert "simulation.num_scenarios" in cfg and "simulation.nope" not in cfg
    with pytest.raises(KeyError):
        cfg.get("training.stopping_rules[5].limit")


def test_get_returns_copies(toy_dir: Path) -> None:
    cfg = Config.load(toy_dir)
    rules = cfg.get("training.stopping_rules")
    rules.append({"type": "time_limit", "seconds": 1})
    assert len(cfg.get("training.stopping_rules")) == 1


def test_set_by_path_and_list_index(toy_dir: Path) -> None:
    cfg = Config.load(toy_dir)
    out = cfg.set("training.stopping_rules[0].limit", 12)
    assert out is cfg
    cfg.set("training.cut_selection.enabled", True)  # creates the missing object
    cfg.set(
        "training.stopping_rules",
        [{"type": "iteration_limit", "limit": 9}, {"type": "time_limit", "seconds": 60}],
    )
    assert cfg.get("training.stopping_rules[1].seconds") == 60
    assert cfg.to_dict()["training"]["cut_selection"] == {"enabled": True}
    assert cfg.model.training.stopping_rules[0].limit == 9
    assert cfg.model.training.cut_selection.enabled is True


@pytest.mark.parametrize(
    ("path", "value", "kind", "field"),
    [
        ("training.forward_passes", -1, "OutOfRange", "training.forward_passes"),
        ("training.forward_passes", "many", "TypeMismatch", "training.forward_passes"),
        ("training.stopping_mode", "some", "InvalidEnum", "training.stopping_mode"),
        (
            "training.stopping_rules[0].type",
            "never",
            "InvalidEnum",
            "training.stopping_rules[0]",
        ),
        ("training.forward_pases", 3, "SchemaViolation", "training.forward_pases"),
        ("training.stopping_rules[4].limit", 3, "SchemaViolation", "training.stopping_rules[4]"),
        ("training.forward_passes.deep", 3, "SchemaViolation", "training.forward_passes"),
    ],
)
def test_invalid_edits_raise_a_record_naming_the_field(
    toy_dir: Path, path: str, value: object, kind: str, field: str
) -> None:
    cfg = Config.load(toy_dir)
    before = cfg.to_dict()
    with pytest.raises(ValidationError) as info:
        cfg.set(path, value)
    assert info.value.kind == kind
    assert info.value.context["field"] == field
    assert info.value.context["file"] == "config.json"
    assert cfg.to_dict() == before  # the rejected edit left nothing behind


def test_unknown_key_inside_a_new_object_is_rejected(toy_dir: Path) -> None:
    cfg = Config.load(toy_dir)
    with pytest.raises(ValidationError) as info:
        cfg.set("simulation", {"num_scenarios": 4, "num_scenaros": 5})
    assert info.value.context["field"] == "simulation.num_scenaros"


def test_update_merges_and_unset_restores_the_default(toy_dir: Path) -> None:
    cfg = Config.load(toy_dir)
    cfg.update(cfg.model.run_overrides(iterations=7, forward_passes=3))
    assert cfg.get("training.stopping_rules[0].limit") == 7
    assert cfg.get("training.forward_passes") == 3
    assert cfg.get("training.scenario_source.seed") == 42  # merged, not replaced
    cfg.set("training.stopping_mode", "all")
    cfg.unset("training.stopping_mode")
    assert "stopping_mode" not in cfg.to_dict()["training"]
    assert cfg.get("training.stopping_mode") == "any"
    with pytest.raises(ValidationError):
        cfg.update({"simulation": {"num_scenarios": -2}})


def test_round_trip_load_set_save_load(toy_dir: Path, tmp_path: Path) -> None:
    cfg = Config.load(toy_dir)
    cfg.set("training.stopping_rules[0].limit", 5).set("simulation.num_scenarios", 11)
    written = cfg.save(tmp_path / "edited.json")
    again = Config.load(written)
    assert again == cfg
    assert again.to_dict() == cfg.to_dict()
    assert again.get("simulation.num_scenarios") == 11
    assert cfg.source == written


def test_save_defaults_to_the_source_and_leaves_no_temp_files(toy_dir: Path) -> None:
    cfg = Config.load(toy_dir).set("training.forward_passes", 5)
    assert cfg.save() == toy_dir / "config.json"
    assert json.loads((toy_dir / "config.json").read_text())["training"]["forward_passes"] == 5
    assert not [p for p in toy_dir.iterdir() if p.name.startswith(".")]
    with pytest.raises(ValueError):
        Config({"training": {}}).save()


def test_save_into_a_directory_writes_config_json(toy_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "other"
    target.mkdir()
    assert Config.load(toy_dir).save(target) == target / "config.json"


def test_load_errors_are_validation_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        Config.load(tmp_path)
    assert info.value.kind == "MissingFile"
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValidationError) as info:
        Config.load(tmp_path)
    assert info.value.kind == "ParseError"
    (tmp_path / "config.json").write_text('{"training": {"forward_passes": "x"}}')
    with pytest.raises(ValidationError) as info:
        Config.load(tmp_path)
    assert info.value.kind == "TypeMismatch"


def test_from_case_gives_the_file_back(toy_dir: Path) -> None:
    case = cc.load_case(toy_dir)
    assert Config.from_case(case) == Config.load(toy_dir)


def test_load_case_with_config_runs_under_it_without_touching_the_dir(toy_dir: Path) -> None:
    original = (toy_dir / "config.json").read_text()
    cfg = Config.load(toy_dir).set("simulation.num_scenarios", 3).set("training.tree_seed", 9)
    case = cc.load_case(toy_dir, config=cfg)
    assert case.config.simulation.num_scenarios == 3
    assert case.seed == 9
    assert case.path == toy_dir.resolve()
    assert (toy_dir / "config.json").read_text() == original


def test_load_case_with_config_runs_the_cross_file_rules(toy_dir: Path) -> None:
    cfg = Config.load(toy_dir).set(
        "training.stopping_rules", [{"type": "time_limit", "seconds": 5}]
    )
    with pytest.raises(CaseValidationError) as info:
        cc.load_case(toy_dir, config=cfg)
    assert info.value.kind == "IncompatibleSettings"
    assert "training.stopping_rules" in info.value.context["settings"]


def test_apply_to_a_loaded_case(toy_dir: Path) -> None:
    case = cc.load_case(toy_dir)
    cfg = Config.from_case(case).set("modeling.inflow_non_negativity.method", "penalty")
    changed = cfg.apply_to(case)
    assert changed.inflow_method == "penalty" and case.inflow_method == "truncation"


def test_copy_is_independent(toy_dir: Path) -> None:
    cfg = Config.load(toy_dir)
    other = cfg.copy().set("training.forward_passes", 8)
    assert cfg.get("training.forward_passes") == 2 and other != cfg
