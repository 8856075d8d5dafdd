"""``validate`` never raises, whatever it is given, and never needs its internal fallback."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cobre_core.validation import ValidationResult, validate
from cobre_core.validation import pipeline as pipeline_module


def _assert_well_formed(result: ValidationResult) -> None:
    assert isinstance(result, ValidationResult)
    assert result.valid == (not result.errors)
    assert result.summary.error_count == len(result.errors)
    assert result.summary.warning_count == len(result.warnings)
    for rec in (*result.errors, *result.warnings):
        assert isinstance(rec.context.get("file"), str)
        assert not Path(rec.context["file"]).is_absolute()
    json.dumps(result.to_dict())


def test_nonexistent_path() -> None:
    result = validate("/definitely/not/a/case")
    _assert_well_formed(result)
    assert [e.kind for e in result.errors] == ["MissingFile"]
    assert result.errors[0].context["file"] == "."


def test_file_instead_of_directory(tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    target.write_text("{}")
    result = validate(target)
    assert [e.kind for e in result.errors] == ["MissingFile"]


def test_empty_directory_lists_every_required_file(tmp_path: Path) -> None:
    result = validate(tmp_path)
    missing = {e.context["file"] for e in result.errors if e.kind == "MissingFile"}
    assert missing == {
        "config.json",
        "penalties.json",
        "stages.json",
        "initial_conditions.json",
        "system/buses.json",
        "system/lines.json",
        "system/hydros.json",
        "system/thermals.json",
    }


@pytest.mark.parametrize("bad", [None, 42, b"\xff\xfe", object()])
def test_non_path_inputs(bad: Any) -> None:
    result = validate(bad)
    _assert_well_formed(result)
    assert not result.valid


def test_directory_where_a_file_should_be(case_dir: Path) -> None:
    (case_dir / "system" / "lines.json").unlink()
    (case_dir / "system" / "lines.json").mkdir()
    result = validate(case_dir)
    assert [e.kind for e in result.errors] == ["ParseError"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_unreadable_file(case_dir: Path) -> None:
    (case_dir / "penalties.json").chmod(0)
    result = validate(case_dir)
    assert any(e.kind == "ParseError" for e in result.errors)


def test_deeply_nested_json(case_dir: Path) -> None:
    (case_dir / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    result = validate(case_dir)
    _assert_well_formed(result)
    assert not result.valid


@pytest.mark.parametrize(
    "doc",
    [
        {"hydros": {"0": "x"}},
        {"hydros": [[], 1, None, "h"]},
        {"hydros": [{"id": 2**40, "bus_id": True}]},
        "hydros",
        None,
    ],
)
def test_deeply_wrong_types(case_dir: Path, doc: Any) -> None:
    (case_dir / "system" / "hydros.json").write_text(json.dumps(doc))
    result = validate(case_dir)
    _assert_well_formed(result)
    assert not result.valid
    assert {e.context["file"] for e in result.errors} == {"system/hydros.json"}
    assert not any(e.context.get("internal") for e in result.errors)


def test_a_crashing_layer_becomes_a_record(case_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(_ctx: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(pipeline_module.semantic, "run", boom)
    result = validate(case_dir)
    assert [e.kind for e in result.errors] == ["SchemaViolation"]
    assert result.errors[0].context["internal"] is True
    assert result.summary.layers_completed == 4


# ── property-based corruption ─────────────────────────────────────────────────────────────────

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)

OPERATIONS = ("truncate", "flip", "replace_value", "delete_key", "delete_file", "junk")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    examples = pytest.importorskip("cobre_core.examples")
    return Path(examples.write_example("multi_region", tmp_path_factory.mktemp("tpl") / "case"))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return doc


def _corrupt(case: Path, rel: str, op: str, data: st.DataObject) -> None:
    path = case / rel
    raw = path.read_bytes()
    if op == "truncate":
        path.write_bytes(raw[: data.draw(st.integers(0, max(len(raw) - 1, 0)))])
    elif op == "flip" and raw:
        buf = bytearray(raw)
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(buf) - 1))
            buf[i] ^= 1 << data.draw(st.integers(0, 7))
        path.write_bytes(bytes(buf))
    elif op == "delete_file":
        path.unlink()
    elif op == "junk":
        path.write_bytes(data.draw(st.binary(max_size=64)))
    elif rel.endswith(".json"):
        try:
            doc = json.loads(raw)
        except ValueError:  # already corrupted by an earlier step
            return
        if op == "replace_value":
            target = data.draw(st.sampled_from(_paths(doc)))
            doc = _set(doc, target, data.draw(JSON_VALUES))
        else:
            keyed = [p for p in _paths(doc) if p and isinstance(p[-1], str)]
            if keyed:
                target = data.draw(st.sampled_from(keyed))
                parent = doc
                for part in target[:-1]:
                    parent = parent[part]
                del parent[target[-1]]
        path.write_text(json.dumps(doc))


@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_corruption_never_raises(template: Path, data: st.DataObject) -> None:
    files = sorted(p.relative_to(template).as_posix() for p in template.rglob("*") if p.is_file())
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(shutil.copytree(template, Path(tmp) / "case"))
        for _ in range(data.draw(st.integers(1, 3))):
            present = [f for f in files if (case / f).is_file()]
            if not present:
                break
            _corrupt(
                case,
                data.draw(st.sampled_from(present)),
                data.draw(st.sampled_from(OPERATIONS)),
                data,
            )
        result = validate(case)
    _assert_well_formed(result)
    internal = [e.message for e in result.errors if e.context.get("internal")]
    assert not internal, internal
