"""Lane kernels: the per-lane work of the forward pass, backward pass, bound and policy check.

A *lane* is one HiGHS instance per stage (:mod:`cobre_core.sddp.problem`). Work items are given to
lanes by index modulo the number of lanes (forward scenario, backward opening, simulation path),
and each lane handles its items in increasing order, so every instance sees the same sequence of
warm-started solves however the lanes are run: by threads of this process
(:class:`ThreadLanes`) or by worker processes (:mod:`cobre_core.sddp.lane_processes`).

Each kernel fills the entries of its lane in output arrays shaped for all lanes; the runner merges
them. Kinds and their outputs:

* ``forward(iteration, passes)`` -> states ``(F, T, d)``, costs ``(F,)``; rows ``sc % L == lane``;
* ``backward(t, iteration, states_t)`` -> obj ``(F, n_t)``, duals ``(F, n_t, d)``; columns
  ``o % L == lane``;
* ``bound()`` -> obj ``(n_0,)``; entries ``o % L == lane``;
* ``stage_costs(replications)`` -> costs ``(R, T)``; rows ``r % L == lane``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

from cobre_core.sddp.problem import Problem, run_lanes
from cobre_core.sddp.sampling import PathNoise, ScenarioSampler

FloatArray = NDArray[np.float64]


def cumulative_discounts(problem: Problem) -> FloatArray:
    """D_t per stage position: D_0 = 1, D_t = D_{t-1} * d_{t-1} (§3.3)."""
    d = np.array([slp.discount for slp in problem.stage_lps], dtype=np.float64)
    return np.concatenate([[1.0], np.cumprod(d)[:-1]])


def allocate(problem: Problem, kind: str, args: Sequence[Any]) -> tuple[FloatArray, ...]:
    """Output arrays of one kind of lane work, for all lanes."""
    n_t, d = problem.num_stages, problem.state_dim
    if kind == "forward":
        f = int(args[1])
        return np.zeros((f, n_t, d)), np.zeros(f)
    if kind == "backward":
        t, states_t = int(args[0]), args[2]
        n = problem.tree.count(t)
        return np.zeros((states_t.shape[0], n)), np.zeros((states_t.shape[0], n, d))
    if kind == "bound":
        return (np.zeros(problem.tree.count(0)),)
    if kind == "stage_costs":
        return (np.zeros((int(args[0]), n_t)),)
    raise ValueError(f"unknown lane work {kind!r}")


def owned(
    kind: str, mine: Sequence[int], lanes: int, outputs: Sequence[FloatArray]
) -> tuple[Any, ...]:
    """Index expressions selecting the entries of each output of ``kind`` that the lanes
    ``mine`` fill (columns of the backward outputs, rows of the others), in increasing order."""
    n = outputs[0].shape[1 if kind == "backward" else 0]
    picks = _picks(tuple(mine), lanes, n)
    if kind == "backward":
        return tuple((slice(None), picks) for _ in outputs)
    return tuple(picks for _ in outputs)


@functools.lru_cache(maxsize=64)
def _picks(mine: tuple[int, ...], lanes: int, n: int) -> NDArray[np.int64]:
    """Entries ``0 .. n - 1`` that the lanes ``mine`` handle, in increasing order (read-only:
    a step asks for the same few every time)."""
    picks = np.flatnonzero(np.isin(np.arange(n) % lanes, mine))
    picks.flags.writeable = False
    return picks


def _trajectory(
    problem: Problem,
    lane: int,
    path: PathNoise,
    cumulative: FloatArray,
    context: dict[str, int],
    costs: FloatArray,
    states: FloatArray | None = None,
) -> None:
    """Walk one sample path down the stages on ``lane``: the discounted cost of each stage goes
    to ``costs[t]`` and, when given, the incoming state of each stage to ``states[t]``."""
    x = problem.initial_state
    for t in range(problem.num_stages):
        if states is not None:
            states[t] = x
        cost, x = problem.solve_forward(lane, t, x, path.noise(t, x), context)
        costs[t] = cumulative[t] * cost


def run_kernel(
    problem: Problem,
    sampler: ScenarioSampler,
    cumulative: FloatArray,
    kind: str,
    lane: int,
    args: Sequence[Any],
    out: Sequence[FloatArray],
) -> None:
    """Do ``lane``'s share of one kind of work, writing into ``out``."""
    p = problem
    n_t, lanes = p.num_stages, p.num_lanes
    if kind == "forward":
        iteration, f = int(args[0]), int(args[1])
        states, costs = out
        stage_costs = np.empty(n_t)
        for sc in range(lane, f, lanes):
            path = sampler.path((iteration, sc))
            context = {"iteration": iteration, "scenario": sc}
            _trajectory(p, lane, path, cumulative, context, stage_costs, states[sc])
            costs[sc] = sum(stage_costs.tolist())  # left to right, like the running total
    elif kind == "backward":
        t, iteration, states_t = int(args[0]), int(args[1]), args[2]
        obj, duals = out
        obj[:, lane::lanes], duals[:, lane::lanes] = p.solve_backward_lane(
            lane, t, states_t, slice(lane, None, lanes), {"iteration": iteration}
        )
    elif kind == "bound":
        (obj,) = out
        first = p.initial_state[None, :]
        objs, _ = p.solve_backward_lane(lane, 0, first, slice(lane, None, lanes), {})
        obj[lane::lanes] = objs[0]
    elif kind == "stage_costs":
        (costs,) = out
        for r in range(lane, int(args[0]), lanes):
            path = sampler.path((r,))
            _trajectory(p, lane, path, cumulative, {"replication": r}, costs[r])
    else:
        raise ValueError(f"unknown lane work {kind!r}")


class LaneStats(NamedTuple):
    """LP solves of the lanes and their seconds inside HiGHS: in ``run()``, and in the other
    HiGHS calls (bound patches, cut rows added and deleted, solution copies). ``wait_seconds``
    is how long finished workers waited for the last one at the end of each step, summed over
    steps (worker processes only; 0 for threads). ``cold_resolves`` counts solves redone from a
    cold start because HiGHS's "optimal" solution was not (``Problem.cold_resolves``)."""

    solves: int
    solve_seconds: float
    call_seconds: float
    wait_seconds: float = 0.0
    cold_resolves: int = 0


def lane_stats(problem: Problem) -> LaneStats:
    """:class:`LaneStats` of the lanes whose LPs ``problem`` holds in this process."""
    return LaneStats(
        problem.lp_solves(),
        problem.solve_seconds(),
        problem.call_seconds(),
        cold_resolves=problem.cold_resolves,
    )


class LaneRunner(Protocol):
    """Runs lane work and keeps every lane's LPs in step with the cut pools."""

    def run(self, kind: str, *args: Any) -> tuple[FloatArray, ...]: ...

    def add_cuts(
        self,
        t: int,
        alphas: FloatArray,
        pis: FloatArray,
        iteration: int,
        openings: NDArray[np.int64] | None,
    ) -> None: ...

    def remove_cuts(self, t: int, keep: NDArray[np.bool_]) -> int: ...

    def stats(self) -> LaneStats: ...

    def close(self) -> None: ...


class ThreadLanes:
    """Lanes of this process's :class:`Problem`, run on a thread pool (or inline for 1 thread).

    Results do not depend on the thread count. HiGHS solves in threads of one process scale
    poorly on this kind of LP (each ``run()`` re-takes the GIL; measured 1.2-1.3x on 2 cores),
    which is what :class:`~cobre_core.sddp.lane_processes.ProcessLanes` is for.
    """

    def __init__(self, problem: Problem, sampler: ScenarioSampler, threads: int = 1) -> None:
        self.p = problem
        self.sampler = sampler
        self.cumulative = cumulative_discounts(problem)
        self.pool = ThreadPoolExecutor(threads) if threads > 1 else None

    def run(self, kind: str, *args: Any) -> tuple[FloatArray, ...]:
        out = allocate(self.p, kind, args)

        def work(lane: int) -> None:
            run_kernel(self.p, self.sampler, self.cumulative, kind, lane, args, out)

        run_lanes(work, self.p.num_lanes, self.pool)
        return out

    def add_cuts(
        self,
        t: int,
        alphas: FloatArray,
        pis: FloatArray,
        iteration: int,
        openings: NDArray[np.int64] | None,
    ) -> None:
        self.p.add_cuts(t, alphas, pis, iteration, openings)

    def remove_cuts(self, t: int, keep: NDArray[np.bool_]) -> int:
        return self.p.remove_cuts(t, keep)

    def stats(self) -> LaneStats:
        """LP solves and seconds inside HiGHS of this process's lanes."""
        return lane_stats(self.p)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
