"""Notebook niceties: HTML views, progress bars and plots (optional extras, imported lazily).

* :func:`install_reprs` -- ``_repr_html_`` for Case, ValidationResult, TrainingResult and
  SimulationResult (standard library only; ``cobre_core.Study`` installs them on import);
* :func:`progress_reporter` -- a tqdm bar, or plain stderr lines without tqdm;
* :func:`plot_convergence`, :func:`plot_cost_fan` -- matplotlib Figures.

The plots need matplotlib and the bar needs tqdm: ``pip install 'cobre-mcp[notebook]'``. Nothing
here is imported by ``import cobre_core``; the plot functions import matplotlib on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cobre_core.notebook.html import install_reprs
from cobre_core.notebook.progress import LinePrinter, progress_reporter

if TYPE_CHECKING:
    from cobre_core.notebook.plots import plot_convergence, plot_cost_fan

__all__ = [
    "LinePrinter",
    "install_reprs",
    "plot_convergence",
    "plot_cost_fan",
    "progress_reporter",
]


def __getattr__(name: str) -> Any:
    """Import the plot functions (and matplotlib) only when asked for."""
    if name in ("plot_convergence", "plot_cost_fan"):
        from cobre_core.notebook import plots

        return getattr(plots, name)
    raise AttributeError(f"module 'cobre_core.notebook' has no attribute {name!r}")
