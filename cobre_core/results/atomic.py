"""Atomic writes: files via temp name + ``os.replace``; directories staged then swapped in.

A reader sees either the previous complete output or the new complete one, never a half-written
directory; a cancelled or killed run leaves only a hidden ``.<name>.tmp-*`` directory behind.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SUCCESS_MARKER = "_SUCCESS"


def _temp_sibling(path: Path, tag: str) -> Path:
    return path.parent / f".{path.name}.{tag}-{uuid.uuid4().hex[:12]}"


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(path, "tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a hidden temp sibling of ``path`` to write (by name); on success it replaces ``path``.

    For writers that stream into a file of their own (Parquet, Arrow IPC, CSV writers); use
    :func:`write_bytes_atomic` when the content is already in memory. The temp file is synced
    before the swap and removed on an exception, leaving ``path`` untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(path, "tmp")
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Pretty JSON (2-space indent, trailing newline), atomically."""
    write_bytes_atomic(path, (json.dumps(obj, indent=2, default=str) + "\n").encode())


def write_parquet_atomic(path: Path, table: pa.Table) -> None:
    """A Parquet file, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(path, "tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def mark_success(directory: Path) -> None:
    """Write the completion marker; call it last."""
    write_bytes_atomic(directory / SUCCESS_MARKER, b"")


def is_complete(directory: Path) -> bool:
    """True when ``directory`` holds a completion marker."""
    return (directory / SUCCESS_MARKER).is_file()


@contextmanager
def staged_directory(final: Path) -> Iterator[Path]:
    """Yield a hidden sibling to fill; on success swap it in place of ``final``.

    On an exception the staging directory is removed and ``final`` is untouched.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    stage = _temp_sibling(final, "tmp")
    stage.mkdir()
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = None
    if final.exists():
        old = _temp_sibling(final, "old")
        os.replace(final, old)
    os.replace(stage, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
