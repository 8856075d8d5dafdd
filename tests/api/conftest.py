"""Fixtures of the library-API tests: example cases and one trained-and-simulated study each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cobre_core.examples import write_example
from cobre_core.study import Study
from cobre_core.threads import set_default_threads

TOY_ITERATIONS = 4
TOY_SCENARIOS = 6
MULTI_ITERATIONS = 3
MULTI_SCENARIOS = 3


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    """A fresh copy of the toy example (1 hydro, 6 stages, PAR(1)) to edit freely."""
    return write_example("toy", tmp_path / "toy")


@pytest.fixture(scope="session")
def toy_study(tmp_path_factory: pytest.TempPathFactory) -> Study:
    """The toy case trained for a few iterations and simulated, with outputs on disk.

    Shared by many tests: read from it, do not run more trainings on it.
    """
    root = tmp_path_factory.mktemp("toy_study")
    study = Study(write_example("toy", root / "case"), output_dir=root / "out")
    study.configure({"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 4}]}})
    study.train()
    study.simulate(num_scenarios=TOY_SCENARIOS)
    return study


@pytest.fixture(scope="session")
def multi_study(tmp_path_factory: pytest.TempPathFactory) -> Study:
    """The multi_region case (4 hydros, 3 buses, discounting) trained and simulated briefly."""
    root = tmp_path_factory.mktemp("multi_study")
    study = Study(write_example("multi_region", root / "case"), output_dir=root / "out")
    limit = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 3}]}}
    study.train(config_overrides=limit)
    study.simulate(num_scenarios=MULTI_SCENARIOS)
    return study


@pytest.fixture
def default_threads() -> Iterator[None]:
    """Restore the module thread default after a test that changes it."""
    yield
    set_default_threads(None)
