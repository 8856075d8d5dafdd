"""Forward and simulation sampling schemes: out_of_sample, external, historical, per class."""

from __future__ import annotations

import itertools
import math
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from cobre_core import load_case
from cobre_core.errors import CobreError
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.sampling import InSample, ScenarioSampler
from cobre_core.sddp.simulation import simulate_policy
from cobre_core.sddp.stopping import IterationLimit
from cobre_core.sddp.training import Trainer
from cobre_core.stochastic.noise import generate_opening_tree, noise_groups
from cobre_core.stochastic.sampling_schemes import SchemeSampler, sampler_for
from cobre_core.system.build import apply_config
from cobre_core.system.case import Case

D26 = "d26-estimated-par2"
D28 = "d28-decomp-weekly-monthly"
D29 = "d29-weekly-par-noise-sharing"
D30 = "d30-multi-resolution-monthly-quarterly"


def _case(shared_cases: Path, name: str, overrides: dict[str, Any] | None = None) -> Case:
    case = load_case(shared_cases / "deterministic" / name)
    return apply_config(case, case.config.with_overrides(overrides)) if overrides else case


def _realised_inflows(problem: Problem, sampler: ScenarioSampler, key: tuple[int, ...]):
    """The z column of every stage LP along path ``key`` (policy without cuts)."""
    path = sampler.path(key)
    x = problem.initial_state
    out = []
    for t in range(problem.num_stages):
        res = problem.solve(0, t, x, path.noise(t, x), want_solution=True)
        assert res.primal is not None
        out.append(res.primal[problem.stage_lps[t].layout.z])
        x = res.out_state
    return np.array(out)


def _oos(seed: int) -> dict[str, Any]:
    return {"training": {"scenario_source": {"seed": seed, "inflow": {"scheme": "out_of_sample"}}}}


# ── in_sample stays the default ──────────────────────────────────────────────────────────────


def test_all_in_sample_gives_the_plain_in_sample_sampler(shared_cases: Path) -> None:
    source = {"seed": 42, "inflow": {"scheme": "in_sample"}}
    case = _case(shared_cases, D29, {"training": {"scenario_source": source}})
    problem = Problem(case, lanes=1)
    assert isinstance(sampler_for(problem, "training"), InSample)
    assert isinstance(sampler_for(problem, "simulation"), InSample)


def test_uncorrelated_tree_is_the_generated_tree_bit_for_bit(shared_cases: Path) -> None:
    case = _case(shared_cases, D29)
    tree = Problem(case, lanes=1).tree
    cal = case.calendar
    raw = generate_opening_tree(
        case.seed,
        [c.stage_id for c in cal],
        [s.num_openings for s in case.stages],
        case.noise.dim,
        noise_groups([c.season_id for c in cal], [c.start_date.year for c in cal]),
        case.user_openings,
    )
    assert tree.correlation is None
    for a, b in zip(tree.openings, raw.openings, strict=True):
        assert a.tobytes() == b.tobytes()


# ── out_of_sample ────────────────────────────────────────────────────────────────────────────


def test_out_of_sample_shares_draws_in_a_noise_group_and_differs_from_the_tree(
    shared_cases: Path,
) -> None:
    """d29: 4 weekly January stages form one noise group; raw draws (no truncation) are shared."""
    case = _case(
        shared_cases, D29, {"modeling": {"inflow_non_negativity": {"method": "none"}}} | _oos(7)
    )
    problem = Problem(case, lanes=1)
    sampler = sampler_for(problem, "training")
    assert isinstance(sampler, SchemeSampler) and sampler.name == "out_of_sample"
    x0 = problem.initial_state
    first = sampler.path((1, 0))
    draws = np.array([first.noise(t, x0) for t in range(problem.num_stages)])
    n_h = case.num_hydros
    assert all(np.array_equal(draws[0, :n_h], d[:n_h]) for d in draws[1:])
    again = sampler.path((1, 0))
    assert np.array_equal(again.noise(0, x0), draws[0])
    assert not np.array_equal(sampler.path((1, 1)).noise(0, x0)[:n_h], draws[0, :n_h])
    assert not np.array_equal(sampler.path((2, 0)).noise(0, x0)[:n_h], draws[0, :n_h])
    tree_rows = problem.tree.openings[0][:, :n_h]
    assert not any(np.array_equal(row, draws[0, :n_h]) for row in tree_rows)
    # load stays in sample: its entries are those of a tree opening
    load = slice(n_h, n_h + int(case.noise.load_buses.size))
    if load.stop > load.start:
        assert any(np.array_equal(r[load], draws[0][load]) for r in problem.tree.openings[0])


@pytest.fixture(scope="module")
def d29_trained(shared_cases: Path) -> tuple[Problem, list[float]]:
    problem = Problem(_case(shared_cases, D29), lanes=1)
    sampler = sampler_for(problem, "training")
    assert sampler.name == "out_of_sample"
    outcome = Trainer(problem, 1, [IterationLimit(6)], sampler=sampler).train()
    return problem, [r.lower_bound for r in outcome.history]


@pytest.mark.parametrize("name", [D29, D30])
def test_configured_out_of_sample_training(
    name: str, shared_cases: Path, d29_trained: tuple[Problem, list[float]]
) -> None:
    if name == D29:
        lbs = d29_trained[1]
    else:
        problem = Problem(_case(shared_cases, name), lanes=1)
        sampler = sampler_for(problem, "training")
        assert sampler.name == "out_of_sample"
        lbs = [
            r.lower_bound
            for r in Trainer(problem, 1, [IterationLimit(5)], sampler=sampler).train().history
        ]
    assert all(math.isfinite(v) for v in lbs) and lbs[-1] > 0
    assert all(b >= a - 1e-6 * max(1.0, abs(a)) for a, b in itertools.pairwise(lbs))


def test_out_of_sample_simulation_is_reproducible_by_seed(
    shared_cases: Path, d29_trained: tuple[Problem, list[float]]
) -> None:
    problem, _ = d29_trained
    n = 6
    oos = sampler_for(problem, "simulation")
    assert oos.name == "out_of_sample"
    first = simulate_policy(problem, n, 0, sampler=oos, keep_tables=False).scenario_costs
    second = simulate_policy(problem, n, 0, sampler=oos, keep_tables=False).scenario_costs
    # same noise; only the warm-started LP solves may differ in the last bits
    np.testing.assert_allclose(first, second, rtol=1e-9, atol=1e-6)
    inside = simulate_policy(
        problem, n, problem.case.seed, sampler=InSample(problem, problem.case.seed)
    ).scenario_costs
    assert not np.allclose(first, inside)
    other_case = _case(shared_cases, D29, _oos(4321))
    other = sampler_for(Problem(other_case, lanes=1), "simulation")
    third = simulate_policy(problem, n, 0, sampler=other, keep_tables=False).scenario_costs
    assert not np.allclose(first, third)


# ── external ─────────────────────────────────────────────────────────────────────────────────


def test_external_inflows_are_what_the_lp_sees(shared_cases: Path) -> None:
    """d28: 5 weekly stages with one scenario each, then a monthly stage with five."""
    case = _case(shared_cases, D28)
    problem = Problem(case, lanes=1)
    table = pq.read_table(
        shared_cases / "deterministic" / D28 / "scenarios" / "external_inflow_scenarios.parquet"
    ).to_pydict()
    value = {
        (s, k): v
        for s, k, v in zip(table["stage_id"], table["scenario_id"], table["value_m3s"], strict=True)
    }
    for purpose in ("training", "simulation"):
        sampler = sampler_for(problem, purpose)
        assert sampler.name == "external"
    sim = sampler_for(problem, "simulation")
    for k in range(7):
        z = _realised_inflows(problem, sim, (k,))[:, 0]
        expected = [value[(c.stage_id, 0 if c.stage_id < 5 else k % 5)] for c in case.calendar]
        np.testing.assert_allclose(z, expected, rtol=1e-12, atol=1e-9)
    training = sampler_for(problem, "training")
    last = {round(_realised_inflows(problem, training, (it, 0))[-1, 0], 9) for it in range(1, 30)}
    assert last == {value[(5, k)] for k in range(5)}
    a = _realised_inflows(problem, training, (3, 0))
    b = _realised_inflows(problem, training, (3, 0))
    assert np.array_equal(a, b)


def test_d28_trains_with_its_external_scheme(shared_cases: Path) -> None:
    problem = Problem(_case(shared_cases, D28), lanes=1)
    sampler = sampler_for(problem, "training")
    history = Trainer(problem, 1, [IterationLimit(4)], sampler=sampler).train().history
    lbs = [r.lower_bound for r in history]
    assert len(lbs) == 4 and all(math.isfinite(v) and v > 0 for v in lbs)
    assert all(b >= a - 1e-6 * max(1.0, abs(a)) for a, b in itertools.pairwise(lbs))


def test_external_scheme_without_its_file_is_a_structured_error(shared_cases: Path) -> None:
    case = _case(
        shared_cases,
        D29,
        {"training": {"scenario_source": {"seed": 1, "inflow": {"scheme": "external"}}}},
    )
    with pytest.raises(CobreError) as info:
        sampler_for(Problem(case, lanes=1), "training")
    rec = info.value.records[0]
    assert rec.kind == "MissingFile"
    assert rec.context["file"] == "scenarios/external_inflow_scenarios.parquet"


# ── historical ───────────────────────────────────────────────────────────────────────────────


def _historical(years: Any) -> dict[str, Any]:
    return {
        "training": {
            "scenario_source": {
                "seed": 3,
                "inflow": {"scheme": "historical"},
                "historical_years": years,
            }
        }
    }


def test_historical_replay_reproduces_the_history(shared_cases: Path) -> None:
    """d26: 12 monthly 2024 stages; window y replays January..December of year y."""
    case = _case(shared_cases, D26, _historical({"from": 1985, "to": 1990}))
    problem = Problem(case, lanes=1)
    table = pq.read_table(
        shared_cases / "deterministic" / D26 / "scenarios" / "inflow_history.parquet"
    ).to_pydict()
    history = dict(zip(table["date"], table["value_m3s"], strict=True))
    sampler = sampler_for(problem, "simulation")
    assert sampler.name == "historical"
    for k in (0, 3, 7):
        year = 1985 + k % 6
        z = _realised_inflows(problem, sampler, (k,))[:, 0]
        expected = [history[date(year, c.start_date.month, 1)] for c in case.calendar]
        np.testing.assert_allclose(z, expected, rtol=1e-12)
    training = sampler_for(problem, "training")
    z = _realised_inflows(problem, training, (2, 1))[:, 0]
    assert any(
        np.allclose(z, [history[date(y, m, 1)] for m in range(1, 13)], rtol=1e-12)
        for y in range(1985, 1991)
    )


def test_historical_year_pool(shared_cases: Path) -> None:
    case = _case(shared_cases, D26, _historical([1960, 1990, 2003]))
    sampler = sampler_for(Problem(case, lanes=1), "training")
    assert isinstance(sampler, SchemeSampler) and sampler.historical_years == (1990, 2003)
    empty = _case(shared_cases, D26, _historical([1950, 1960]))
    with pytest.raises(CobreError) as info:
        sampler_for(Problem(empty, lanes=1), "training")
    assert info.value.records[0].kind == "CoverageMismatch"


def test_historical_without_history_is_a_missing_file(shared_cases: Path) -> None:
    case = _case(shared_cases, D28, _historical(None))
    with pytest.raises(CobreError) as info:
        sampler_for(Problem(case, lanes=1), "training")
    assert info.value.records[0].kind == "MissingFile"
