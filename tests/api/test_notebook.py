"""Notebook niceties: HTML reprs, the plain progress printer, and the two plots."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

import cobre_core as cc
from cobre_core.notebook import LinePrinter, install_reprs
from cobre_core.study import Study


def test_reprs_show_the_numbers(toy_study: Study, toy_dir: Path) -> None:
    install_reprs()
    install_reprs()  # idempotent
    training = toy_study.last_training
    html = training._repr_html_()
    assert "Training" in html and f"{training.final_lower_bound:,.2f}" in html
    assert "iteration_limit" in html
    sim_html = toy_study.last_simulation._repr_html_()
    assert f"{toy_study.last_simulation.mean_cost:,.2f}" in sim_html
    case_html = toy_study.case._repr_html_()
    assert "hydros" in case_html and "state_dimension" in case_html
    assert "Cobre config" in cc.Config.load(toy_dir)._repr_html_()
    assert "Runs" in toy_study._repr_html_()


def test_validation_repr_lists_errors_escaped(toy_dir: Path) -> None:
    (toy_dir / "stages.json").write_text("<not json>")
    result = cc.Validator(toy_dir).run()
    html = result._repr_html_()
    assert "INVALID" in html and "ParseError" in html
    assert "<not json>" not in html
    assert cc.Validator(toy_dir)._repr_html_() == html


def test_line_printer_prints_about_twenty_lines_for_long_runs() -> None:
    stream = io.StringIO()
    printer = LinePrinter(100, "simulation", stream)
    for _ in range(100):
        printer.step("cost=1")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 20
    assert lines[-1] == "simulation 100/100  cost=1"


def test_plot_convergence_draws_the_bounds(toy_study: Study) -> None:
    pytest.importorskip("matplotlib")
    from cobre_core.notebook import plot_convergence
    from cobre_core.notebook.plots import convergence_arrays

    training = toy_study.last_training
    fig = plot_convergence(training)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    history = training.convergence_history
    np.testing.assert_array_equal(
        lines["lower bound"].get_ydata(), history.column("lower_bound").to_numpy()
    )
    np.testing.assert_array_equal(
        lines["upper bound (mean)"].get_ydata(), history.column("upper_bound_mean").to_numpy()
    )
    assert fig._repr_png_().startswith(b"\x89PNG")
    same = convergence_arrays(toy_study.results())
    np.testing.assert_array_equal(same["lower_bound"], history.column("lower_bound").to_numpy())


def test_plot_cost_fan_uses_per_stage_quantiles(toy_study: Study) -> None:
    pytest.importorskip("matplotlib")
    from cobre_core.notebook import plot_cost_fan
    from cobre_core.notebook.plots import cost_quantiles

    res = toy_study.results()
    stage_ids, q, mean = cost_quantiles(res, (0.5,))
    costs = res.costs()
    costs["discounted"] = costs.discount_factor * costs.immediate_cost
    by_stage = costs.groupby("stage_id")["discounted"]
    np.testing.assert_allclose(q[0], by_stage.median().to_numpy())
    np.testing.assert_allclose(mean, by_stage.mean().to_numpy())
    assert stage_ids.tolist() == sorted(costs.stage_id.unique())
    fig = plot_cost_fan(toy_study)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["50%", "mean"]
    np.testing.assert_allclose(fig.axes[0].get_lines()[1].get_ydata(), mean)
