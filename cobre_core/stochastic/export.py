"""``exports.stochastic``: write the stochastic model a run used to ``output/stochastic/``.

Files and formats follow upstream's book ("Stochastic Artifacts"), so an exported model can be fed
back as a case's input:

* ``inflow_seasonal_stats.parquet`` (hydro_id, stage_id, mean_m3s, std_m3s; pre-study stages
  included) and ``inflow_ar_coefficients.parquet`` (hydro_id, stage_id, lag, coefficient,
  residual_std_ratio; study stages, one row per lag): the same schemas as the inputs, holding the
  estimated values when the model was fitted from ``inflow_history.parquet`` and the user's
  otherwise (``residual_std_ratio`` is written because this project's input requires it);
* ``inflow_annual_component.parquet`` (hydro_id, stage_id, annual_coefficient, annual_mean_m3s,
  annual_std_m3s): the PAR(p)-A triples, no rows without an annual component;
* ``correlation.json``: the correlation the noise used (the case's file, the estimated one, or a
  ``"default"`` profile without groups);
* ``noise_openings.parquet`` (stage_id, opening_index, entity_index, value): the opening tree;
  as upstream, ``stage_id`` is the 0-based stage position, so a copy loads as
  ``scenarios/noise_openings.parquet`` only when the declared stage ids are 0, 1, 2, ...;
* ``fitting_report.json`` (only when something was estimated): per hydro its selected order, the
  coefficients of each season and any order reductions;
* ``load_seasonal_stats.parquet`` (only when a bus has ``std_mw > 0``).

The directory is staged and swapped in whole (:func:`cobre_core.results.atomic.staged_directory`):
a reader sees the previous complete export or the new one. Not for the training or simulation
outputs, which have their own writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cobre_core.results.atomic import staged_directory, write_json_atomic, write_parquet_atomic
from cobre_core.stochastic.correlation import identity_correlation_file
from cobre_core.stochastic.noise import OpeningTree
from cobre_core.system.case import Case

if TYPE_CHECKING:
    from cobre_core.sddp.problem import Problem

STATS_FILE = "scenarios/inflow_seasonal_stats.parquet"
AR_FILE = "scenarios/inflow_ar_coefficients.parquet"

_STATS_SCHEMA = pa.schema(
    [
        ("hydro_id", pa.int32()),
        ("stage_id", pa.int32()),
        ("mean_m3s", pa.float64()),
        ("std_m3s", pa.float64()),
    ]
)
_AR_SCHEMA = pa.schema(
    [
        ("hydro_id", pa.int32()),
        ("stage_id", pa.int32()),
        ("lag", pa.int32()),
        ("coefficient", pa.float64()),
        ("residual_std_ratio", pa.float64()),
    ]
)
_ANNUAL_SCHEMA = pa.schema(
    [
        pa.field("hydro_id", pa.int32(), nullable=False),
        pa.field("stage_id", pa.int32(), nullable=False),
        pa.field("annual_coefficient", pa.float64(), nullable=False),
        pa.field("annual_mean_m3s", pa.float64(), nullable=False),
        pa.field("annual_std_m3s", pa.float64(), nullable=False),
    ]
)
_OPENINGS_SCHEMA = pa.schema(
    [
        ("stage_id", pa.int32()),
        ("opening_index", pa.uint32()),
        ("entity_index", pa.uint32()),
        ("value", pa.float64()),
    ]
)
_LOAD_SCHEMA = pa.schema(
    [
        ("bus_id", pa.int32()),
        ("stage_id", pa.int32()),
        ("mean_mw", pa.float64()),
        ("std_mw", pa.float64()),
    ]
)


def _table(rows: Sequence[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema.names]
    return pa.Table.from_arrays(
        [pa.array(list(col), type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _user_rows(case: Case, rel: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    if case.path is None or not (case.path / rel).is_file():
        return []
    table = pq.read_table(case.path / rel).to_pydict()
    return sorted(zip(*(table[c] for c in columns), strict=True))


def _spans(case: Case, study_only: bool) -> list[tuple[int, int | None]]:
    sf = case.stages_file
    stages = sf.stages if study_only else (*sf.pre_study_stages, *sf.stages)
    return sorted((s.id, s.season_id) for s in stages)


def _estimated_seasons(case: Case) -> dict[int, dict[int, dict[str, Any]]]:
    """``{hydro_id: {season_id: season entry}}`` of the estimation report (empty without one)."""
    report = case.estimation_report or {}
    return {
        int(e["hydro_id"]): {int(s["season_id"]): s for s in e["seasons"]}
        for e in report.get("entries", [])
    }


def inflow_model_rows(
    case: Case,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Rows of the stats, AR and annual-component tables of the inflow model ``case`` uses.

    Estimated parts come from ``case.estimation_report`` (mapped onto stages by season, as the
    loader does); user parts are read back from the case's own files.
    """
    path = (case.estimation_report or {}).get("path")
    seasons = _estimated_seasons(case)
    if path in ("full_estimation", "user_ar_history_stats"):
        stats = [
            (hid, sid, float(by[season]["mean_m3s"]), float(by[season]["std_m3s"]))
            for hid, by in seasons.items()
            for sid, season in _spans(case, study_only=False)
            if season is not None and season in by
        ]
    else:
        stats = _user_rows(case, STATS_FILE, ("hydro_id", "stage_id", "mean_m3s", "std_m3s"))
    annual: list[tuple[Any, ...]] = []
    if path in ("full_estimation", "partial_estimation"):
        ar = []
        for hid, by in seasons.items():
            for sid, season in _spans(case, study_only=True):
                fit = by.get(season) if season is not None else None
                if fit is None:
                    continue
                ratio = float(fit["residual_std_ratio"])
                for lag, coef in enumerate(fit["coefficients"], start=1):
                    ar.append((hid, sid, lag, float(coef), ratio))
                if "annual_coefficient" in fit:
                    annual.append(
                        (
                            hid,
                            sid,
                            float(fit["annual_coefficient"]),
                            float(fit["annual_mean_m3s"]),
                            float(fit["annual_std_m3s"]),
                        )
                    )
    else:
        ar = _user_rows(
            case, AR_FILE, ("hydro_id", "stage_id", "lag", "coefficient", "residual_std_ratio")
        )
    return sorted(stats), sorted(ar), sorted(annual)


def openings_table(tree: OpeningTree) -> pa.Table:
    """The opening tree as ``noise_openings`` rows; ``stage_id`` is the 0-based stage position."""
    stage, opening, entity, value = [], [], [], []
    for t, block in enumerate(tree.openings):
        n, dim = block.shape
        stage.append(np.full(n * dim, t, dtype=np.int32))
        opening.append(np.repeat(np.arange(n, dtype=np.uint32), dim))
        entity.append(np.tile(np.arange(dim, dtype=np.uint32), n))
        value.append(np.asarray(block, dtype=np.float64).ravel())

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    return pa.Table.from_arrays(
        [
            pa.array(cat(stage, np.int32), pa.int32()),
            pa.array(cat(opening, np.uint32), pa.uint32()),
            pa.array(cat(entity, np.uint32), pa.uint32()),
            pa.array(cat(value, np.float64), pa.float64()),
        ],
        schema=_OPENINGS_SCHEMA,
    )


def fitting_report(case: Case) -> dict[str, Any] | None:
    """Upstream's ``fitting_report.json`` from the estimation report; None when nothing was fit."""
    report = case.estimation_report
    if not report:
        return None
    hydros: dict[str, Any] = {}
    for entry in report.get("entries", []):
        coefficients = [list(s["coefficients"]) for s in entry["seasons"]]
        item: dict[str, Any] = {
            "selected_order": int(
                entry.get("selected_order", max((len(c) for c in coefficients), default=0))
            ),
            "coefficients": coefficients,
        }
        reductions = [
            {k: r[k] for k in ("season_id", "original_order", "reduced_order", "contributions")}
            | {"reason": r["reason"]}
            for r in entry.get("reductions", [])
        ]
        if reductions:
            item["contribution_reductions"] = reductions
        hydros[str(entry["hydro_id"])] = item
    return {"hydros": hydros}


def _load_rows(case: Case) -> list[tuple[Any, ...]]:
    if not any((sd.load_std > 0).any() for sd in case.stages):
        return []
    return [
        (bus.id, sd.stage_id, float(sd.load_mean[b]), float(sd.load_std[b]))
        for b, bus in enumerate(case.buses)
        for sd in case.stages
    ]


def export_stochastic(
    case: Case, problem_or_tree: Problem | OpeningTree, output_dir: str | Path
) -> list[Path]:
    """Write ``<output_dir>/stochastic/`` (module docstring) and return the files written.

    ``problem_or_tree`` gives the opening tree (a :class:`~cobre_core.sddp.problem.Problem`'s
    ``tree``, or the tree itself) and, through it, the correlation in use. Call it before training
    when ``case.config.exports.stochastic`` is set; it does not check that flag.
    """
    tree: OpeningTree = getattr(problem_or_tree, "tree", problem_or_tree)
    stats, ar, annual = inflow_model_rows(case)
    correlation = tree.correlation.spec if tree.correlation is not None else None
    spec = correlation or identity_correlation_file()
    report = fitting_report(case)
    load = _load_rows(case)
    final = Path(output_dir) / "stochastic"
    names: list[str] = []
    with staged_directory(final) as tmp:

        def parquet(name: str, table: pa.Table) -> None:
            write_parquet_atomic(tmp / name, table)
            names.append(name)

        def json_file(name: str, obj: Any) -> None:
            write_json_atomic(tmp / name, obj)
            names.append(name)

        parquet("inflow_seasonal_stats.parquet", _table(stats, _STATS_SCHEMA))
        parquet("inflow_ar_coefficients.parquet", _table(ar, _AR_SCHEMA))
        parquet("inflow_annual_component.parquet", _table(annual, _ANNUAL_SCHEMA))
        json_file("correlation.json", spec.model_dump(mode="json", exclude_none=True))
        parquet("noise_openings.parquet", openings_table(tree))
        if report is not None:
            json_file("fitting_report.json", report)
        if load:
            parquet("load_seasonal_stats.parquet", _table(load, _LOAD_SCHEMA))
    return [final / n for n in sorted(names)]
