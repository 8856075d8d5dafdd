"""docs/quickstart.py runs end to end (its own asserts check the numbers it shows)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

import cobre_core as cc

QUICKSTART = Path(__file__).resolve().parents[2] / "docs" / "quickstart.py"


def test_quickstart_runs_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_threads: None
) -> None:
    monkeypatch.setenv("COBRE_QUICKSTART_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    namespace = runpy.run_path(str(QUICKSTART), run_name="__main__")
    training = namespace["training"]
    assert training.iterations == 15
    assert len(namespace["history"]) == 15
    assert namespace["simulation"].completed == 40
    assert (tmp_path / "out" / "simulation" / "_SUCCESS").is_file()
    assert cc.Config.load(tmp_path / "toy").get("training.forward_passes") == 4
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not (tmp_path / "convergence.png").exists()
    else:
        assert (tmp_path / "convergence.png").stat().st_size > 0
