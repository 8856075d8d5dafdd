"""Helpers the validation tests use to break a case on disk (JSON edits, Parquet rewrites)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SHARED_CASES = Path(__file__).resolve().parents[3] / "shared" / "cobre-cases"
"""Upstream reference cases (test data, outside the project); tests skip when absent."""


def read_json(case: Path, rel: str) -> Any:
    """Decoded JSON file of a case."""
    return json.loads((case / rel).read_text())


def write_json(case: Path, rel: str, doc: Any) -> None:
    """Write a JSON file of a case."""
    (case / rel).parent.mkdir(parents=True, exist_ok=True)
    (case / rel).write_text(json.dumps(doc, indent=2))


def edit_json(case: Path, rel: str, change: Callable[[Any], object]) -> None:
    """Mutate a decoded JSON file in place with ``change`` and write it back.

    ``change``'s return value is ignored (so ``lambda d: d["x"].pop("y")`` works); use
    :func:`write_json` to replace a document wholesale.
    """
    doc = read_json(case, rel)
    change(doc)
    write_json(case, rel, doc)


def read_table(case: Path, rel: str) -> pa.Table:
    """Arrow table of a Parquet file of a case."""
    return pq.read_table(case / rel)


def write_table(case: Path, rel: str, table: pa.Table) -> None:
    """Write a Parquet file of a case."""
    (case / rel).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, case / rel)
