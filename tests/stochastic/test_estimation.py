"""PAR(p) estimation from history (cobre-formulation.md §4.7): each step on hand-checkable data,
recovery of a known model on synthetic data, and the d26 reference case end to end."""

from __future__ import annotations

import math
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cobre_core.errors import CobreError
from cobre_core.loader import load_case
from cobre_core.model.stages import Season, SeasonDefinitions
from cobre_core.stochastic.estimation import (
    Bucket,
    EstimationError,
    SeasonalSeries,
    SeasonCycle,
    StageSpan,
    build_season_cycle,
    classify_history,
    contributions,
    estimate_par,
    fit_coefficients,
    periodic_autocorrelation,
    periodic_pacf,
    rolling_annual_buckets,
    season_for_calendar_date,
    seasonal_stats,
    select_order,
    solve_small,
    yule_walker_system,
)
from cobre_core.stochastic.par import build_par_model
from cobre_core.study_runs import train

D26_ORDERS = [1, 2, 2, 1, 1, 2, 1, 1, 1, 2, 1, 1]


def _monthly() -> SeasonDefinitions:
    return SeasonDefinitions(
        cycle_type="monthly",
        seasons=tuple(Season(id=m - 1, label=str(m), month_start=m) for m in range(1, 13)),
    )


def _month_spans(year: int = 2024) -> list[StageSpan]:
    return [
        StageSpan(m - 1, date(year, m, 1), date(year + m // 12, m % 12 + 1, 1), m - 1)
        for m in range(1, 13)
    ]


# ── seasons ──────────────────────────────────────────────────────────────────────────────────────


def test_calendar_season_and_cycle_order() -> None:
    defs = _monthly()
    assert season_for_calendar_date(date(1931, 3, 15), defs) == 2
    assert build_season_cycle([0, 1, 2], defs).season_ids == tuple(range(12))
    # Without definitions the cycle is 0..max(stage season).
    assert build_season_cycle([0, 2, None], None).season_ids == (0, 1, 2)
    custom = SeasonDefinitions(
        cycle_type="custom",
        seasons=(
            Season(id=1, label="wet", month_start=11, day_start=1, month_end=4, day_end=30),
            Season(id=0, label="dry", month_start=5, day_start=1, month_end=10, day_end=31),
        ),
    )
    assert season_for_calendar_date(date(2000, 1, 10), custom) == 1  # wraps the year end
    assert season_for_calendar_date(date(2000, 7, 10), custom) == 0
    # Calendar order, whatever the ids: dry (May) precedes wet (November).
    assert build_season_cycle([0, 1], custom).season_ids == (0, 1)


# ── statistics ───────────────────────────────────────────────────────────────────────────────────


def test_mean_and_population_std() -> None:
    (mean, std), cls = seasonal_stats(np.array([1.0, 2.0, 3.0, 4.0]))
    assert mean == 2.5
    assert std == pytest.approx(math.sqrt(1.25), abs=1e-15)  # 1/N, not 1/(N-1)
    assert cls.kind == "default"


def test_degenerate_buckets_are_overridden() -> None:
    (mean, std), cls = seasonal_stats(np.array([5.0, 5.0 + 1e-7, 5.0]))
    assert (cls.kind, mean, std) == ("constant", 5.0, 0.0)
    # 4 of 5 values round to 10: saturated at the cap 10 with std 0.
    (mean, std), cls = seasonal_stats(np.array([10.0, 10.2, 9.8, 10.4, 3.0]))
    assert (cls.kind, mean, std) == ("saturated", 10.0, 0.0)
    # Exactly half at the mode is not saturated.
    assert classify_history(np.array([1.0, 1.0, 2.0, 3.0])).kind == "default"


def test_many_negative_is_flagged_but_not_overridden() -> None:
    values = np.array([-1.0, -2.0, 3.0, 4.0, 5.0])
    (mean, std), cls = seasonal_stats(values)
    assert cls.kind == "many_negative"
    assert mean == pytest.approx(values.mean())
    assert std == pytest.approx(values.std())


def test_single_observation_is_an_error() -> None:
    with pytest.raises(EstimationError):
        seasonal_stats(np.array([3.0]))


# ── autocorrelation and Yule-Walker ──────────────────────────────────────────────────────────────


def _two_season_series() -> SeasonalSeries:
    # Season 0 (years 2000-2002) and season 1 (years 2000-2002), stats given by hand.
    buckets = [Bucket(np.array([1.0, 2.0, 4.0]), 2000), Bucket(np.array([2.0, 5.0, 3.0]), 2000)]
    return SeasonalSeries(buckets, [(2.0, 1.0), (3.0, 2.0)])


def test_autocorrelation_pairs_by_year() -> None:
    s = _two_season_series()
    # Season 1 vs season 0 of the same year: 3 pairs.
    same_year = ((1 - 2) * (2 - 3) + (2 - 2) * (5 - 3) + (4 - 2) * (3 - 3)) / 3 / (2.0 * 1.0)
    assert periodic_autocorrelation(s, 1, 1) == pytest.approx(same_year)
    # Season 0 lag 1 wraps to season 1 of the previous year: year 2001/2000 and 2002/2001.
    wrapped = ((2 - 2) * (2 - 3) + (4 - 2) * (5 - 3)) / 2 / (1.0 * 2.0)
    assert periodic_autocorrelation(s, 0, 1) == pytest.approx(wrapped)
    # Lag 2 from season 0 is season 0 one year earlier.
    lag2 = ((2 - 2) * (1 - 2) + (4 - 2) * (2 - 2)) / 2 / 1.0
    assert periodic_autocorrelation(s, 0, 2) == pytest.approx(lag2)
    assert periodic_autocorrelation(s, 0, 0) == 1.0


def test_autocorrelation_aligns_buckets_with_different_first_years() -> None:
    # Season 1's history starts a year later: same-year pairs are (2001, 2002) only.
    buckets = [Bucket(np.array([1.0, 2.0, 4.0]), 2000), Bucket(np.array([5.0, 3.0]), 2001)]
    s = SeasonalSeries(buckets, [(2.0, 1.0), (3.0, 2.0)])
    expected = ((2 - 2) * (5 - 3) + (4 - 2) * (3 - 3)) / 2 / 2.0
    assert periodic_autocorrelation(s, 1, 1) == pytest.approx(expected)


def test_autocorrelation_is_zero_with_zero_std_and_clamped() -> None:
    s = _two_season_series()
    zero = SeasonalSeries(s.buckets, [(2.0, 0.0), (3.0, 2.0)])
    assert periodic_autocorrelation(zero, 1, 1) == 0.0
    tiny = SeasonalSeries(s.buckets, [(2.0, 0.1), (3.0, 0.1)])
    assert periodic_autocorrelation(tiny, 1, 1) in (-1.0, 1.0)


def test_yule_walker_system_layout() -> None:
    s = _two_season_series()
    mat, rhs = yule_walker_system(s, 0, 2)
    assert mat[0, 0] == mat[1, 1] == 1.0
    assert mat[0, 1] == mat[1, 0] == periodic_autocorrelation(s, 1, 1)  # ρ(m-1, 1)
    assert rhs.tolist() == [periodic_autocorrelation(s, 0, 1), periodic_autocorrelation(s, 0, 2)]


def test_solver_matches_numpy_and_detects_singular() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 4)) + 4 * np.eye(4)
    b = rng.normal(size=4)
    x = solve_small(a, b)
    assert x is not None
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-12)
    assert solve_small(np.ones((2, 2)), np.ones(2)) is None


def test_pacf_and_coefficients_on_a_one_season_cycle() -> None:
    # One season: ρ(k) is the ordinary autocorrelation of a yearly series.
    rng = np.random.default_rng(0)
    z = np.zeros(400)
    for t in range(1, 400):
        z[t] = 0.6 * z[t - 1] + rng.normal()
    s = SeasonalSeries([Bucket(z, 1600)], [(float(z.mean()), float(z.std()))])
    pacf = periodic_pacf(s, 0, 3)
    rho1 = periodic_autocorrelation(s, 0, 1)
    assert pacf[0] == pytest.approx(rho1)  # PACF_1 = ρ(1)
    coefs, ratio = fit_coefficients(s, 0, 1)
    assert coefs == [pytest.approx(rho1)]
    assert ratio == pytest.approx(math.sqrt(1 - rho1**2))
    assert fit_coefficients(s, 0, 0) == ([], 1.0)


# ── order selection and contributions ────────────────────────────────────────────────────────────


def test_order_is_the_largest_significant_lag() -> None:
    # N = 100: threshold 1.96 / 10 = 0.196.
    assert select_order([0.5, 0.1], 100) == 1
    assert select_order([0.5, 0.1, -0.25], 100) == 3  # not the first gap
    assert select_order([0.19, 0.05], 100) == 0
    assert select_order([0.196, 0.0], 100) == 0  # strictly greater
    assert select_order([0.9], 0) == 0


def test_contributions_hand_examples() -> None:
    assert contributions(0, 2, [[0.4, 0.2]], [10.0]) == pytest.approx([0.4, 0.36])
    # Two seasons: ψ(0,lag1) = 0.4·30/25, ψ(0,lag2) = 0.2, ψ(1,lag1) = 0.3·25/30.
    assert contributions(0, 2, [[0.4, 0.2], [0.3]], [30.0, 25.0]) == pytest.approx([0.48, 0.32])
    assert contributions(0, 2, [[0.3, -0.8]], [10.0]) == pytest.approx([0.3, -0.71])
    assert contributions(0, 1, [[0.5], []], [10.0, 0.0]) == [0.0]  # zero lagged std
    assert contributions(0, 0, [[]], [1.0]) == []


# ── synthetic recovery ───────────────────────────────────────────────────────────────────────────


def _ar2_history(phi: tuple[float, float], years: int, start_month: int, seed: int):
    """Monthly history x = μ_m + s_m·z/sd(z) with z a stationary AR(2), starting at start_month."""
    rng = np.random.default_rng(seed)
    n = years * 12 + 200
    z = np.zeros(n)
    for t in range(2, n):
        z[t] = phi[0] * z[t - 1] + phi[1] * z[t - 2] + rng.normal()
    z = z[200:]
    rho1 = phi[0] / (1 - phi[1])
    var = 1.0 / (1 - phi[0] * rho1 - phi[1] * (phi[0] * rho1 + phi[1]))
    z = z / math.sqrt(var)
    mu = 200 + 80 * np.sin(np.arange(12) * 2 * np.pi / 12)
    sd = 40 + 15 * np.cos(np.arange(12) * 2 * np.pi / 12)
    dates, values = [], []
    for t in range(z.size):
        m0 = start_month - 1 + t
        y, m = 1800 + m0 // 12, m0 % 12
        dates.append(date(y, m + 1, 1))
        values.append(float(mu[m] + sd[m] * z[t]))
    return dates, values


@pytest.mark.parametrize("start_month", [1, 7])
def test_recovers_a_known_par2(start_month: int) -> None:
    """A stationary AR(2) rescaled per month is a PAR(2) whose standardised coefficients are the
    AR(2) ones in every season. With 1000 years a YW coefficient has a standard error of about
    √((1 − φ·ρ) / (N (1 − ρ₁²))) ≈ 0.03, so 0.12 (4 s.e.) is a safe bound; an ordinary
    least-squares regression on the same standardised data must agree far closer (0.02).
    Starting in July checks the year alignment of lags that cross January."""
    phi = (0.5, 0.3)
    dates, values = _ar2_history(phi, 1000, start_month, seed=11)
    res = estimate_par(
        [7], {7: (dates, values)}, _month_spans(), _monthly(), max_order=2,
        min_observations_per_season=30,
    )  # fmt: skip
    (hydro,) = res.hydros
    assert [s.order for s in hydro.seasons] == [2] * 12
    rho1 = phi[0] / (1 - phi[1])
    rho2 = phi[0] * rho1 + phi[1]
    true_ratio = math.sqrt(1 - phi[0] * rho1 - phi[1] * rho2)
    x = np.asarray(values)
    months = np.array([d.month - 1 for d in dates])
    for fit in hydro.seasons:
        np.testing.assert_allclose(fit.coefficients, phi, atol=0.12)
        assert fit.residual_std_ratio == pytest.approx(true_ratio, abs=0.05)
        # Independent check: OLS of standardised season m on its two standardised lags.
        zs = (x - np.array([hydro.season(int(m)).mean for m in months])) / np.array(
            [hydro.season(int(m)).std for m in months]
        )
        idx = np.nonzero(months == fit.season_id)[0]
        idx = idx[idx >= 2]
        design = np.column_stack([zs[idx - 1], zs[idx - 2]])
        ols, *_ = np.linalg.lstsq(design, zs[idx], rcond=None)
        np.testing.assert_allclose(fit.coefficients, ols, atol=0.02)


def test_negative_phi1_sets_order_zero() -> None:
    # Two seasons per year: season 1 = −0.8 · season 0 + noise.
    rng = np.random.default_rng(5)
    defs = SeasonDefinitions(
        cycle_type="custom",
        seasons=(
            Season(id=0, label="a", month_start=1, day_start=1, month_end=6, day_end=30),
            Season(id=1, label="b", month_start=7, day_start=1, month_end=12, day_end=31),
        ),
    )
    dates, values = [], []
    for y in range(1800, 2000):
        a = rng.normal()
        dates += [date(y, 1, 1), date(y, 7, 1)]
        values += [100 + 10 * a, 100 + 10 * (-0.8 * a + 0.6 * rng.normal())]
    spans = [
        StageSpan(0, date(2024, 1, 1), date(2024, 7, 1), 0),
        StageSpan(1, date(2024, 7, 1), date(2025, 1, 1), 1),
    ]
    res = estimate_par([1], {1: (dates, values)}, spans, defs, max_order=1)
    (hydro,) = res.hydros
    assert hydro.season(1).order == 0
    assert hydro.season(1).residual_std_ratio == 1.0
    assert any(r.reason == "phi1_negative" and r.season_id == 1 for r in hydro.reductions)


def test_negative_contribution_lowers_the_order() -> None:
    # AR(2) with φ = (0.3, −0.5): contribution of lag 2 is 0.3² − 0.5 < 0, so every season is
    # re-selected with max order 1 and keeps AR(1): with 1000 years ρ₁ = 0.2 (s.e. ≈ 0.03) is
    # far above the 1.96/√1000 ≈ 0.062 threshold.
    dates, values = _ar2_history((0.3, -0.5), 1000, 1, seed=2)
    res = estimate_par([0], {0: (dates, values)}, _month_spans(), _monthly(), max_order=2)
    (hydro,) = res.hydros
    assert [s.order for s in hydro.seasons] == [1] * 12
    reasons = {r.reason for r in hydro.reductions}
    assert reasons == {"negative_contribution"}
    for fit in hydro.seasons:
        assert fit.coefficients[0] == pytest.approx(0.2, abs=0.1)


def test_magnitude_bound_and_max_order_zero() -> None:
    dates, values = _ar2_history((0.5, 0.3), 200, 1, seed=4)
    bounded = estimate_par(
        [0], {0: (dates, values)}, _month_spans(), _monthly(), max_order=2,
        max_coefficient_magnitude=0.01,
    )  # fmt: skip
    assert bounded.hydros[0].selected_order == 0
    assert {r.reason for r in bounded.hydros[0].reductions} == {"magnitude_bound"}
    white = estimate_par([0], {0: (dates, values)}, _month_spans(), _monthly(), max_order=0)
    assert white.hydros[0].selected_order == 0
    assert all(s.residual_std_ratio == 1.0 for s in white.hydros[0].seasons)


def test_unmapped_date_and_thin_seasons() -> None:
    spans = _month_spans()
    with pytest.raises(EstimationError):
        estimate_par([0], {0: ([date(1990, 1, 1)], [1.0])}, spans, None)
    dates, values = _ar2_history((0.5, 0.3), 10, 1, seed=1)
    res = estimate_par([0], {0: (dates, values)}, spans, _monthly(), max_order=1)
    assert len(res.warnings) == 12  # 10 < 30 observations in every season
    assert "minimum recommended: 30" in res.warnings[0]


def test_stats_reach_every_stage_of_the_season() -> None:
    dates, values = _ar2_history((0.5, 0.3), 50, 1, seed=1)
    spans = [*_month_spans(), StageSpan(-1, date(2023, 12, 1), date(2024, 1, 1), 11)]
    spans.append(StageSpan(12, date(2025, 1, 1), date(2025, 2, 1), 0))
    res = estimate_par([3], {3: (dates, values)}, spans, _monthly(), max_order=1)
    stats = res.stats_by_stage()
    assert stats[(3, -1)] == stats[(3, 11)]
    assert stats[(3, 12)] == stats[(3, 0)]
    assert res.ar_by_stage()[(3, 12)] == res.ar_by_stage()[(3, 0)]
    assert len(res.orders_by_stage(3)) == 13  # study stages only


def test_season_cycle_positions() -> None:
    cycle = SeasonCycle((3, 1, 2))
    assert cycle.n == 3
    assert cycle.position(1) == 1
    assert cycle.position(9) is None


# ── the reference cases ──────────────────────────────────────────────────────────────────────────


def test_d26_orders_and_report(shared_cases: Path) -> None:
    case = load_case(shared_cases / "deterministic" / "d26-estimated-par2")
    assert case.inflow_model_source == "estimated"
    assert case.par.order[:, 0].tolist() == D26_ORDERS
    report = case.estimation_report
    assert report is not None
    assert report["path"] == "full_estimation" and report["method"] == "PACF"
    (entry,) = report["entries"]
    assert entry["hydro_id"] == 0
    assert entry["selected_order"] == 2
    assert entry["orders_by_stage"] == D26_ORDERS
    assert [s["n_observations"] for s in entry["seasons"]] == [40] * 12
    assert report["warnings"] == []
    # σ = s · ratio, with the January stats (population std) and its AR(1) ratio.
    jan = entry["seasons"][0]
    assert case.par.sigma[0, 0] == pytest.approx(jan["std_m3s"] * jan["residual_std_ratio"])


def test_d26_trains(shared_cases: Path) -> None:
    result = train(
        shared_cases / "deterministic" / "d26-estimated-par2",
        config_overrides={
            "training": {"stopping_rules": [{"type": "iteration_limit", "limit": 3}]}
        },
    )
    assert result.iterations == 3
    assert math.isfinite(result.final_lower_bound) and result.final_lower_bound > 0


def _copy_d26(shared_cases: Path, tmp_path: Path) -> Path:
    root = tmp_path / "d26"
    shutil.copytree(shared_cases / "deterministic" / "d26-estimated-par2", root)
    return root


def test_partial_estimation_keeps_user_stats(shared_cases: Path, tmp_path: Path) -> None:
    """Path 110: user stats drive the model; AR comes from the history."""
    root = _copy_d26(shared_cases, tmp_path)
    ids = list(range(-2, 12))
    pq.write_table(
        pa.table(
            {
                "hydro_id": pa.array([0] * len(ids), pa.int32()),
                "stage_id": pa.array(ids, pa.int32()),
                "mean_m3s": [150.0] * len(ids),
                "std_m3s": [30.0] * len(ids),
            }
        ),
        root / "scenarios" / "inflow_seasonal_stats.parquet",
    )
    case = load_case(root)
    assert case.inflow_model_source == "estimated"
    assert case.estimation_report["path"] == "partial_estimation"
    assert case.par.order[:, 0].tolist() == D26_ORDERS
    ratio = case.estimation_report["entries"][0]["seasons"][0]["residual_std_ratio"]
    assert case.par.sigma[0, 0] == pytest.approx(30.0 * ratio)


def test_user_ar_with_history_stats(shared_cases: Path, tmp_path: Path) -> None:
    """Path 101: stats from the history, the user's AR(1) everywhere."""
    root = _copy_d26(shared_cases, tmp_path)
    ids = list(range(-2, 12))
    pq.write_table(
        pa.table(
            {
                "hydro_id": pa.array([0] * len(ids), pa.int32()),
                "stage_id": pa.array(ids, pa.int32()),
                "lag": pa.array([1] * len(ids), pa.int32()),
                "coefficient": [0.5] * len(ids),
                "residual_std_ratio": [0.9] * len(ids),
            }
        ),
        root / "scenarios" / "inflow_ar_coefficients.parquet",
    )
    case = load_case(root)
    assert case.inflow_model_source == "estimated"
    report = case.estimation_report
    assert report["path"] == "user_ar_history_stats" and report["method"] == "user_provided"
    assert case.par.order[:, 0].tolist() == [1] * 12
    jan = report["entries"][0]["seasons"][0]
    assert case.par.sigma[0, 0] == pytest.approx(jan["std_m3s"] * 0.9)


def test_estimation_failure_is_a_validation_error(shared_cases: Path, tmp_path: Path) -> None:
    root = _copy_d26(shared_cases, tmp_path)
    pq.write_table(
        pa.table(
            {
                "hydro_id": pa.array([0], pa.int32()),
                "date": pa.array([date(1990, 1, 1)], pa.date32()),
                "value_m3s": [100.0],
            }
        ),
        root / "scenarios" / "inflow_history.parquet",
    )
    with pytest.raises(CobreError) as info:
        load_case(root)
    assert "history" in str(info.value)


def test_estimation_settings_cannot_be_overridden_after_loading(shared_cases: Path) -> None:
    path = shared_cases / "deterministic" / "d26-estimated-par2"
    with pytest.raises(CobreError) as info:
        train(path, config_overrides={"estimation": {"max_order": 1}})
    assert info.value.kind == "IncompatibleSettings"


# ── PAR(p)-A (order_selection = "pacf_annual") ─────────────────────────────────────────────────

D12 = "d12-par-annual"


def test_d12_loads_and_estimates_par_a(shared_cases: Path) -> None:
    """d12: 30 years of monthly history for 2 hydros, pacf_annual, max order 6, 24 stages."""
    case = load_case(shared_cases / "deterministic" / D12)
    assert case.inflow_model_source == "estimated"
    report = case.estimation_report
    assert report["path"] == "full_estimation" and report["method"] == "PACF_ANNUAL"
    h0, h1 = report["entries"]
    assert h0["orders_by_stage"] == [1] * 9 + [2, 1, 1] + [1] * 9 + [2, 1, 1]
    assert h1["orders_by_stage"] == [1] * 24
    assert (h0["selected_order"], h1["selected_order"]) == (2, 1)
    for entry in (h0, h1):
        assert [s["n_observations"] for s in entry["seasons"]] == [30] * 12
        for season in entry["seasons"]:
            assert math.isfinite(season["annual_coefficient"]) and season["annual_std_m3s"] > 0
    # The model is folded into a PAR(12): lags beyond the AR order carry ψ̂/12 = ψ·s/σ^A/12.
    assert case.par.max_order == 12 and case.max_lag == 12
    assert case.par.order[:, 0].tolist() == h0["orders_by_stage"]
    jan = h1["seasons"][0]
    psi_hat = jan["annual_coefficient"] * jan["std_m3s"] / jan["annual_std_m3s"]
    np.testing.assert_allclose(case.par.psi[0, 1, 1:], psi_hat / 12, rtol=1e-12)
    assert case.par.sigma[0, 1] == pytest.approx(jan["std_m3s"] * jan["residual_std_ratio"])


def test_d12_trains(shared_cases: Path) -> None:
    result = train(
        shared_cases / "deterministic" / D12,
        config_overrides={
            "training": {"stopping_rules": [{"type": "iteration_limit", "limit": 5}]}
        },
    )
    assert result.iterations == 5
    assert math.isfinite(result.final_lower_bound) and result.final_lower_bound > 0


def _par_a_history(phi: float, psi: float, years: int, start_month: int, seed: int):
    """Monthly x = μ_m + 10·y with y_t = φ·y_{t−1} + ψ·mean(y_{t−12..t−1}) + ε (stationary)."""
    rng = np.random.default_rng(seed)
    n = years * 12 + 600
    y = np.zeros(n)
    for t in range(12, n):
        y[t] = phi * y[t - 1] + psi * y[t - 12 : t].mean() + rng.normal()
    y = y[600:]
    mu = 200 + 80 * np.sin(np.arange(12) * 2 * np.pi / 12)
    dates, values = [], []
    for t in range(y.size):
        m0 = start_month - 1 + t
        dates.append(date(1800 + m0 // 12, m0 % 12 + 1, 1))
        values.append(float(mu[m0 % 12] + 10.0 * y[t]))
    return dates, values


@pytest.mark.parametrize("start_month", [1, 7])
def test_recovers_a_known_par_a(start_month: int) -> None:
    """A PAR(1)-A with φ = 0.5 and annual coefficient 0.3 on the raw 12-month mean.

    With equal monthly scales, ψ̂ = ψ·s_m/σ^A (the run-time coefficient of A_{t−1}) is the raw
    0.3 in every season. Over seeds, 1000 years give a per-season spread of ψ̂ of about 0.045,
    so each season is held to 0.2 (over 4 s.e.) and the 12-season mean (s.e. ≈ 0.015) to 0.06.
    An OLS regression of standardised Z_t on (Z_{t−1}, standardised A_{t−1}) on the same data
    must agree to 0.01 (observed ≤ 0.002): this pins the A/Z year alignment, also across
    January when the history starts in July.
    """
    dates, values = _par_a_history(0.5, 0.3, 1000, start_month, seed=3)
    res = estimate_par(
        [7], {7: (dates, values)}, _month_spans(), _monthly(), max_order=1,
        order_selection="pacf_annual",
    )  # fmt: skip
    assert res.method == "PACF_ANNUAL"
    (hydro,) = res.hydros
    assert [s.order for s in hydro.seasons] == [1] * 12
    psi_hat = np.array([f.annual[0] * f.std / f.annual[2] for f in hydro.seasons])
    np.testing.assert_allclose(psi_hat, 0.3, atol=0.2)
    assert psi_hat.mean() == pytest.approx(0.3, abs=0.06)
    np.testing.assert_allclose([f.coefficients[0] for f in hydro.seasons], 0.5, atol=0.12)
    x = np.asarray(values)
    months = np.array([d.month - 1 for d in dates])
    mu = np.array([hydro.season(m).mean for m in range(12)])
    sd = np.array([hydro.season(m).std for m in range(12)])
    z = (x - mu[months]) / sd[months]
    a_prev = np.array([x[t - 12 : t].mean() if t >= 12 else np.nan for t in range(x.size)])
    for fit in hydro.seasons:
        idx = np.nonzero(months == fit.season_id)[0]
        idx = idx[idx >= 12]
        _, a_mean, a_std = fit.annual
        design = np.column_stack([z[idx - 1], (a_prev[idx] - a_mean) / a_std])
        ols, *_ = np.linalg.lstsq(design, z[idx], rcond=None)
        np.testing.assert_allclose([fit.coefficients[0], fit.annual[0]], ols, atol=0.01)


def test_rolling_annual_windows_follow_upstream() -> None:
    """A = mean of 12 consecutive values, stored under the season of the last one; windows start
    at i < N − 12, so the window ending at the last observation is not used."""
    dates = [date(2000 + (m // 12), m % 12 + 1, 1) for m in range(26)]
    values = [float(v) for v in range(26)]
    cycle = build_season_cycle(list(range(12)), _monthly())

    def resolve(d: date) -> int:
        return d.month - 1

    buckets = rolling_annual_buckets(dates, values, resolve, cycle)
    # Windows i = 0..13 end at index 11..24 (Dec 2000 .. Jan 2002); mean = i + 5.5.
    assert buckets[11].values.tolist() == [5.5, 17.5] and buckets[11].first_year == 2000
    assert buckets[0].values.tolist() == [6.5, 18.5] and buckets[0].first_year == 2001
    assert buckets[1].values.tolist() == [7.5]  # the window ending Feb 2002 is left out
    with pytest.raises(EstimationError):
        rolling_annual_buckets(dates[:12], values[:12], resolve, cycle)


def test_par_a_rewrite_as_par12_is_exact() -> None:
    """The PAR(12) arrays reproduce the PAR(p)-A one-step prediction on random data:
    z_t = μ_m + Σ_l φ̂_l (z_{t−l} − μ_{m−l}) + ψ̂ (A_{t−1} − mean_l μ_{m−l}), A_{t−1} = mean of
    the 12 lags, φ̂_l = φ*_l s_m/s_{m−l}, ψ̂ = ψ s_m/σ^A (upstream precompute.rs)."""
    rng = np.random.default_rng(5)
    stage_ids = list(range(12))
    hydros = [3, 8]
    stats = {
        (h, sid): (float(rng.uniform(50, 300)), float(rng.uniform(5, 60)))
        for h in hydros
        for sid in range(-12, 12)
    }
    ar, annual = {}, {}
    for h in hydros:
        for sid in stage_ids:
            p = int(rng.integers(0, 4))
            ar[(h, sid)] = (tuple(rng.uniform(-0.5, 0.9, p)), float(rng.uniform(0.3, 1)))
            annual[(h, sid)] = (
                float(rng.uniform(-0.5, 0.5)),
                float(rng.uniform(50, 300)),
                float(rng.uniform(5, 40)),
            )
    model = build_par_model(hydros, stage_ids, stage_ids, stats, ar, annual)
    assert model.max_order == 12
    for t, sid in enumerate(stage_ids):
        lags = rng.uniform(0, 400, size=(12, len(hydros)))
        got = model.deterministic_part(t, lags)
        for h_idx, h in enumerate(hydros):
            mu, s = stats[(h, sid)]
            coefs, ratio = ar[(h, sid)]
            psi, _, sigma_a = annual[(h, sid)]
            mu_lag = np.array([stats[(h, sid - lag)][0] for lag in range(1, 13)])
            s_lag = np.array([stats[(h, sid - lag)][1] for lag in range(1, 13)])
            z = lags[:, h_idx]
            expected = mu + psi * s / sigma_a * (z.mean() - mu_lag.mean())
            for lag, c in enumerate(coefs):
                expected += c * s / s_lag[lag] * (z[lag] - mu_lag[lag])
            assert got[h_idx] == pytest.approx(expected, rel=1e-12, abs=1e-9)
            assert model.sigma[t, h_idx] == pytest.approx(s * ratio)
            assert model.order[t, h_idx] == len(coefs)


def test_pacf_path_has_no_annual_component(shared_cases: Path) -> None:
    """The classical path keeps its lag width and writes no annual fields in the report."""
    case = load_case(shared_cases / "deterministic" / "d26-estimated-par2")
    assert case.par.max_order == 2
    assert "annual_coefficient" not in case.estimation_report["entries"][0]["seasons"][0]
