"""Parser of generic-constraint expressions: ``coef * name(id[, block])`` terms joined by + / -.

Examples: ``thermal_generation(0)``, ``2.5 * hydro_turbined(3) - thermal_generation(1, 0)``.
"""

from __future__ import annotations

import re

from cobre_core.system.stage_data import GenericTerm

#: Variables that enter the LP.
LP_VARIABLES = frozenset(
    {
        "hydro_storage",
        "hydro_turbined",
        "hydro_spillage",
        "hydro_outflow",
        "hydro_generation",
        "hydro_diversion",
        "hydro_evaporation",
        "thermal_generation",
        "line_direct",
        "line_reverse",
        "line_exchange",
        "bus_deficit",
        "bus_excess",
    }
)
#: Variables that parse but contribute nothing (as upstream).
IGNORED_PREFIXES = ("hydro_withdrawal", "pumping_", "contract_", "non_controllable_")

_TERM = re.compile(
    r"\s*(?P<sign>[+-])?\s*(?:(?P<coef>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\s*\*\s*)?"
    r"(?P<name>[a-z_]+)\s*\(\s*(?P<id>-?\d+)\s*(?:,\s*(?P<block>\d+)\s*)?\)\s*"
)


class ExpressionError(ValueError):
    """The expression does not follow the grammar; the message says where."""


def parse_expression(text: str) -> tuple[GenericTerm, ...]:
    """Parse an expression into terms; unknown variable names raise :class:`ExpressionError`."""
    terms: list[GenericTerm] = []
    pos = 0
    while pos < len(text):
        m = _TERM.match(text, pos)
        if m is None or m.end() == pos:
            raise ExpressionError(f"cannot parse expression at character {pos}: {text[pos:]!r}")
        if terms and m.group("sign") is None:
            raise ExpressionError(f"missing '+' or '-' before term at character {pos}")
        name = m.group("name")
        if name not in LP_VARIABLES and not name.startswith(IGNORED_PREFIXES):
            raise ExpressionError(f"unknown variable {name!r}")
        coef = float(m.group("coef")) if m.group("coef") else 1.0
        if m.group("sign") == "-":
            coef = -coef
        block = m.group("block")
        terms.append(
            GenericTerm(coef, name, int(m.group("id")), int(block) if block is not None else None)
        )
        pos = m.end()
    if not terms:
        raise ExpressionError("empty expression")
    return tuple(terms)
