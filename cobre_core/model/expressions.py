"""Parser for the ``expression`` of a generic constraint, shared by validation and the LP.

An expression is a sum of terms ``[coef [*]] name(entity_id[, block_id])`` joined by ``+`` / ``-``,
e.g. ``"2.5 * thermal_generation(5) - hydro_generation(3, 0)"``. :func:`parse_expression` returns
the terms with their registry (which file the id must exist in) so the referential layer can check
them, and the LP builder maps them to columns (``hydro_withdrawal``, ``pumping_*``,
``contract_*`` and ``non_controllable_*`` parse but add nothing to the LP, as upstream).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VARIABLE_REGISTRY: dict[str, str] = {
    "hydro_storage": "hydros",
    "hydro_turbined": "hydros",
    "hydro_spillage": "hydros",
    "hydro_outflow": "hydros",
    "hydro_generation": "hydros",
    "hydro_diversion": "hydros",
    "hydro_evaporation": "hydros",
    "hydro_withdrawal": "hydros",
    "thermal_generation": "thermals",
    "line_direct": "lines",
    "line_reverse": "lines",
    "line_exchange": "lines",
    "bus_deficit": "buses",
    "bus_excess": "buses",
    "pumping_flow": "pumping_stations",
    "pumping_power": "pumping_stations",
    "contract_import": "contracts",
    "contract_export": "contracts",
    "non_controllable_generation": "non_controllable_sources",
    "non_controllable_curtailment": "non_controllable_sources",
}
"""The 20 variable names upstream accepts, mapped to the registry their id refers to."""

_TERM = re.compile(
    r"""\s*(?P<sign>[+-])?\s*
        (?:(?P<coef>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*\*?\s*)?
        (?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*
        \(\s*(?P<id>-?\d+)\s*(?:,\s*(?P<block>-?\d+)\s*)?\)\s*""",
    re.VERBOSE,
)


class ExpressionError(ValueError):
    """The expression text is not a valid generic-constraint expression."""


class UnknownVariableError(ExpressionError):
    """A term names a variable that is not one of :data:`VARIABLE_REGISTRY`."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown variable '{name}'")
        self.name = name


@dataclass(frozen=True)
class Term:
    """One ``coef * name(entity_id[, block_id])`` term of an expression."""

    coefficient: float
    variable: str
    entity_id: int
    block_id: int | None

    @property
    def registry(self) -> str:
        """Registry the entity id refers to (``hydros``, ``thermals``, ...)."""
        return VARIABLE_REGISTRY[self.variable]


def parse_expression(text: str) -> list[Term]:
    """Parse ``text`` into terms; raise :class:`ExpressionError` on syntax or unknown variables."""
    if not text.strip():
        raise ExpressionError("expression is empty")
    terms: list[Term] = []
    pos = 0
    while pos < len(text):
        match = _TERM.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(f"cannot parse the expression at character {pos}: {text[pos:]!r}")
        if terms and match.group("sign") is None:
            raise ExpressionError(f"missing '+' or '-' before term at character {pos}")
        name = match.group("name")
        if name not in VARIABLE_REGISTRY:
            raise UnknownVariableError(name)
        coef = float(match.group("coef")) if match.group("coef") else 1.0
        if match.group("sign") == "-":
            coef = -coef
        block = match.group("block")
        terms.append(Term(coef, name, int(match.group("id")), int(block) if block else None))
        pos = match.end()
    return terms
