"""``Study``: one case and the runs made on it, for scripts and notebooks.

    study = Study("my_case", output_dir="out")
    study.train(progress=True)                 # TrainingResult; outputs under out/
    study.simulate(num_scenarios=200)          # uses the policy just trained
    study.results().costs()                    # pandas, scenarios x stages rows
    study.policy.future_cost(0, state)         # the trained cuts (PolicyView)

A thin layer over :func:`cobre_core.study_runs.train` / ``simulate``: it loads the case once,
remembers each run in :attr:`Study.runs`, feeds the last policy to ``simulate``, applies the
module-wide thread default (:func:`cobre_core.set_default_threads`) and turns ``progress=True``
into a progress bar. For one-off calls from other code, the functions themselves are enough.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cobre_core.configuration import Config, load_case
from cobre_core.errors import ErrorKind, OutputError, record
from cobre_core.notebook.html import case_html, install_reprs
from cobre_core.notebook.progress import Reporter, progress_reporter
from cobre_core.par_access import InflowModel
from cobre_core.policy_access import PolicyView
from cobre_core.results.policy import Policy
from cobre_core.results.results import Results
from cobre_core.sddp.training import IterationRecord
from cobre_core.study_runs import SimulationResult, TrainingResult, resolve_case
from cobre_core.study_runs import simulate as simulate_case
from cobre_core.study_runs import train as train_case
from cobre_core.system.case import Case
from cobre_core.threads import resolve_threads
from cobre_core.validation.result import ValidationResult
from cobre_core.validator import Validator

install_reprs()

TrainingProgress = bool | Callable[[IterationRecord], None] | None
"""``True`` for a bar, a callable receiving each iteration's record, or None/False for quiet."""

SimulationProgress = bool | Callable[[int, float], None] | None
"""``True`` for a bar, a callable receiving ``(scenario_index, total_cost)``, or None/False."""


@dataclass(frozen=True)
class Run:
    """One training or simulation made through a :class:`Study`."""

    kind: Literal["train", "simulate"]
    result: TrainingResult | SimulationResult
    output_dir: Path | None
    threads: int
    config_overrides: dict[str, Any] = field(default_factory=dict)


def _iteration_limit(case: Case) -> int | None:
    limits = [
        r.limit for r in case.config.training.stopping_rules or () if r.type == "iteration_limit"
    ]
    return max(limits) if limits else None


def _iteration_postfix(rec: IterationRecord) -> str:
    gap = f"{rec.gap_percent:.2f}%" if rec.gap_percent is not None else "n/a"
    return f"lb={rec.lower_bound:,.0f} ub={rec.upper_bound_mean:,.0f} gap={gap}"


class Study:
    """A loaded case plus the runs made on it (train, then simulate, then read results).

    Not thread-safe: drive one Study from one thread (runs themselves use worker threads).
    Cancel a long run from another thread with a ``threading.Event`` passed as ``cancel``.
    """

    def __init__(
        self,
        case: Case | str | Path,
        *,
        config: Config | None = None,
        output_dir: str | Path | None = None,
        threads: int | None = None,
    ) -> None:
        """Load ``case`` (a directory, validated; or a loaded Case), under ``config`` if given.

        ``output_dir`` is where runs write by default (``training/``, ``policy/``,
        ``simulation/``); without it runs keep their results in memory only. ``threads``
        overrides the module default for this study. Raises ``CaseValidationError``.
        """
        if isinstance(case, Case):
            self._case = config.apply_to(case) if config is not None else case
        else:
            self._case = load_case(case, config=config)
        self.output_dir: Path | None = Path(output_dir) if output_dir is not None else None
        """Default output directory of the runs (None: results stay in memory)."""
        self.threads: int | None = resolve_threads(threads) if threads is not None else None
        """Thread count of this study's runs; None follows ``get_default_threads()``."""
        self.runs: list[Run] = []
        """Every run made through this study, oldest first."""

    # -- the case --------------------------------------------------------------------------------
    @property
    def case(self) -> Case:
        """The loaded case the runs use."""
        return self._case

    @property
    def config(self) -> Config:
        """A copy of the case's config; edit it, then :meth:`configure` to use the edits."""
        return Config.from_case(self._case)

    def configure(self, config: Config | Mapping[str, Any]) -> Study:
        """Run later trainings and simulations under ``config`` (a Config or overrides).

        A Config on a case loaded from a directory re-validates the whole case under it; a
        mapping is deep-merged over the current config (as ``config_overrides``). Earlier runs
        are kept. Returns ``self``.
        """
        if isinstance(config, Config):
            if self._case.path is not None and self._case.path.is_dir():
                self._case = load_case(self._case.path, config=config)
            else:
                self._case = config.apply_to(self._case)
        else:
            self._case = resolve_case(self._case, dict(config))
        return self

    def validate(self) -> ValidationResult:
        """Validate the case directory under the study's current config (never raises)."""
        if self._case.path is None:
            raise ValueError("this study's case was not loaded from a directory")
        return Validator(self._case.path, config=self.config).run()

    def inflow_model(self) -> InflowModel:
        """The case's PAR(p) inflow model (coefficients, forward sampling)."""
        return InflowModel(self._case)

    # -- runs ------------------------------------------------------------------------------------
    def train(
        self,
        *,
        threads: int | None = None,
        progress: TrainingProgress = None,
        output_dir: str | Path | None = None,
        config_overrides: Mapping[str, Any] | None = None,
        cancel: threading.Event | None = None,
        parallel: str = "auto",
    ) -> TrainingResult:
        """Train a policy on the case; returns the TrainingResult and records the run.

        ``progress`` is ``True`` (a bar, see :mod:`cobre_core.notebook.progress`), a callable
        called once per iteration with its convergence record, or None. ``output_dir``
        defaults to the study's. ``config_overrides`` apply to this run only. A cancelled run
        returns normally with ``termination_reason == "cancelled"``. ``parallel="processes"``
        runs the ``threads`` workers as processes (same results; worth it for long runs),
        ``"threads"`` in this process; ``"auto"`` picks processes for a long run on 2+ workers
        (:func:`cobre_core.study_runs.choose_parallel`).
        """
        overrides = dict(config_overrides or {})
        case = resolve_case(self._case, overrides)
        n_threads = self._threads(threads)
        out = self._output(output_dir)
        callback, reporter = self._training_callback(progress, _iteration_limit(case))
        try:
            result = train_case(
                case,
                progress_callback=callback,
                threads=n_threads,
                output_dir=out,
                cancel=cancel,
                parallel=parallel,
            )
        finally:
            if reporter is not None:
                reporter.close()
        self.runs.append(Run("train", result, out, n_threads, overrides))
        return result

    def simulate(
        self,
        *,
        num_scenarios: int | None = None,
        policy: Policy | PolicyView | TrainingResult | str | Path | None = None,
        threads: int | None = None,
        progress: SimulationProgress = None,
        output_dir: str | Path | None = None,
        config_overrides: Mapping[str, Any] | None = None,
        cancel: threading.Event | None = None,
    ) -> SimulationResult:
        """Simulate a policy; returns the SimulationResult and records the run.

        ``policy`` defaults to the last training's, else the policy stored under the output
        directory; OutputError (``OutputNotFound``) when there is none. ``num_scenarios``
        defaults to ``simulation.num_scenarios``. ``progress`` is ``True``, a callable
        receiving ``(scenario_index, total_cost)`` as each scenario finishes, or None.
        """
        overrides = dict(config_overrides or {})
        case = resolve_case(self._case, overrides)
        n_threads = self._threads(threads)
        out = self._output(output_dir)
        chosen = self._policy_for_simulation(policy, out)
        total = int(
            num_scenarios if num_scenarios is not None else case.config.simulation.num_scenarios
        )
        callback, reporter = self._simulation_callback(progress, total)
        try:
            result = simulate_case(
                case,
                chosen,
                progress_callback=callback,
                threads=n_threads,
                output_dir=out,
                cancel=cancel,
                num_scenarios=total,
            )
        finally:
            if reporter is not None:
                reporter.close()
        self.runs.append(Run("simulate", result, out, n_threads, overrides))
        return result

    # -- what the runs left ----------------------------------------------------------------------
    @property
    def last_training(self) -> TrainingResult | None:
        """The most recent TrainingResult, or None before the first training."""
        for run in reversed(self.runs):
            if isinstance(run.result, TrainingResult):
                return run.result
        return None

    @property
    def last_simulation(self) -> SimulationResult | None:
        """The most recent SimulationResult, or None before the first simulation."""
        for run in reversed(self.runs):
            if isinstance(run.result, SimulationResult):
                return run.result
        return None

    @property
    def policy(self) -> PolicyView:
        """The last trained policy (or the one stored in the output directory) as a PolicyView."""
        return PolicyView(self._policy_for_simulation(None, self._output(None)))

    def results(self, output_dir: str | Path | None = None) -> Results:
        """The outputs of a run directory: ``output_dir``, else the last run's, else the study's.

        Raises OutputError (``OutputNotFound``) when no run wrote to disk and none is given.
        """
        target = Path(output_dir) if output_dir is not None else None
        if target is None:
            target = next((r.output_dir for r in reversed(self.runs) if r.output_dir), None)
        if target is None:
            target = self.output_dir
        if target is None:
            raise OutputError(
                record(
                    ErrorKind.OUTPUT_NOT_FOUND,
                    "this study has no output directory: its runs kept their results in memory",
                    "Create the Study with output_dir=..., or pass output_dir to train/simulate.",
                    field="output_dir",
                )
            )
        return Results.open(target)

    # -- helpers ---------------------------------------------------------------------------------
    def _threads(self, threads: int | None) -> int:
        return resolve_threads(threads if threads is not None else self.threads)

    def _output(self, output_dir: str | Path | None) -> Path | None:
        return Path(output_dir) if output_dir is not None else self.output_dir

    def _policy_for_simulation(
        self, policy: Policy | PolicyView | TrainingResult | str | Path | None, out: Path | None
    ) -> Policy:
        if isinstance(policy, PolicyView):
            return policy.policy
        if isinstance(policy, TrainingResult):
            return policy.policy
        if isinstance(policy, Policy):
            return policy
        if policy is not None:
            return Policy.load(policy)
        last = self.last_training
        if last is not None:
            return last.policy
        if out is not None and (out / "policy").is_dir():
            return Policy.load(out / "policy")
        raise OutputError(
            record(
                ErrorKind.OUTPUT_NOT_FOUND,
                "no policy to simulate: this study has not trained yet",
                "Call study.train() first, or pass policy= (a Policy or a policy directory).",
                field="policy",
                path=str(out / "policy") if out is not None else None,
            )
        )

    @staticmethod
    def _training_callback(
        progress: TrainingProgress, total: int | None
    ) -> tuple[Callable[[IterationRecord], None] | None, Reporter | None]:
        if progress is None or progress is False:
            return None, None
        if progress is True:
            reporter = progress_reporter(total, "training")

            def on_iteration(rec: IterationRecord) -> None:
                reporter.step(_iteration_postfix(rec))

            return on_iteration, reporter
        if callable(progress):
            return progress, None
        raise TypeError("progress must be True, False, None or a callable")

    @staticmethod
    def _simulation_callback(
        progress: SimulationProgress, total: int
    ) -> tuple[Callable[[int, float], None] | None, Reporter | None]:
        if progress is None or progress is False:
            return None, None
        if progress is True:
            reporter = progress_reporter(total, "simulation")

            def on_scenario(k: int, cost: float) -> None:
                reporter.step(f"cost={cost:,.0f}")

            return on_scenario, reporter
        if callable(progress):
            return progress, None
        raise TypeError("progress must be True, False, None or a callable")

    def __repr__(self) -> str:
        where = str(self._case.path) if self._case.path is not None else "<in memory>"
        kinds = [r.kind for r in self.runs]
        return (
            f"Study({where!r}, trainings={kinds.count('train')}, "
            f"simulations={kinds.count('simulate')}, output_dir={self.output_dir!s})"
        )

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<li>{escape(r.kind)} → {escape(str(r.output_dir or 'memory'))}</li>"
            for r in self.runs
        )
        return case_html(self._case) + f"<div><strong>Runs</strong><ol>{rows}</ol></div>"


__all__ = ["Run", "SimulationProgress", "Study", "TrainingProgress"]
