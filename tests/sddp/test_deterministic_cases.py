"""Conformance: every upstream deterministic case with an expected cost reaches it.

|LB - expected| <= max(abs_tolerance, 1e-7 |expected|) within the case's iteration cap. This
includes d19 (PAR(2) with truncation) and d26 (PAR estimated from history), whose costs depend on
upstream's exact opening-tree noise: they pass only because that generator is reproduced bit for
bit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cobre_core.loader import load_case
from cobre_core.study_runs import train

CASES_ROOT = Path(__file__).resolve().parents[3] / "shared" / "cobre-cases"


def _expected() -> list[dict]:
    path = CASES_ROOT / "EXPECTED.json"
    if not path.is_file():
        return []
    return [c for c in json.loads(path.read_text())["cases"] if c["expected_cost"] is not None]


@pytest.mark.parametrize("entry", _expected(), ids=lambda e: e["case"])
def test_lower_bound_matches_expected_cost(entry: dict, shared_cases: Path) -> None:
    case = load_case(shared_cases / "deterministic" / entry["case"])
    result = train(case)
    expected = entry["expected_cost"]
    tol = max(entry["abs_tolerance"], 1e-7 * abs(expected))
    assert result.iterations <= entry["iteration_cap"]
    assert abs(result.final_lower_bound - expected) <= tol, (
        f"{entry['case']}: LB {result.final_lower_bound!r} vs expected {expected!r}"
    )


def test_expected_file_lists_cases(shared_cases: Path) -> None:
    assert len(_expected()) >= 16


def test_deterministic_cases_close_the_gap(shared_cases: Path) -> None:
    """With one scenario, the upper bound meets the lower bound (d02: gap below 1e-6)."""
    result = train(shared_cases / "deterministic" / "d02-single-hydro")
    assert abs(result.final_gap) < 1e-6
