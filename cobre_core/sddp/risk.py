"""Risk measures: how one stage's opening values and cuts are aggregated into a single cut.

Contract: ``weights(values)`` returns the probability weights (summing to 1) applied to the
openings' cut intercepts and coefficients, given each opening's objective value. By the
risk-averse subgradient theorem the weighted cut is a valid cut of the risk-adjusted cost-to-go.

The measure of stage ``t`` (``stages[].risk_measure``) aggregates the openings of stage ``t`` into
the cut added to stage ``t - 1``; stage 0's measure aggregates the stage-0 openings into the lower
bound. The nested value is ``rho_0[c_0 + d_0 rho_1[c_1 + ...]]`` (time consistent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from cobre_core.model.stages import CVaRRiskMeasure
from cobre_core.model.stages import RiskMeasure as StageRiskMeasure
from cobre_core.system.case import Case

FloatArray = NDArray[np.float64]


class RiskMeasure(Protocol):
    """Aggregation weights over openings."""

    def weights(self, values: FloatArray) -> FloatArray: ...


class Expectation:
    """Risk-neutral: uniform weights over the openings."""

    def weights(self, values: FloatArray) -> FloatArray:
        return np.full(values.size, 1.0 / values.size)


@dataclass(frozen=True)
class CVaR:
    """Upstream's CVaR measure ``{"cvar": {"alpha", "lambda"}}`` over uniformly likely openings.

    ``alpha`` is the upper-tail mass (0.5 averages the worst half), ``lambda_`` the weight of the
    CVaR term. Weights as upstream computes them: each opening may carry at most
    ``(1 - lambda) p + lambda p / alpha`` and the most expensive openings are filled first until
    the weights sum to 1.

    That is exactly ``(1 - lambda) E + lambda CVaR_alpha`` when ``lambda`` is 0 or 1 or
    ``alpha`` is 1. In between it has no ``(1 - lambda) p`` floor, so it is the pure
    ``CVaR`` at the tail mass :attr:`effective_alpha` ``= alpha / (lambda + (1 - lambda) alpha)``,
    which is more risk-averse than the convex combination the docs describe. Kept for parity
    (a study moved between Cobre and us gets the same cuts); documented in docs/engine.md.

    Not for ``alpha`` outside (0, 1] or ``lambda_`` outside [0, 1] (validation rejects those).
    """

    alpha: float
    lambda_: float

    @property
    def effective_alpha(self) -> float:
        """Tail mass of the pure CVaR these weights compute."""
        return self.alpha / (self.lambda_ + (1.0 - self.lambda_) * self.alpha)

    def weights(self, values: FloatArray) -> FloatArray:
        n = values.size
        p = 1.0 / n
        cap = (1.0 - self.lambda_) * p + self.lambda_ * p / self.alpha
        w = np.zeros(n)
        remaining = 1.0
        # worst first; ties broken by opening index so the weights are deterministic
        for o in np.argsort(-values, kind="stable"):
            take = min(cap, remaining)
            w[o] = take
            remaining -= take
            if remaining <= 0.0:
                break
        return w


def risk_measure_of(spec: StageRiskMeasure) -> RiskMeasure:
    """The measure a stage's ``risk_measure`` field describes."""
    if isinstance(spec, CVaRRiskMeasure):
        params = spec.cvar
        if params.lambda_ == 0.0 or params.alpha >= 1.0:
            return Expectation()
        return CVaR(alpha=float(params.alpha), lambda_=float(params.lambda_))
    return Expectation()


def stage_risk_measures(specs: Sequence[StageRiskMeasure]) -> list[RiskMeasure]:
    """One measure per study stage, in stage order."""
    return [risk_measure_of(s) for s in specs]


def case_risk_measures(case: Case) -> list[RiskMeasure]:
    """The risk measure of every study stage of ``case``, in stage order."""
    study = sorted(case.stages_file.stages, key=lambda s: s.id)
    return stage_risk_measures([s.risk_measure for s in study])
