"""Where forward-pass and simulation noise comes from: the sampling-scheme contract.

A :class:`ScenarioSampler` hands out one :class:`PathNoise` per sample path; the path then gives
the effective noise vector of each stage for the incoming state it is at. Training asks for path
``(iteration, scenario)``, simulation for path ``(scenario,)``. The backward pass never samples:
it always visits every opening of the fixed tree.

Contract:

* ``sampler.path(key)`` is deterministic in ``key`` (never in call order or thread count);
* ``path.noise(t, state)`` is called once per stage, in stage order, and returns the *effective*
  noise vector (after the inflow non-negativity treatment), of the case's noise dimension.

:class:`InSample` is the default (upstream's ``in_sample``): each stage picks one opening of the
tree. Other schemes (out of sample, external, historical) live in
:mod:`cobre_core.stochastic.sampling_schemes` and follow the same contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from cobre_core.sddp.problem import Problem
from cobre_core.stochastic.noise import forward_openings, simulation_openings

FloatArray = NDArray[np.float64]


class PathNoise(Protocol):
    """Noise of one sample path, stage by stage."""

    def noise(self, t: int, state: FloatArray) -> FloatArray:
        """Effective noise vector ``(dim,)`` of stage ``t`` for the incoming ``state``."""
        ...


class ScenarioSampler(Protocol):
    """A sampling scheme: one :class:`PathNoise` per path key."""

    name: str

    def path(self, key: Sequence[int]) -> PathNoise:
        """The path ``key`` names: ``(iteration, scenario)`` in training, ``(scenario,)`` after."""
        ...


class _TreePath:
    """A path through the opening tree: one opening index per stage."""

    __slots__ = ("_picks", "_problem")

    def __init__(self, problem: Problem, picks: NDArray[np.int64]) -> None:
        self._problem = problem
        self._picks = picks

    def noise(self, t: int, state: FloatArray) -> FloatArray:
        return self._problem.realize(t, state, int(self._picks[t]))


class InSample:
    """Upstream's ``in_sample``: every stage draws one opening of the backward tree, uniformly.

    Training paths use ``forward_openings(seed, iteration, scenario)``, simulation paths
    ``simulation_openings(seed, scenario)`` (:mod:`cobre_core.stochastic.noise`).
    """

    name = "in_sample"

    def __init__(self, problem: Problem, seed: int) -> None:
        self._problem = problem
        self._seed = int(seed)
        self._tree_counts = [problem.tree.count(t) for t in range(problem.num_stages)]
        self._stage_counts = [s.num_openings for s in problem.case.stages]

    def picks(self, key: Sequence[int]) -> NDArray[np.int64]:
        """The opening index of every stage on path ``key``."""
        if len(key) == 2:
            return forward_openings(self._seed, int(key[0]), int(key[1]), self._stage_counts)
        return simulation_openings(self._seed, int(key[0]), self._tree_counts)

    def path(self, key: Sequence[int]) -> PathNoise:
        return _TreePath(self._problem, self.picks(key))
