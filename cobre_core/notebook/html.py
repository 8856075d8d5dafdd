"""Rich HTML views for Jupyter: small tables for a case, a config, a report and run results.

Each ``*_html`` function renders one object as a self-contained HTML fragment (no scripts, no
external styles). :func:`install_reprs` attaches them as ``_repr_html_`` to the classes that do not
define one, so a notebook cell ending in a ``Case`` or a ``TrainingResult`` shows a table. Pure
standard library: importing this module pulls in nothing heavy.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

MAX_RECORDS = 20
"""Rows shown per record list in a validation report (the rest are counted)."""

_TABLE = 'style="border-collapse:collapse;text-align:left"'
_CELL = 'style="padding:2px 8px;border-bottom:1px solid #ddd"'


def _fmt(value: Any) -> str:
    """A short human form: thousands separators for big numbers, 6 significant digits."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:.6g}"
    if isinstance(value, list | tuple) and len(value) > 8:
        head = ", ".join(_fmt(v) for v in value[:8])
        return f"[{head}, … ({len(value)} items)]"
    return str(value)


def _rows(title: str, pairs: Iterable[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th {_CELL}>{html.escape(str(k))}</th><td {_CELL}>{html.escape(_fmt(v))}</td></tr>"
        for k, v in pairs
    )
    return f"<div><strong>{html.escape(title)}</strong><table {_TABLE}>{body}</table></div>"


def _records(title: str, records: Sequence[Any]) -> str:
    if not records:
        return ""
    head = "".join(f"<th {_CELL}>{h}</th>" for h in ("kind", "file", "field", "message", "fix"))
    rows = []
    for rec in records[:MAX_RECORDS]:
        ctx = rec.context
        cells = (
            rec.kind,
            ctx.get("file", ""),
            ctx.get("field", ctx.get("entity_id", "")),
            rec.message,
            rec.suggestion or "",
        )
        rows.append("<tr>" + "".join(f"<td {_CELL}>{html.escape(str(c))}</td>" for c in cells))
    more = len(records) - MAX_RECORDS
    tail = f"<p>… and {more} more</p>" if more > 0 else ""
    return (
        f"<div><strong>{html.escape(title)} ({len(records)})</strong>"
        f"<table {_TABLE}><tr>{head}</tr>{''.join(rows)}</table>{tail}</div>"
    )


def case_html(case: Any) -> str:
    """A ``Case``: its :meth:`summary` as a two-column table."""
    return _rows("Cobre case", case.summary().items())


def config_html(config: Any) -> str:
    """A ``Config``: the run knobs people change most."""
    model = config.model
    rules = [
        ", ".join(f"{k}={v}" for k, v in r.model_dump(mode="json").items())
        for r in model.training.stopping_rules or ()
    ]
    return _rows(
        "Cobre config",
        [
            ("source", config.source),
            ("forward_passes", model.training.forward_passes),
            ("stopping_rules", "; ".join(rules)),
            ("stopping_mode", model.training.stopping_mode),
            ("seed", model.training.resolved_tree_seed),
            ("simulation.num_scenarios", model.simulation.num_scenarios),
            ("inflow_non_negativity", model.modeling.inflow_non_negativity.method),
        ],
    )


def validation_html(result: Any) -> str:
    """A ``ValidationResult``: verdict, counts, layers run, then errors and warnings."""
    verdict = "valid" if result.valid else "INVALID"
    summary = _rows(
        f"Validation: {verdict}",
        [
            ("case", result.case_directory),
            ("errors", len(result.errors)),
            ("warnings", len(result.warnings)),
            ("layers run", ", ".join(result.layers_run) or "none"),
            ("files checked", result.summary.files_checked),
        ],
    )
    return summary + _records("Errors", result.errors) + _records("Warnings", result.warnings)


def training_html(result: Any) -> str:
    """A ``TrainingResult``: bounds, gap, iterations, why it stopped, size and time."""
    low, high = result.upper_bound_ci95 if result.iterations else (math.nan, math.nan)
    gap = result.final_gap
    return _rows(
        "Training",
        [
            ("lower bound ($)", result.final_lower_bound),
            ("upper bound mean ($)", result.final_upper_bound),
            ("upper bound 95% CI ($)", f"{_fmt(low)} … {_fmt(high)}"),
            ("gap", f"{100.0 * gap:.3f} %" if not math.isnan(gap) else "nan"),
            ("iterations", result.iterations),
            ("termination", result.termination_reason),
            ("cuts", result.total_cuts),
            ("LP solves", result.lp_solves),
            ("wall time (s)", result.wall_time_ms / 1000.0),
            ("output", result.output_directory),
        ],
    )


def simulation_html(result: Any) -> str:
    """A ``SimulationResult``: scenario counts and cost statistics."""
    return _rows(
        "Simulation",
        [
            ("scenarios", f"{result.completed} of {result.scenarios}"),
            ("mean cost ($)", result.mean_cost),
            ("cost std ($)", result.std_cost),
            ("cancelled", result.cancelled),
            ("wall time (s)", result.wall_time_ms / 1000.0),
            ("output", result.output_directory),
        ],
    )


def install_reprs() -> None:
    """Attach ``_repr_html_`` to Case, ValidationResult, TrainingResult and SimulationResult.

    Idempotent, and a class that defines its own ``_repr_html_`` keeps it. ``cobre_core.Study``
    calls this on import, so notebooks using the library API get the views without asking.
    """
    from cobre_core.study_runs import SimulationResult, TrainingResult
    from cobre_core.system.case import Case
    from cobre_core.validation.result import ValidationResult

    pairs: tuple[tuple[type, Any], ...] = (
        (Case, case_html),
        (ValidationResult, validation_html),
        (TrainingResult, training_html),
        (SimulationResult, simulation_html),
    )
    for cls, render in pairs:
        if "_repr_html_" not in vars(cls):
            type.__setattr__(cls, "_repr_html_", _method(render))


def _method(render: Any) -> Any:
    def _repr_html_(self: Any) -> str:
        return render(self)

    _repr_html_.__doc__ = f"Rich HTML view for notebooks ({render.__name__})."
    return _repr_html_


__all__ = [
    "case_html",
    "config_html",
    "install_reprs",
    "simulation_html",
    "training_html",
    "validation_html",
]
