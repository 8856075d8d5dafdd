"""An independent extensive-form (deterministic-equivalent) LP of a small Cobre case.

Test helper, not shipped. :func:`solve_extensive_form` writes ONE linear program over the whole
scenario tree that SDDP optimises: stage ``t`` branches into ``num_openings_t`` children, each
child's noise vector being opening ``o`` of stage ``t`` (``problem.tree.openings[t][o]``), with
probability ``1 / num_openings_t``. Stage 0 branches too: the root is the initial state and the
stage-0 nodes are its children. Non-anticipativity is implied by the tree: every node holds one
copy of the stage decisions, and a child's incoming storage is its parent's outgoing storage
column.

The stage model is written from cobre-formulation.md §2 (not from the engine's stage LP builder):
hard storage bounds, turbine cap ``min(max_turbined, max_generation / rho)``, water balance in hm³
with ``tau_k = 0.0036 * h_k`` and ``zeta = 0.0036 * T``, cascades through ``downstream_id``,
spillage, diversion, thermals, lines with exchange cost, deficit segments, excess, load balance per
bus and block, minimum/maximum outflow, minimum turbining and generation rows with slacks,
evaporation, withdrawals, FPHA planes, non-controllable sources, generic constraints and the
inflow-nonnegativity methods.

The PAR inflow is exogenous (it does not depend on decisions), so each node's realised inflow is
a number computed down the tree: ``z = base + sum_l psi_l * lag_l + sigma * eta_eff``, where the
child's lag 1 is the parent's ``z`` and lag ``l`` is the parent's lag ``l - 1``, and ``eta_eff``
is the truncated noise (:func:`cobre_core.sddp.problem.effective_noise`, the noise definition)
evaluated at the node's incoming lags.

Objective: sum over nodes of path probability x cumulative discount ``D_t`` x stage cost in $
(per-block costs x block hours, stage-level slacks x stage hours), with no cost scaling. Discount
factors are computed here from the calendar: ``d_t = 1 / (1 + r)^(days_t / 365.25)``, ``D_0 = 1``,
``D_t = D_{t-1} * d_{t-1}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray

from cobre_core.sddp.problem import effective_noise
from cobre_core.system.case import Case
from cobre_core.system.stage_data import GenericRow, StageData

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

M3S_TO_HM3 = 0.0036
"""hm³ per (m³/s · h)."""

DAYS_PER_YEAR = 365.25
"""Year length used by the discount factor."""

DEFAULT_MAX_NODES = 5000
"""Refuse trees larger than this (the DE is meant for small cases)."""

_INF = highspy.kHighsInf


# -- the LP accumulator -------------------------------------------------------------------------


class _LpAssembler:
    """Collects columns (bounds, cost) and rows (bounds, coefficients), then solves with HiGHS."""

    def __init__(self) -> None:
        self.num_cols = 0
        self._col_lower: list[FloatArray] = []
        self._col_upper: list[FloatArray] = []
        self._col_cost: list[FloatArray] = []
        self._row_lower: list[float] = []
        self._row_upper: list[float] = []
        self._row_starts: list[int] = []
        self._index: list[int] = []
        self._value: list[float] = []

    @property
    def num_rows(self) -> int:
        return len(self._row_lower)

    def columns(
        self,
        shape: int | tuple[int, ...],
        lower: float | FloatArray,
        upper: float | FloatArray,
        cost: float | FloatArray = 0.0,
    ) -> IntArray:
        """Add columns shaped ``shape``; bounds and cost broadcast to that shape."""
        shape = (shape,) if isinstance(shape, int) else shape
        size = int(np.prod(shape)) if shape else 1
        lo = np.broadcast_to(np.asarray(lower, dtype=np.float64), shape).ravel()
        hi = np.broadcast_to(np.asarray(upper, dtype=np.float64), shape).ravel()
        c = np.broadcast_to(np.asarray(cost, dtype=np.float64), shape).ravel()
        if np.any(lo > hi):
            raise ValueError("column lower bound above upper bound")
        self._col_lower.append(np.where(np.isneginf(lo), -_INF, lo))
        self._col_upper.append(np.where(np.isposinf(hi), _INF, hi))
        self._col_cost.append(c.copy())
        idx = np.arange(self.num_cols, self.num_cols + size, dtype=np.int64).reshape(shape)
        self.num_cols += size
        return idx

    def row(self, terms: Iterable[tuple[int, float]], lower: float, upper: float) -> None:
        """Add ``lower <= sum coef * x[col] <= upper``; repeated columns are summed."""
        merged: dict[int, float] = {}
        for col, coef in terms:
            merged[int(col)] = merged.get(int(col), 0.0) + float(coef)
        self._row_starts.append(len(self._index))
        for col, coef in merged.items():
            if coef != 0.0:
                self._index.append(col)
                self._value.append(coef)
        self._row_lower.append(-_INF if lower == -np.inf else float(lower))
        self._row_upper.append(_INF if upper == np.inf else float(upper))

    def set_cost(self, col: int, value: float) -> None:
        """Set the objective coefficient of one column."""
        cost = np.concatenate(self._col_cost) if self._col_cost else np.zeros(0)
        cost[col] = value
        self._col_cost = [cost]

    def take_costs(self, start: int) -> list[tuple[int, float]]:
        """Move the objective costs of columns ``start..`` out of the objective.

        Returns them as ``(column, cost)`` terms, for a node whose cost enters a row instead
        (the nested risk-averse form).
        """
        cost = np.concatenate(self._col_cost) if self._col_cost else np.zeros(0)
        terms = [(int(j), float(cost[j])) for j in np.flatnonzero(cost[start:]) + start]
        cost[start:] = 0.0
        self._col_cost = [cost]
        return terms

    def solve(self) -> tuple[str, float, FloatArray]:
        """Solve the LP (dual simplex, tight tolerances); return status text, objective, primal."""
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        h.setOptionValue("dual_feasibility_tolerance", 1e-9)
        lp = highspy.HighsLp()
        lp.num_col_ = self.num_cols
        lp.num_row_ = self.num_rows
        lp.col_cost_ = np.concatenate(self._col_cost) if self._col_cost else np.zeros(0)
        lp.col_lower_ = np.concatenate(self._col_lower) if self._col_lower else np.zeros(0)
        lp.col_upper_ = np.concatenate(self._col_upper) if self._col_upper else np.zeros(0)
        lp.row_lower_ = np.array(self._row_lower, dtype=np.float64)
        lp.row_upper_ = np.array(self._row_upper, dtype=np.float64)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = self.num_cols
        lp.a_matrix_.num_row_ = self.num_rows
        lp.a_matrix_.start_ = np.array([*self._row_starts, len(self._index)], dtype=np.int32)
        lp.a_matrix_.index_ = np.array(self._index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(self._value, dtype=np.float64)
        h.passModel(lp)
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        x = np.array(h.getSolution().col_value, dtype=np.float64)
        return status, float(h.getInfo().objective_function_value), x


# -- the scenario tree --------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeNode:
    """One node of the scenario tree: a stage-``stage`` realisation below node ``parent``."""

    stage: int
    parent: int  # index into the node list; -1 for stage-0 nodes (children of the root)
    opening: int
    probability: float  # path probability from the root
    noise: FloatArray  # effective noise vector (after truncation)
    lags_in: FloatArray  # incoming inflow lags (L, N), lag 1 first
    inflow: FloatArray  # realised natural inflow z per hydro (m³/s)


def scenario_tree(
    case: Case, openings: Sequence[FloatArray], max_nodes: int = DEFAULT_MAX_NODES
) -> list[TreeNode]:
    """Enumerate the tree stage by stage (parents before children) with each node's inflow."""
    sizes = [int(np.asarray(o).shape[0]) for o in openings]
    if len(sizes) != case.num_stages:
        raise ValueError("one opening array per stage is required")
    total = int(sum(np.cumprod(sizes)))
    if total > max_nodes:
        raise ValueError(f"scenario tree has {total} nodes, more than {max_nodes}")
    par = case.par
    n_h, n_lag = case.num_hydros, case.max_lag
    nodes: list[TreeNode] = []
    frontier: list[tuple[int, float, FloatArray]] = [
        (-1, 1.0, np.array(case.initial_lags, dtype=np.float64).reshape(n_lag, n_h))
    ]
    for t in range(case.num_stages):
        block = np.asarray(openings[t], dtype=np.float64)
        n_open = block.shape[0]
        children: list[tuple[int, float, FloatArray]] = []
        for parent, prob, lags in frontier:
            for o in range(n_open):
                eta = np.asarray(effective_noise(case, t, block[o], lags), dtype=np.float64)
                z = par.base[t].copy()
                for lag in range(n_lag):
                    z += par.psi[t, :, lag] * lags[lag]
                z += par.sigma[t] * eta[:n_h]
                child_lags = np.vstack([z[None, :], lags[: n_lag - 1]]) if n_lag else lags
                nodes.append(TreeNode(t, parent, o, prob / n_open, eta, lags, z))
                children.append((len(nodes) - 1, prob / n_open, child_lags))
        frontier = children
    return nodes


def discount_factors(case: Case) -> FloatArray:
    """Per-stage factor ``d_t`` (it discounts the cost of the stages after ``t``)."""
    graph = case.stages_file.policy_graph
    overrides = {
        tr.source_id: tr.annual_discount_rate_override
        for tr in graph.transitions
        if tr.annual_discount_rate_override is not None
    }
    out = np.ones(case.num_stages)
    for t, cal in enumerate(case.calendar):
        rate = overrides.get(cal.stage_id, graph.annual_discount_rate)
        if rate:
            out[t] = (1.0 + rate) ** -((cal.end_date - cal.start_date).days / DAYS_PER_YEAR)
    return out


def cumulative_discounts(case: Case) -> FloatArray:
    """``D_0 = 1``, ``D_t = D_{t-1} * d_{t-1}``: the weight of stage ``t``'s cost."""
    d = discount_factors(case)
    return np.concatenate([[1.0], np.cumprod(d)[:-1]])


# -- one node's stage model ---------------------------------------------------------------------


@dataclass
class _StageColumns:
    """Columns of one node (per-block families shaped (entities, blocks))."""

    v_out: IntArray
    q: IntArray
    s: IntArray
    d: IntArray
    g_th: IntArray
    f_dir: IntArray
    f_rev: IntArray
    deficit: list[IntArray]
    excess: IntArray
    g_ncs: IntArray
    g_fpha: dict[int, IntArray]
    q_ev: dict[int, int]


def _incoming(
    v_in_cols: IntArray | None, v_in_values: FloatArray, h: int
) -> tuple[list[tuple[int, float]], float]:
    """Terms and constant of the incoming storage of hydro ``h`` (a column or a number)."""
    if v_in_cols is None:
        return [], float(v_in_values[h])
    return [(int(v_in_cols[h]), 1.0)], 0.0


def _add_node(
    lp: _LpAssembler,
    case: Case,
    node: TreeNode,
    weight: float,
    v_in_cols: IntArray | None,
) -> IntArray:
    """Write the stage model of ``node`` with objective weight ``weight``; return v_out columns."""
    t = node.stage
    sd: StageData = case.stages[t]
    hd = sd.hydro
    topo = case.topology
    n_h, n_k = case.num_hydros, sd.num_blocks
    n_bus, n_th, n_ln = len(case.buses), len(case.thermals), len(case.lines)
    n_ncs = len(case.non_controllables)
    hours = np.asarray(sd.block_hours, dtype=np.float64)
    total = float(hours.sum())
    tau = M3S_TO_HM3 * hours
    zeta = M3S_TO_HM3 * total
    v0 = np.asarray(case.initial_storage, dtype=np.float64)
    eta = node.noise

    def per_block(m: int, lower: FloatArray, upper: FloatArray, cost: FloatArray) -> IntArray:
        """(m, K) columns, bounds per entity, cost per entity in $/h times block hours."""
        lo = np.repeat(np.asarray(lower, dtype=np.float64)[:, None], n_k, axis=1)
        hi = np.repeat(np.asarray(upper, dtype=np.float64)[:, None], n_k, axis=1)
        c = np.asarray(cost, dtype=np.float64)[:, None] * hours[None, :] * weight
        return lp.columns((m, n_k), lo, hi, c)

    # ---- hydro columns ----
    v_out = lp.columns(n_h, hd.min_storage, hd.max_storage, 0.0)
    rho = np.asarray(hd.productivity, dtype=np.float64)
    cap = np.array(hd.max_turbined, dtype=np.float64)
    for h in range(n_h):
        if not hd.is_fpha[h] and rho[h] > 0:
            cap[h] = min(cap[h], hd.max_generation[h] / rho[h])
        if not hd.active[h]:
            cap[h] = 0.0
    q_cost = np.where(hd.is_fpha, hd.fpha_turbined_cost, 0.0)
    q = per_block(n_h, np.zeros(n_h), cap, q_cost)
    s = per_block(n_h, np.zeros(n_h), np.full(n_h, np.inf), hd.spillage_cost)
    has_div = np.asarray(hd.max_diversion) > 0
    d = per_block(n_h, np.zeros(n_h), np.where(has_div, hd.max_diversion, 0.0), hd.diversion_cost)

    # ---- thermals, lines, deficit, excess, NCS ----
    g_th = per_block(n_th, sd.thermal_min, sd.thermal_max, sd.thermal_cost)
    f_dir = per_block(n_ln, np.zeros(n_ln), sd.line_direct, sd.line_cost)
    f_rev = per_block(n_ln, np.zeros(n_ln), sd.line_reverse, sd.line_cost)
    deficit = [
        per_block(depth.size, np.zeros(depth.size), depth, cost)
        for depth, cost in zip(sd.deficit_depth, sd.deficit_cost, strict=True)
    ]
    excess = per_block(n_bus, np.zeros(n_bus), np.full(n_bus, np.inf), sd.excess_cost)
    ncs_level = np.clip(np.asarray(sd.ncs_mean, dtype=np.float64), 0.0, 1.0)
    off_ncs = n_h + int(case.noise.load_buses.size)
    for j, src in enumerate(case.noise.ncs):
        ncs_level[src] = np.clip(sd.ncs_mean[src] + sd.ncs_std[src] * eta[off_ncs + j], 0.0, 1.0)
    ncs_avail = np.asarray(sd.ncs_max) * ncs_level * np.asarray(sd.ncs_active, dtype=np.float64)
    g_ncs = per_block(n_ncs, np.zeros(n_ncs), ncs_avail, -np.asarray(sd.ncs_cost))

    # ---- hydro slacks (only where the limit exists) ----
    def slack(mask: NDArray[np.bool_], cost: FloatArray) -> dict[int, IntArray]:
        return {
            int(h): per_block(1, np.zeros(1), np.full(1, np.inf), np.asarray(cost)[[h]])[0]
            for h in np.flatnonzero(mask)
        }

    ob = slack(np.asarray(hd.min_outflow) > 0, hd.outflow_below_cost)
    oa = slack(np.isfinite(hd.max_outflow), hd.outflow_above_cost)
    tb = slack(np.asarray(hd.min_turbined) > 0, hd.turbined_below_cost)
    gb = slack(np.asarray(hd.min_generation) > 0, hd.generation_below_cost)
    sigma_inf: IntArray | None = None
    if case.inflow_method in ("penalty", "truncation_with_penalty"):
        sigma_inf = lp.columns(n_h, 0.0, np.inf, np.asarray(hd.inflow_slack_cost) * total * weight)
    ww_neg: dict[int, int] = {}
    ww_pos: dict[int, int] = {}
    for h in np.flatnonzero(np.asarray(hd.withdrawal) > 0):
        ww_neg[int(h)] = int(
            lp.columns(1, 0.0, np.inf, hd.withdrawal_neg_cost[h] * total * weight)[0]
        )
        ww_pos[int(h)] = int(
            lp.columns(1, 0.0, np.inf, hd.withdrawal_pos_cost[h] * total * weight)[0]
        )

    # ---- FPHA generation and planes: g <= g0*kappa + gv/2 (v_in + v_out) + gq q + gs s ----
    g_fpha: dict[int, IntArray] = {}
    for h in np.flatnonzero(hd.is_fpha):
        h = int(h)
        g_fpha[h] = lp.columns(n_k, 0.0, hd.max_generation[h], 0.0)
        planes = hd.fpha_planes[h]
        assert planes is not None
        in_terms, in_const = _incoming(v_in_cols, v0, h)
        for g0, gv, gq, gs, kappa in planes.coefficients:
            for k in range(n_k):
                terms = [(int(g_fpha[h][k]), 1.0), (int(v_out[h]), -gv / 2)]
                terms += [(c, -gv / 2 * a) for c, a in in_terms]
                terms += [(int(q[h, k]), -gq), (int(s[h, k]), -gs)]
                lp.row(terms, -np.inf, g0 * kappa + gv / 2 * in_const)

    # ---- evaporation: Q_ev - kv/2 (v_out + v_in) + f+ - f- = k0 ----
    q_ev: dict[int, int] = {}
    for h in np.flatnonzero(hd.has_evaporation):
        h = int(h)
        k0, kv = float(hd.evaporation_k0[h]), float(hd.evaporation_kv[h])
        q_ev[h] = int(lp.columns(1, 0.0, 2.0 * max(0.0, k0 + kv * hd.max_storage[h]))[0])
        f_pos = int(lp.columns(1, 0.0, np.inf, hd.evaporation_neg_cost[h] * total * weight)[0])
        f_neg = int(lp.columns(1, 0.0, np.inf, hd.evaporation_pos_cost[h] * total * weight)[0])
        in_terms, in_const = _incoming(v_in_cols, v0, h)
        terms = [(q_ev[h], 1.0), (int(v_out[h]), -kv / 2), (f_pos, 1.0), (f_neg, -1.0)]
        terms += [(c, -kv / 2 * a) for c, a in in_terms]
        lp.row(terms, k0 + kv / 2 * in_const, k0 + kv / 2 * in_const)

    # ---- water balance (hm³) ----
    for h in range(n_h):
        in_terms, in_const = _incoming(v_in_cols, v0, h)
        terms: list[tuple[int, float]] = [(int(v_out[h]), 1.0)]
        terms += [(c, -a) for c, a in in_terms]
        for k in range(n_k):
            terms += [(int(q[h, k]), tau[k]), (int(s[h, k]), tau[k]), (int(d[h, k]), tau[k])]
        for u in np.flatnonzero(topo.hydro_downstream == h):
            for k in range(n_k):
                terms += [(int(q[u, k]), -tau[k]), (int(s[u, k]), -tau[k])]
        for i in np.flatnonzero(topo.hydro_diversion_target == h):
            terms += [(int(d[i, k]), -tau[k]) for k in range(n_k)]
        if h in q_ev:
            terms.append((q_ev[h], zeta))
        if sigma_inf is not None:
            terms.append((int(sigma_inf[h]), -zeta))
        if h in ww_neg:
            terms += [(ww_neg[h], -zeta), (ww_pos[h], zeta)]
        rhs = zeta * (float(node.inflow[h]) - float(hd.withdrawal[h])) + in_const
        lp.row(terms, rhs, rhs)

    # ---- load balance per bus and block (MW) ----
    load = np.asarray(sd.load_mean, dtype=np.float64).copy()
    for j, bus in enumerate(case.noise.load_buses):
        load[bus] = max(0.0, sd.load_mean[bus] + sd.load_std[bus] * eta[n_h + j])
    for b in range(n_bus):
        for k in range(n_k):
            terms = []
            for h in np.flatnonzero(topo.hydro_bus == b):
                if hd.is_fpha[h]:
                    terms.append((int(g_fpha[int(h)][k]), 1.0))
                else:
                    terms.append((int(q[h, k]), float(rho[h])))
            terms += [(int(g_th[i, k]), 1.0) for i in np.flatnonzero(topo.thermal_bus == b)]
            terms += [(int(g_ncs[i, k]), 1.0) for i in np.flatnonzero(topo.ncs_bus == b)]
            for ln in np.flatnonzero(topo.line_target == b):
                terms += [(int(f_dir[ln, k]), 1.0), (int(f_rev[ln, k]), -1.0)]
            for ln in np.flatnonzero(topo.line_source == b):
                terms += [(int(f_rev[ln, k]), 1.0), (int(f_dir[ln, k]), -1.0)]
            terms += [(int(c), 1.0) for c in deficit[b][:, k]]
            terms.append((int(excess[b, k]), -1.0))
            rhs = load[b] * float(sd.load_factor[b, k])
            lp.row(terms, rhs, rhs)

    # ---- operational rows per hydro and block ----
    for h in range(n_h):
        for k in range(n_k):
            outflow = [(int(q[h, k]), 1.0), (int(s[h, k]), 1.0), (int(d[h, k]), 1.0)]
            if h in ob:
                lp.row([*outflow, (int(ob[h][k]), 1.0)], hd.min_outflow[h], np.inf)
            if h in oa:
                lp.row([*outflow, (int(oa[h][k]), -1.0)], -np.inf, hd.max_outflow[h])
            if h in tb:
                lp.row([(int(q[h, k]), 1.0), (int(tb[h][k]), 1.0)], hd.min_turbined[h], np.inf)
            if h in gb:
                gen = (
                    (int(g_fpha[h][k]), 1.0)
                    if hd.is_fpha[h]
                    else (int(q[h, k]), float(hd.entity_productivity[h]))
                )
                lp.row([gen, (int(gb[h][k]), 1.0)], hd.min_generation[h], np.inf)

    cols = _StageColumns(v_out, q, s, d, g_th, f_dir, f_rev, deficit, excess, g_ncs, g_fpha, q_ev)
    for row in sd.generic:
        _add_generic(lp, case, t, row, cols, weight)
    return v_out


def _add_generic(
    lp: _LpAssembler, case: Case, t: int, row: GenericRow, cols: _StageColumns, weight: float
) -> None:
    """One generic constraint at one stage: a row per block with a bound, plus slacks."""
    sd = case.stages[t]
    study = sorted(case.stages_file.stages, key=lambda st: st.id)[t]
    block_ids = [blk.id for blk in sorted(study.blocks, key=lambda blk: blk.id)]
    hydro = {x.id: i for i, x in enumerate(case.hydros)}
    thermal = {x.id: i for i, x in enumerate(case.thermals)}
    line = {x.id: i for i, x in enumerate(case.lines)}
    bus = {x.id: i for i, x in enumerate(case.buses)}
    hd = sd.hydro

    def terms_of(var: str, eid: int, k: int) -> list[tuple[int, float]]:
        if var == "hydro_storage":
            return [(int(cols.v_out[hydro[eid]]), 1.0)]
        if var == "hydro_turbined":
            return [(int(cols.q[hydro[eid], k]), 1.0)]
        if var == "hydro_spillage":
            return [(int(cols.s[hydro[eid], k]), 1.0)]
        if var == "hydro_diversion":
            return [(int(cols.d[hydro[eid], k]), 1.0)]
        if var == "hydro_outflow":
            h = hydro[eid]
            return [(int(cols.q[h, k]), 1.0), (int(cols.s[h, k]), 1.0), (int(cols.d[h, k]), 1.0)]
        if var == "hydro_generation":
            h = hydro[eid]
            if h in cols.g_fpha:
                return [(int(cols.g_fpha[h][k]), 1.0)]
            return [(int(cols.q[h, k]), float(hd.productivity[h]))]
        if var == "hydro_evaporation":
            h = hydro[eid]
            return [(cols.q_ev[h], 1.0)] if h in cols.q_ev else []
        if var == "thermal_generation":
            return [(int(cols.g_th[thermal[eid], k]), 1.0)]
        if var in ("line_direct", "line_exchange"):
            out = [(int(cols.f_dir[line[eid], k]), 1.0)]
            if var == "line_exchange":
                out.append((int(cols.f_rev[line[eid], k]), -1.0))
            return out
        if var == "line_reverse":
            return [(int(cols.f_rev[line[eid], k]), 1.0)]
        if var == "bus_deficit":
            return [(int(c), 1.0) for c in cols.deficit[bus[eid]][:, k]]
        if var == "bus_excess":
            return [(int(cols.excess[bus[eid], k]), 1.0)]
        return []

    for k, block_id in enumerate(block_ids):
        bound = float(row.bounds[k])
        if np.isnan(bound):
            continue
        terms: list[tuple[int, float]] = []
        for term in row.terms:
            if term.block_id is not None and term.block_id != block_id:
                continue
            terms += [
                (c, term.coefficient * a) for c, a in terms_of(term.variable, term.entity_id, k)
            ]
        if row.slack_penalty is not None:
            cost = row.slack_penalty * float(sd.block_hours[k]) * weight
            if row.sense in ("<=", "=="):
                terms.append((int(lp.columns(1, 0.0, np.inf, cost)[0]), -1.0))
            if row.sense in (">=", "=="):
                terms.append((int(lp.columns(1, 0.0, np.inf, cost)[0]), 1.0))
        lower = bound if row.sense in (">=", "==") else -np.inf
        upper = bound if row.sense in ("<=", "==") else np.inf
        lp.row(terms, lower, upper)


# -- the whole tree -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtensiveFormResult:
    """Optimal expected discounted cost of the extensive form, in $."""

    objective: float
    status: str
    num_nodes: int
    num_cols: int
    num_rows: int
    first_stage_storage: FloatArray  # expected outgoing storage of the stage-0 nodes


def solve_extensive_form(
    case: Case, openings: Sequence[FloatArray], max_nodes: int = DEFAULT_MAX_NODES
) -> ExtensiveFormResult:
    """Build and solve the deterministic equivalent of ``case`` over the tree of ``openings``.

    ``openings[t]`` is the ``(num_openings_t, noise_dim)`` array of stage ``t`` (use the SDDP
    problem's ``tree.openings`` so both optimise the same stochastic process).
    """
    nodes = scenario_tree(case, openings, max_nodes)
    discount = cumulative_discounts(case)
    lp = _LpAssembler()
    v_out: list[IntArray] = []
    for node in nodes:
        parent_v = None if node.parent < 0 else v_out[node.parent]
        weight = node.probability * float(discount[node.stage])
        v_out.append(_add_node(lp, case, node, weight, parent_v))
    status, objective, x = lp.solve()
    if status != "Optimal":
        raise RuntimeError(f"extensive form not solved: {status}")
    first = [i for i, nd in enumerate(nodes) if nd.stage == 0]
    storage = sum(nodes[i].probability * x[v_out[i]] for i in first)
    return ExtensiveFormResult(
        objective=objective,
        status=status,
        num_nodes=len(nodes),
        num_cols=lp.num_cols,
        num_rows=lp.num_rows,
        first_stage_storage=np.asarray(storage, dtype=np.float64),
    )


def solve_risk_averse_extensive_form(
    case: Case,
    openings: Sequence[FloatArray],
    risk: Sequence[tuple[float, float]],
    max_nodes: int = DEFAULT_MAX_NODES,
) -> float:
    """Nested risk-averse optimum ``rho_0[c_0 + d_0 rho_1[c_1 + ...]]`` over the tree, in $.

    ``risk[t] = (lambda, alpha)`` is stage ``t``'s measure ``(1 - lambda) E + lambda CVaR_alpha``
    over its (uniformly likely) openings, ``alpha`` being the upper-tail mass. Written with
    Rockafellar and Uryasev's representation at every branching: for the children ``c`` of a node
    ``n`` (or of the root),

        R_n = (1 - lambda) sum_c p_c W_c + lambda (eta_n + sum_c p_c u_c / alpha),
        u_c >= W_c - eta_n, u_c >= 0,   W_c = cost_c + d_t R_c,

    and the LP minimises ``R_root``. Every coefficient on the ``W`` is non-negative, so the
    minimum is the nested value (the same argument as for the expectation form).
    """
    nodes = scenario_tree(case, openings, max_nodes)
    d = discount_factors(case)
    lp = _LpAssembler()
    v_out: list[IntArray] = []
    w_col: list[int] = []
    node_costs: list[list[tuple[int, float]]] = []
    for node in nodes:
        start = lp.num_cols
        parent_v = None if node.parent < 0 else v_out[node.parent]
        v_out.append(_add_node(lp, case, node, 1.0, parent_v))
        cost_terms = lp.take_costs(start)
        w = int(lp.columns(1, -np.inf, np.inf)[0])
        w_col.append(w)
        # W_n - cost_n - d_t R_n = 0, written below once R_n (over the children) exists
        node_costs.append([(c, -a) for c, a in cost_terms])
    children: dict[int, list[int]] = {}
    for i, node in enumerate(nodes):
        children.setdefault(node.parent, []).append(i)
    r_col: dict[int, int] = {}
    for parent, kids in children.items():
        lam, alpha = risk[nodes[kids[0]].stage]
        r = int(lp.columns(1, -np.inf, np.inf)[0])
        eta = int(lp.columns(1, -np.inf, np.inf)[0])
        p = 1.0 / len(kids)
        terms: list[tuple[int, float]] = [(r, 1.0), (eta, -lam)]
        for c in kids:
            u = int(lp.columns(1, 0.0, np.inf)[0])
            lp.row([(u, 1.0), (w_col[c], -1.0), (eta, 1.0)], 0.0, np.inf)
            terms += [(w_col[c], -(1.0 - lam) * p), (u, -lam * p / alpha)]
        lp.row(terms, 0.0, 0.0)
        r_col[parent] = r
    for i, node in enumerate(nodes):
        terms = [(w_col[i], 1.0), *node_costs[i]]
        if i in r_col:
            terms.append((r_col[i], -float(d[node.stage])))
        lp.row(terms, 0.0, 0.0)
    lp.set_cost(r_col[-1], 1.0)
    status, objective, _ = lp.solve()
    if status != "Optimal":
        raise RuntimeError(f"risk-averse extensive form not solved: {status}")
    return objective
