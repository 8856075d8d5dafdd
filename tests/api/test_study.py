"""Study: training and simulation runs, progress reporting, threads, results as frames."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import cobre_core as cc
from cobre_core.errors import OutputError
from cobre_core.notebook import progress as progress_module
from cobre_core.study import Study
from tests.api.conftest import MULTI_SCENARIOS, TOY_ITERATIONS, TOY_SCENARIOS

FIVE = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 5}]}}


def test_progress_callback_is_called_once_per_iteration(toy_dir: Path) -> None:
    study = Study(toy_dir)
    seen = []
    result = study.train(progress=seen.append, config_overrides=FIVE)
    assert result.iterations == 5
    assert [rec.iteration for rec in seen] == [1, 2, 3, 4, 5]
    assert seen[-1].lower_bound == result.final_lower_bound


def test_simulation_progress_callback_gets_every_scenario(toy_dir: Path) -> None:
    study = Study(toy_dir)
    study.train(config_overrides=FIVE)
    seen: list[tuple[int, float]] = []
    sim = study.simulate(num_scenarios=4, progress=lambda k, c: seen.append((k, c)))
    assert sorted(k for k, _ in seen) == [0, 1, 2, 3]
    assert sorted(c for _, c in seen) == sorted(sim.scenario_costs.tolist())


def test_progress_true_without_tqdm_prints_lines(
    toy_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(progress_module, "tqdm_available", lambda: False)
    study = Study(toy_dir)
    study.train(progress=True, config_overrides=FIVE)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[1] for line in lines] == ["1/5", "2/5", "3/5", "4/5", "5/5"]
    assert all(line.startswith("training ") and "lb=" in line for line in lines)


def test_progress_true_with_tqdm_counts_iterations(
    toy_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tqdm")
    bars: list[progress_module.TqdmReporter] = []
    original = progress_module.TqdmReporter

    class Recording(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(progress_module, "TqdmReporter", Recording)
    Study(toy_dir).train(progress=True, config_overrides=FIVE)
    assert len(bars) == 1
    assert bars[0].bar.n == 5 and bars[0].bar.total == 5


def test_bad_progress_value_is_rejected(toy_dir: Path) -> None:
    with pytest.raises(TypeError):
        Study(toy_dir).train(progress="yes", config_overrides=FIVE)  # type: ignore[arg-type]


def test_runs_are_recorded_and_simulate_uses_the_last_policy(toy_study: Study) -> None:
    kinds = [r.kind for r in toy_study.runs]
    assert kinds == ["train", "simulate"]
    training = toy_study.last_training
    assert training is not None and training.iterations == TOY_ITERATIONS
    assert toy_study.policy.policy is training.policy
    sim = toy_study.last_simulation
    assert sim is not None and sim.scenarios == TOY_SCENARIOS
    assert toy_study.runs[1].output_dir == toy_study.output_dir


def test_study_threads_follow_the_module_default(toy_dir: Path, default_threads: None) -> None:
    cc.set_default_threads(2)
    study = Study(toy_dir)
    study.train(config_overrides=FIVE)
    assert study.runs[-1].threads == 2
    study.train(config_overrides=FIVE, threads=1)
    assert study.runs[-1].threads == 1
    pinned = Study(toy_dir, threads=3)
    pinned.train(config_overrides=FIVE)
    assert pinned.runs[-1].threads == 3


def test_results_are_deterministic_across_thread_counts(toy_dir: Path) -> None:
    one = Study(toy_dir, threads=1).train(config_overrides=FIVE)
    two = Study(toy_dir, threads=2).train(config_overrides=FIVE)
    assert one.final_lower_bound == two.final_lower_bound


def test_costs_frame_has_one_row_per_scenario_and_stage(toy_study: Study) -> None:
    res = toy_study.results()
    costs = res.costs()
    stages = toy_study.case.num_stages
    assert isinstance(costs, pd.DataFrame)
    assert len(costs) == TOY_SCENARIOS * stages
    assert costs.groupby("scenario_id").size().tolist() == [stages] * TOY_SCENARIOS
    discounted = (costs.discount_factor * costs.immediate_cost).groupby(costs.scenario_id).sum()
    assert discounted.mean() == pytest.approx(toy_study.last_simulation.mean_cost, rel=1e-12)


def test_entity_frames_have_scenario_stage_entity_block_rows(multi_study: Study) -> None:
    case = multi_study.case
    res = multi_study.results()
    blocks = sum(s.num_blocks for s in case.stages)
    assert len(res.hydros()) == MULTI_SCENARIOS * blocks * len(case.hydros)
    assert len(res.thermals()) == MULTI_SCENARIOS * blocks * len(case.thermals)
    assert len(res.buses()) == MULTI_SCENARIOS * blocks * len(case.buses)
    assert len(res.convergence()) == multi_study.last_training.iterations


def test_arrow_conversion_matches_pandas(toy_study: Study) -> None:
    res = toy_study.results()
    table = res.hydros(stages=(1, 2), to="arrow")
    assert isinstance(table, pa.Table)
    assert set(table.column("stage_id").to_pylist()) == {1, 2}
    assert table.to_pandas().equals(res.hydros(stages=(1, 2)))


def test_polars_conversion_when_installed(toy_study: Study) -> None:
    pl = pytest.importorskip("polars")
    frame = toy_study.results().costs(to="polars")
    assert isinstance(frame, pl.DataFrame)
    assert frame.height == TOY_SCENARIOS * toy_study.case.num_stages


def test_simulate_before_training_needs_a_policy(toy_dir: Path, tmp_path: Path) -> None:
    study = Study(toy_dir)
    with pytest.raises(OutputError) as info:
        study.simulate(num_scenarios=1)
    assert info.value.kind == "OutputNotFound"
    assert info.value.context["field"] == "policy"


def test_policy_is_found_in_the_output_directory(toy_study: Study) -> None:
    fresh = Study(toy_study.case, output_dir=toy_study.output_dir)
    assert fresh.policy.num_cuts() == toy_study.policy.num_cuts()


def test_results_without_an_output_dir_raise(toy_dir: Path) -> None:
    study = Study(toy_dir)
    study.train(config_overrides=FIVE)
    with pytest.raises(OutputError) as info:
        study.results()
    assert info.value.kind == "OutputNotFound"


def test_in_memory_simulation_keeps_tables(toy_dir: Path) -> None:
    study = Study(toy_dir)
    study.train(config_overrides=FIVE)
    sim = study.simulate(num_scenarios=2)
    assert sim.output_directory is None and len(sim.tables) == 2


def test_configure_applies_overrides_and_configs(toy_dir: Path) -> None:
    study = Study(toy_dir)
    study.configure({"simulation": {"num_scenarios": 3}})
    assert study.config.get("simulation.num_scenarios") == 3
    cfg = study.config.set("training.stopping_rules[0].limit", 2)
    study.configure(cfg)
    assert study.train().iterations == 2
    assert study.simulate().scenarios == 3
    assert study.validate().valid


def test_study_under_a_config(toy_dir: Path) -> None:
    cfg = cc.Config.load(toy_dir).set("training.stopping_rules[0].limit", 3)
    assert Study(toy_dir, config=cfg).train().iterations == 3
    case = cc.load_case(toy_dir)
    assert Study(case, config=cfg).train().iterations == 3


def test_cancel_stops_at_an_iteration_boundary(toy_dir: Path) -> None:
    cancel = threading.Event()
    study = Study(toy_dir)

    def stop_after_two(rec: object) -> None:
        if getattr(rec, "iteration", 0) == 2:
            cancel.set()

    result = study.train(progress=stop_after_two, cancel=cancel)
    assert result.termination_reason == "cancelled"
    assert result.iterations == 2
