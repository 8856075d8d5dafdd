"""load_case: valid cases load; invalid ones raise one exception type carrying the same records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cobre_core import CaseValidationError
from cobre_core.examples import write_example
from cobre_core.loader import load_case
from cobre_core.validation import validate


def test_every_shared_case_loads(shared_cases: Path) -> None:
    dirs = [shared_cases / "1dtoy", shared_cases / "4ree"]
    dirs += sorted((shared_cases / "deterministic").iterdir())
    for d in dirs:
        case = load_case(d)
        assert case.num_stages >= 1, d.name


def test_examples_load_in_id_order(tmp_path: Path) -> None:
    case = load_case(write_example("multi_region", tmp_path / "c"))
    assert [h.id for h in case.hydros] == sorted(h.id for h in case.hydros)
    assert case.summary()["hydros"] == 4
    assert case.summary()["buses"] == 3


def test_invalid_case_raises_with_the_validation_records(tmp_path: Path) -> None:
    root = write_example("toy", tmp_path / "c")
    hydros = json.loads((root / "system/hydros.json").read_text())
    hydros["hydros"][0]["bus_id"] = 99
    (root / "system/hydros.json").write_text(json.dumps(hydros))
    with pytest.raises(CaseValidationError) as info:
        load_case(root)
    assert info.value.records == validate(root).errors
    assert info.value.kind == "MissingReference"
    assert info.value.context["file"] == "system/hydros.json"


def test_missing_directory_raises_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CaseValidationError) as info:
        load_case(tmp_path / "nope")
    assert info.value.kind == "MissingFile"
