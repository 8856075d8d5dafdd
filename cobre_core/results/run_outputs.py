"""Locate and open the parts of a run's output directory, with structured errors.

A run directory ``<out>`` is what :func:`~cobre_core.study_runs.train` and
:func:`~cobre_core.study_runs.simulate` write when given ``output_dir``::

    <out>/training/{convergence.parquet, metadata.json, _SUCCESS}
    <out>/policy/{metadata.json, cuts/stage_NNN.parquet, _SUCCESS}
    <out>/simulation/<entity>/scenario_id=NNNN/data.parquet, simulation/{metadata.json, _SUCCESS}

:class:`RunOutputs` is the one place that knows this layout for readers: it finds each part,
opens it with the right schema and turns a missing part into ``OutputNotFound`` (saying which
function produces it) and an unreadable one into ``OutputCorrupted``. Queries over the simulation
tables live in :mod:`cobre_core.results.query`; writers live next to the runs, not here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from cobre_core.errors import ErrorKind, OutputError, record
from cobre_core.results.atomic import is_complete
from cobre_core.results.policy import Policy
from cobre_core.results.simulation_tables import SIMULATION_SCHEMAS

TRAINING_DIR = "training"
POLICY_DIR = "policy"
SIMULATION_DIR = "simulation"
METADATA_FILE = "metadata.json"
CONVERGENCE_FILE = "convergence.parquet"

PARTITION_FIELD = pa.field("scenario_id", pa.int32(), nullable=False)
"""The hive partition key of every simulation table (``scenario_id=NNNN`` directories)."""

ENTITY_ID_COLUMNS: dict[str, str | None] = {
    "costs": None,
    "hydros": "hydro_id",
    "thermals": "thermal_id",
    "exchanges": "line_id",
    "buses": "bus_id",
    "non_controllables": "non_controllable_id",
    "inflow_lags": "hydro_id",
    "violations/generic": "constraint_id",
}
"""Entity id column of each simulation table (costs has one row per stage and none)."""

TRAIN_HINT = "Run train(case, output_dir=<out>) to produce training/ and policy/."
SIMULATE_HINT = "Run simulate(case, policy, output_dir=<out>) to produce simulation/."


def _not_found(message: str, suggestion: str, **context: Any) -> OutputError:
    """An ``OutputNotFound`` error."""
    return OutputError(record(ErrorKind.OUTPUT_NOT_FOUND, message, suggestion, **context))


@contextmanager
def reading(path: Path, regenerate: str) -> Iterator[None]:
    """Turn I/O, JSON and Arrow failures inside the block into ``OutputCorrupted`` for ``path``.

    ``regenerate`` is the suggestion (which run rewrites the file). Use it around every read of
    run outputs, including dataset scans, whose files are only opened when scanned.
    """
    try:
        yield
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        raise OutputError(
            record(
                ErrorKind.OUTPUT_CORRUPTED,
                f"cannot read {path.name}: {exc}",
                regenerate,
                file=str(path),
                detail=str(exc),
            )
        ) from exc


def simulation_schema(entity: str) -> pa.Schema:
    """The schema of a simulation table as read back: its columns plus ``scenario_id`` (int32)."""
    return SIMULATION_SCHEMAS[entity].append(PARTITION_FIELD)


@dataclass(frozen=True)
class RunOutputs:
    """The output directory of a run (``output_dir`` of train/simulate) and its parts.

    Cheap to build (nothing is read until a method is called); every method re-reads the disk,
    so a run republished meanwhile is seen as soon as it is swapped in. Not for writing outputs.
    """

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    # -- locations ---------------------------------------------------------------------------

    @property
    def training_dir(self) -> Path:
        return self.root / TRAINING_DIR

    @property
    def policy_dir(self) -> Path:
        return self.root / POLICY_DIR

    @property
    def simulation_dir(self) -> Path:
        return self.root / SIMULATION_DIR

    @property
    def has_training(self) -> bool:
        """A complete ``training/`` (with ``_SUCCESS``; a cancelled training is also complete)."""
        return is_complete(self.training_dir)

    @property
    def has_policy(self) -> bool:
        """A complete ``policy/`` store."""
        return is_complete(self.policy_dir)

    @property
    def has_simulation(self) -> bool:
        """A published ``simulation/``: complete, or cancelled (metadata.json, no ``_SUCCESS``).

        The tables of a cancelled simulation hold every scenario it finished, so they are
        queryable; check :attr:`simulation_complete` to tell the two apart.
        """
        return (self.simulation_dir / METADATA_FILE).is_file()

    @property
    def simulation_complete(self) -> bool:
        """A simulation that ran every scenario (``simulation/_SUCCESS`` present)."""
        return is_complete(self.simulation_dir)

    # -- training and policy -----------------------------------------------------------------

    def _require_training(self) -> None:
        if not self.has_training:
            raise self._missing(TRAINING_DIR, TRAIN_HINT)

    def convergence(self) -> pa.Table:
        """``training/convergence.parquet``: one row per iteration (see ``CONVERGENCE_SCHEMA``)."""
        self._require_training()
        path = self.training_dir / CONVERGENCE_FILE
        with reading(path, TRAIN_HINT):
            return pq.read_table(path)

    def training_metadata(self) -> dict[str, Any]:
        """``training/metadata.json`` (header, configuration, convergence, row pool)."""
        self._require_training()
        return self._read_json(self.training_dir / METADATA_FILE, TRAIN_HINT)

    def policy(self) -> Policy:
        """The trained policy store (``policy/``), loaded into memory."""
        if not self.has_policy:
            raise self._missing(POLICY_DIR, TRAIN_HINT)
        return Policy.load(self.policy_dir)

    # -- simulation ----------------------------------------------------------------------------

    def _require_simulation(self) -> None:
        if not self.has_simulation:
            raise self._missing(SIMULATION_DIR, SIMULATE_HINT)

    def simulation_metadata(self) -> dict[str, Any]:
        """``simulation/metadata.json`` (header, ``status``, scenario counts, distribution)."""
        self._require_simulation()
        return self._read_json(self.simulation_dir / METADATA_FILE, SIMULATE_HINT)

    def simulation_entities(self) -> list[str]:
        """The simulation tables present in this run, in ``SIMULATION_SCHEMAS`` order.

        A run has only the tables its case produces (no ``exchanges`` without lines, ...).
        """
        self._require_simulation()
        return [name for name in SIMULATION_SCHEMAS if (self.simulation_dir / name).is_dir()]

    def simulation_dataset(self, entity: str) -> ds.Dataset:
        """One simulation table as a lazily scanned dataset, partitioned by ``scenario_id``.

        The schema is the table's known schema plus ``scenario_id`` (int32), so scans need no
        inference and filters on ``scenario_id`` prune whole partition directories. Files are
        opened when scanned: wrap scans in :func:`reading` to get ``OutputCorrupted``.
        """
        available = self.simulation_entities()
        if entity not in available:
            known = entity in SIMULATION_SCHEMAS
            message = (
                f"this run has no {entity!r} table (its case has no such entities)"
                if known
                else f"unknown simulation table {entity!r}"
            )
            raise _not_found(
                message,
                f"Use one of the tables this run has: {', '.join(available)}.",
                entity=entity,
                available=available,
            )
        partitioning = ds.partitioning(pa.schema([PARTITION_FIELD]), flavor="hive")
        path = self.simulation_dir / entity
        with reading(path, SIMULATE_HINT):
            return ds.dataset(
                path, schema=simulation_schema(entity), format="parquet", partitioning=partitioning
            )

    # -- helpers -------------------------------------------------------------------------------

    def _missing(self, part: str, hint: str) -> OutputError:
        """``OutputNotFound`` for a missing or incomplete part, with a hint on misplaced roots."""
        where = self.root / part
        if not self.root.is_dir():
            message = f"output directory {self.root} does not exist"
        elif where.is_dir():
            message = f"{part}/ in {self.root} is incomplete (no _SUCCESS or metadata.json)"
        else:
            message = f"no {part}/ in {self.root}"
        if self.root.name in (TRAINING_DIR, POLICY_DIR, SIMULATION_DIR):
            hint += f" Point to the run directory ({self.root.parent}), not to one of its parts."
        return _not_found(message, hint, path=str(where), part=part)

    @staticmethod
    def _read_json(path: Path, hint: str) -> dict[str, Any]:
        if not path.is_file():
            raise _not_found(f"{path.name} not found in {path.parent}", hint, path=str(path))
        with reading(path, hint):
            data = json.loads(path.read_text())
        if not isinstance(data, dict):
            raise OutputError(
                record(
                    ErrorKind.OUTPUT_CORRUPTED,
                    f"{path.name} does not hold a JSON object",
                    hint,
                    file=str(path),
                )
            )
        return data


__all__ = [
    "ENTITY_ID_COLUMNS",
    "PARTITION_FIELD",
    "SIMULATE_HINT",
    "TRAIN_HINT",
    "RunOutputs",
    "reading",
    "simulation_schema",
]
