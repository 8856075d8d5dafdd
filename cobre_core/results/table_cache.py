"""A small in-memory cache of complete simulation tables, for repeated queries on one run.

A simulation writes one Parquet file per scenario and table, so every scan of a 100-scenario run
opens 100 files (tens to hundreds of milliseconds). A long-lived process that queries the same
run again and again (the MCP server) keeps each queried table of a *complete* simulation as one
Arrow table, keyed by the run's ``_SUCCESS`` marker (a re-run changes it), and answers later
queries from memory. Tables whose Parquet files exceed ``MAX_FILE_BYTES`` are never cached, and
the cache holds at most ``MAX_CACHE_BYTES`` of Arrow data (least recently used first out).
Incomplete (cancelled) simulations are always read from disk.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from cobre_core.results.atomic import SUCCESS_MARKER

MAX_FILE_BYTES = 32 * 2**20
"""Tables larger than this on disk (compressed) are always scanned from Parquet."""
MAX_CACHE_BYTES = 256 * 2**20

_lock = threading.Lock()
_tables: OrderedDict[tuple[str, str, int], pa.Table] = OrderedDict()


def _key(sim_dir: Path, entity: str) -> tuple[str, str, int] | None:
    marker = sim_dir / SUCCESS_MARKER
    try:
        return (str(sim_dir.resolve()), entity, marker.stat().st_mtime_ns)
    except OSError:
        return None


def cached_dataset(sim_dir: Path, entity: str, dataset: ds.FileSystemDataset) -> ds.Dataset:
    """``dataset`` itself, or an in-memory dataset over the same rows when it may be cached."""
    key = _key(sim_dir, entity)
    if key is None:
        return dataset
    with _lock:
        table = _tables.get(key)
        if table is not None:
            _tables.move_to_end(key)
            return ds.dataset(table)
    size = sum(Path(f).stat().st_size for f in dataset.files)
    if size > MAX_FILE_BYTES:
        return dataset
    table = dataset.to_table().combine_chunks()  # one chunk: scans run without per-file overhead
    with _lock:
        stale = [k for k in _tables if k[:2] == key[:2]]
        for k in stale:
            del _tables[k]
        _tables[key] = table
        while sum(t.nbytes for t in _tables.values()) > MAX_CACHE_BYTES and len(_tables) > 1:
            _tables.popitem(last=False)
    return ds.dataset(table)


def clear() -> None:
    """Drop every cached table."""
    with _lock:
        _tables.clear()
