"""Fixtures for the validation tests: fresh valid cases to break."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    """A valid multi-region case (3-hydro cascade, 3 buses, lines, AR, load factors) in tmp."""
    examples = pytest.importorskip("cobre_core.examples")
    return Path(examples.write_example("multi_region", tmp_path / "case"))


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    """A valid single-bus toy case in tmp."""
    examples = pytest.importorskip("cobre_core.examples")
    return Path(examples.write_example("toy", tmp_path / "toy"))
