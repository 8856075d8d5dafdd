"""Two standard plots: training convergence and the simulated cost fan per stage.

Both return a matplotlib ``Figure`` built without pyplot (no global state, safe in scripts and
threads); in Jupyter the figure shows when it ends a cell, elsewhere call ``fig.savefig(...)``.
Pass ``ax=`` to draw into axes of your own instead. Needs matplotlib (the ``notebook`` extra:
``pip install cobre-mcp[notebook]``); importing this module without it raises ImportError.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

try:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
except ImportError as exc:  # an optional extra
    raise ImportError(
        "plots need matplotlib: pip install 'cobre-mcp[notebook]' (or matplotlib>=3.7)"
    ) from exc


class NotebookFigure(Figure):
    """A Figure that renders itself as PNG in Jupyter even when pyplot was never imported."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()


def _new_axes(ax: Any, title: str) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    fig = NotebookFigure(figsize=(7.5, 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(title)
    return fig, ax


def _table(obj: Any) -> pa.Table:
    """An Arrow table from a pandas/polars frame or an Arrow table."""
    if isinstance(obj, pa.Table):
        return obj
    if hasattr(obj, "to_arrow"):  # polars
        return obj.to_arrow()
    return pa.Table.from_pandas(obj, preserve_index=False)


def _convergence_table(source: Any) -> pa.Table:
    history = getattr(source, "convergence_history", None)  # TrainingResult
    if history is not None:
        return history
    last = getattr(source, "last_training", None)  # Study
    if last is not None:
        return last.convergence_history
    convergence = getattr(source, "convergence", None)  # Results
    if callable(convergence):
        return convergence(to="arrow")
    return _table(source)


def convergence_arrays(source: Any) -> dict[str, np.ndarray]:
    """Iteration, lower bound, upper-bound mean and its 95% half-width as numpy arrays.

    ``source`` is a TrainingResult, a Study (its last training), a Results, or a convergence
    table (Arrow, pandas or polars, with upstream's column names).
    """
    from cobre_core.sddp.training import confidence_half_width

    t = _convergence_table(source)
    std = t.column("upper_bound_std").to_numpy().astype(np.float64)
    passes = t.column("forward_passes").to_numpy()
    return {
        "iteration": t.column("iteration").to_numpy().astype(np.int64),
        "lower_bound": t.column("lower_bound").to_numpy().astype(np.float64),
        "upper_bound": t.column("upper_bound_mean").to_numpy().astype(np.float64),
        "half_width": np.array(
            [confidence_half_width(float(s), int(n)) for s, n in zip(std, passes, strict=True)]
        ),
    }


def plot_convergence(source: Any, *, ax: Any = None, log_scale: bool = False) -> Any:
    """Lower bound and upper-bound estimate (with its 95% band) per iteration, in $.

    ``source`` as in :func:`convergence_arrays`. Returns the Figure. A band that stays wide
    means too few forward passes to judge the gap; it is not a convergence failure by itself.
    """
    data = convergence_arrays(source)
    fig, ax = _new_axes(ax, "SDDP convergence")
    it = data["iteration"]
    ub, hw = data["upper_bound"], data["half_width"]
    ax.plot(it, data["lower_bound"], label="lower bound", color="tab:blue", marker=".")
    ax.plot(it, ub, label="upper bound (mean)", color="tab:orange", marker=".")
    ax.fill_between(it, ub - hw, ub + hw, color="tab:orange", alpha=0.2, label="95% band")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost ($)")
    if log_scale:
        ax.set_yscale("log")
    ax.legend(loc="best")
    ax.grid(True, alpha=0.3)
    return fig


def cost_quantiles(
    source: Any, quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95), discounted: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(stage_ids, q, mean)``: per-stage cost quantiles ``q (len(quantiles), stages)`` and mean.

    ``source`` is a Results, a Study (its results) or a costs table with ``scenario_id``,
    ``stage_id``, ``immediate_cost`` and ``discount_factor``. ``discounted`` multiplies each
    stage's immediate cost by its discount factor (the terms that add up to the total cost).
    """
    results = getattr(source, "results", None)
    if callable(results) and not hasattr(source, "costs"):
        source = results()  # a Study
    if hasattr(source, "costs"):
        columns = ["scenario_id", "stage_id", "immediate_cost", "discount_factor"]
        t = source.costs(columns=columns, to="arrow")
    else:
        t = _table(source)
    stages = t.column("stage_id").to_numpy()
    scenarios = t.column("scenario_id").to_numpy()
    cost = t.column("immediate_cost").to_numpy().astype(np.float64)
    if discounted:
        cost = cost * t.column("discount_factor").to_numpy().astype(np.float64)
    stage_ids = np.unique(stages)
    scenario_ids = np.unique(scenarios)
    grid = np.full((scenario_ids.size, stage_ids.size), np.nan)
    grid[np.searchsorted(scenario_ids, scenarios), np.searchsorted(stage_ids, stages)] = cost
    q = np.nanquantile(grid, np.asarray(quantiles, dtype=np.float64), axis=0)
    return stage_ids, q, np.nanmean(grid, axis=0)


def plot_cost_fan(
    source: Any,
    *,
    quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95),
    discounted: bool = True,
    ax: Any = None,
) -> Any:
    """Fan chart of the simulated cost per stage: nested quantile bands, median and mean.

    ``source`` as in :func:`cost_quantiles`; ``quantiles`` must be symmetric pairs around a
    median (the default shows 5-95% and 25-75%). Returns the Figure.
    """
    qs = sorted(float(q) for q in quantiles)
    stage_ids, q, mean = cost_quantiles(source, qs, discounted)
    fig, ax = _new_axes(ax, "Simulated cost per stage")
    n = len(qs)
    for i in range(n // 2):
        lo, hi = qs[i], qs[n - 1 - i]
        ax.fill_between(
            stage_ids,
            q[i],
            q[n - 1 - i],
            color="tab:blue",
            alpha=0.15 + 0.15 * i,
            label=f"{100 * lo:g}–{100 * hi:g}%",
        )
    if n % 2:
        ax.plot(stage_ids, q[n // 2], color="tab:blue", label=f"{100 * qs[n // 2]:g}%")
    ax.plot(stage_ids, mean, color="black", linestyle="--", label="mean")
    ax.set_xlabel("stage id")
    ax.set_ylabel("discounted cost ($)" if discounted else "cost ($)")
    ax.legend(loc="best")
    ax.grid(True, alpha=0.3)
    return fig


__all__ = [
    "NotebookFigure",
    "convergence_arrays",
    "cost_quantiles",
    "plot_convergence",
    "plot_cost_fan",
]
