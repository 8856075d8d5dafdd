"""``Results``: a run directory's outputs as pandas DataFrames (or Arrow tables, or polars frames).

The notebook-facing view of what train and simulate wrote::

    res = Results.open("out")
    res.convergence()                              # one row per iteration
    res.costs(stages=(0, 5))                       # scenarios x stages rows
    res.hydros(ids=[0, 2], scenarios=(0, 9), to="arrow")
    res.cost_summary().mean

Filters (entity ids, inclusive stage and scenario ranges, a block) are pushed down to Parquet, so
only matching rows are read. For paged or aggregated answers use
:func:`cobre_core.results.query.query_table`; for the cuts use :meth:`Results.policy`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from cobre_core.results.policy import Policy
from cobre_core.results.query import CostSummary, TableQuery, cost_summary
from cobre_core.results.run_outputs import RunOutputs

Output = Literal["pandas", "arrow", "polars"]
Range = tuple[int, int] | None


def convert(table: pa.Table, to: Output) -> Any:
    """``table`` as a pandas DataFrame, an Arrow table or a polars DataFrame."""
    if to == "arrow":
        return table
    if to == "polars":
        try:
            import polars as pl
        except ImportError as exc:  # an optional extra
            raise ImportError("to='polars' needs polars: pip install polars") from exc
        return pl.from_arrow(table)
    if to == "pandas":
        return table.to_pandas()
    raise ValueError(f"to must be 'pandas', 'arrow' or 'polars', not {to!r}")


@dataclass(frozen=True)
class Results:
    """Read-only access to one run directory (``training/``, ``policy/``, ``simulation/``)."""

    outputs: RunOutputs

    @classmethod
    def open(cls, output_dir: str | Path) -> Results:
        """Open a run directory; parts are checked when first read (OutputNotFound if missing)."""
        return cls(RunOutputs(Path(output_dir)))

    @property
    def path(self) -> Path:
        return self.outputs.root

    def convergence(self, to: Output = "pandas") -> Any:
        """Training convergence: upstream's 13 columns, one row per iteration."""
        return convert(self.outputs.convergence(), to)

    def policy(self) -> Policy:
        """The trained cuts (numpy arrays per stage; ``Policy.evaluate`` for the future cost)."""
        return self.outputs.policy()

    def cost_summary(self) -> CostSummary:
        """Per-scenario cost statistics and per-stage means of the simulation."""
        return cost_summary(self.path)

    def tables(self) -> list[str]:
        """Simulation tables present in the run."""
        return self.outputs.simulation_entities()

    def table(
        self,
        entity: str,
        ids: Iterable[int] = (),
        stages: Range = None,
        scenarios: Range = None,
        block: int | None = None,
        columns: Iterable[str] = (),
        to: Output = "pandas",
    ) -> Any:
        """Rows of one simulation table matching the filters, sorted by scenario, stage, block,
        entity. ``stages`` and ``scenarios`` are inclusive ``(first, last)`` ranges."""
        q = TableQuery(
            entity=entity,
            entity_ids=tuple(int(i) for i in ids),
            stage_min=stages[0] if stages else None,
            stage_max=stages[1] if stages else None,
            scenario_min=scenarios[0] if scenarios else None,
            scenario_max=scenarios[1] if scenarios else None,
            block_id=block,
            columns=tuple(columns),
        )
        dataset = self.outputs.simulation_dataset(entity)
        q.validate()
        table = dataset.to_table(columns=q.output_columns(), filter=q.filter_expression())
        table = table.sort_by([(k, "ascending") for k in q.key_columns()])
        return convert(table, to)

    def costs(self, **filters: Any) -> Any:
        """The costs table (one row per scenario and stage); filters as :meth:`table`."""
        return self.table("costs", **filters)

    def hydros(self, **filters: Any) -> Any:
        return self.table("hydros", **filters)

    def thermals(self, **filters: Any) -> Any:
        return self.table("thermals", **filters)

    def buses(self, **filters: Any) -> Any:
        return self.table("buses", **filters)

    def exchanges(self, **filters: Any) -> Any:
        return self.table("exchanges", **filters)

    def non_controllables(self, **filters: Any) -> Any:
        return self.table("non_controllables", **filters)

    def inflow_lags(self, **filters: Any) -> Any:
        return self.table("inflow_lags", **filters)

    def __repr__(self) -> str:
        parts = [
            name
            for name, present in (
                ("training", self.outputs.has_training),
                ("policy", self.outputs.has_policy),
                ("simulation", self.outputs.has_simulation),
            )
            if present
        ]
        return f"Results({str(self.path)!r}: {', '.join(parts) or 'empty'})"
