"""A real HiGHS 1.15.1 fault on 4ree, caught by the cut check (cobre_core.sddp.cut_pool.CutCheck).

Four single-lane problems of 4ree each run one trial state per iteration: forward pass, then a
backward pass whose cuts go to its own LPs at once and to the others' at the iteration's end.
At iteration 176 the stage-6 LP of the second one, warm-started, came back "optimal" with theta
20 times above every cut (HiGHS's row activities no longer matched its columns); its cuts took
the lower bound from 6.09e10 to 9.37e11, 15 times the optimum. The check sees a theta that no
row holds up, the solve is redone cold, and the bound stays where it belongs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cobre_core.loader import load_case
from cobre_core.sddp.lanes import _trajectory, cumulative_discounts
from cobre_core.sddp.problem import Problem
from cobre_core.solver.stage_lp import COST_SCALE
from cobre_core.stochastic.sampling_schemes import sampler_for

pytestmark = pytest.mark.slow

STATES = 4
ITERATIONS = 176  # the fault's iteration
CONVERGED = 60_864_422_368.27  # 4ree's bound after its own 256 iterations (synchronous cuts)


def test_a_false_optimum_of_highs_does_not_reach_the_cuts(shared_cases: Path) -> None:
    case = load_case(shared_cases / "4ree")
    problems = [Problem(case, lanes=1) for _ in range(STATES)]
    sampler = sampler_for(problems[0], "training")
    cumulative = cumulative_discounts(problems[0])
    n_t, d = problems[0].num_stages, problems[0].state_dim
    bounds = []
    for it in range(1, ITERATIONS + 1):
        new = np.zeros((STATES, n_t - 1, 1 + d))  # (alpha, pi) of each state's cut per stage
        for k, p in enumerate(problems):
            states, costs = np.zeros((n_t, d)), np.zeros(n_t)
            context = {"iteration": it, "scenario": k}
            _trajectory(p, 0, sampler.path((it, k)), cumulative, context, costs, states)
            for t in range(n_t - 1, 0, -1):
                x = states[t]
                obj, duals = p.solve_backward_lane(0, t, x[None], slice(None), {})
                w = np.full(obj.shape[1], 1.0 / obj.shape[1])  # the expectation's weights
                pi = w @ duals[0]
                new[k, t - 1] = [float(w @ obj[0]) - float(pi @ x), *pi]
                p.add_cuts(t - 1, new[k, t - 1, :1], pi[None], it)
        for j, p in enumerate(problems):
            others = np.delete(new, j, axis=0)
            for t in range(n_t - 1):
                p.add_cuts(t, others[:, t, 0], others[:, t, 1:], it)
        obj, _ = problems[0].solve_backward_lane(
            0, 0, problems[0].initial_state[None], slice(None), {}
        )
        bounds.append(float(obj[0].mean()) * COST_SCALE)
    assert sum(p.cold_resolves for p in problems) >= 1, (
        "the HiGHS fault this test replays did not occur (another HiGHS build?): the bound "
        "check below still holds, but no longer tests the recovery"
    )
    assert max(bounds) < CONVERGED * 1.0001  # a lower bound: never above the optimum
    assert bounds[-1] > 0.99 * CONVERGED
