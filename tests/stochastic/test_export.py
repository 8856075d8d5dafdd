"""exports.stochastic: output/stochastic/ in upstream's formats, and fed back as case inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from cobre_core import load_case
from cobre_core.sddp.problem import Problem
from cobre_core.stochastic.export import export_stochastic
from cobre_core.stochastic.par import build_par_model

D12 = "d12-par-annual"
D29 = "d29-weekly-par-noise-sharing"


def _rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def test_d12_exports_its_fitted_par_a_model(shared_cases: Path, tmp_path: Path) -> None:
    case = load_case(shared_cases / "deterministic" / D12)
    assert case.config.exports.stochastic
    problem = Problem(case, lanes=1)
    files = export_stochastic(case, problem, tmp_path / "output")
    out = tmp_path / "output" / "stochastic"
    assert {f.name for f in files} == {
        "inflow_seasonal_stats.parquet",
        "inflow_ar_coefficients.parquet",
        "inflow_annual_component.parquet",
        "correlation.json",
        "noise_openings.parquet",
        "fitting_report.json",
    }
    assert all(f.parent == out and f.is_file() for f in files)
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # staged, swapped in

    stats = {
        (r["hydro_id"], r["stage_id"]): (r["mean_m3s"], r["std_m3s"])
        for r in _rows(out / "inflow_seasonal_stats.parquet")
    }
    assert {s for _, s in stats} == set(range(-2, 24))  # pre-study stages included
    ar: dict[tuple[int, int], list[tuple[int, float, float]]] = {}
    for r in _rows(out / "inflow_ar_coefficients.parquet"):
        ar.setdefault((r["hydro_id"], r["stage_id"]), []).append(
            (r["lag"], r["coefficient"], r["residual_std_ratio"])
        )
    ar_model = {k: (tuple(c for _, c, _ in sorted(v)), v[0][2]) for k, v in ar.items()}
    annual = {
        (r["hydro_id"], r["stage_id"]): (
            r["annual_coefficient"],
            r["annual_mean_m3s"],
            r["annual_std_m3s"],
        )
        for r in _rows(out / "inflow_annual_component.parquet")
    }
    assert len(annual) == 2 * 24
    sf = case.stages_file
    rebuilt = build_par_model(
        [h.id for h in case.hydros],
        [s.id for s in sf.stages],
        [s.season_id for s in sf.stages],
        stats,
        ar_model,
        annual,
    )
    for name in ("base", "psi", "sigma", "order"):
        assert np.array_equal(getattr(rebuilt, name), getattr(case.par, name)), name

    openings = pq.read_table(out / "noise_openings.parquet")
    assert openings.schema.field("opening_index").type == "uint32"
    for r in openings.to_pylist():
        assert (
            problem.tree.openings[r["stage_id"]][r["opening_index"], r["entity_index"]]
            == (r["value"])
        )
    assert openings.num_rows == sum(b.size for b in problem.tree.openings)
    corr = json.loads((out / "correlation.json").read_text())
    assert corr["method"] == "spectral" and "default" in corr["profiles"]
    report = json.loads((out / "fitting_report.json").read_text())
    assert report["hydros"]["0"]["selected_order"] == 2
    assert len(report["hydros"]["0"]["coefficients"]) == 12


def test_exported_model_fed_back_as_inputs_gives_the_same_par(
    shared_cases: Path, tmp_path: Path
) -> None:
    """d12 estimated as classical PAR(p); its exported stats, AR and correlation become inputs."""
    source = tmp_path / "fitted"
    shutil.copytree(shared_cases / "deterministic" / D12, source)
    config = json.loads((source / "config.json").read_text())
    config["estimation"]["order_selection"] = "pacf"
    (source / "config.json").write_text(json.dumps(config))
    fitted = load_case(source)
    assert fitted.inflow_model_source == "estimated" and fitted.par.max_order > 0
    fitted_problem = Problem(fitted, lanes=1)
    export_stochastic(fitted, fitted_problem, source / "output")

    reused = tmp_path / "reused"
    shutil.copytree(source, reused, ignore=shutil.ignore_patterns("output"))
    (reused / "scenarios" / "inflow_history.parquet").unlink()
    del config["estimation"]
    (reused / "config.json").write_text(json.dumps(config))
    # user AR coefficients need every lag of the initial conditions (the fit zero-fills them)
    initial = json.loads((reused / "initial_conditions.json").read_text())
    for entry in initial["past_inflows"]:
        entry["values_m3s"] += [0.0] * (fitted.par.max_order - len(entry["values_m3s"]))
    (reused / "initial_conditions.json").write_text(json.dumps(initial))
    exported = source / "output" / "stochastic"
    for name in (
        "inflow_seasonal_stats.parquet",
        "inflow_ar_coefficients.parquet",
        "correlation.json",
    ):
        shutil.copy(exported / name, reused / "scenarios" / name)
    case = load_case(reused)
    assert case.inflow_model_source == "user"
    for name in ("base", "psi", "sigma", "order"):
        assert np.array_equal(getattr(case.par, name), getattr(fitted.par, name)), name
    tree = Problem(case, lanes=1).tree
    assert tree.correlation is not None and tree.correlation.source == "file"
    for a, b in zip(tree.openings, fitted_problem.tree.openings, strict=True):
        assert np.array_equal(a, b)


def test_user_model_export_has_identity_correlation_and_load_stats(
    shared_cases: Path, tmp_path: Path
) -> None:
    case = load_case(shared_cases / "deterministic" / D29)
    files = export_stochastic(case, Problem(case, lanes=1).tree, tmp_path)
    names = {f.name for f in files}
    assert "fitting_report.json" not in names
    corr = json.loads((tmp_path / "stochastic" / "correlation.json").read_text())
    assert corr == {"method": "spectral", "profiles": {"default": {"correlation_groups": []}}}
    src = shared_cases / "deterministic" / D29 / "scenarios"
    for name in ("inflow_seasonal_stats.parquet", "inflow_ar_coefficients.parquet"):
        mine = sorted(tuple(r.values()) for r in _rows(tmp_path / "stochastic" / name))
        theirs = sorted(tuple(r.values()) for r in _rows(src / name))
        assert mine == theirs
    if any((sd.load_std > 0).any() for sd in case.stages):
        assert "load_seasonal_stats.parquet" in names
