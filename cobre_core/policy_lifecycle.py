"""Policy lifecycle (config ``policy``): warm start, resume, checkpoints and boundary cuts.

* ``mode = "fresh"``: start from no cuts (the default).
* ``mode = "warm_start"``: add the cuts of the policy at ``policy.path`` before the first
  iteration; iterations and the forward samples start over at 1.
* ``mode = "resume"``: add the cuts *and* the convergence history stored with the checkpoint at
  ``policy.path``; iterations continue from the last stored one, so the forward samples are the
  ones the uninterrupted run draws and the stopping rules see the whole history.
* ``checkpointing {enabled, initial_iteration, interval_iterations}``: while training into an
  output directory, the policy and its history are published to ``<output>/policy`` (staged,
  ``_SUCCESS`` last) at iterations ``initial, initial + interval, ...``; a run killed at any
  moment leaves the last complete checkpoint, which ``resume`` continues.
* ``boundary {path, source_stage}``: the cuts of stage position ``source_stage`` of another
  policy bound the future cost of this study's last stage (its theta is opened for them). They
  are never pruned and are part of the written policy, so simulation sees them too.

Relative paths are taken from the case directory. Not handled: ``store_basis`` and ``compress``
(no basis is stored; Parquet is always compressed), and the cut selection bookkeeping is not part
of a checkpoint (a resumed run judges old cuts afresh).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from cobre_core.errors import CobreError, ErrorKind, record
from cobre_core.model.config import CheckpointingConfig
from cobre_core.results.convergence import convergence_table
from cobre_core.results.policy import Policy, load_history
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.training import IterationRecord
from cobre_core.solver.stage_lp import COST_SCALE
from cobre_core.system.case import Case


def policy_path(case: Case, path: str) -> Path:
    """``path`` from the config, relative to the case directory unless absolute."""
    p = Path(path).expanduser()
    if p.is_absolute() or case.path is None:
        return p
    return case.path / p


def referenced_policy_paths(case: Case) -> list[Path]:
    """Every stored policy the case's config reads (for sandbox checks before training)."""
    cfg = case.config.policy
    out = []
    if cfg.mode != "fresh":
        out.append(policy_path(case, cfg.path))
    if cfg.boundary is not None:
        out.append(policy_path(case, cfg.boundary.path))
    return out


def _check_compatible(problem: Problem, policy: Policy, where: Path, stages: bool) -> None:
    bad_dim = policy.state_dimension != problem.state_dim
    bad_stages = stages and len(policy.stages) != problem.num_stages
    if stages and not (bad_dim or bad_stages):
        formulation = "multi" if problem.multi_cut else "single"
        if policy.cut_formulation != formulation or (
            problem.multi_cut
            and any(
                sc.num_openings != problem.cut_columns[t].size
                for t, sc in enumerate(policy.stages[:-1])
            )
        ):
            raise CobreError(
                record(
                    ErrorKind.INCOMPATIBLE_RUNS,
                    f"stored policy at {where.name} uses the {policy.cut_formulation}-cut "
                    f"formulation, this run the {formulation}-cut one (or openings differ)",
                    "Set training.cut_formulation to the stored policy's formulation.",
                    path=str(where),
                    field="training.cut_formulation",
                )
            )
    if bad_dim or bad_stages:
        raise CobreError(
            record(
                ErrorKind.INCOMPATIBLE_RUNS,
                f"stored policy at {where.name} does not fit this case "
                f"(state dimension {policy.state_dimension} vs {problem.state_dim}, "
                f"stages {len(policy.stages)} vs {problem.num_stages})",
                "Point policy.path to a policy trained on the same hydros, lags and stages, or "
                "use mode 'fresh'.",
                path=str(where),
                field="state_dimension" if bad_dim else "num_stages",
            )
        )


def add_policy_cuts(problem: Problem, policy: Policy, *, last_stage: bool = True) -> None:
    """Add a stored policy's cuts ($) to the problem, as loaded cuts (birth iteration 0).

    Cuts stored for the last stage are boundary cuts (a study without them has none there) and
    go in through :meth:`Problem.add_boundary_cuts`; ``last_stage=False`` leaves them out (when
    the config's own ``policy.boundary`` supplies them).
    """
    for t, sc in enumerate(policy.stages[:-1]):
        problem.add_cuts(
            t, sc.intercepts / COST_SCALE, sc.coefficients / COST_SCALE, openings=sc.openings
        )
    last = policy.stages[-1] if policy.stages else None
    if last_stage and last is not None and len(last):
        problem.add_boundary_cuts(last.intercepts / COST_SCALE, last.coefficients / COST_SCALE)


def add_boundary_cuts(problem: Problem, policy: Policy, source_stage: int, where: Path) -> int:
    """Bound the last stage's future cost by stage ``source_stage``'s cuts of ``policy``."""
    _check_compatible(problem, policy, where, stages=False)
    if not 0 <= source_stage < len(policy.stages):
        raise CobreError(
            record(
                ErrorKind.INCOMPATIBLE_RUNS,
                f"boundary source_stage {source_stage} is outside the source policy's "
                f"{len(policy.stages)} stages",
                "Use a 0-based stage position of the source policy.",
                field="policy.boundary.source_stage",
                path=str(where),
            )
        )
    if policy.cut_formulation != "single":
        raise CobreError(
            record(
                ErrorKind.INCOMPATIBLE_RUNS,
                f"boundary policy at {where.name} is multi-cut; its cuts bound one opening's "
                "future cost each, not the expected one",
                "Train the source study with training.cut_formulation 'single'.",
                field="policy.boundary.path",
                path=str(where),
            )
        )
    cuts = policy.stages[source_stage]
    problem.add_boundary_cuts(cuts.intercepts / COST_SCALE, cuts.coefficients / COST_SCALE)
    return len(cuts)


def initialise_policy(case: Case, problem: Problem) -> list[IterationRecord]:
    """Apply ``policy.boundary`` and ``policy.mode`` to a fresh problem.

    Returns the history to resume from (empty unless ``mode = "resume"``).
    """
    cfg = case.config.policy
    if cfg.boundary is not None:
        where = policy_path(case, cfg.boundary.path)
        add_boundary_cuts(problem, Policy.load(where), cfg.boundary.source_stage, where)
    if cfg.mode == "fresh":
        return []
    where = policy_path(case, cfg.path)
    policy = Policy.load(where)
    _check_compatible(problem, policy, where, stages=True)
    history: list[IterationRecord] = []
    if cfg.mode == "resume":
        table = load_history(where)
        if table is None:
            raise CobreError(
                record(
                    ErrorKind.CHECKPOINT_FAILED,
                    f"policy at {where.name} holds no training history to resume from",
                    "Resume from a checkpoint written with policy.checkpointing enabled (or a "
                    "finished run's policy directory), or use mode 'warm_start'.",
                    path=str(where),
                    expected_content="convergence.parquet",
                )
            )
        history = [IterationRecord(**row) for row in table.to_pylist()]
    # with a configured boundary, the stored last-stage cuts are that boundary: not twice
    add_policy_cuts(problem, policy, last_stage=cfg.boundary is None)
    return history


def checkpoint_due(cfg: CheckpointingConfig, iteration: int) -> bool:
    """Whether ``iteration`` gets a checkpoint under ``policy.checkpointing``."""
    if not cfg.enabled:
        return False
    interval = max(1, int(cfg.interval_iterations or 1))
    first = int(cfg.initial_iteration if cfg.initial_iteration is not None else interval)
    return iteration >= first and (iteration - first) % interval == 0


def checkpointer(
    case: Case,
    problem: Problem,
    directory: Path,
    snapshot: Callable[[Problem], Policy],
    resumed: Sequence[IterationRecord] = (),
) -> Callable[[IterationRecord], None]:
    """An ``on_iteration`` hook publishing the policy and history to ``directory`` when due."""
    cfg = case.config.policy.checkpointing
    history = list(resumed)

    def hook(rec: IterationRecord) -> None:
        history.append(rec)
        if checkpoint_due(cfg, rec.iteration):
            snapshot(problem).save(directory, history=convergence_table(history))

    return hook
