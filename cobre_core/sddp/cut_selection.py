"""Cut selection: which cuts of a stage's pool stay in its LP (``training.cut_selection``).

A cut ``theta >= alpha + pi . x`` is *binding* at a state ``x`` when it is within the activity
tolerance of the pool's maximum there (the value the LP gives theta at that state, since theta's
objective coefficient is positive). Activity is recorded in the forward solves: after each forward
pass, before the backward pass adds the iteration's cuts, the cuts of stage ``t`` are evaluated at
the states stage ``t`` passed on (the incoming states of stage ``t + 1``). A cut is therefore first
judged at the iteration after its birth.

Contract: ``keep(stats, iteration, visited) -> bool mask`` over the pool's cuts, run every
``check_frequency`` iterations. Methods (upstream's names):

* :class:`Level1` - keep a cut bound more than ``threshold`` times so far (de Matos, Philpott and
  Finardi's level-1 dominance);
* :class:`LimitedMemoryLevel1` (``lml1``) - keep a cut bound within the last ``memory_window``
  iterations;
* :class:`Domination` - keep a cut within ``epsilon`` of the maximum at some visited state.

Cuts born in the current iteration are always kept. ``max_active_per_stage`` then caps the pool,
dropping the cuts bound least recently (oldest first on ties). Removed cuts are deleted from every
lane's LP; they are not part of the written policy.

Deviation: upstream counts a cut as binding when its LP dual exceeds ``cut_activity_tolerance``;
this reads the primal gap to the pool maximum instead (same cuts where the LP solution is unique;
it keeps every cut tied at the maximum rather than the one the simplex picked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from cobre_core.model.config import CutSelectionConfig

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


@dataclass
class CutActivity:
    """Per-cut bookkeeping of one stage's pool, aligned with the pool's cut order."""

    born: list[int] = field(default_factory=list)  # iteration the cut was added
    count: list[int] = field(default_factory=list)  # times found binding
    last: list[int] = field(default_factory=list)  # last iteration found binding (born if never)
    target: list[int] = field(default_factory=list)  # multi-cut opening it bounds (0 single)

    def append(self, iteration: int, m: int, targets: NDArray[np.int64] | None = None) -> None:
        self.born.extend([iteration] * m)
        self.count.extend([0] * m)
        self.last.extend([iteration] * m)
        self.target.extend([0] * m if targets is None else [int(x) for x in targets])

    def keep_only(self, mask: BoolArray) -> None:
        idx = np.flatnonzero(mask)
        self.born = [self.born[i] for i in idx]
        self.count = [self.count[i] for i in idx]
        self.last = [self.last[i] for i in idx]
        self.target = [self.target[i] for i in idx]


def cut_values(alpha: FloatArray, pi: FloatArray, states: FloatArray) -> FloatArray:
    """Values ``(states, cuts)`` of every cut at every state."""
    return states @ pi.T + alpha[None, :]


def binding(
    alpha: FloatArray,
    pi: FloatArray,
    states: FloatArray,
    tol: float,
    targets: list[int] | None = None,
) -> BoolArray:
    """``(states, cuts)``: cut within ``tol`` (relative to max(1, |max|)) of the maximum.

    With multi-cut ``targets`` (the opening each cut bounds), the maximum is taken among the cuts
    of the same opening.
    """
    v = cut_values(alpha, pi, states)
    if targets is None or len(set(targets)) <= 1:
        top = v.max(axis=1, keepdims=True)
        return v >= top - tol * np.maximum(1.0, np.abs(top))
    group = np.asarray(targets)
    out = np.zeros(v.shape, dtype=bool)
    for g in np.unique(group):
        cols = group == g
        sub = v[:, cols]
        top = sub.max(axis=1, keepdims=True)
        out[:, cols] = sub >= top - tol * np.maximum(1.0, np.abs(top))
    return out


class CutSelector(Protocol):
    """A selection rule: a mask of the cuts to keep."""

    name: str

    def keep(
        self,
        alpha: FloatArray,
        pi: FloatArray,
        activity: CutActivity,
        iteration: int,
        visited: FloatArray,
    ) -> BoolArray: ...


@dataclass(frozen=True)
class Level1:
    """Keep cuts found binding more than ``threshold`` times."""

    threshold: int = 0
    name: str = "level1"

    def keep(
        self,
        alpha: FloatArray,
        pi: FloatArray,
        activity: CutActivity,
        iteration: int,
        visited: FloatArray,
    ) -> BoolArray:
        return np.asarray(activity.count) > self.threshold


@dataclass(frozen=True)
class LimitedMemoryLevel1:
    """Keep cuts found binding within the last ``memory_window`` iterations."""

    memory_window: int
    name: str = "lml1"

    def keep(
        self,
        alpha: FloatArray,
        pi: FloatArray,
        activity: CutActivity,
        iteration: int,
        visited: FloatArray,
    ) -> BoolArray:
        return iteration - np.asarray(activity.last) < self.memory_window


@dataclass(frozen=True)
class Domination:
    """Keep cuts within ``epsilon`` of the pool maximum at one visited state at least."""

    epsilon: float = 1e-6
    name: str = "domination"

    def keep(
        self,
        alpha: FloatArray,
        pi: FloatArray,
        activity: CutActivity,
        iteration: int,
        visited: FloatArray,
    ) -> BoolArray:
        if visited.shape[0] == 0:
            return np.ones(alpha.size, dtype=bool)
        return binding(alpha, pi, visited, self.epsilon, activity.target).any(axis=0)


@dataclass(frozen=True)
class CutSelection:
    """A configured selection: the rule, how often it runs and the activity tolerance."""

    selector: CutSelector
    check_frequency: int = 1
    activity_tolerance: float = 1e-6
    max_active_per_stage: int | None = None

    def due(self, iteration: int) -> bool:
        return iteration % max(1, self.check_frequency) == 0

    def keep(
        self,
        alpha: FloatArray,
        pi: FloatArray,
        activity: CutActivity,
        iteration: int,
        visited: FloatArray,
    ) -> BoolArray:
        """Mask of cuts to keep: the rule, new cuts always, then the per-stage cap."""
        mask = np.asarray(self.selector.keep(alpha, pi, activity, iteration, visited), dtype=bool)
        mask |= np.asarray(activity.born) == iteration
        cap = self.max_active_per_stage
        if cap is not None and cap > 0 and int(mask.sum()) > cap:
            kept = np.flatnonzero(mask)
            last = np.asarray(activity.last)[kept]
            # most recently binding first; among equals the newest cut first
            order = np.lexsort((-kept, -last))
            mask = np.zeros_like(mask)
            mask[kept[order[:cap]]] = True
        return mask


def selection_from_config(cfg: CutSelectionConfig) -> CutSelection | None:
    """The selection ``training.cut_selection`` asks for, or None when it is off."""
    if not cfg.enabled or cfg.method is None:
        return None
    selector: CutSelector
    if cfg.method == "level1":
        selector = Level1(threshold=int(cfg.threshold or 0))
    elif cfg.method == "lml1":
        window = cfg.memory_window if cfg.memory_window is not None else cfg.threshold
        selector = LimitedMemoryLevel1(memory_window=max(1, int(window or 1)))
    else:
        eps = cfg.domination_epsilon if cfg.domination_epsilon is not None else 1e-6
        selector = Domination(epsilon=float(eps))
    return CutSelection(
        selector=selector,
        check_frequency=max(1, int(cfg.check_frequency or 1)),
        activity_tolerance=(
            float(cfg.cut_activity_tolerance) if cfg.cut_activity_tolerance is not None else 1e-6
        ),
        max_active_per_stage=cfg.max_active_per_stage or None,
    )
