"""Make the test helpers of this folder (``extensive_form``) importable by the tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


@pytest.fixture(scope="module")
def toy_4x3_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our toy example cut to 4 stages x 3 openings (a 120-node tree), inflow method none and a
    wider inflow spread: small enough for an extensive form, stochastic enough to matter."""
    from test_convergence_extensive_form import derive_example, load_files

    files = derive_example("toy", stages=4, openings=3, method="none", inflow_std_scale=1.5)
    dest = tmp_path_factory.mktemp("toy-4x3")
    load_files(files, dest)
    return dest
