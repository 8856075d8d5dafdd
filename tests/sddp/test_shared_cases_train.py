"""Every upstream reference case (with or without an expected cost) loads and trains."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cobre_core.study_runs import train
from tests.conftest import SHARED_CASES

THREE = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 3}]}}


def _cases() -> list[Path]:
    if not SHARED_CASES.is_dir():
        return []
    deterministic = sorted((SHARED_CASES / "deterministic").iterdir())
    return [*deterministic, SHARED_CASES / "1dtoy", SHARED_CASES / "4ree"]


@pytest.mark.parametrize("path", _cases(), ids=lambda p: p.name)
def test_case_trains(path: Path) -> None:
    result = train(path, config_overrides=THREE)
    assert result.iterations == 3
    assert math.isfinite(result.final_lower_bound) and result.final_lower_bound > 0
