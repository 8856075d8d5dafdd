"""The generic-constraint expression parser used by the validator."""

from __future__ import annotations

import pytest

from cobre_core.model.expressions import (
    ExpressionError,
    Term,
    UnknownVariableError,
    parse_expression,
)


def test_parses_terms_with_signs_coefficients_and_blocks() -> None:
    assert parse_expression(
        "2.5 * thermal_generation(5) - hydro_generation(3, 1) + bus_deficit(0)"
    ) == [
        Term(2.5, "thermal_generation", 5, None),
        Term(-1.0, "hydro_generation", 3, 1),
        Term(1.0, "bus_deficit", 0, None),
    ]


def test_single_term_without_coefficient() -> None:
    (term,) = parse_expression("thermal_generation(0)")
    assert term.registry == "thermals"


def test_scientific_coefficient_without_star() -> None:
    (term,) = parse_expression("-1e3 line_direct(2)")
    assert term.coefficient == -1000.0 and term.registry == "lines"


@pytest.mark.parametrize(
    "text", ["", "thermal_generation", "thermal_generation(0) thermal_generation(1)", "2 * (x)"]
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_expression(text)


def test_unknown_variable() -> None:
    with pytest.raises(UnknownVariableError) as info:
        parse_expression("thermal_power(0)")
    assert info.value.name == "thermal_power"
