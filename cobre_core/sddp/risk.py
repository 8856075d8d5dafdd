"""Risk measures: how one stage's opening values and cuts are aggregated into a single cut.

Contract: ``weights(values)`` returns the probability weights (summing to 1) applied to the
openings' cut intercepts and coefficients, given each opening's objective value.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class RiskMeasure(Protocol):
    """Aggregation weights over openings."""

    def weights(self, values: NDArray[np.float64]) -> NDArray[np.float64]: ...


class Expectation:
    """Risk-neutral: uniform weights over the openings."""

    def weights(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.full(values.size, 1.0 / values.size)
