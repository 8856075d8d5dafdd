"""``PolicyView``: a trained policy's cuts as numpy arrays, and its future cost at a state.

    pv = PolicyView(study.policy)        # or PolicyView.load("out/policy"), PolicyView(result)
    alpha, pi = pv.cuts(stage_id=0)      # (m,) intercepts and (m, d) coefficients, in $
    x = pv.state(storage={0: 250.0}, inflow_lags={0: [80.0]})
    pv.future_cost(0, x)                 # max(0, max_j alpha_j + pi_j . x), in $

The cuts of stage ``t`` bound the cost of the stages after ``t`` as a function of the state leaving
``t`` (storage per hydro, then the inflow lags lag-major: every hydro's latest inflow first). The
value is what stage ``t``'s LP sees as its future-cost variable, before that stage's one-period
discount factor: the simulation's ``costs.future_cost`` column equals
``discount * future_cost(t, x_out)``. A multi-cut policy (``training.cut_formulation = "multi"``)
keeps one set of cuts per opening of the next stage and averages them (:meth:`PolicyView.openings`).

Stages are named by their stage id (as in the results tables and the policy files), not by
position. This module adds read access only; to simulate a policy pass it to ``Study.simulate``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

from cobre_core.errors import ErrorKind, QueryError, record
from cobre_core.results.policy import Policy

if TYPE_CHECKING:
    from cobre_core.results.results import Output

_STORAGE = re.compile(r"storage_hm3\[hydro=(-?\d+)\]")
_LAG = re.compile(r"inflow_lag(\d+)_m3s\[hydro=(-?\d+)\]")


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    """A read-only view of ``a``."""
    view = a.view()
    view.flags.writeable = False
    return view


def _bad_query(message: str, suggestion: str, **context: Any) -> QueryError:
    return QueryError(record(ErrorKind.INVALID_QUERY, message, suggestion, **context))


class PolicyView:
    """Read-only numpy access to a :class:`~cobre_core.results.policy.Policy`.

    Build it from a Policy, a ``TrainingResult``, a ``Results`` or a policy directory. Arrays
    it returns are read-only views; copy them before changing them.
    """

    def __init__(self, policy: Policy | Any) -> None:
        """Wrap ``policy``: a Policy, anything with a ``policy`` attribute or ``policy()``
        method (TrainingResult, Results, Study), or a directory written by ``Policy.save``."""
        if isinstance(policy, PolicyView):
            policy = policy.policy
        elif isinstance(policy, str | Path):
            policy = Policy.load(policy)
        elif not isinstance(policy, Policy):
            inner = getattr(policy, "policy", None)
            policy = inner() if callable(inner) else inner
        if not isinstance(policy, Policy):
            raise TypeError("PolicyView needs a Policy, a TrainingResult, Results or a directory")
        self.policy: Policy = policy
        """The wrapped policy (pass it to ``simulate``)."""
        self._position = {sid: i for i, sid in enumerate(policy.stage_ids)}
        self._storage: dict[int, int] = {}
        self._lags: dict[tuple[int, int], int] = {}
        for i, name in enumerate(policy.state_names):
            if m := _STORAGE.fullmatch(name):
                self._storage[int(m.group(1))] = i
            elif m := _LAG.fullmatch(name):
                self._lags[(int(m.group(2)), int(m.group(1)))] = i

    @classmethod
    def load(cls, directory: str | Path) -> PolicyView:
        """Read a policy directory (``<output>/policy``); OutputError when absent or broken."""
        return cls(Policy.load(directory))

    # -- shape -----------------------------------------------------------------------------------
    @property
    def stage_ids(self) -> tuple[int, ...]:
        """Stage ids in study order."""
        return self.policy.stage_ids

    @property
    def state_names(self) -> tuple[str, ...]:
        """Name of each state dimension, in the order of the cut coefficients."""
        return self.policy.state_names

    @property
    def state_dimension(self) -> int:
        """Length of a state vector."""
        return self.policy.state_dimension

    @property
    def hydro_ids(self) -> tuple[int, ...]:
        """Hydro ids of the storage dimensions, in state order."""
        return tuple(sorted(self._storage, key=self._storage.__getitem__))

    @property
    def max_lag(self) -> int:
        """Inflow lags per hydro in the state (the PAR order of the case)."""
        return max((lag for _, lag in self._lags), default=0)

    @property
    def cut_formulation(self) -> str:
        """``"single"`` (one future-cost function per stage) or ``"multi"`` (one per opening of
        the next stage, averaged)."""
        return str(getattr(self.policy, "cut_formulation", "single"))

    def openings(self, stage_id: int) -> NDArray[np.int64] | None:
        """Multi-cut: the next-stage opening each cut of the stage bounds, ``(m,)``; else None."""
        sc = self.policy.stages[self._stage(stage_id)]
        targets = getattr(sc, "openings", None)
        if targets is None:
            return None
        return _frozen(np.asarray(targets, dtype=np.int64))

    def num_cuts(self, stage_id: int | None = None) -> int:
        """Cuts at one stage, or in total when ``stage_id`` is None."""
        if stage_id is None:
            return self.policy.total_cuts
        return len(self.policy.stages[self._stage(stage_id)])

    # -- cuts ------------------------------------------------------------------------------------
    def cuts(self, stage_id: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(alpha, pi)`` of a stage: intercepts ``(m,)`` in $ and coefficients ``(m, d)`` in $
        per state unit ($/hm³ for storage, $/(m³/s) for a lag). Read-only arrays."""
        sc = self.policy.stages[self._stage(stage_id)]
        return _frozen(sc.intercepts), _frozen(sc.coefficients)

    def cuts_table(self, stage_id: int | None = None, to: Output = "pandas") -> Any:
        """Cuts as a table: ``stage_id, cut_id, intercept`` and one column per state name.

        All stages when ``stage_id`` is None; a multi-cut policy adds an ``opening`` column.
        ``to`` is ``"pandas"``, ``"arrow"`` or ``"polars"``.
        """
        from cobre_core.results.results import convert

        positions = range(len(self.stage_ids)) if stage_id is None else [self._stage(int(stage_id))]
        stage_col: list[np.ndarray] = []
        cut_col: list[np.ndarray] = []
        alpha_col: list[np.ndarray] = []
        pi_rows: list[np.ndarray] = []
        opening_col: list[np.ndarray] = []
        for pos in positions:
            sc = self.policy.stages[pos]
            m = len(sc)
            targets = getattr(sc, "openings", None)
            opening_col.append(np.zeros(m, np.int64) if targets is None else np.asarray(targets))
            stage_col.append(np.full(m, self.stage_ids[pos], dtype=np.int32))
            cut_col.append(np.arange(m, dtype=np.int32))
            alpha_col.append(sc.intercepts)
            pi_rows.append(sc.coefficients.reshape(m, self.state_dimension))
        pi = np.concatenate(pi_rows) if pi_rows else np.zeros((0, self.state_dimension))
        columns: dict[str, Any] = {
            "stage_id": pa.array(np.concatenate(stage_col), pa.int32()),
            "cut_id": pa.array(np.concatenate(cut_col), pa.int32()),
            "intercept": pa.array(np.concatenate(alpha_col), pa.float64()),
        }
        if self.cut_formulation == "multi":
            columns["opening"] = pa.array(np.concatenate(opening_col), pa.int32())
        for j, name in enumerate(self.state_names):
            columns[name] = pa.array(pi[:, j], pa.float64())
        return convert(pa.table(columns), to)

    # -- evaluation ------------------------------------------------------------------------------
    def future_cost(self, stage_id: int, state: ArrayLike) -> Any:
        """Future cost in $ after stage ``stage_id`` at an outgoing ``state``.

        Single cut: ``max(0, max_j alpha_j + pi_j . x)`` (the LP's future-cost variable is
        bounded below by 0; a stage without cuts, such as the last, gives 0). Multi-cut: the
        mean over the next stage's openings of that expression restricted to each opening's
        cuts. ``state`` is one vector ``(d,)``, giving a float, or a batch ``(n, d)``, giving an
        array ``(n,)``.
        """
        alpha, pi = self.cuts(stage_id)
        x = np.asarray(state, dtype=np.float64)
        if x.ndim not in (1, 2) or x.shape[-1] != self.state_dimension:
            raise _bad_query(
                f"state has shape {x.shape}; expected ({self.state_dimension},) or "
                f"(n, {self.state_dimension})",
                "Build the state with PolicyView.state(storage=..., inflow_lags=...).",
                field="state",
                expected_dimension=self.state_dimension,
                state_names=list(self.state_names),
            )
        batch = np.atleast_2d(x)
        targets = self.openings(stage_id)
        if not alpha.size:
            values = np.zeros(batch.shape[0])
        elif targets is None:
            values = np.maximum(0.0, np.max(batch @ pi.T + alpha, axis=1))
        else:
            sc = self.policy.stages[self._stage(stage_id)]
            n_open = max(int(getattr(sc, "num_openings", 1)), int(targets.max()) + 1)
            cut_values = batch @ pi.T + alpha
            best = np.zeros((batch.shape[0], n_open))
            for k in range(n_open):
                mine = targets == k
                if mine.any():
                    best[:, k] = np.maximum(0.0, cut_values[:, mine].max(axis=1))
            values = best.mean(axis=1)
        return float(values[0]) if x.ndim == 1 else values

    def binding_cut(self, stage_id: int, state: ArrayLike) -> int | None:
        """Index of the largest cut at ``state`` (None without cuts).

        For a single-cut policy this is the cut that sets the future cost; for a multi-cut one
        it is the largest over all openings (see :meth:`openings` for each cut's opening).
        """
        alpha, pi = self.cuts(stage_id)
        if not alpha.size:
            return None
        x = np.asarray(state, dtype=np.float64)
        return int(np.argmax(alpha + pi @ x))

    def state(
        self,
        storage: Mapping[int, float] | Sequence[float] | ArrayLike,
        inflow_lags: Mapping[int, Sequence[float]] | ArrayLike | None = None,
    ) -> NDArray[np.float64]:
        """A state vector in the policy's order.

        ``storage`` (hm³) maps hydro id -> volume, or lists volumes in hydro-id order.
        ``inflow_lags`` (m³/s) maps hydro id -> past inflows latest first, or is an array
        ``(lags, hydros)`` with row 0 the latest; it may be omitted when the model has no lags.
        """
        x = np.full(self.state_dimension, np.nan)
        hydros = self.hydro_ids
        if isinstance(storage, Mapping):
            for hid, value in storage.items():
                if int(hid) not in self._storage:
                    raise _bad_query(
                        f"hydro {hid} has no storage in this policy's state",
                        f"Use one of the hydro ids {list(hydros)}.",
                        field="storage",
                        hydro_id=int(hid),
                    )
                x[self._storage[int(hid)]] = float(value)
        else:
            values = np.asarray(storage, dtype=np.float64).ravel()
            if values.size != len(hydros):
                raise _bad_query(
                    f"storage has {values.size} values for {len(hydros)} hydros",
                    "Give one volume per hydro, in hydro-id order, or a {hydro_id: hm3} mapping.",
                    field="storage",
                )
            for hid, value in zip(hydros, values, strict=True):
                x[self._storage[hid]] = value
        if isinstance(inflow_lags, Mapping):
            for hid, past in inflow_lags.items():
                for lag, value in enumerate(np.asarray(past, dtype=np.float64).ravel(), start=1):
                    key = (int(hid), lag)
                    if key not in self._lags:
                        raise _bad_query(
                            f"hydro {hid} has no inflow lag {lag} in this policy's state",
                            f"Give at most {self.max_lag} past inflows per hydro.",
                            field="inflow_lags",
                            hydro_id=int(hid),
                        )
                    x[self._lags[key]] = float(value)
        elif inflow_lags is not None:
            lags = np.asarray(inflow_lags, dtype=np.float64).reshape(-1, len(hydros))
            for lag_index, row in enumerate(lags, start=1):
                for hid, value in zip(hydros, row, strict=True):
                    key = (hid, lag_index)
                    if key not in self._lags:
                        raise _bad_query(
                            f"the policy's state has only {self.max_lag} lags per hydro",
                            "Pass an array (lags, hydros) with that many rows.",
                            field="inflow_lags",
                        )
                    x[self._lags[key]] = value
        missing = [self.state_names[i] for i in np.flatnonzero(np.isnan(x))]
        if missing:
            raise _bad_query(
                f"the state is incomplete: no value for {', '.join(missing[:4])}"
                + (" ..." if len(missing) > 4 else ""),
                "Give storage for every hydro and every inflow lag.",
                field="state",
                missing=missing,
            )
        return x

    def _stage(self, stage_id: int) -> int:
        try:
            return self._position[int(stage_id)]
        except KeyError:
            raise _bad_query(
                f"stage {stage_id} is not in the policy",
                f"Use one of the stage ids {self.stage_ids[0]}..{self.stage_ids[-1]}.",
                field="stage_id",
                value=stage_id,
                valid_stage_ids=list(self.stage_ids),
            ) from None

    def __repr__(self) -> str:
        return (
            f"PolicyView({len(self.stage_ids)} stages, {self.policy.total_cuts} cuts, "
            f"state dimension {self.state_dimension})"
        )


__all__ = ["PolicyView"]
