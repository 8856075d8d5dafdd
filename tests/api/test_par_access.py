"""InflowModel: PAR coefficients as arrays and tables, and forward sampling of inflow paths."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import cobre_core as cc
from cobre_core.par_access import InflowModel
from cobre_core.stochastic.par import ParModel
from cobre_core.study import Study


@pytest.fixture
def toy_model(toy_dir: Path) -> InflowModel:
    return InflowModel(cc.load_case(toy_dir))


def test_arrays_have_stage_hydro_lag_axes(multi_study: Study) -> None:
    m = multi_study.inflow_model()
    case = multi_study.case
    assert m.base.shape == (case.num_stages, case.num_hydros) == m.sigma.shape
    assert m.psi.shape == (case.num_stages, case.num_hydros, case.max_lag)
    assert m.initial_lags.shape == (case.max_lag, case.num_hydros)
    assert m.hydro_ids == tuple(h.id for h in case.hydros)
    with pytest.raises(ValueError):
        m.base[0, 0] = 1.0


def test_coefficients_table_matches_the_arrays(multi_study: Study) -> None:
    m = multi_study.inflow_model()
    frame = m.coefficients()
    assert len(frame) == m.num_stages * m.num_hydros
    assert list(frame.columns) == [
        "stage_id",
        "hydro_id",
        "order",
        "base_m3s",
        "sigma_m3s",
        *[f"psi_{lag}" for lag in range(1, m.max_lag + 1)],
    ]
    row = frame[(frame.stage_id == m.stage_ids[2]) & (frame.hydro_id == m.hydro_ids[1])].iloc[0]
    assert row.base_m3s == m.base[2, 1] and row.sigma_m3s == m.sigma[2, 1]
    assert row.psi_1 == m.psi[2, 1, 0] and row.order == m.order[2, 1]
    assert m.coefficients(to="arrow").num_rows == len(frame)


def test_given_noise_follows_the_recursion_exactly(toy_model: InflowModel) -> None:
    m = toy_model
    eta = np.linspace(-1.5, 1.5, m.num_stages).reshape(1, m.num_stages, 1)
    path = m.simulate_inflows(1, noise=eta, truncate=False)[0, :, 0]
    lag = m.initial_lags[0, 0]
    for t in range(m.num_stages):
        z = m.base[t, 0] + m.psi[t, 0, 0] * lag + m.sigma[t, 0] * eta[0, t, 0]
        assert path[t] == pytest.approx(z, rel=1e-12)
        lag = z


def test_mean_path_is_the_zero_noise_path(toy_model: InflowModel) -> None:
    m = toy_model
    mean = m.mean_path()
    lag = m.initial_lags[:, :]
    for t in range(m.num_stages):
        expected = m.deterministic_part(t, lag)
        np.testing.assert_allclose(mean[t], expected, rtol=1e-12)
        lag = np.vstack([expected[None, :], lag[:-1]])


def test_sampling_is_seeded_and_centred_on_the_mean_path(toy_model: InflowModel) -> None:
    m = toy_model
    a = m.simulate_inflows(4000, seed=11, truncate=False)
    b = m.simulate_inflows(4000, seed=11, truncate=False)
    c = m.simulate_inflows(4000, seed=12, truncate=False)
    assert a.shape == (4000, m.num_stages, m.num_hydros)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # stage 0 only depends on its own draw: its spread is sigma_0
    assert a[:, 0, 0].std() == pytest.approx(m.sigma[0, 0], rel=0.05)
    standard_error = a.std(axis=0) / np.sqrt(a.shape[0])
    assert np.all(np.abs(a.mean(axis=0) - m.mean_path()) < 4 * standard_error)


def test_truncation_clips_negative_inflows(toy_model: InflowModel) -> None:
    m = toy_model
    assert m.truncates  # the toy case uses the truncation method
    eta = np.full((1, m.num_stages, m.num_hydros), -50.0)
    clipped = m.simulate_inflows(1, noise=eta)
    raw = m.simulate_inflows(1, noise=eta, truncate=False)
    assert raw[0, 0, 0] < 0.0
    assert np.all(clipped >= 0.0)
    assert clipped[0, 0, 0] == 0.0


def test_bad_arguments_are_rejected(toy_model: InflowModel) -> None:
    with pytest.raises(ValueError):
        toy_model.simulate_inflows(-1)
    with pytest.raises(ValueError):
        toy_model.simulate_inflows(2, noise=np.zeros((3, 1, 1)))


def test_second_order_lags_shift_latest_first(toy_dir: Path) -> None:
    """With two lags, z_t uses z_{t-1} on lag 1 and z_{t-2} on lag 2 (initial lags row 0 latest)."""
    case = cc.load_case(toy_dir)
    n_t = case.num_stages
    psi = np.zeros((n_t, 1, 2))
    psi[:, 0, 0], psi[:, 0, 1] = 0.5, 0.25
    par = ParModel(
        base=np.full((n_t, 1), 10.0),
        psi=psi,
        sigma=np.full((n_t, 1), 2.0),
        order=np.full((n_t, 1), 2),
    )
    initial = np.array([[40.0], [8.0]])  # last month 40, the month before 8
    m = InflowModel(dataclasses.replace(case, par=par, initial_lags=initial))
    eta = np.arange(n_t, dtype=np.float64).reshape(1, n_t, 1)
    path = m.simulate_inflows(1, noise=eta, truncate=False)[0, :, 0]
    history = [8.0, 40.0]
    for t in range(n_t):
        z = 10.0 + 0.5 * history[-1] + 0.25 * history[-2] + 2.0 * t
        assert path[t] == pytest.approx(z, rel=1e-12)
        history.append(z)
    mean = m.mean_path()[:, 0]
    assert mean[0] == pytest.approx(10.0 + 0.5 * 40.0 + 0.25 * 8.0)
    assert mean[1] == pytest.approx(10.0 + 0.5 * mean[0] + 0.25 * 40.0)
