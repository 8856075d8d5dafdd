"""State shared by the validation layers of one run, and typed-ish access to the case data.

The layers read the case through :class:`ValidationContext`: normalised JSON dicts (the validated
models dumped back with their JSON names, so every default is filled in) and Arrow tables turned
into row dicts once. Accessors are defensive (a value of the wrong type reads as "absent") so a
layer never crashes on data a previous layer already reported; they are not a substitute for the
schema layer and should not be used outside validation.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cobre_core.errors import ErrorKind, record
from cobre_core.io.reader import CaseFiles, Diagnostics
from cobre_core.model.expressions import Term

HYDROS = "system/hydros.json"
THERMALS = "system/thermals.json"
BUSES = "system/buses.json"
LINES = "system/lines.json"
NCS = "system/non_controllable_sources.json"
PUMPING = "system/pumping_stations.json"
CONTRACTS = "system/energy_contracts.json"
PRODUCTION_MODELS = "system/hydro_production_models.json"
CONFIG = "config.json"
STAGES = "stages.json"
PENALTIES = "penalties.json"
INITIAL_CONDITIONS = "initial_conditions.json"
LOAD_FACTORS = "scenarios/load_factors.json"
GENERIC_CONSTRAINTS = "constraints/generic_constraints.json"
EXCHANGE_FACTORS = "constraints/exchange_factors.json"

REGISTRIES: dict[str, tuple[str, str]] = {
    "buses": (BUSES, "buses"),
    "lines": (LINES, "lines"),
    "hydros": (HYDROS, "hydros"),
    "thermals": (THERMALS, "thermals"),
    "non_controllable_sources": (NCS, "non_controllable_sources"),
    "pumping_stations": (PUMPING, "pumping_stations"),
    "contracts": (CONTRACTS, "contracts"),
}
"""Entity registries: name -> (file, list key). Their records are what ``entities_validated``
counts."""


def num(value: object) -> float | None:
    """``value`` as a finite float, or ``None`` when it is not a finite number (bools excluded)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    out = float(value)
    return out if math.isfinite(out) else None


def as_int(value: object) -> int | None:
    """``value`` as an int when it is an integer (not a bool), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def as_date(value: object) -> datetime.date | None:
    """``value`` (an ISO string or a date) as a date, else ``None``."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def dig(obj: object, *keys: str) -> Any:
    """Follow dict keys; ``None`` as soon as a level is missing or not a dict."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def dicts(value: object) -> list[dict[str, Any]]:
    """The dict elements of a list (anything else reads as an empty list)."""
    if not isinstance(value, list | tuple):
        return []
    return [item for item in value if isinstance(item, dict)]


class ValidationContext:
    """Everything one validation run knows: the files read, the records found, derived facts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = CaseFiles(root=root)
        self.diags = Diagnostics()
        self.generic_terms: dict[object, list[Term]] = {}
        """Parsed generic-constraint expressions, by constraint id (filled by the schema layer)."""
        self._rows: dict[str, list[dict[str, Any]] | None] = {}

    # ── recording ─────────────────────────────────────────────────────────────────────────────

    def error(
        self, kind: ErrorKind, message: str, suggestion: str | None = None, **context: Any
    ) -> None:
        """Record an error; ``context`` must include ``file`` (relative to the case root)."""
        self.diags.errors.append(record(kind, message, suggestion, **context))

    def warn(
        self, kind: ErrorKind, message: str, suggestion: str | None = None, **context: Any
    ) -> None:
        """Record a warning; ``context`` must include ``file`` (relative to the case root)."""
        self.diags.warnings.append(record(kind, message, suggestion, **context))

    def report(
        self,
        kind: ErrorKind,
        message: str,
        suggestion: str | None = None,
        *,
        warning: bool = False,
        **context: Any,
    ) -> None:
        """Record an error, or a warning when ``warning`` is set."""
        (self.warn if warning else self.error)(kind, message, suggestion, **context)

    # ── generic access ────────────────────────────────────────────────────────────────────────

    def doc(self, relative_path: str) -> dict[str, Any] | None:
        """Normalised JSON dict of a validated file, or ``None``."""
        return self.files.doc(relative_path)

    def has(self, relative_path: str) -> bool:
        """Whether the file exists in the case."""
        return self.files.has(relative_path)

    def rows(self, relative_path: str) -> list[dict[str, Any]]:
        """Rows of a Parquet table as dicts (empty when the file is absent or unreadable)."""
        if relative_path not in self._rows:
            table = self.files.table(relative_path)
            self._rows[relative_path] = table.to_pylist() if table is not None else None
        return self._rows[relative_path] or []

    def has_table(self, relative_path: str) -> bool:
        """Whether a readable Parquet table exists at ``relative_path``."""
        return self.files.table(relative_path) is not None

    def entities(self, registry: str) -> list[dict[str, Any]]:
        """Records of an entity registry (``"hydros"``, ``"buses"``, ...), in file order."""
        file, key = REGISTRIES[registry]
        return dicts(dig(self.doc(file), key))

    def ids(self, registry: str) -> set[int]:
        """Integer ids of an entity registry."""
        return {i for e in self.entities(registry) if (i := as_int(e.get("id"))) is not None}

    # ── stages ────────────────────────────────────────────────────────────────────────────────

    def stages(self) -> list[dict[str, Any]]:
        """Study stages, in file order."""
        return dicts(dig(self.doc(STAGES), "stages"))

    def pre_study_stages(self) -> list[dict[str, Any]]:
        """Pre-study stages (negative ids), in file order."""
        return dicts(dig(self.doc(STAGES), "pre_study_stages"))

    def study_stage_ids(self) -> list[int]:
        """Ids of the study stages, sorted."""
        return sorted({i for s in self.stages() if (i := as_int(s.get("id"))) is not None})

    def pre_study_stage_ids(self) -> set[int]:
        """Ids of the pre-study stages."""
        return {i for s in self.pre_study_stages() if (i := as_int(s.get("id"))) is not None}

    def blocks_by_stage(self) -> dict[int, set[int]]:
        """Block ids of each study stage."""
        out: dict[int, set[int]] = {}
        for stage in self.stages():
            sid = as_int(stage.get("id"))
            if sid is None:
                continue
            out[sid] = {
                b
                for block in dicts(stage.get("blocks"))
                if (b := as_int(block.get("id"))) is not None
            }
        return out

    # ── counting ──────────────────────────────────────────────────────────────────────────────

    def count_entities(self) -> int:
        """Entity records across the system registries (read from the raw files)."""
        total = 0
        for file, key in REGISTRIES.values():
            raw = self.files.raw.get(file)
            if isinstance(raw, dict) and isinstance(raw.get(key), list):
                total += len(raw[key])
        return total


def describe_ids(values: Iterable[object], limit: int = 10) -> str:
    """Short, sorted rendering of a set of ids for messages."""
    items = sorted({str(v) for v in values}, key=lambda s: (len(s), s))
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items)} in total)" if len(items) > limit else "")
