"""Spatial correlation: correlation.json, spectral factors, correlated trees and draws, estimate."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cobre_core import load_case
from cobre_core.errors import CobreError
from cobre_core.sddp.problem import Problem
from cobre_core.stochastic.correlation import (
    CorrelationFile,
    noise_correlation,
    spectral_factor,
)
from cobre_core.stochastic.sampling_schemes import sampler_for
from cobre_core.validation import validate

D19 = "d19-multi-hydro-par"
D12 = "d12-par-annual"


def _copy(shared_cases: Path, name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(shared_cases / "deterministic" / name, root)
    return root


def _edit_json(path: Path, edit: Any) -> None:
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


def _correlation(rho: float, schedule: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    def profile(r: float) -> dict[str, Any]:
        return {
            "correlation_groups": [
                {
                    "name": "basin",
                    "entities": [{"type": "inflow", "id": 0}, {"type": "inflow", "id": 1}],
                    "matrix": [[1.0, r], [r, 1.0]],
                }
            ]
        }

    doc: dict[str, Any] = {
        "method": "spectral",
        "profiles": {"default": profile(rho), "dry": profile(-rho)},
    }
    if schedule is not None:
        doc["schedule"] = schedule
    return doc


def _d19_with(tmp_path: Path, shared_cases: Path, corr: dict[str, Any], openings: int) -> Path:
    root = _copy(shared_cases, D19, tmp_path)
    (root / "scenarios" / "correlation.json").write_text(json.dumps(corr))

    def more_openings(doc: dict[str, Any]) -> None:
        for stage in doc["stages"]:
            stage["num_scenarios"] = openings

    _edit_json(root / "stages.json", more_openings)
    return root


# ── factors ──────────────────────────────────────────────────────────────────────────────────


def test_spectral_factor_reproduces_a_positive_definite_matrix() -> None:
    c = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, -0.2], [0.3, -0.2, 1.0]])
    f = spectral_factor(c)
    np.testing.assert_allclose(f, f.T, atol=1e-15)
    np.testing.assert_allclose(f @ f.T, c, atol=1e-12)


def test_spectral_factor_clips_negative_eigenvalues() -> None:
    c = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])  # not PSD
    assert np.linalg.eigvalsh(c).min() < 0
    psd = spectral_factor(c) @ spectral_factor(c).T
    assert np.linalg.eigvalsh(psd).min() > -1e-12
    values, vectors = np.linalg.eigh(c)
    np.testing.assert_allclose(psd, (vectors * np.clip(values, 0, None)) @ vectors.T, atol=1e-12)


# ── the file ─────────────────────────────────────────────────────────────────────────────────


def test_file_model_rejects_a_bad_matrix() -> None:
    good = _correlation(0.5)
    CorrelationFile.model_validate(good)
    for bad in ([[1.0, 0.5], [0.4, 1.0]], [[0.9, 0.5], [0.5, 1.0]], [[1.0, 1.5], [1.5, 1.0]]):
        doc = _correlation(0.5)
        doc["profiles"]["default"]["correlation_groups"][0]["matrix"] = bad
        with pytest.raises(ValueError):
            CorrelationFile.model_validate(doc)


def test_validation_reports_correlation_problems(shared_cases: Path, tmp_path: Path) -> None:
    root = _copy(shared_cases, D19, tmp_path)
    path = root / "scenarios" / "correlation.json"
    doc = _correlation(0.5)
    doc["profiles"]["default"]["correlation_groups"][0]["entities"][1]["id"] = 99
    path.write_text(json.dumps(doc))
    report = validate(root)
    assert not report.valid
    assert any(
        e.kind == "MissingReference" and e.context["file"] == "scenarios/correlation.json"
        for e in report.errors
    )
    doc = _correlation(0.5)
    doc["profiles"] = {"wet": doc["profiles"]["default"], "dry": doc["profiles"]["dry"]}
    path.write_text(json.dumps(doc))
    report = validate(root)
    assert any(e.kind == "IncompatibleSettings" for e in report.errors)
    doc = _correlation(0.5)
    doc["profiles"]["default"]["correlation_groups"][0]["matrix"] = [[1.0, 0.5], [0.2, 1.0]]
    path.write_text(json.dumps(doc))
    assert any(e.kind == "SchemaViolation" for e in validate(root).errors)
    path.write_text(json.dumps(_correlation(0.5)))
    assert validate(root).valid


# ── correlated openings and draws ────────────────────────────────────────────────────────────


def test_correlated_openings_have_the_configured_correlation(
    shared_cases: Path, tmp_path: Path
) -> None:
    """d19 (2 hydros, 3 stages in one noise group) with 4000 openings and rho = 0.7."""
    root = _d19_with(tmp_path, shared_cases, _correlation(0.7), 4000)
    problem = Problem(load_case(root), lanes=1)
    tree = problem.tree
    assert tree.correlation is not None and tree.correlation.source == "file"
    sample = np.corrcoef(tree.openings[0][:, 0], tree.openings[0][:, 1])[0, 1]
    assert sample == pytest.approx(0.7, abs=0.03)
    assert tree.openings[1] is tree.openings[0]  # the group shares the correlated draw
    # same independent draws underneath: the uncorrelated tree of the same seed
    plain_root = _copy(shared_cases, D19, tmp_path / "plain")
    _edit_json(
        plain_root / "stages.json",
        lambda d: [s.update(num_scenarios=4000) for s in d["stages"]],
    )
    plain = Problem(load_case(plain_root), lanes=1).tree
    factor = spectral_factor(np.array([[1.0, 0.7], [0.7, 1.0]]))
    np.testing.assert_allclose(tree.openings[0], plain.openings[0] @ factor.T, atol=1e-12)


def test_schedule_picks_profiles_by_stage_id_in_the_tree(
    shared_cases: Path, tmp_path: Path
) -> None:
    schedule = [{"stage_id": 0, "profile_name": "dry"}]
    root = _d19_with(tmp_path, shared_cases, _correlation(0.7, schedule), 3000)

    def own_groups(doc: dict[str, Any]) -> None:  # one noise group per stage
        for i, stage in enumerate(doc["stages"]):
            stage["season_id"] = i

    _edit_json(root / "stages.json", own_groups)
    tree = Problem(load_case(root), lanes=1).tree
    r0 = np.corrcoef(tree.openings[0].T)[0, 1]
    r1 = np.corrcoef(tree.openings[1].T)[0, 1]
    assert r0 == pytest.approx(-0.7, abs=0.04) and r1 == pytest.approx(0.7, abs=0.04)


def test_out_of_sample_draws_are_correlated(shared_cases: Path, tmp_path: Path) -> None:
    root = _d19_with(tmp_path, shared_cases, _correlation(0.6), 1)

    def oos(doc: dict[str, Any]) -> None:
        doc["training"]["scenario_source"] = {"seed": 11, "inflow": {"scheme": "out_of_sample"}}
        doc.setdefault("modeling", {})["inflow_non_negativity"] = {"method": "none"}

    _edit_json(root / "config.json", oos)
    problem = Problem(load_case(root), lanes=1)
    sampler = sampler_for(problem, "training")
    x0 = problem.initial_state
    draws = np.array([sampler.path((1, k)).noise(0, x0)[:2] for k in range(3000)])
    assert np.corrcoef(draws.T)[0, 1] == pytest.approx(0.6, abs=0.04)
    assert draws.std(axis=0) == pytest.approx([1.0, 1.0], abs=0.05)


def test_several_profiles_without_default_are_refused_at_run_time(
    shared_cases: Path, tmp_path: Path
) -> None:
    case = load_case(_d19_with(tmp_path, shared_cases, _correlation(0.5), 1))
    bad = _correlation(0.5)
    bad["profiles"] = {"wet": bad["profiles"]["default"], "dry": bad["profiles"]["dry"]}
    (Path(case.path) / "scenarios" / "correlation.json").write_text(json.dumps(bad))
    with pytest.raises(CobreError) as info:
        noise_correlation(case)
    assert info.value.records[0].kind == "IncompatibleSettings"


# ── estimated from the history residuals ─────────────────────────────────────────────────────


def _synthetic_history(years: int, rho: float, seed: int) -> pa.Table:
    """Two hydros, monthly white noise around a seasonal mean, cross-correlated by ``rho``."""
    rng = np.random.default_rng(seed)
    n = years * 12
    z = rng.standard_normal((n, 2)) @ np.linalg.cholesky([[1.0, rho], [rho, 1.0]]).T
    mu = 300 + 100 * np.sin(np.arange(12) * 2 * np.pi / 12)
    dates, hydros, values = [], [], []
    for t in range(n):
        for h in range(2):
            dates.append(date(1950 + t // 12, t % 12 + 1, 1))
            hydros.append(h)
            values.append(float(mu[t % 12] * (1 + 0.1 * h) + 30.0 * z[t, h]))
    return pa.table(
        {
            "hydro_id": pa.array(hydros, pa.int32()),
            "date": pa.array(dates, pa.date32()),
            "value_m3s": pa.array(values, pa.float64()),
        }
    )


def test_estimated_correlation_of_history_residuals(shared_cases: Path, tmp_path: Path) -> None:
    """d12's layout (2 hydros, 24 monthly stages) with 60 years of correlated white noise."""
    root = _copy(shared_cases, D12, tmp_path)
    pq.write_table(_synthetic_history(60, 0.6, 5), root / "scenarios" / "inflow_history.parquet")
    _edit_json(
        root / "config.json",
        lambda d: d["estimation"].update(order_selection="pacf", min_observations_per_season=30),
    )
    case = load_case(root)
    corr = noise_correlation(case)
    assert corr is not None and corr.source == "estimated"
    spec = corr.spec
    pooled = spec.profiles["default"].correlation_groups[0]
    assert [e.id for e in pooled.entities] == [0, 1]
    assert pooled.matrix[0][1] == pytest.approx(0.6, abs=0.06)
    seasons = sorted(p for p in spec.profiles if p != "default")
    assert seasons == [f"season_{m:02d}" for m in range(12)]
    assert {(e.stage_id, e.profile_name) for e in spec.schedule or ()} == {
        (c.stage_id, f"season_{c.season_id:02d}") for c in case.calendar
    }
    tree = Problem(case, lanes=1).tree
    assert tree.correlation is not None


def test_user_model_without_file_is_uncorrelated(shared_cases: Path) -> None:
    assert noise_correlation(load_case(shared_cases / "deterministic" / D19)) is None
