"""``load_case(path) -> Case``: read, validate and resolve a Cobre case directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cobre_core.system.build import build_case
from cobre_core.system.case import Case


class _DirectorySource:
    """Reads case files on demand (models by class, tables by relative path), caching each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._models: dict[type, Any] = {}

    def model(self, cls: type) -> Any:
        if cls not in self._models:
            path = self.root / cls.RELATIVE_PATH
            self._models[cls] = (
                cls.model_validate(json.loads(path.read_text())) if path.is_file() else None
            )
        return self._models[cls]

    def table(self, rel: str) -> pa.Table | None:
        path = self.root / rel
        return pq.read_table(path) if path.is_file() else None


def load_case(path: str | Path) -> Case:
    """Load a case directory into an immutable :class:`Case` ready for training."""
    root = Path(path).resolve()
    source = _DirectorySource(root)
    return build_case(root, source.model, source.table)
