"""The study as the algorithm sees it: stage LPs, opening tree, lanes of solvers, cut pools.

Lanes make results independent of the thread count: every stage has one HiGHS instance per lane,
and work items are assigned to lanes by index (forward scenario or opening modulo the number of
lanes), processed in a fixed order inside a lane. Threads only decide how many lanes run at once,
so each instance sees the same sequence of warm-started solves whatever the thread count.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cobre_core.errors import ErrorKind, SolverError, record
from cobre_core.sddp.cut_pool import CutPool, CutRows
from cobre_core.solver.highs_solver import HighsSolver, LpStatus
from cobre_core.solver.stage_lp import COST_SCALE, StageLp, build_stage_lp
from cobre_core.stochastic.correlation import correlate_opening_tree
from cobre_core.stochastic.noise import OpeningTree, generate_opening_tree, noise_groups
from cobre_core.system.case import Case

FloatArray = NDArray[np.float64]
_Patches = tuple[NDArray[np.int32], FloatArray, FloatArray]  # rows, their values, noise


@dataclass(frozen=True)
class Solved:
    """What one stage solve returns to the algorithm."""

    objective: float  # scaled, includes discount * theta
    immediate_cost: float  # $ (undiscounted stage cost)
    out_state: FloatArray
    duals: FloatArray | None  # cut coefficients (scaled) when requested
    primal: FloatArray | None
    row_duals: FloatArray | None


def effective_noise(case: Case, t: int, eta: FloatArray, lags: FloatArray) -> FloatArray:
    """Apply the truncation non-negativity method to the inflow part of noise vectors.

    ``eta`` is one noise vector ``(dim,)`` or a stack ``(m, dim)`` of vectors. With ``lags``
    ``(L, N)`` of one state the result has ``eta``'s shape (``eta`` itself when nothing is
    truncated); with lags ``(F, L, N)`` of ``F`` states it is ``(F, *eta.shape)``, one block per
    state. Each entry is truncated exactly as it would be on its own.
    """
    states = lags.shape[:-2]  # () for one state, (F,) for a stack
    unchanged = np.broadcast_to(eta, (*states, *eta.shape)) if states else eta
    if not case.truncates_inflows:
        return unchanged
    par = case.par
    n = case.num_hydros
    det = par.deterministic_part(t, lags)
    det = det.reshape(*states, *(1,) * (eta.ndim - 1), n)  # broadcast over eta's vectors
    sigma = par.sigma[t]
    inflow = eta[..., :n]
    z = det + sigma * inflow
    neg = (z < 0) & (sigma > 0)
    if not neg.any():
        return unchanged
    out = np.array(unchanged)
    floor = np.divide(-det, sigma, out=np.zeros_like(det), where=sigma > 0)
    out[..., :n] = np.where(neg, np.maximum(inflow, floor), inflow)
    return out


def effective_noise_at(case: Case, t: int, eta: FloatArray, state: FloatArray) -> FloatArray:
    """:func:`effective_noise` at the lags held in the incoming ``state``."""
    if not case.truncates_inflows:
        return eta
    return effective_noise(case, t, eta, case.lags_of(state))


def run_lanes(work: Callable[[int], None], num_lanes: int, pool: ThreadPoolExecutor | None) -> None:
    """Run ``work(lane)`` for every lane, on ``pool`` when given; re-raises the first error."""
    if pool is None:
        for lane in range(num_lanes):
            work(lane)
        return
    for fut in [pool.submit(work, lane) for lane in range(num_lanes)]:
        fut.result()


class Problem:
    """Stage LPs, the opening tree and per-lane solvers for a case."""

    def __init__(
        self, case: Case, lanes: int = 4, multi_cut: bool = False, lazy_cuts: bool = True
    ) -> None:
        """``multi_cut`` gives every stage but the last one future-cost column per opening of the
        next stage (``training.cut_formulation = "multi"``): theta = mean of theta_o, and each
        opening's cut bounds its own theta_o instead of being averaged into one cut.

        ``lazy_cuts`` lets each lane's LPs hold only the cuts that matter to its solves
        (:mod:`cobre_core.sddp.cut_pool`); with ``False`` every pool cut stays a row of every LP,
        which gives the same optimal values more slowly (for checks).
        """
        self.case = case
        self.lazy_cuts = bool(lazy_cuts)
        # solves redone from a cold start because HiGHS's "optimal" solution was not
        # (:class:`~cobre_core.sddp.cut_pool.CutCheck`)
        self.cold_resolves = 0
        self.num_stages = case.num_stages
        self.stage_lps: list[StageLp] = [build_stage_lp(case, t) for t in range(case.num_stages)]
        self.state_dim = case.state_dim
        seasons = [c.season_id for c in case.calendar]
        years = [c.start_date.year for c in case.calendar]
        self.tree: OpeningTree = correlate_opening_tree(
            case,
            generate_opening_tree(
                case.seed,
                [c.stage_id for c in case.calendar],
                [s.num_openings for s in case.stages],
                case.noise.dim,
                noise_groups(seasons, years),
                case.user_openings,
            ),
        )
        self.num_lanes = max(1, int(lanes))
        retry = case.config.training.solver  # retry_max_attempts, retry_time_budget_seconds
        self._retry = (max(1, retry.retry_max_attempts), float(retry.retry_time_budget_seconds))
        # each lane's HiGHS instances, by lane (a worker process keeps only its own: keep_lanes)
        self.solvers: dict[int, list[HighsSolver]] = {
            lane: [HighsSolver(slp.lp) for slp in self.stage_lps] for lane in range(self.num_lanes)
        }
        self.multi_cut = bool(multi_cut)
        # the column(s) each stage's cuts bound: theta, or theta_o per next-stage opening
        self.cut_columns: list[NDArray[np.int32]] = [
            np.array([slp.layout.theta], dtype=np.int32) for slp in self.stage_lps
        ]
        if self.multi_cut:
            for t in range(self.num_stages - 1):
                self.cut_columns[t] = self._add_opening_thetas(t, self.tree.count(t + 1))
        self.cuts: list[CutPool] = [
            CutPool(self.state_dim, first_row=self.solvers[0][t].num_rows)
            for t in range(self.num_stages)
        ]
        # which pool cuts each lane's stage LP holds (cobre_core.sddp.cut_pool)
        self.rows: dict[int, list[CutRows]] = {
            lane: [CutRows(pool.first_row) for pool in self.cuts] for lane in self.solvers
        }
        # columns a forward solve reads: theta, then the outgoing state
        self._forward_cols: list[NDArray[np.intp]] = [
            np.array([slp.layout.theta, *slp.layout.out_state_cols], dtype=np.intp)
            for slp in self.stage_lps
        ]
        self._fix_rows: list[NDArray[np.intp]] = [
            slp.fix_rows.astype(np.intp) for slp in self.stage_lps
        ]  # the duals a backward solve reads
        # what a cut check reads of a solution: the outgoing state, then the cut targets' thetas
        self._check_cols: list[NDArray[np.intp]] = [
            np.concatenate([slp.layout.out_state_cols, cols]).astype(np.intp)
            for slp, cols in zip(self.stage_lps, self.cut_columns, strict=True)
        ]
        self.initial_state = np.concatenate([case.initial_storage, case.initial_lags.ravel()])
        # per stage, the parts of cut rows that do not depend on the cut (_row_layout)
        no_rows = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        self._row_layouts = [no_rows] * self.num_stages
        # the last backward_patches() result and its key
        self._patches: tuple[tuple[object, ...], _Patches] | None = None

    def _add_opening_thetas(self, t: int, n: int) -> NDArray[np.int32]:
        """Add theta_o (o < n) to stage ``t`` on every lane and the row theta = mean(theta_o)."""
        theta = self.stage_lps[t].layout.theta
        cols = np.empty(0, dtype=np.int32)
        for lane in self.solvers.values():
            solver = lane[t]
            first = solver.add_columns(np.zeros(n), np.zeros(n), np.full(n, np.inf))
            cols = np.arange(first, first + n, dtype=np.int32)
            index = np.concatenate([[theta], cols]).astype(np.int32)
            value = np.concatenate([[1.0], np.full(n, -1.0 / n)])
            solver.add_rows(np.zeros(1), np.zeros(1), np.zeros(1, dtype=np.int32), index, value)
        return cols

    # -- cuts ----------------------------------------------------------------------------------
    def add_cuts(
        self,
        t: int,
        alphas: FloatArray,
        pis: FloatArray,
        iteration: int = 0,
        openings: NDArray[np.int64] | None = None,
    ) -> None:
        """Append cuts to stage ``t``'s pool and, as one batch of rows, to every lane's LP.

        With lazy cuts, each lane first drops the rows that have not been binding lately
        (:meth:`CutRows.review <cobre_core.sddp.cut_pool.CutRows.review>`); they come back when a
        solve violates them. ``iteration`` stamps the cuts' birth for cut selection (0 for cuts
        loaded from a policy). With multi-cut, ``openings`` says which next-stage opening's
        theta each cut bounds.
        """
        m = alphas.size
        if m == 0:
            return
        pool = self.cuts[t]
        targets = np.zeros(m, dtype=np.int64) if openings is None else np.asarray(openings)
        pool.append(np.asarray(alphas, dtype=np.float64), pis, iteration, targets)
        if not self.solvers:
            return
        rows_csr = self._cut_rows(t, alphas, pis, targets)
        for lane, solvers in self.solvers.items():
            rows = self.rows[lane][t]
            stale = rows.review() if self.lazy_cuts else ()
            if len(stale):
                solvers[t].delete_rows(pool.first_row + stale)
            solvers[t].add_rows(*rows_csr)
            rows.appended(m)

    def _cut_rows(
        self, t: int, alphas: FloatArray, pis: FloatArray, targets: NDArray[np.int64]
    ) -> tuple[FloatArray, FloatArray, NDArray[np.int32], NDArray[np.int32], FloatArray]:
        """Cuts of stage ``t`` as rows for :meth:`HighsSolver.add_rows`: bounds, then CSR."""
        m, d = alphas.size, self.state_dim
        value = np.empty((m, d + 1))
        value[:, 0] = 1.0
        np.negative(np.asarray(pis).reshape(m, d), out=value[:, 1:])
        index, starts, upper = self._row_layout(t, m)
        if self.multi_cut:  # each row bounds its own opening's theta
            index = index.reshape(m, d + 1).copy()
            index[:, 0] = self.cut_columns[t][targets]
        lower = np.ascontiguousarray(alphas, dtype=np.float64)
        return lower, upper, starts, index.ravel(), value.ravel()

    def _row_layout(
        self, t: int, m: int
    ) -> tuple[NDArray[np.int32], NDArray[np.int32], FloatArray]:
        """Column indices (the first cut column, then the outgoing state), starts and upper
        bounds of ``m`` cut rows of stage ``t``: views of arrays kept per stage and grown when a
        batch is larger (they are the same for every single-cut row)."""
        d = self.state_dim
        kept = self._row_layouts[t]
        if kept[1].size < m:
            cap = max(m, 2 * kept[1].size, 16)
            index = np.empty((cap, d + 1), dtype=np.int32)
            index[:, 0] = self.cut_columns[t][0]
            index[:, 1:] = self.stage_lps[t].layout.out_state_cols
            starts = np.arange(0, cap * (d + 1), d + 1, dtype=np.int32)
            kept = (index.ravel(), starts, np.full(cap, np.inf))
            self._row_layouts[t] = kept  # one assignment: safe between lane threads
        index, starts, upper = kept
        return index[: m * (d + 1)], starts[:m], upper[:m]

    def keep_lanes(self, lanes: Collection[int]) -> None:
        """Drop the HiGHS instances of every lane but ``lanes`` (the others run elsewhere).

        Every process of a process-lane run keeps the lanes it runs (the main process one
        worker's share, each spawned worker its own). The cut pools stay whole;
        :meth:`add_cuts` and :meth:`remove_cuts` then keep the pools and the kept lanes' LPs
        only.
        """
        self.solvers = {k: v for k, v in self.solvers.items() if k in lanes}
        self.rows = {k: v for k, v in self.rows.items() if k in lanes}

    def add_boundary_cuts(self, alphas: FloatArray, pis: FloatArray) -> None:
        """Bound the last stage's future cost by cuts from another study (``policy.boundary``).

        Opens the last stage's theta (fixed at 0 without boundary cuts) on every lane and adds
        the cuts to its pool; cut selection never touches the last stage.
        """
        t = self.num_stages - 1
        theta = self.stage_lps[t].layout.theta
        for lane in self.solvers.values():
            lane[t].set_col_bounds([theta], 0.0, np.inf)
        self.add_cuts(t, alphas, pis)

    def remove_cuts(self, t: int, keep: NDArray[np.bool_]) -> int:
        """Delete the cuts of stage ``t`` that ``keep`` (one flag per pool cut) drops.

        Returns the number removed; the pool, its activity record and every lane's LP (the rows
        it holds of those cuts) shrink together.
        """
        pool = self.cuts[t]
        keep = np.asarray(keep, dtype=bool)
        removed = int(keep.size - np.count_nonzero(keep))
        if removed == 0:
            return 0
        pool.keep_only(keep)
        for lane, solvers in self.solvers.items():
            gone = self.rows[lane][t].pool_kept(keep)
            if gone.size:
                solvers[t].delete_rows(pool.first_row + gone)
        return removed

    # -- solving -------------------------------------------------------------------------------
    def realize(self, t: int, state: FloatArray, opening: int) -> FloatArray:
        """The effective noise vector of ``opening`` at stage ``t`` for an incoming state."""
        return self._truncate(t, state, self.tree.openings[t][opening])

    def realize_openings(self, t: int, state: FloatArray, openings: slice) -> FloatArray:
        """Effective noise vectors ``(m, dim)`` of the openings ``openings`` selects at stage ``t``.

        Row ``i`` equals ``realize(t, state, o)`` for the ``i``-th selected opening ``o``; the
        truncation's deterministic inflow part is computed once for the shared state.
        """
        return self._truncate(t, state, self.tree.openings[t][openings])

    def realize_states(self, t: int, states: FloatArray, openings: slice) -> FloatArray:
        """Effective noise ``(F, m, dim)`` of the openings ``openings`` selects at stage ``t``, for
        each incoming state of ``states`` ``(F, d)``.

        Block ``k`` equals ``realize_openings(t, states[k], openings)`` bit for bit; the blocks
        may be read-only views of the opening tree (nothing truncated).
        """
        return effective_noise(
            self.case, t, self.tree.openings[t][openings], self.case.lags_of(states)
        )

    def _truncate(self, t: int, state: FloatArray, eta: FloatArray) -> FloatArray:
        """:func:`effective_noise` of ``eta`` at the lags held in ``state``."""
        return effective_noise_at(self.case, t, eta, state)

    def _patch_and_solve(
        self, lane: int, t: int, state: FloatArray, eta: FloatArray, context: dict | None
    ) -> HighsSolver:
        """Set state and noise on stage ``t`` of ``lane`` and solve; raise unless optimal."""
        rows, values, _ = self.stage_lps[t].row_patch(state, eta)
        return self._solve_at(lane, t, rows, values, eta, context)

    def _solve_at(
        self,
        lane: int,
        t: int,
        rows: NDArray[np.int32],
        values: FloatArray,
        eta: FloatArray,
        context: dict | None,
        opening: int | None = None,
        check: bool = True,
        cold: bool = False,
    ) -> HighsSolver:
        """Fix ``rows`` to ``values`` (and the noise's column bounds) on stage ``t`` of ``lane``
        and solve, from a cold start with ``cold``; raise unless optimal (the error names
        ``context`` and ``opening``).

        With lazy cuts and ``check``, pool cuts the solution violates are added and the LP
        re-solved until none is, so the solution is optimal for the LP holding the whole pool.
        An unsound solution (:class:`~cobre_core.sddp.cut_pool.CutCheck`) is solved again from
        a cold start; if a cold solution is unsound too, the stage fails. Without ``check`` the
        caller checks (:meth:`solve_backward_lane`, for a batch at once).
        """
        solver = self.solvers[lane][t]
        solver.fix_rows(rows, values)
        slp = self.stage_lps[t]
        if slp.has_col_patch:
            solver.set_col_bounds(*slp.col_patch(eta))  # type: ignore[misc]
        if cold:
            solver.forget_basis()
        self._resolve(lane, t, context, opening)
        while check and self.lazy_cuts and len(self.cuts[t]):
            point = solver.col_values()[self._check_cols[t]][None, :]
            found = self.rows[lane][t].check(self.cuts[t], point)
            if found.unsound.size:  # not optimal, whatever HiGHS said: once more, cold
                if cold:
                    raise self._failure(
                        lane,
                        t,
                        context,
                        opening,
                        "HiGHS reported a stage LP optimal for a solution that is not (theta "
                        "above every cut row, or a cut row violated), even from a cold start, "
                        f"at stage {self.case.calendar[t].stage_id}",
                        "Report this with the case; the policy would be wrong, so training "
                        "stops here.",
                    )
                self.cold_resolves += 1
                solver.forget_basis()
                cold = True
            elif found.cuts.size:
                self._readd(lane, t, found.cuts)
                cold = False
            else:
                break
            self._resolve(lane, t, context, opening)
        return solver

    def _resolve(self, lane: int, t: int, context: dict | None, opening: int | None) -> None:
        """Solve stage ``t`` of ``lane`` as it is patched; raise unless optimal."""
        status = self.solvers[lane][t].solve_with_retries(*self._retry)
        self._unless_optimal(status, lane, t, context, opening)

    def _unless_optimal(
        self, status: LpStatus, lane: int, t: int, context: dict | None, opening: int | None
    ) -> None:
        """Raise the solver-failure record of stage ``t`` of ``lane`` unless ``status`` is
        optimal (the error names ``context`` and ``opening``)."""
        if status == LpStatus.OPTIMAL:
            return
        raise self._failure(
            lane,
            t,
            context,
            opening,
            f"stage LP {status.value} at stage {self.case.calendar[t].stage_id}",
            "Check bounds and penalties: an infeasible stage usually means a hard bound "
            "(storage, thermal minimum) cannot be met; enable the inflow penalty or "
            "truncation for negative inflows.",
        )

    def _failure(
        self,
        lane: int,
        t: int,
        context: dict | None,
        opening: int | None,
        message: str,
        suggestion: str,
    ) -> SolverError:
        """The solver-failure error of stage ``t`` of ``lane``, naming ``context`` and
        ``opening``."""
        ctx = dict(context or {})
        if opening is not None:
            ctx["opening"] = opening
        return SolverError(
            record(
                ErrorKind.SOLVER_FAILURE,
                message,
                suggestion,
                stage=self.case.calendar[t].stage_id,
                solver_status=self.solvers[lane][t].status_text(),
                **ctx,
            )
        )

    def _readd(self, lane: int, t: int, cuts: NDArray[np.int64]) -> None:
        """Put pool cuts ``cuts`` of stage ``t`` back into ``lane``'s LP as rows."""
        rows = self._cut_rows(t, *self.cuts[t].select(cuts))
        self.solvers[lane][t].add_rows(*rows)
        self.rows[lane][t].readded(cuts)

    def solve_forward(
        self, lane: int, t: int, state: FloatArray, eta: FloatArray, context: dict | None = None
    ) -> tuple[float, FloatArray]:
        """A forward-pass solve: the stage's immediate cost in $ and its outgoing state.

        Same values as :meth:`solve`'s ``immediate_cost`` and ``out_state``, reading only the
        columns they need.
        """
        solver = self._patch_and_solve(lane, t, state, eta, context)
        slp = self.stage_lps[t]
        values = solver.primal_at(self._forward_cols[t])
        obj = solver.objective()
        return (obj - slp.discount * float(values[0])) * COST_SCALE, values[1:]

    def solve_backward(
        self, lane: int, t: int, state: FloatArray, eta: FloatArray, context: dict | None = None
    ) -> tuple[float, FloatArray]:
        """A backward-pass solve: the objective (scaled) and the duals of the state-fixing rows.

        Same values as :meth:`solve`'s ``objective`` and ``duals`` with ``want_duals``.
        """
        solver = self._patch_and_solve(lane, t, state, eta, context)
        return solver.objective(), solver.row_duals_at(self._fix_rows[t])

    def backward_patches(self, t: int, states: FloatArray) -> _Patches:
        """The rows every backward solve at stage ``t`` fixes, their values ``(F, n_t, rows)``
        and the effective noise ``(F, n_t, dim)``, for each state of ``states`` ``(F, d)`` and
        each opening of the stage, states first.

        Computed in one go for all the openings and kept for the next call with the same stage
        and states: each lane of this process solves a share of the openings
        (:meth:`solve_backward_lane`), and the numpy calls of the patch, not their size, are
        its cost. Every entry is what the lane's own share would have given, bit for bit.
        """
        key = (t, states.shape, states.tobytes())
        kept = self._patches
        if kept is not None and kept[0] == key:
            return kept[1]
        etas = self.realize_states(t, states, slice(None))
        rows, values = self.stage_lps[t].row_patches(states, etas)
        self._patches = (key, (rows, values, etas))  # one assignment: safe between threads
        return rows, values, etas

    def solve_backward_lane(
        self, lane: int, t: int, states: FloatArray, openings: slice, context: dict
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`solve_backward` of ``lane`` at stage ``t`` for every state of ``states``
        ``(F, dim)`` and every opening ``openings`` selects, states first, openings in order.

        The backward pass's hot loop; returns objectives ``(F, m)`` and state-row duals
        ``(F, m, dim)``. The row bounds of all the solves come from one vectorised patch
        (:meth:`backward_patches`) and run as one series (:meth:`HighsSolver.solve_series`).
        With lazy cuts one product checks all the solutions at once: a solve whose solution
        violates a pool cut outside the LP is redone, after those cuts are added, until none is
        (:meth:`_solve_at`). Every accepted solution satisfies the whole pool, as one by one.
        """
        slp = self.stage_lps[t]
        solver = self.solvers[lane][t]
        numbers = range(self.tree.count(t))[openings]
        shape = (states.shape[0], len(numbers))
        k = shape[0] * shape[1]
        if not k:  # more lanes than openings
            return np.zeros(shape), np.zeros((*shape, self.state_dim))
        rows, all_values, all_etas = self.backward_patches(t, states)
        values = np.ascontiguousarray(all_values[:, openings]).reshape(k, rows.size)
        etas = all_etas[:, openings]  # read by the slower paths only
        m = shape[1]
        objs = np.empty(k)
        cols = np.empty((k, solver.num_cols))
        duals = np.empty((k, solver.num_rows))
        j = 0
        while j < k:
            if not slp.has_col_patch:  # noise column bounds take _solve_at's path
                j = solver.solve_series(rows, values, j, objs, cols, duals)
                if j == k:
                    break
                status = solver.recover(*self._retry)
                self._unless_optimal(status, lane, t, context, numbers[j % m])
            else:
                eta = etas[j // m, j % m]
                self._solve_at(lane, t, rows, values[j], eta, context, numbers[j % m], False)
            objs[j] = solver.objective()
            solver.read_solution(cols[j], duals[j])
            j += 1
        duals = duals[:, self._fix_rows[t]]
        if self.lazy_cuts and len(self.cuts[t]):
            points = cols[:, self._check_cols[t]]
            found = self.rows[lane][t].check(self.cuts[t], points)
            if found.cuts.size:
                self._readd(lane, t, found.cuts)
            cold = set(found.unsound.tolist())
            self.cold_resolves += len(cold)
            for j in sorted(cold.union(found.violating.tolist())):
                eta = etas[j // m, j % m]
                number = numbers[j % m]
                self._solve_at(lane, t, rows, values[j], eta, context, number, cold=j in cold)
                objs[j] = solver.objective()
                duals[j] = solver.row_duals_at(self._fix_rows[t])
        return objs.reshape(shape), duals.reshape((*shape, self.state_dim))

    def solve_value(
        self, lane: int, t: int, state: FloatArray, eta: FloatArray, context: dict | None = None
    ) -> float:
        """The objective (scaled, including the discounted future cost) of one stage solve."""
        return self._patch_and_solve(lane, t, state, eta, context).objective()

    def solve(
        self,
        lane: int,
        t: int,
        state: FloatArray,
        eta: FloatArray,
        *,
        want_duals: bool = False,
        want_solution: bool = False,
        context: dict | None = None,
    ) -> Solved:
        """Patch stage ``t`` on ``lane`` with state and noise, solve, and read what is asked."""
        slp = self.stage_lps[t]
        solver = self._patch_and_solve(lane, t, state, eta, context)
        x, y = solver.solution()
        obj = solver.objective()
        theta = x[slp.layout.theta]
        return Solved(
            objective=obj,
            immediate_cost=(obj - slp.discount * theta) * COST_SCALE,
            out_state=x[slp.layout.out_state_cols],
            duals=y[slp.fix_rows] if want_duals else None,
            primal=x[: slp.lp.num_cols] if want_solution else None,  # the stage's own columns
            row_duals=y if want_solution else None,
        )

    def lp_solves(self) -> int:
        return sum(s.solves for lane in self.solvers.values() for s in lane)

    def solve_seconds(self) -> float:
        """Seconds inside HiGHS ``run()`` over this process's solvers."""
        return sum(s.solve_seconds for lane in self.solvers.values() for s in lane)

    def call_seconds(self) -> float:
        """Seconds inside the other HiGHS calls (patches, rows, solution copies)."""
        return sum(s.call_seconds for lane in self.solvers.values() for s in lane)
