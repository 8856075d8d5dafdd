"""PolicyView: cuts as arrays, state vectors, and the future cost the simulation recorded."""

from __future__ import annotations

import numpy as np
import pytest

from cobre_core.errors import QueryError
from cobre_core.policy_access import PolicyView
from cobre_core.results.policy import Policy, StageCuts
from cobre_core.study import Study


def _tiny() -> PolicyView:
    """Two stages over storage of hydros 4 and 7 and one lag each; stage 11 has no cuts."""
    names = (
        "storage_hm3[hydro=4]",
        "storage_hm3[hydro=7]",
        "inflow_lag1_m3s[hydro=4]",
        "inflow_lag1_m3s[hydro=7]",
    )
    alpha = np.array([100.0, 40.0, -500.0])
    pi = np.array(
        [
            [-1.0, 0.0, 0.0, 0.0],
            [0.0, -0.5, 0.0, 0.0],
            [0.0, 0.0, 2.0, 1.0],
        ]
    )
    empty = StageCuts(11, np.zeros(0), np.zeros((0, 4)))
    return PolicyView(Policy((10, 11), names, (StageCuts(10, alpha, pi), empty)))


def test_cuts_are_read_only_arrays_by_stage_id() -> None:
    pv = _tiny()
    alpha, pi = pv.cuts(10)
    assert alpha.shape == (3,) and pi.shape == (3, 4)
    with pytest.raises(ValueError):
        alpha[0] = 1.0
    assert pv.num_cuts(10) == 3 and pv.num_cuts(11) == 0 and pv.num_cuts() == 3
    assert pv.hydro_ids == (4, 7) and pv.max_lag == 1
    assert pv.cut_formulation == "single" and pv.openings(10) is None


def test_future_cost_is_the_max_over_cuts_floored_at_zero() -> None:
    pv = _tiny()
    x = pv.state(storage={4: 10.0, 7: 20.0}, inflow_lags={4: [100.0], 7: [50.0]})
    assert x.tolist() == [10.0, 20.0, 100.0, 50.0]
    # cut values: 100 - 10 = 90, 40 - 10 = 30, -500 + 200 + 50 = -250
    assert pv.future_cost(10, x) == 90.0
    assert pv.binding_cut(10, x) == 0
    high = pv.state(storage=[200.0, 200.0], inflow_lags=[[10.0, 10.0]])
    assert pv.future_cost(10, high) == 0.0  # every cut negative: the theta >= 0 bound holds
    batch = pv.future_cost(10, np.stack([x, high]))
    assert batch.tolist() == [90.0, 0.0]
    assert pv.future_cost(11, x) == 0.0 and pv.binding_cut(11, x) is None


def test_bad_stage_and_state_raise_query_errors() -> None:
    pv = _tiny()
    with pytest.raises(QueryError) as info:
        pv.cuts(3)
    assert info.value.context["field"] == "stage_id"
    with pytest.raises(QueryError):
        pv.future_cost(10, np.zeros(3))
    with pytest.raises(QueryError):
        pv.state(storage={4: 1.0, 7: 1.0})  # lags missing
    with pytest.raises(QueryError):
        pv.state(storage={5: 1.0})
    with pytest.raises(QueryError):
        pv.state(storage=[1.0, 2.0], inflow_lags={4: [1.0, 2.0]})  # only one lag


def test_multi_cut_policy_averages_the_openings() -> None:
    if "openings" not in StageCuts.__dataclass_fields__:
        pytest.skip("this version stores single-cut policies only")
    names = ("storage_hm3[hydro=0]",)
    alpha = np.array([100.0, 60.0, 10.0, -5.0])
    pi = np.array([[-1.0], [0.0], [0.0], [0.0]])
    stage = StageCuts(0, alpha, pi, np.array([0, 0, 1, 2]), 3)  # type: ignore[call-arg]
    pv = PolicyView(Policy((0,), names, (stage,), "multi"))  # type: ignore[call-arg]
    assert pv.cut_formulation == "multi"
    assert pv.openings(0).tolist() == [0, 0, 1, 2]
    # opening 0: max(100 - 10, 60) = 90; opening 1: 10; opening 2: max(0, -5) = 0
    assert pv.future_cost(0, [10.0]) == pytest.approx((90.0 + 10.0 + 0.0) / 3)
    assert pv.future_cost(0, [10.0]) == pytest.approx(pv.policy.evaluate(0, np.array([10.0])))
    assert pv.cuts_table(0)["opening"].tolist() == [0, 0, 1, 2]


def test_cuts_table_has_a_column_per_state_dimension() -> None:
    pv = _tiny()
    frame = pv.cuts_table()
    assert list(frame.columns) == ["stage_id", "cut_id", "intercept", *pv.state_names]
    assert len(frame) == 3
    assert frame["inflow_lag1_m3s[hydro=4]"].tolist() == [0.0, 0.0, 2.0]
    assert pv.cuts_table(11, to="arrow").num_rows == 0


def test_wraps_results_training_and_directories(toy_study: Study) -> None:
    from_study = toy_study.policy
    from_results = PolicyView(toy_study.results())
    from_dir = PolicyView.load(toy_study.output_dir / "policy")
    from_training = PolicyView(toy_study.last_training)
    for other in (from_results, from_dir, from_training):
        assert other.stage_ids == from_study.stage_ids
        np.testing.assert_array_equal(other.cuts(0)[1], from_study.cuts(0)[1])


def test_future_cost_matches_the_simulated_future_cost(multi_study: Study) -> None:
    """The state entering stage t+1 is the state leaving t; at it the cuts give stage t's theta,
    which the costs table records times the stage's one-period discount factor."""
    case = multi_study.case
    res = multi_study.results()
    pv = multi_study.policy
    costs = res.costs()
    hydros = res.hydros(block=0)
    lags = res.inflow_lags()
    checked = 0
    for scenario in range(2):
        for t in range(case.num_stages - 1):
            sid = case.calendar[t].stage_id
            nxt = case.calendar[t + 1].stage_id
            entering = hydros[(hydros.scenario_id == scenario) & (hydros.stage_id == nxt)]
            lag_rows = lags[(lags.scenario_id == scenario) & (lags.stage_id == nxt)]
            x = pv.state(
                storage=dict(zip(entering.hydro_id, entering.storage_initial_hm3, strict=True)),
                inflow_lags={
                    int(h): g.sort_values("lag_index").inflow_m3s.tolist()
                    for h, g in lag_rows.groupby("hydro_id")
                },
            )
            row = costs[(costs.scenario_id == scenario) & (costs.stage_id == sid)]
            recorded = float(row.future_cost.iloc[0])
            expected = case.stages[t].discount * pv.future_cost(sid, x)
            assert expected == pytest.approx(recorded, rel=1e-6, abs=1e-3)
            checked += 1
    assert case.stages[0].discount < 1.0  # the case discounts, so the factor is exercised
    assert checked == 2 * (case.num_stages - 1)
