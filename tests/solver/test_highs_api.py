"""The two ways to HiGHS (C API, highspy's object): which one is used, and the same results."""

from __future__ import annotations

from pathlib import Path

import pytest
from highs_helpers import fresh_python

from cobre_core.examples import build_example
from cobre_core.examples.writer import write_case_files
from cobre_core.solver import highs_api, highs_capi
from cobre_core.solver.highs_solver import HIGHS_VERSION
from cobre_core.study_runs import train

needs_c = pytest.mark.skipif(
    highs_capi.library() is None, reason="this highspy ships no HiGHS C library"
)


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("mr")
    write_case_files(build_example("multi_region"), dest)
    return dest


def test_highspy_is_used_when_asked_or_when_there_is_no_c_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(highs_api.ENV_VAR, "highspy")
    assert highs_api.api_name() == "highspy"
    assert isinstance(highs_api.new_highs(), highs_api.PyHighs)
    monkeypatch.setenv(highs_api.ENV_VAR, "c")
    monkeypatch.setattr(highs_capi, "library", lambda: None)
    assert highs_api.api_name() == "highspy"
    assert isinstance(highs_api.new_highs(), highs_api.PyHighs)


@needs_c
def test_the_c_api_is_the_default_when_highspy_ships_the_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(highs_api.ENV_VAR, raising=False)
    assert highs_api.api_name() == "c"
    assert isinstance(highs_api.new_highs(), highs_capi.CHighs)
    lib = highs_capi.library()
    assert lib is not None and lib.calls.Highs_version().decode() == HIGHS_VERSION


@needs_c
@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_the_c_api_runs_the_very_library_highspy_loaded() -> None:
    """A wheel may carry two copies of the library file; loading the other copy would put a
    second HiGHS in memory (its own task scheduler and banner flag)."""
    script = (
        "from cobre_core.solver import highs_api\n"
        "from cobre_core.solver.highs_capi import CHighs\n"
        "h = CHighs()\nh.set_option('output_flag', False)\nh.run()\n"
        "maps = open('/proc/self/maps').read().splitlines()\n"
        "print('\\n'.join(sorted({l.split()[-1] for l in maps if 'libhighs' in l})))\n"
    )
    files = fresh_python(script, timeout=60).split()
    assert len(files) == 1
    lib = highs_capi.library()
    assert lib is not None and Path(files[0]) == lib.path


@needs_c
@pytest.mark.parametrize("parallel", ["threads", "processes"])
def test_training_gives_the_same_bounds_and_solves_through_either_api(
    region: Path, monkeypatch: pytest.MonkeyPatch, parallel: str
) -> None:
    """Both APIs make the same HiGHS calls in the same order, so the results are bit for bit
    equal (worker processes inherit the choice through the environment)."""
    cfg = {
        "training": {
            "stopping_rules": [{"type": "iteration_limit", "limit": 6}],
            "cut_selection": {"enabled": True, "method": "lml1", "memory_window": 2},
        }
    }
    runs = {}
    for api in ("c", "highspy"):
        monkeypatch.setenv(highs_api.ENV_VAR, api)
        runs[api] = train(region, cfg, threads=2, parallel=parallel)
    c, py = runs["c"], runs["highspy"]
    bounds = [r.convergence_history.column("lower_bound").to_pylist() for r in (c, py)]
    assert bounds[0] == bounds[1]
    uppers = [r.convergence_history.column("upper_bound_mean").to_pylist() for r in (c, py)]
    assert uppers[0] == uppers[1]
    assert c.lp_solves == py.lp_solves
