"""Every upstream reference case and every project example validates with zero errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from case_edit import SHARED_CASES

from cobre_core.errors import VALIDATION_KINDS
from cobre_core.validation import LAYERS, validate


def _shared_cases() -> list[Path]:
    if not SHARED_CASES.is_dir():
        return []
    cases = [SHARED_CASES / "1dtoy", SHARED_CASES / "4ree"]
    cases += sorted(p for p in (SHARED_CASES / "deterministic").glob("d*") if p.is_dir())
    return [c for c in cases if c.is_dir()]


CASES = _shared_cases()


@pytest.mark.skipif(not CASES, reason=f"upstream reference cases not found at {SHARED_CASES}")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference_case_is_valid(case: Path) -> None:
    result = validate(case)
    assert result.errors == (), [e.message for e in result.errors]
    assert result.valid
    assert result.summary.layers_completed == len(LAYERS)
    assert result.summary.files_checked >= 8
    for warning in result.warnings:
        print(f"{case.name}: [{warning.kind}] {warning.message}")
        assert warning.kind in {k.value for k in VALIDATION_KINDS}
        assert "file" in warning.context
        # no reference case uses a file this project ignores
        assert warning.context.get("detail") != "known upstream file, not supported"


def test_reference_case_summary_counts() -> None:
    case = SHARED_CASES / "4ree"
    if not case.is_dir():
        pytest.skip(f"upstream reference case not found at {case}")
    summary = validate(case).summary
    assert summary.files_checked == 10
    assert summary.entities_validated > 0
    assert summary.error_count == 0


@pytest.mark.parametrize("name", ["toy", "multi_region"])
def test_project_examples_are_valid(name: str, tmp_path: Path) -> None:
    examples = pytest.importorskip("cobre_core.examples")
    case = examples.write_example(name, tmp_path / name)
    result = validate(case)
    assert result.valid, [e.message for e in result.errors]
    assert result.layers_run == LAYERS
    payload = result.to_dict()
    assert payload["summary"]["error_count"] == 0
    assert payload["summary"]["warning_count"] == len(payload["warnings"])
