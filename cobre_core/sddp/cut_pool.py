"""Cut pools and the cut rows each solver actually holds (a lazy active set).

A stage's :class:`CutPool` holds every cut of its future cost, ``theta_target >= alpha + pi . x``,
in scaled units. A solver's LP need not hold them all: :class:`CutRows` records which pool cuts sit
in one lane's LP of the stage, in row order. A solve of that LP is only accepted once no pool cut
outside it is violated at its solution (one matrix product checks every cut, for one solution or a
batch of them); violated cuts are added and the LP re-solved from its basis. The accepted solution
then satisfies every pool cut, so it is optimal for the LP with the whole pool: same objective, and
its duals (zero on the absent cuts) are optimal duals of that LP. Rows whose cut has not been
binding for a while are dropped (:meth:`CutRows.review`), which keeps the LPs small: HiGHS's cost
per solve grows with the row count (measured on 4ree, about 0.15 ms plus 1.1 us per row, before
any pivot).

Each lane decides its rows from its own sequence of solves, so results do not depend on how many
threads or processes run the lanes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from cobre_core.sddp.cut_selection import CutActivity

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# A pool cut outside the LP counts as violated when its value exceeds its theta by more than
# VIOLATION_ABS + VIOLATION_REL * |value| (scaled units, like HiGHS's 1e-7 feasibility tolerance).
VIOLATION_ABS = 1e-7
VIOLATION_REL = 1e-9
# A row counts as binding (worth keeping) within this share of |theta| of its theta.
BINDING_REL = 1e-6
# Rows not binding in the solves since this many row reviews ago are dropped.
KEEP_REVIEWS = 8


class CutCheck(NamedTuple):
    """What :meth:`CutRows.check` found at a batch of solutions (indices into the batch).

    * ``violating``: solves whose solution violates a pool cut outside the LP; re-solve them
      after adding ``cuts``, the union of those cuts (pool indices).
    * ``unsound``: solves whose solution is not optimal for the LP's own rows, whatever HiGHS
      reported: a theta above its lower bound 0 that no row of the LP holds up (none binds;
      an optimum lowers theta until one does, since theta costs), or a cut row of the LP
      violated by more than ``BINDING_REL`` of theta. Re-solve them from a cold start. HiGHS
      1.15.1 was seen to return the first kind after a warm start on a 4ree stage LP, with row
      activities that no longer matched its columns and theta 20 times the optimum.
    """

    violating: IntArray
    cuts: IntArray
    unsound: IntArray


@dataclass
class CutPool:
    """Cuts of one stage's future cost, in scaled units: theta_target >= alpha + pi . x_out.

    Stored in growing numpy arrays so a solver can evaluate every cut at its solution in one
    product. ``activity`` tracks when each cut was born and found binding for cut selection
    (:mod:`cobre_core.sddp.cut_selection`); ``removed`` counts cuts that selection deleted.
    """

    dim: int
    first_row: int = 0
    activity: CutActivity = field(default_factory=CutActivity)
    removed: int = 0
    _size: int = 0

    def __post_init__(self) -> None:
        # one row per cut: (pi_1 .. pi_dim, alpha), so one product with (x, 1) evaluates them all
        self._cut: FloatArray = np.zeros((0, self.dim + 1))
        self._target: IntArray = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return self._size

    @property
    def alpha(self) -> FloatArray:
        """Intercepts, one per cut (a read-only view)."""
        return _frozen(self._cut[: self._size, self.dim])

    @property
    def pi(self) -> FloatArray:
        """Coefficients ``(cuts, dim)`` (a read-only view)."""
        return _frozen(self._cut[: self._size, : self.dim])

    @property
    def target(self) -> IntArray:
        """The opening (multi-cut theta) each cut bounds; 0 with a single theta."""
        return _frozen(self._target[: self._size])

    def select(self, cuts: IntArray) -> tuple[FloatArray, FloatArray, IntArray]:
        """Intercepts, coefficients and targets of the cuts ``cuts`` (pool indices), read with
        one gather: ``(alpha[cuts], pi[cuts], target[cuts])`` as views of one new array."""
        rows = self._cut[cuts]
        return rows[:, self.dim], rows[:, : self.dim], self._target[cuts]

    def arrays(self) -> tuple[FloatArray, FloatArray]:
        """Copies of the intercepts ``(m,)`` and coefficients ``(m, dim)``."""
        return self.alpha.copy(), self.pi.copy()

    def append(
        self, alphas: FloatArray, pis: FloatArray, iteration: int, targets: IntArray
    ) -> None:
        """Add cuts at the end (they get pool indices ``len(self)`` onwards)."""
        m = int(alphas.size)
        need = self._size + m
        if need > self._target.size:
            cap = max(need, 2 * self._target.size, 64)
            self._cut = _grown(self._cut, (cap, self.dim + 1))
            self._target = _grown(self._target, (cap,))
        self._cut[self._size : need, : self.dim] = np.asarray(pis, dtype=np.float64).reshape(
            m, self.dim
        )
        self._cut[self._size : need, self.dim] = alphas
        self._target[self._size : need] = targets
        self._size = need
        self.activity.append(iteration, m, targets)

    def keep_only(self, keep: BoolArray) -> None:
        """Drop the cuts ``keep`` does not flag; the rest keep their order."""
        idx = np.flatnonzero(keep)
        n = idx.size
        self._cut[:n] = self._cut[idx]
        self._target[:n] = self._target[idx]
        self.removed += self._size - n
        self._size = n
        self.activity.keep_only(keep)


class CutRows:
    """Which cuts of a stage's pool are rows of one lane's LP, and when each last mattered.

    ``members[k]`` is the pool index of LP row ``first_row + k``. ``last_used[i]`` is the solve
    count at which pool cut ``i`` was last binding in this LP (or added to it).
    """

    def __init__(self, first_row: int) -> None:
        self.first_row = first_row
        self.members: IntArray = np.zeros(0, dtype=np.int64)
        self.in_lp: BoolArray = np.zeros(0, dtype=bool)
        self.last_used: IntArray = np.zeros(0, dtype=np.int64)
        self.solves = 0
        self._reviews: list[int] = []

    def appended(self, m: int) -> None:
        """``m`` new pool cuts were appended to the pool and to this LP."""
        n = self.in_lp.size
        self.members = np.concatenate([self.members, np.arange(n, n + m, dtype=np.int64)])
        self.in_lp = np.concatenate([self.in_lp, np.ones(m, dtype=bool)])
        self.last_used = np.concatenate([self.last_used, np.full(m, self.solves, np.int64)])

    def pool_kept(self, keep: BoolArray) -> IntArray:
        """The pool dropped the cuts ``keep`` does not flag: renumber, and return the LP rows
        (positions from ``first_row``) that held dropped cuts, for deletion."""
        gone = np.flatnonzero(~keep[self.members])
        new_index = np.cumsum(keep) - 1
        self.members = new_index[self.members[keep[self.members]]]
        self.in_lp = self.in_lp[keep]
        self.last_used = self.last_used[keep]
        return gone

    def readded(self, cuts: IntArray) -> None:
        """Pool cuts ``cuts`` were appended to the LP as rows (after the present members)."""
        self.members = np.concatenate([self.members, cuts])
        self.in_lp[cuts] = True
        self.last_used[cuts] = self.solves

    def review(self) -> IntArray:
        """Drop rows not binding since ``KEEP_REVIEWS`` reviews ago; returns their positions."""
        self._reviews.append(self.solves)
        if len(self._reviews) <= KEEP_REVIEWS:
            return np.zeros(0, dtype=np.int64)
        since = self._reviews[-1 - KEEP_REVIEWS]
        self._reviews = self._reviews[-KEEP_REVIEWS - 1 :]
        stale = self.last_used[self.members] < since
        positions = np.flatnonzero(stale)
        if positions.size:
            self.in_lp[self.members[positions]] = False
            self.members = self.members[~stale]
        return positions

    def check(self, pool: CutPool, points: FloatArray) -> CutCheck:
        """Note binding rows at ``m`` solutions, find the pool cuts outside the LP they violate,
        and the solutions that are not optimal for the LP's own rows (unsound).

        Row ``j`` of ``points`` ``(m, dim + k)`` is what solve ``j`` read: the outgoing state
        ``x_1 .. x_dim``, then the value of each cut target's theta column (``k`` of them). Runs
        after every accepted solve (or batch of solves), so it keeps to a few numpy calls: the
        pool stores cuts as rows ``(pi, alpha)`` and one product with ``(x, 1)`` evaluates them
        all. See :class:`CutCheck` for what it returns.
        """
        m = points.shape[0]
        self.solves += m
        n = len(pool)
        if n == 0 or m == 0:
            return _NO_FINDING
        d = pool.dim
        cut = pool._cut[:n]
        # (m, k): every theta column a cut of the pool bounds, viewed before points is copied
        thetas = points[:, d:]
        if points.shape[1] == d + 1:  # one theta per solve
            if m == 1:
                return self._check_one(cut, points[0], n)
            theta = points[:, d : d + 1]  # (m, 1), broadcast over the cuts; the caller's array
            points = points.copy()  # stays as it is, so theta can view it
            points[:, d] = 1.0
            # (m, n): alpha + pi . x, one row per solve (reductions then run along rows)
            value = points @ cut.T
        else:  # multi-cut: each cut bounds its own theta, (m, n)
            theta = points[:, d + pool._target[:n]]
            value = points[:, :d] @ cut[:, :d].T
            value += cut[:, d]
        # |value| ~ |theta| wherever a test is close, so theta's size sets both tolerances
        scale = np.abs(theta)
        scale += 1.0
        members = self.members
        # thetas above their lower bound 0, which some LP row must then hold up
        lifted = thetas > BINDING_REL * (np.abs(thetas) + 1.0)
        if members.size:  # stamp LP rows binding in any solve (only rows are ever reviewed)
            low = theta - BINDING_REL * scale
            held = np.take(value, members, axis=1)
            hit = held >= (np.take(low, members, axis=1) if low.shape[1] > 1 else low)
            self.last_used[members[hit.any(axis=0)]] = self.solves
            if lifted.shape[1] == 1:
                lifted[:, 0] &= ~hit.any(axis=1)
            else:  # per theta_o: rows of its own cuts
                lifted &= (hit @ _one_hot(pool._target[members], lifted.shape[1])) == 0
        high = theta + (VIOLATION_ABS + VIOLATION_REL * scale)
        if high.shape[1] == 1 and not (value.max(axis=1) > high[:, 0]).any():
            # the usual case: nothing is violated
            return CutCheck(
                _NONE, _NONE, lifted.any(axis=1).nonzero()[0] if lifted.any() else _NONE
            )
        if members.size:  # a row of the LP itself violated: HiGHS's solution is not feasible
            broken = np.take(value - (theta + BINDING_REL * scale), members, axis=1) > 0
            lifted[:, 0] |= broken.any(axis=1)  # (column 0 stands for the whole solve here)
        unsound = lifted.any(axis=1).nonzero()[0] if lifted.any() else _NONE
        over = value > high
        over &= ~self.in_lp[:n]
        cuts = over.any(axis=0).nonzero()[0]
        if not cuts.size:
            return CutCheck(_NONE, _NONE, unsound)
        return CutCheck(over.any(axis=1).nonzero()[0], cuts, unsound)

    def _check_one(self, cut: FloatArray, point: FloatArray, n: int) -> CutCheck:
        """:meth:`check` of one solution with one theta, on 1-d arrays (the forward pass's case)."""
        d = point.size - 1
        theta = float(point[d])
        x = point.copy()
        x[d] = 1.0
        value = cut @ x  # (n,): alpha + pi . x
        scale = abs(theta) + 1.0
        members = self.members
        held_up = theta <= BINDING_REL * scale  # at its lower bound 0
        if members.size:
            binding = members[value[members] >= theta - BINDING_REL * scale]
            self.last_used[binding] = self.solves
            held_up = held_up or binding.size > 0
        high = theta + (VIOLATION_ABS + VIOLATION_REL * scale)
        if not value.max() > high:
            return CutCheck(_NONE, _NONE, _NONE if held_up else _FIRST)
        broken = members.size and value[members].max() > theta + BINDING_REL * scale
        unsound = _FIRST if broken or not held_up else _NONE
        cuts = ((value > high) & ~self.in_lp[:n]).nonzero()[0]
        return CutCheck(_FIRST if cuts.size else _NONE, cuts, unsound)


_NONE: IntArray = np.zeros(0, dtype=np.int64)
_NONE.flags.writeable = False
_FIRST: IntArray = np.zeros(1, dtype=np.int64)
_FIRST.flags.writeable = False
_NO_FINDING = CutCheck(_NONE, _NONE, _NONE)


def _one_hot(targets: IntArray, k: int) -> FloatArray:
    """``(len(targets), k)``: row ``i`` is 1 in column ``targets[i]``."""
    out = np.zeros((targets.size, k))
    out[np.arange(targets.size), targets] = 1.0
    return out


def _grown(a: NDArray, shape: tuple[int, ...]) -> NDArray:
    out = np.zeros(shape, dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


def _frozen(a: NDArray) -> NDArray:
    view = a.view()
    view.flags.writeable = False
    return view
