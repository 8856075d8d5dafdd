"""Stopping rules (cobre-formulation.md §5) behind one contract: ``should_stop(progress)``.

``progress`` carries the 1-based iteration, the elapsed time, the lower bounds so far and a way to
simulate the current policy. Rules combine with ``stopping_mode`` "any" (default) or "all".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from cobre_core.model.config import (
    BoundStallingRule,
    IterationLimitRule,
    SimulationRule,
    TimeLimitRule,
    TrainingConfig,
)


@dataclass(frozen=True)
class Progress:
    """What the rules look at after an iteration."""

    iteration: int
    elapsed_seconds: float
    lower_bounds: Sequence[float]
    simulate: Callable[[int], NDArray[np.float64]] | None = None
    """``simulate(n)``: mean discounted cost per stage of ``n`` policy simulations, in $."""


class StoppingRule(Protocol):
    """Decides, after each iteration, whether training may stop; ``name`` is the reason."""

    name: str

    def should_stop(self, progress: Progress) -> bool: ...


@dataclass(frozen=True)
class IterationLimit:
    limit: int
    name: str = "iteration_limit"

    def should_stop(self, progress: Progress) -> bool:
        return progress.iteration >= self.limit


@dataclass(frozen=True)
class TimeLimit:
    seconds: float
    name: str = "time_limit"

    def should_stop(self, progress: Progress) -> bool:
        return progress.elapsed_seconds >= self.seconds


@dataclass(frozen=True)
class BoundStalling:
    """Relative change of the lower bound over the last ``iterations`` entries below tolerance."""

    iterations: int
    tolerance: float
    name: str = "bound_stalling"

    def should_stop(self, progress: Progress) -> bool:
        lbs = progress.lower_bounds
        if self.iterations < 1 or len(lbs) < self.iterations:
            return False
        now, then = lbs[-1], lbs[-self.iterations]
        return abs(now - then) / max(1.0, abs(now)) < self.tolerance


@dataclass
class SimulationStopping:
    """Stop when the bound is stable and simulated per-stage costs stop moving.

    Every ``period`` iterations: the bound is stable when
    ``|LB_k - LB_{k-w}| < bound_tol * max(1, |LB_k|)`` (``w = bound_window``). Only then the
    policy is simulated over ``replications`` paths (the same paths every time, so two checks
    compare policies, not samples) and the mean discounted cost per stage ``c_t`` is compared with
    the previous simulation's: ``d = sqrt(sum_t ((c_t - c_t_old) / max(1, |c_t_old|))^2)``. Stop
    when ``d < distance_tol``. The first simulation only sets the reference.

    Upstream parses this rule but runs it as an iteration limit of 100; this is the rule its
    stopping-rules spec describes.
    """

    replications: int
    period: int
    bound_window: int
    distance_tol: float
    bound_tol: float
    name: str = "simulation"
    previous: NDArray[np.float64] | None = field(default=None, repr=False)

    def should_stop(self, progress: Progress) -> bool:
        k = progress.iteration
        lbs = progress.lower_bounds
        w = max(0, self.bound_window)
        if progress.simulate is None or k % max(1, self.period) != 0 or len(lbs) <= w:
            return False
        now, then = lbs[-1], lbs[-1 - w]
        if abs(now - then) >= self.bound_tol * max(1.0, abs(now)):
            return False
        costs = np.asarray(progress.simulate(max(1, self.replications)), dtype=np.float64)
        old, self.previous = self.previous, costs
        if old is None:
            return False
        d = float(np.sqrt(np.sum(((costs - old) / np.maximum(1.0, np.abs(old))) ** 2)))
        return d < self.distance_tol


def rules_from_config(training: TrainingConfig) -> list[StoppingRule]:
    """Instantiate the configured rules (no rule at all means an iteration limit of 100)."""
    out: list[StoppingRule] = []
    for rule in training.stopping_rules or ():
        if isinstance(rule, IterationLimitRule):
            out.append(IterationLimit(rule.limit))
        elif isinstance(rule, TimeLimitRule):
            out.append(TimeLimit(rule.seconds))
        elif isinstance(rule, BoundStallingRule):
            out.append(BoundStalling(rule.iterations, rule.tolerance))
        elif isinstance(rule, SimulationRule):
            out.append(
                SimulationStopping(
                    rule.replications,
                    rule.period,
                    rule.bound_window,
                    rule.distance_tol,
                    rule.bound_tol,
                )
            )
    if not out:
        out.append(IterationLimit(100))
    return out


def check(rules: Sequence[StoppingRule], mode: str, progress: Progress) -> str | None:
    """Termination reason, or None to continue."""
    hits = [r.name for r in rules if r.should_stop(progress)]
    if mode == "all":
        return ",".join(hits) if hits and len(hits) == len(rules) else None
    return hits[0] if hits else None
