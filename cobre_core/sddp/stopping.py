"""Stopping rules (cobre-formulation.md §5) behind one contract: ``should_stop(history)``.

``history`` is the list of convergence records so far (1-based iteration in each). Rules combine
with ``stopping_mode`` "any" (default) or "all".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

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


def rules_from_config(training: TrainingConfig) -> list[StoppingRule]:
    """Instantiate the configured rules (a simulation rule acts as an iteration limit of 100)."""
    out: list[StoppingRule] = []
    for rule in training.stopping_rules or ():
        if isinstance(rule, IterationLimitRule):
            out.append(IterationLimit(rule.limit))
        elif isinstance(rule, TimeLimitRule):
            out.append(TimeLimit(rule.seconds))
        elif isinstance(rule, BoundStallingRule):
            out.append(BoundStalling(rule.iterations, rule.tolerance))
        elif isinstance(rule, SimulationRule):
            out.append(IterationLimit(100, name="simulation"))
    if not out:
        out.append(IterationLimit(100))
    return out


def check(rules: Sequence[StoppingRule], mode: str, progress: Progress) -> str | None:
    """Termination reason, or None to continue."""
    hits = [r.name for r in rules if r.should_stop(progress)]
    if mode == "all":
        return ",".join(hits) if hits and len(hits) == len(rules) else None
    return hits[0] if hits else None
