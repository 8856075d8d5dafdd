"""A trained policy: Benders cuts of each stage's future cost, and its on-disk store.

Layout (ours; upstream uses FlatBuffers): ``policy/metadata.json`` and
``policy/cuts/stage_NNN.parquet`` with columns ``cut_id`` (int32), ``intercept`` (float64, $) and
``coefficients`` (list<float64>, $ per state unit, state order of ``state_names``). The cuts of
stage t bound the future cost seen from stage t: ``theta_t >= intercept + coefficients . x``, with
x the state leaving stage t (storage, then inflow lags lag-major).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from cobre_core.errors import ErrorKind, OutputError, record
from cobre_core.results.atomic import (
    is_complete,
    mark_success,
    staged_directory,
    write_json_atomic,
    write_parquet_atomic,
)

POLICY_FORMAT = "cobre-mcp-policy"
HISTORY_FILE = "convergence.parquet"
POLICY_VERSION = 1

_CUT_SCHEMA = pa.schema(
    [
        pa.field("cut_id", pa.int32(), nullable=False),
        pa.field("intercept", pa.float64(), nullable=False),
        pa.field("coefficients", pa.list_(pa.float64()), nullable=False),
    ]
)


@dataclass(frozen=True)
class StageCuts:
    """Cuts of one stage: ``intercepts (m,)`` and ``coefficients (m, d)``, in $.

    Multi-cut policies also say, per cut, which opening of the next stage it bounds
    (``openings``), and how many openings there are (``num_openings``).
    """

    stage_id: int
    intercepts: NDArray[np.float64]
    coefficients: NDArray[np.float64]
    openings: NDArray[np.int64] | None = None
    num_openings: int = 1

    def __len__(self) -> int:
        return int(self.intercepts.size)


@dataclass(frozen=True)
class Policy:
    """Cuts per stage plus the state definition; evaluate or store it, feed it to simulate."""

    stage_ids: tuple[int, ...]
    state_names: tuple[str, ...]
    stages: tuple[StageCuts, ...]
    cut_formulation: str = "single"

    @property
    def state_dimension(self) -> int:
        return len(self.state_names)

    @property
    def total_cuts(self) -> int:
        return sum(len(s) for s in self.stages)

    def evaluate(self, stage: int, state: NDArray[np.float64]) -> float:
        """Future cost ($) seen from study stage position ``stage`` at outgoing ``state``.

        Single cut: the largest cut, at least 0. Multi-cut: the mean over the next stage's
        openings of each opening's largest cut (at least 0).
        """
        cuts = self.stages[stage]
        if not len(cuts):
            return 0.0
        values = cuts.intercepts + cuts.coefficients @ np.asarray(state)
        if cuts.openings is None:
            return max(0.0, float(np.max(values)))
        best = np.zeros(cuts.num_openings)
        np.maximum.at(best, cuts.openings, values)
        return float(best.mean())

    def save(self, directory: str | Path, history: pa.Table | None = None) -> Path:
        """Write the store atomically (staged directory, ``_SUCCESS`` last).

        ``history`` (the convergence table so far) makes the store a checkpoint a run can resume
        from (``policy.mode = "resume"``); it is written as ``convergence.parquet``.
        """
        final = Path(directory)
        with staged_directory(final) as tmp:
            if history is not None:
                write_parquet_atomic(tmp / HISTORY_FILE, history)
            for sc in self.stages:
                table = pa.table(
                    {
                        "cut_id": pa.array(np.arange(len(sc), dtype=np.int32)),
                        "intercept": pa.array(sc.intercepts, pa.float64()),
                        "coefficients": pa.array(
                            [list(row) for row in sc.coefficients], pa.list_(pa.float64())
                        ),
                    },
                    schema=_CUT_SCHEMA,
                )
                if sc.openings is not None:
                    table = table.append_column(
                        pa.field("opening", pa.int32(), nullable=False),
                        pa.array(sc.openings, pa.int32()),
                    )
                write_parquet_atomic(tmp / "cuts" / f"stage_{sc.stage_id:03d}.parquet", table)
            write_json_atomic(
                tmp / "metadata.json",
                {
                    "format": POLICY_FORMAT,
                    "version": POLICY_VERSION,
                    "num_stages": len(self.stage_ids),
                    "stage_ids": list(self.stage_ids),
                    "state_dimension": self.state_dimension,
                    "state_names": list(self.state_names),
                    "total_cuts": self.total_cuts,
                    "cut_formulation": self.cut_formulation,
                    "openings_per_stage": [s.num_openings for s in self.stages],
                    "iterations": history.num_rows if history is not None else None,
                    "cuts_per_stage": [len(s) for s in self.stages],
                    "units": {"intercept": "$", "coefficients": "$ per state unit"},
                },
            )
            mark_success(tmp)
        return final

    @classmethod
    def load(cls, directory: str | Path) -> Policy:
        """Read a store written by :meth:`save`; OutputNotFound/OutputCorrupted on failure."""
        root = Path(directory)
        if not root.is_dir() or not is_complete(root):
            raise OutputError(
                record(
                    ErrorKind.OUTPUT_NOT_FOUND,
                    f"no complete policy at {root.name}",
                    "Train first, or point to a directory holding policy/metadata.json and "
                    "_SUCCESS.",
                    path=str(root),
                    expected_content="metadata.json, cuts/stage_NNN.parquet, _SUCCESS",
                )
            )
        try:
            meta = json.loads((root / "metadata.json").read_text())
            if meta.get("format") != POLICY_FORMAT:
                raise ValueError(f"unknown policy format {meta.get('format')!r}")
            d = int(meta["state_dimension"])
            multi = meta.get("cut_formulation", "single") == "multi"
            counts = meta.get("openings_per_stage") or [1] * len(meta["stage_ids"])
            stages = []
            for sid, n_open in zip(meta["stage_ids"], counts, strict=True):
                t = pq.read_table(root / "cuts" / f"stage_{sid:03d}.parquet")
                coefs = np.array(t.column("coefficients").to_pylist(), dtype=np.float64)
                stages.append(
                    StageCuts(
                        sid,
                        t.column("intercept").to_numpy().astype(np.float64),
                        coefs.reshape(len(t), d),
                        t.column("opening").to_numpy().astype(np.int64) if multi else None,
                        int(n_open),
                    )
                )
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            raise OutputError(
                record(
                    ErrorKind.OUTPUT_CORRUPTED,
                    f"policy store is unreadable: {exc}",
                    "Retrain to regenerate the policy directory.",
                    file=str(root / "metadata.json"),
                    detail=str(exc),
                )
            ) from exc
        return cls(
            tuple(meta["stage_ids"]),
            tuple(meta["state_names"]),
            tuple(stages),
            "multi" if multi else "single",
        )


def load_history(directory: str | Path) -> pa.Table | None:
    """The convergence history stored with a policy checkpoint, or None when it has none."""
    path = Path(directory) / HISTORY_FILE
    if not path.is_file():
        return None
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise OutputError(
            record(
                ErrorKind.OUTPUT_CORRUPTED,
                f"checkpoint history is unreadable: {exc}",
                "Resume from another checkpoint, or start fresh.",
                file=str(path),
            )
        ) from exc
