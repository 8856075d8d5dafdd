"""The project's own example cases, in the exact upstream Cobre case-directory layout.

Each example is a builder returning an in-memory case: a dict from a path relative to the case
directory (``"system/hydros.json"``) to a JSON-able dict, or to a :class:`pyarrow.Table` for
``.parquet`` files. Tests can derive broken variants from it; :func:`write_example` writes it out.

* ``toy``: one bus, one hydro, two thermals, 6 monthly stages, 1 block, 5 openings, PAR(1).
* ``multi_region``: 3 buses, 3 lines, a 3-hydro cascade plus a stand-alone hydro, 4 thermals,
  12 monthly stages with 3 load blocks, 4 openings, PAR(1) inflows and one stochastic load.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from cobre_core.examples import multi_region, toy
from cobre_core.examples.writer import CaseContent, CaseFiles, write_case_files

EXAMPLES: dict[str, Callable[[], CaseFiles]] = {
    "toy": toy.build,
    "multi_region": multi_region.build,
}
"""Example builders by name; each call returns a fresh in-memory case."""

_CASE_TOP_LEVEL_DIRS = ("system", "scenarios", "constraints")
"""Case subdirectories that may hold input files of an earlier case when overwriting."""


def example_names() -> list[str]:
    """Return the names of the available examples, sorted."""
    return sorted(EXAMPLES)


def build_example(name: str) -> CaseFiles:
    """Return a fresh in-memory copy of example ``name``; raise ``KeyError`` if it is unknown."""
    try:
        builder = EXAMPLES[name]
    except KeyError:
        raise KeyError(
            f"unknown example {name!r}; available: {', '.join(example_names())}"
        ) from None
    return builder()


def write_example(name: str, dest: str | Path, *, overwrite: bool = False) -> Path:
    """Write example ``name`` as a case directory at ``dest`` and return its resolved path.

    The directory is created if needed. A non-empty ``dest`` is refused with
    ``FileExistsError`` unless ``overwrite`` is true; then the input files of the previous case
    (top-level ``*.json`` and the ``system``, ``scenarios`` and ``constraints`` directories) are
    removed first, so no stale file of another example survives. Other content (for instance an
    ``output`` directory) is left alone.
    """
    return write_case_dir(build_example(name), dest, overwrite=overwrite)


def write_case_dir(files: CaseFiles, dest: str | Path, *, overwrite: bool = False) -> Path:
    """Write an in-memory case to ``dest`` with :func:`write_example`'s rules; returns the path.

    A non-empty ``dest`` is refused (``FileExistsError``) unless ``overwrite``, which first
    removes the previous case's input files only.
    """
    target = Path(dest).expanduser().resolve()
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{target} is not empty; pass overwrite=True to replace it")
        _remove_case_inputs(target)
    target.mkdir(parents=True, exist_ok=True)
    write_case_files(files, target)
    return target


def _remove_case_inputs(case_dir: Path) -> None:
    """Delete the case input files of ``case_dir`` (top-level JSON and input subdirectories)."""
    for path in case_dir.glob("*.json"):
        if path.is_file():
            path.unlink()
    for sub in _CASE_TOP_LEVEL_DIRS:
        path = case_dir / sub
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


__all__ = [
    "EXAMPLES",
    "CaseContent",
    "CaseFiles",
    "build_example",
    "example_names",
    "write_example",
]
