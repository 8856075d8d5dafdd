"""Model of ``constraints/generic_constraints.json``: user-defined linear constraints.

Only the JSON shape is modelled here; the ``expression`` string (``coef * name(id[, block])``
terms joined by ``+``/``-``) is parsed elsewhere. Right-hand sides come from
``constraints/generic_constraint_bounds.parquet``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.ids import Int32

ConstraintSense = Literal[">=", "<=", "=="]
"""Comparison sense of a generic constraint."""


class SlackConfig(CaseModel):
    """Whether a generic constraint may be violated, and at what cost."""

    enabled: bool = Field(description="Whether a penalised slack variable is added [-]")
    penalty: float | None = Field(
        default=None,
        description=(
            "Cost per unit of violation per hour [$/(unit·h)]; must be > 0 when enabled "
            "(checked by the validator)"
        ),
    )


class GenericConstraint(CaseModel):
    """One user-defined linear constraint over LP variables."""

    id: Int32 = Field(description="Constraint id, unique within the file [-]")
    name: str = Field(description="Short name for reports and logs [-]")
    description: str | None = Field(default=None, description="Human-readable description [-]")
    expression: str = Field(
        description="Linear expression, e.g. '2.5 * thermal_generation(5) - hydro_generation(3)'"
    )
    sense: ConstraintSense = Field(description="Comparison of the expression with its bound [-]")
    slack: SlackConfig = Field(description="Slack (soft constraint) settings [-]")


class GenericConstraintsFile(CaseFileModel):
    """Contents of ``constraints/generic_constraints.json`` (optional file)."""

    RELATIVE_PATH: ClassVar[str] = "constraints/generic_constraints.json"

    constraints: tuple[GenericConstraint, ...] = Field(description="Constraint entries [-]")
