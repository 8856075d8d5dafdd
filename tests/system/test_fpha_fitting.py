"""FPHA hyperplanes fitted from reservoir geometry (``fpha_config.source: computed``).

Tolerances: plane values are sums of a few products of numbers of order 1e2-1e3 (MW, hm³, m³/s),
so double rounding is below 1e-10 MW; the pipeline's own envelope tolerance is 1e-8, which the
property checks use as their bound.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cobre_core import CaseValidationError
from cobre_core.loader import load_case
from cobre_core.model.hydros import Hydro
from cobre_core.model.production_models import FphaConfig
from cobre_core.study_runs import train
from cobre_core.system.fpha_fitting import (
    K_MW_PER_M4S,
    FittingBounds,
    FphaFittingError,
    ProductionFunction,
    envelope,
    fit_hydro,
    fit_planes,
    fitting_grid,
    resolve_bounds,
    tangent_planes,
)

D07 = "deterministic/d07-fpha-computed"


def _pf(**kw: object) -> ProductionFunction:
    base: dict[str, object] = {
        "volumes": np.array([0.0, 100.0]),
        "heights": np.array([100.0, 200.0]),
        "max_turbined": 10.0,
    }
    base.update(kw)
    return ProductionFunction(**base)  # type: ignore[arg-type]


def _nonlinear_pf() -> ProductionFunction:
    """Concave forebay, rising quadratic tailrace, factor losses: phi is genuinely curved."""
    return _pf(
        volumes=np.array([0.0, 500.0, 1000.0, 2000.0]),
        heights=np.array([380.0, 392.0, 398.0, 404.0]),
        max_turbined=800.0,
        efficiency=0.9,
        loss_factor=0.02,
        tailrace_coefficients=(300.0, 0.01, 1e-5),
    )


# ── production function ──────────────────────────────────────────────────────


def test_production_function_matches_hand_values() -> None:
    pf = _pf(
        efficiency=0.92,
        loss_factor=0.03,
        tailrace_coefficients=(10.0, 0.1),
    )
    # v = 25: forebay 125 m; outflow 5 + 3 = 8: tailrace 10.8 m; net 0.97 * 114.2
    expected = 9.81e-3 * 0.92 * 5.0 * 0.97 * (125.0 - 10.8)
    assert pf.evaluate(np.array([25.0]), np.array([5.0]), np.array([3.0]))[0] == pytest.approx(
        expected, rel=1e-14
    )
    # clamped outside the table; the slope at a breakpoint is the right-hand segment's
    h, dh = pf.forebay(np.array([-10.0, 0.0, 100.0, 150.0]))
    assert h.tolist() == [100.0, 100.0, 200.0, 200.0]
    assert dh.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_piecewise_tailrace_interpolates_and_clamps() -> None:
    pf = _pf(tailrace_outflows=np.array([0.0, 10.0, 30.0]), tailrace_heights=[5.0, 6.0, 10.0])
    h, dh = pf.tailrace(np.array([-1.0, 5.0, 10.0, 20.0, 50.0]))
    np.testing.assert_allclose(h, [5.0, 5.5, 6.0, 8.0, 10.0])
    np.testing.assert_allclose(dh, [0.1, 0.1, 0.2, 0.2, 0.2])


def test_gradient_matches_finite_differences() -> None:
    pf = _nonlinear_pf()
    v, q, s = np.array([250.0, 1400.0]), np.array([300.0, 650.0]), np.array([40.0, 120.0])
    d_v, d_q, d_s = pf.gradient(v, q, s)
    eps = 1e-4
    for analytic, dv, dq, ds in ((d_v, eps, 0, 0), (d_q, 0, eps, 0), (d_s, 0, 0, eps)):
        numeric = (pf.evaluate(v + dv, q + dq, s + ds) - pf.evaluate(v - dv, q - dq, s - ds)) / (
            2 * eps
        )
        np.testing.assert_allclose(analytic, numeric, rtol=1e-7)


def test_tangent_planes_touch_the_function_at_their_points() -> None:
    pf = _nonlinear_pf()
    v, q, s = fitting_grid(pf, FittingBounds(0.0, 2000.0))
    planes = tangent_planes(pf, v, q, s)
    assert planes.shape == (v.size, 4)
    at_own_point = planes[:, 0] + planes[:, 1] * v + planes[:, 2] * q + planes[:, 3] * s
    np.testing.assert_allclose(at_own_point, pf.evaluate(v, q, s), rtol=0, atol=1e-9)


# ── hand-checkable fits ──────────────────────────────────────────────────────


def test_linear_production_gives_one_exact_plane() -> None:
    """Flat forebay and constant tailrace: phi = K·eta·q·H is linear, so it is reproduced."""
    pf = _pf(
        heights=np.array([400.0, 400.0]),
        efficiency=0.9,
        loss_constant_m=10.0,
        tailrace_coefficients=(90.0,),
    )
    fit = fit_planes(pf, FittingBounds(0.0, 100.0))
    slope = K_MW_PER_M4S * 0.9 * 300.0
    assert fit.planes.shape == (1, 4)
    np.testing.assert_allclose(fit.planes[0], [0.0, 0.0, slope, 0.0], atol=1e-12)
    assert fit.kappa == pytest.approx(1.0, abs=1e-12)
    assert fit.max_overestimate_mw == pytest.approx(0.0, abs=1e-10)
    rows = fit.as_fpha_planes().coefficients
    assert rows.shape == (1, 5) and rows[0, 4] == fit.kappa


def test_bilinear_production_on_a_two_point_grid() -> None:
    """Linear forebay h = 100 + v, no tailrace: phi = K·q·(100 + v), bilinear.

    Grid v in {0, 100}, q in {1, 10} (q starts at max(1, 0.01·qmax)). The tangent plane at
    (v0, q0) is K·[(100 + v0)·q + q0·v - q0·v0]; all four are active somewhere, and the worst
    ratio phi / envelope is at (100, 1): phi = 200 K while the plane of (0, 10) gives
    (100 + 1000) K, so kappa = 2/11.
    """
    pf = _pf()
    fit = fit_planes(pf, FittingBounds(0.0, 100.0, n_volume=2, n_flow=2, n_spillage=2))
    expected = {
        (round(-q0 * v0, 9), float(q0), float(100 + v0), 0.0)
        for v0 in (0.0, 100.0)
        for q0 in (1.0, 10.0)
    }
    got = {tuple(round(float(x) / K_MW_PER_M4S, 9) + 0.0 for x in p) for p in fit.planes}
    assert got == expected
    assert fit.kappa == pytest.approx(2.0 / 11.0, rel=1e-12)


def test_selection_respects_the_budget_and_keeps_the_outer_approximation() -> None:
    pf = _nonlinear_pf()
    full = fit_planes(pf, FittingBounds(0.0, 2000.0, max_planes=100))
    assert full.planes.shape[0] > 3
    small = fit_planes(pf, FittingBounds(0.0, 2000.0, max_planes=3))
    assert small.planes.shape[0] == 3
    v, q, s = fitting_grid(pf, FittingBounds(0.0, 2000.0))
    phi = pf.evaluate(v, q, s)
    assert np.all(envelope(small.planes, v, q, s) >= phi - 1e-8)
    # a max over fewer planes is lower: removals only tighten the envelope
    assert small.max_overestimate_mw <= full.max_overestimate_mw + 1e-9


# ── properties ───────────────────────────────────────────────────────────────


@pytest.mark.parametrize("seed", range(6))
def test_fit_properties_on_random_geometries(seed: int) -> None:
    """Outer approximation on the grid, kappa = min phi/envelope, valid signs, budget."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    volumes = np.cumsum(rng.uniform(10.0, 500.0, n))
    heights = 300.0 + np.cumsum(rng.uniform(0.0, 20.0, n))
    pf = _pf(
        volumes=volumes,
        heights=heights,
        max_turbined=float(rng.uniform(20.0, 1000.0)),
        efficiency=float(rng.uniform(0.8, 1.0)),
        loss_factor=float(rng.uniform(0.0, 0.05)),
        tailrace_coefficients=(200.0, float(rng.uniform(0.0, 0.02)), float(rng.uniform(0, 1e-5))),
    )
    bounds = FittingBounds(
        float(volumes[0]),
        float(volumes[-1]),
        n_volume=int(rng.integers(2, 7)),
        n_flow=int(rng.integers(2, 7)),
        n_spillage=int(rng.integers(2, 5)),
        max_planes=int(rng.integers(1, 12)),
    )
    fit = fit_planes(pf, bounds)
    v, q, s = fitting_grid(pf, bounds)
    phi = pf.evaluate(v, q, s)
    env = envelope(fit.planes, v, q, s)
    assert np.all(env >= phi - 1e-8)
    assert 0.0 < fit.kappa <= 1.0
    assert np.all(fit.kappa * env <= phi * (1 + 1e-12) + 1e-12)
    assert np.any(np.isclose(fit.kappa * env, phi, rtol=1e-12))
    assert np.all(fit.planes[:, 1] >= -1e-10)
    assert np.all(fit.planes[:, 2] >= -1e-10)
    assert np.all(fit.planes[:, 3] <= 1e-10)
    assert fit.planes.shape[0] >= 1


# ── settings and errors ──────────────────────────────────────────────────────


def test_resolve_bounds_defaults_window_and_percentiles() -> None:
    table = np.array([0.0, 50.0, 200.0])
    default = resolve_bounds(None, table, 10.0, 150.0)
    assert (default.v_min, default.v_max) == (0.0, 200.0)
    assert (default.n_volume, default.n_flow, default.n_spillage, default.max_planes) == (
        5,
        5,
        5,
        10,
    )
    cfg = FphaConfig.model_validate(
        {
            "source": "computed",
            "volume_discretization_points": 3,
            "max_planes_per_hydro": 4,
            "fitting_window": {"volume_min_percentile": 0.25, "volume_max_hm3": 500.0},
        }
    )
    b = resolve_bounds(cfg, table, 10.0, 150.0)
    assert (b.v_min, b.v_max) == (10.0 + 0.25 * 140.0, 200.0)  # percentile is a fraction
    assert (b.n_volume, b.n_flow, b.max_planes) == (3, 5, 4)


@pytest.mark.parametrize(
    "window",
    [
        {"volume_min_hm3": 10.0, "volume_min_percentile": 0.1},
        {"volume_min_hm3": 150.0, "volume_max_hm3": 100.0},
    ],
)
def test_resolve_bounds_rejects_bad_windows(window: dict) -> None:
    cfg = FphaConfig.model_validate({"source": "computed", "fitting_window": window})
    with pytest.raises(FphaFittingError):
        resolve_bounds(cfg, np.array([0.0, 200.0]), 0.0, 200.0)


def test_invalid_inputs_raise() -> None:
    with pytest.raises(FphaFittingError):
        _pf(volumes=np.array([0.0, 0.0]))
    with pytest.raises(FphaFittingError):
        _pf(heights=np.array([200.0, 100.0]))
    with pytest.raises(FphaFittingError):
        FittingBounds(0.0, 100.0, n_flow=1)
    with pytest.raises(FphaFittingError, match="net head"):
        fit_planes(_pf(tailrace_coefficients=(500.0,)), FittingBounds(0.0, 100.0))


# ── d07 end to end ───────────────────────────────────────────────────────────


def test_d07_fit_from_case_files(shared_cases: Path) -> None:
    import pyarrow.parquet as pq

    root = shared_cases / D07
    hydro = Hydro.model_validate(json.loads((root / "system/hydros.json").read_text())["hydros"][0])
    geo = pq.read_table(root / "system/hydro_geometry.parquet").to_pydict()
    fit = fit_hydro(hydro, np.array(geo["volume_hm3"]), np.array(geo["height_m"]), None)
    # constant tailrace: phi = K·0.92·0.97·q·(h(v) - 300), independent of spillage
    assert np.all(fit.planes[:, 3] == 0.0)
    assert 1 <= fit.planes.shape[0] <= 10
    assert 0.0 < fit.kappa <= 1.0


def test_d07_loads_with_fitted_planes_and_trains(shared_cases: Path) -> None:
    case = load_case(shared_cases / D07)
    for stage in case.stages:
        planes = stage.hydro.fpha_planes[0]
        assert stage.hydro.is_fpha[0] and planes is not None
        assert planes.coefficients.shape[1] == 5
    result = train(case)
    assert result.iterations <= 10
    assert abs(result.final_gap) < 1e-6
    assert result.final_lower_bound > 0.0


def test_computed_source_needs_the_head_models(shared_cases: Path, tmp_path: Path) -> None:
    root = tmp_path / "d07"
    shutil.copytree(shared_cases / D07, root)
    path = root / "system/hydros.json"
    doc = json.loads(path.read_text())
    del doc["hydros"][0]["tailrace"]
    path.write_text(json.dumps(doc))
    with pytest.raises(CaseValidationError) as info:
        load_case(root)
    assert info.value.kind == "IncompatibleSettings"
    assert "tailrace" in str(info.value)
