"""PathGuard: containment after resolving ``..``, ``~`` and symlinks; write switch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cobre_core.errors import CobreError
from cobre_mcp.sandbox import PathGuard


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    data, data2 = tmp_path / "data", tmp_path / "data2"
    data.mkdir()
    data2.mkdir()
    return data.resolve(), data2.resolve()


def _kind(guard: PathGuard, raw: str) -> str:
    with pytest.raises(CobreError) as err:
        guard.resolve(raw, "p")
    return err.value.kind


def test_relative_paths_resolve_against_the_first_root(roots: tuple[Path, Path]) -> None:
    guard = PathGuard([roots[0]])
    assert guard.resolve("a/b", "p") == roots[0] / "a" / "b"
    assert guard.resolve("a/../c", "p") == roots[0] / "c"


def test_dotdot_after_a_missing_directory_cannot_escape(roots: tuple[Path, Path]) -> None:
    guard = PathGuard([roots[0]])
    assert _kind(guard, "missing/../../data2/x") == "PathNotAllowed"
    assert guard.resolve("missing/../y", "p") == roots[0] / "y"


def test_a_sibling_with_a_common_prefix_is_outside(roots: tuple[Path, Path]) -> None:
    guard = PathGuard([roots[0]])
    assert _kind(guard, str(roots[1])) == "PathNotAllowed"
    assert _kind(guard, "../data2") == "PathNotAllowed"


def test_symlinks_are_followed_before_the_check(roots: tuple[Path, Path]) -> None:
    data, data2 = roots
    os.symlink(data2, data / "out")
    os.symlink(data / "x", data / "in")
    guard = PathGuard([data])
    assert _kind(guard, "out/new/file.csv") == "PathNotAllowed"
    assert guard.resolve("in", "p") == data / "x"
    assert PathGuard([data, data2]).resolve("out/f", "p") == data2 / "f"


def test_refusal_names_argument_not_allowlist(roots: tuple[Path, Path]) -> None:
    guard = PathGuard([roots[0]])
    with pytest.raises(CobreError) as err:
        guard.resolve("/etc/passwd", "case_dir")
    rec = err.value.record
    assert rec.context == {"argument": "case_dir", "path": "/etc/passwd"}
    assert str(roots[0]) not in rec.message + (rec.suggestion or "")


def test_missing_roots_are_dropped_and_none_left_is_an_error(tmp_path: Path) -> None:
    assert PathGuard([tmp_path / "nope", tmp_path]).roots == (tmp_path.resolve(),)
    with pytest.raises(ValueError):
        PathGuard([tmp_path / "nope"])


def test_write_switch(roots: tuple[Path, Path]) -> None:
    with pytest.raises(CobreError) as err:
        PathGuard([roots[0]]).writable("out", "output_dir", "train")
    assert err.value.kind == "WriteDisabled"
    assert PathGuard([roots[0]], allow_write=True).writable("out", "o", "t") == roots[0] / "out"
