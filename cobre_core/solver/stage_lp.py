"""The stage LP of cobre-formulation.md §2, built once per stage as arrays.

A :class:`StageLp` holds the LP arrays, where every variable family lives (:class:`StageLayout`)
and the recipe for the per-solve patch: incoming state, inflow noise and stochastic loads and
NCS availability only change row and column bounds. Costs are divided by ``COST_SCALE`` (all but
theta), so objective values and cuts are in k$; multiply back for reporting.

Deviation from upstream's row algebra, with the same optimum: the water balance uses the realised
inflow column ``z`` (defined by its own row) instead of repeating the PAR terms, so only the
``z`` rows carry the noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from cobre_core.errors import CobreError, ErrorKind, record
from cobre_core.solver.lp_builder import INF, LinearProgram, LpBuilder
from cobre_core.system.case import Case

COST_SCALE = 1000.0
M3S_TO_HM3 = 0.0036

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class StageLayout:
    """Column and row indices of every variable family and constraint of one stage LP.

    Per-block families are shaped ``(entities, blocks)``.
    """

    v_out: IntArray
    lag: IntArray  # (L, N)
    z: IntArray
    v_in: IntArray
    theta: int
    turbined: IntArray
    spillage: IntArray
    diversion: IntArray
    thermal: IntArray
    line_direct: IntArray
    line_reverse: IntArray
    deficit: tuple[IntArray, ...]  # per bus: (segments, blocks)
    excess: IntArray
    inflow_slack: IntArray  # (N,) or empty
    fpha_hydros: IntArray
    fpha_generation: IntArray  # (len(fpha_hydros), blocks)
    evaporation_hydros: IntArray
    evaporation: IntArray
    evaporation_pos: IntArray
    evaporation_neg: IntArray
    withdrawal_neg: IntArray
    withdrawal_pos: IntArray
    outflow_below: IntArray
    outflow_above: IntArray
    turbined_below: IntArray
    generation_below: IntArray
    ncs: IntArray
    generic_slacks: tuple[tuple[int, IntArray, IntArray], ...]  # (constraint_id, plus, minus)
    # rows
    storage_fix: IntArray
    lag_fix: IntArray  # (L, N)
    z_def: IntArray
    water_balance: IntArray
    load_balance: IntArray  # (B, blocks)
    out_state_cols: IntArray  # LP column of each outgoing state dimension


@dataclass(frozen=True)
class StageLp:
    """One stage's LP, its layout and the data needed to patch it for a realisation."""

    lp: LinearProgram
    layout: StageLayout
    stage: int
    num_state: int
    # noise patching
    z_base: FloatArray
    z_sigma: FloatArray
    load_rhs: FloatArray  # (B, K) deterministic load
    load_mean: FloatArray
    load_std: FloatArray
    load_factor: FloatArray  # (B, K)
    noise_load_buses: IntArray
    ncs_upper: FloatArray  # (NCS, K) deterministic availability
    noise_ncs: IntArray
    ncs_max: FloatArray
    ncs_mean: FloatArray
    ncs_std: FloatArray
    discount: float

    @cached_property
    def fix_rows(self) -> NDArray[np.int32]:
        """Rows fixing the incoming state, in state order (storage, then lags lag-major)."""
        return _frozen(np.concatenate([self.layout.storage_fix, self.layout.lag_fix.ravel()]))

    @cached_property
    def patch_rows(self) -> NDArray[np.int32]:
        """Rows :meth:`row_patch` sets, in order: state fixing, z definition, stochastic loads."""
        rows = [self.fix_rows, self.layout.z_def]
        if self.noise_load_buses.size:
            rows.append(self.layout.load_balance[self.noise_load_buses].ravel())
        return _frozen(np.concatenate(rows))

    @cached_property
    def _load_patch(self) -> tuple[FloatArray, FloatArray, FloatArray] | None:
        """Mean, std (per stochastic bus, as a column) and block factors of the load patch."""
        buses = self.noise_load_buses
        if not buses.size:
            return None
        return self.load_mean[buses, None], self.load_std[buses, None], self.load_factor[buses]

    def row_patch(
        self, state: FloatArray, eta: FloatArray
    ) -> tuple[NDArray[np.int32], FloatArray, FloatArray]:
        """Row indices and bounds that set the incoming state and the noise realisation.

        The rows are :attr:`patch_rows` (fixed per stage); lower and upper bound are the same
        array. One row of :meth:`row_patches`.
        """
        rows, values = self.row_patches(state, eta[None, :])
        bounds = values[0]
        return rows, bounds, bounds

    def row_patches(
        self, state: FloatArray, etas: FloatArray
    ) -> tuple[NDArray[np.int32], FloatArray]:
        """The row bounds that set the incoming state and each noise vector of ``etas``
        ``(m, dim)``: the rows (:attr:`patch_rows`) and their values ``(m, rows)``, computed in
        one go (a backward pass patches all of a state's openings at once).

        With states ``(F, d)`` and noise blocks ``(F, m, dim)``, one per state, the values are
        ``(F, m, rows)``: block ``k`` equals ``row_patches(state[k], etas[k])`` bit for bit.
        """
        n = self.z_base.size
        d = state.shape[-1]
        lead = etas.shape[:-1]
        vals = np.empty((*lead, self.patch_rows.size))
        vals[..., :d] = state[..., None, :]
        np.multiply(self.z_sigma, etas[..., :n], out=vals[..., d : d + n])
        vals[..., d : d + n] += self.z_base
        load = self._load_patch
        if load is not None:
            mean, std, factor = load
            draw = etas[..., n : n + mean.shape[0], None]
            level = np.maximum(0.0, mean + std * draw)
            vals[..., d + n :] = (level * factor).reshape(*lead, -1)
        return self.patch_rows, vals

    @cached_property
    def has_col_patch(self) -> bool:
        """Whether the noise also sets column bounds (stochastic NCS), see :meth:`col_patch`."""
        return bool(self.noise_ncs.size)

    def col_patch(self, eta: FloatArray) -> tuple[IntArray, FloatArray, FloatArray] | None:
        """Column bounds for stochastic NCS availability, or None when there is none."""
        if not self.noise_ncs.size:
            return None
        off = self.z_base.size + int(self.noise_load_buses.size)
        draw = eta[off : off + self.noise_ncs.size]
        src = self.noise_ncs
        avail = self.ncs_max[src] * np.clip(self.ncs_mean[src] + self.ncs_std[src] * draw, 0, 1)
        cols = self.layout.ncs[src]
        upper = np.repeat(avail[:, None], cols.shape[1], axis=1).ravel()
        return cols.ravel(), np.zeros_like(upper), upper


def _frozen(index: IntArray) -> NDArray[np.int32]:
    """A read-only int32 copy of ``index`` (HiGHS's index type, shared by every solve)."""
    out = index.astype(np.int32)
    out.flags.writeable = False
    return out


def build_stage_lp(case: Case, t: int) -> StageLp:
    """Build the LP of study stage ``t`` (0-based position), without cuts."""
    sd = case.stages[t]
    hd = sd.hydro
    topo = case.topology
    n, n_lag, n_k = case.num_hydros, case.max_lag, sd.num_blocks
    hours = sd.block_hours
    total = sd.total_hours
    zeta = M3S_TO_HM3 * total
    tau = M3S_TO_HM3 * hours
    last = t == case.num_stages - 1
    par = case.par
    b = LpBuilder()

    def per_block(lower: FloatArray, upper: FloatArray, cost: FloatArray) -> IntArray:
        """Columns (entities, blocks); bounds per entity, cost per entity x hours / scale."""
        m = lower.size
        lo = np.repeat(lower, n_k)
        hi = np.repeat(upper, n_k)
        c = (cost[:, None] * hours[None, :]).ravel() / COST_SCALE
        return b.add_columns(m * n_k, lo, hi, c).reshape(m, n_k)

    def slack_upper(flag: NDArray[np.bool_]) -> FloatArray:
        return np.where(flag, INF, 0.0)

    zeros_n = np.zeros(n)
    v_out = b.add_columns(n, hd.min_storage, hd.max_storage)
    lag = b.add_columns(n_lag * n, -INF, INF).reshape(n_lag, n)
    z = b.add_columns(n, -INF, INF)
    v_in = b.add_columns(n, -INF, INF)
    theta = int(b.add_columns(1, 0.0, 0.0 if last else INF, sd.discount)[0])
    fpha_cost = np.where(hd.is_fpha, hd.fpha_turbined_cost, 0.0)
    q = per_block(zeros_n, hd.max_turbined, fpha_cost)
    s = per_block(zeros_n, np.full(n, INF), hd.spillage_cost)
    div_cost = np.where(hd.max_diversion > 0, hd.diversion_cost, 0.0)
    dv = per_block(zeros_n, hd.max_diversion, div_cost)
    g_th = per_block(sd.thermal_min, sd.thermal_max, sd.thermal_cost)
    f_dir = per_block(np.zeros(len(case.lines)), sd.line_direct, sd.line_cost)
    f_rev = per_block(np.zeros(len(case.lines)), sd.line_reverse, sd.line_cost)
    deficit = tuple(
        per_block(np.zeros(depth.size), depth, cost)
        for depth, cost in zip(sd.deficit_depth, sd.deficit_cost, strict=True)
    )
    excess = per_block(np.zeros(len(case.buses)), np.full(len(case.buses), INF), sd.excess_cost)
    if case.inflow_method in ("penalty", "truncation_with_penalty"):
        sigma_inf = b.add_columns(n, 0.0, INF, hd.inflow_slack_cost * total / COST_SCALE)
    else:
        sigma_inf = np.zeros(0, dtype=np.int64)
    fpha_h = np.flatnonzero(hd.is_fpha)
    g_fpha = per_block(np.zeros(fpha_h.size), hd.max_generation[fpha_h], np.zeros(fpha_h.size))
    ev_h = np.flatnonzero(hd.has_evaporation)
    ev_cap = 2.0 * np.maximum(0.0, hd.evaporation_k0 + hd.evaporation_kv * hd.max_storage)[ev_h]
    q_ev = b.add_columns(ev_h.size, 0.0, ev_cap)
    f_ev_pos = b.add_columns(
        ev_h.size, 0.0, INF, hd.evaporation_neg_cost[ev_h] * total / COST_SCALE
    )
    f_ev_neg = b.add_columns(
        ev_h.size, 0.0, INF, hd.evaporation_pos_cost[ev_h] * total / COST_SCALE
    )
    withdrawing = hd.withdrawal > 0
    ww_neg = b.add_columns(
        n, 0.0, slack_upper(withdrawing), hd.withdrawal_neg_cost * total / COST_SCALE
    )
    ww_pos = b.add_columns(
        n, 0.0, slack_upper(withdrawing), hd.withdrawal_pos_cost * total / COST_SCALE
    )
    ob = per_block(zeros_n, slack_upper(hd.min_outflow > 0), hd.outflow_below_cost)
    oa = per_block(zeros_n, slack_upper(np.isfinite(hd.max_outflow)), hd.outflow_above_cost)
    tb = per_block(zeros_n, slack_upper(hd.min_turbined > 0), hd.turbined_below_cost)
    gb = per_block(zeros_n, slack_upper(hd.min_generation > 0), hd.generation_below_cost)
    n_ncs = len(case.non_controllables)
    ncs_avail = sd.ncs_max * np.clip(sd.ncs_mean, 0.0, 1.0) * sd.ncs_active
    g_ncs = per_block(np.zeros(n_ncs), ncs_avail, -sd.ncs_cost)

    # --- state rows -------------------------------------------------------------------------
    storage_fix = b.add_rows(n, 0.0, 0.0, np.arange(n), v_in, np.ones(n))
    lag_fix = b.add_rows(n_lag * n, 0.0, 0.0, np.arange(n_lag * n), lag.ravel(), np.ones(n_lag * n))
    lag_fix = lag_fix.reshape(n_lag, n)
    rr, cc, vv = [np.arange(n)], [z], [np.ones(n)]
    for lg in range(n_lag):
        rr.append(np.arange(n))
        cc.append(lag[lg])
        vv.append(-par.psi[t, :, lg])
    z_def = b.add_rows(n, 0.0, 0.0, np.concatenate(rr), np.concatenate(cc), np.concatenate(vv))

    # --- water balance (hm3) ----------------------------------------------------------------
    rr, cc, vv = [], [], []

    def wb(rows: IntArray, cols: IntArray, vals: FloatArray | float) -> None:
        c = np.asarray(cols).ravel()
        v = np.asarray(vals, dtype=np.float64)
        rr.append(np.asarray(rows).ravel())
        cc.append(c)
        vv.append(np.broadcast_to(v, c.shape) if v.ndim == 0 else v.ravel())

    hrow = np.arange(n)
    wb(hrow, v_out, 1.0)
    wb(hrow, v_in, -1.0)
    for fam in (q, s, dv):
        wb(np.repeat(hrow, n_k), fam, np.tile(tau, n))
    down = topo.hydro_downstream
    up = np.flatnonzero(down >= 0)
    for fam in (q, s):
        wb(np.repeat(down[up], n_k), fam[up], -np.tile(tau, up.size))
    div_src = np.flatnonzero(topo.hydro_diversion_target >= 0)
    wb(
        np.repeat(topo.hydro_diversion_target[div_src], n_k),
        dv[div_src],
        -np.tile(tau, div_src.size),
    )
    wb(ev_h, q_ev, zeta)
    if sigma_inf.size:
        wb(hrow, sigma_inf, -zeta)
    wb(hrow, ww_neg, -zeta)
    wb(hrow, ww_pos, zeta)
    wb(hrow, z, -zeta)
    rhs = -zeta * hd.withdrawal
    water_balance = b.add_rows(
        n, rhs, rhs, np.concatenate(rr), np.concatenate(cc), np.concatenate(vv)
    )

    # --- load balance (MW) per bus and block --------------------------------------------------
    n_bus = len(case.buses)
    load_rhs = sd.load_mean[:, None] * sd.load_factor
    rr, cc, vv = [], [], []
    krow = np.arange(n_k)

    def lb(bus: IntArray, cols: IntArray, coef: FloatArray | float) -> None:
        """Add per-block columns (entities, K) at their bus rows with a coefficient."""
        rows = bus[:, None] * n_k + krow[None, :]
        rr.append(rows.ravel())
        cc.append(cols.ravel())
        vv.append(np.broadcast_to(np.asarray(coef, dtype=np.float64), cols.shape).ravel())

    const = np.flatnonzero(~hd.is_fpha)
    lb(topo.hydro_bus[const], q[const], np.repeat(hd.productivity[const][:, None], n_k, axis=1))
    lb(topo.hydro_bus[fpha_h], g_fpha, 1.0)
    lb(topo.thermal_bus, g_th, 1.0)
    lb(topo.ncs_bus, g_ncs, 1.0)
    lb(topo.line_target, f_dir, 1.0)
    lb(topo.line_target, f_rev, -1.0)
    lb(topo.line_source, f_rev, 1.0)
    lb(topo.line_source, f_dir, -1.0)
    for bus, cols in enumerate(deficit):
        lb(np.full(cols.shape[0], bus), cols, 1.0)
    lb(np.arange(n_bus), excess, -1.0)
    load_balance = b.add_rows(
        n_bus * n_k,
        load_rhs.ravel(),
        load_rhs.ravel(),
        np.concatenate(rr),
        np.concatenate(cc),
        np.concatenate(vv),
    ).reshape(n_bus, n_k)

    # --- FPHA: g <= g0*kappa + gv/2 (v_in + v_out) + gq q + gs s ---------------------------------
    for j, h in enumerate(fpha_h):
        planes = hd.fpha_planes[h]
        if planes is None:
            raise CobreError(
                record(
                    ErrorKind.INCOMPATIBLE_SETTINGS,
                    f"hydro {case.hydros[h].id} needs FPHA planes fitted from geometry, "
                    "which this version does not do yet",
                    "Provide precomputed planes in system/fpha_hyperplanes.parquet, or use "
                    "constant_productivity for this hydro.",
                    file="system/hydro_production_models.json",
                    entity_id=case.hydros[h].id,
                    settings=["fpha_config.source=computed"],
                )
            )
        for g0, gv, gq, gs, kappa in planes.coefficients:
            rows = np.repeat(np.arange(n_k), 5)
            cols = np.column_stack(
                [g_fpha[j], np.full(n_k, v_in[h]), np.full(n_k, v_out[h]), q[h], s[h]]
            ).ravel()
            vals = np.tile([1.0, -gv / 2, -gv / 2, -gq, -gs], n_k)
            b.add_rows(n_k, -INF, g0 * kappa, rows, cols, vals)

    # --- evaporation: Q_ev - kv/2 (v_out + v_in) + f+ - f- = k0 -------------------------------
    if ev_h.size:
        m = ev_h.size
        kv = hd.evaporation_kv[ev_h]
        rows = np.repeat(np.arange(m), 5)
        cols = np.column_stack([q_ev, v_out[ev_h], v_in[ev_h], f_ev_pos, f_ev_neg]).ravel()
        vals = np.column_stack([np.ones(m), -kv / 2, -kv / 2, np.ones(m), -np.ones(m)]).ravel()
        k0 = hd.evaporation_k0[ev_h]
        b.add_rows(m, k0, k0, rows, cols, vals)

    # --- operational rows per hydro and block ---------------------------------------------------
    def op_rows(
        mask: NDArray[np.bool_],
        terms: list[tuple[IntArray, FloatArray | float]],
        lower: FloatArray,
        upper: FloatArray,
    ) -> None:
        hs = np.flatnonzero(mask)
        if not hs.size:
            return
        m = hs.size * n_k
        rows = np.arange(m)
        r_all, c_all, v_all = [], [], []
        for cols, coef in terms:
            c = cols[hs].ravel()
            r_all.append(rows)
            c_all.append(c)
            coef_arr = np.asarray(coef, dtype=np.float64)
            if coef_arr.ndim == 1:
                coef_arr = np.repeat(coef_arr[hs], n_k)
            v_all.append(np.broadcast_to(coef_arr, c.shape))
        b.add_rows(
            m,
            np.repeat(lower[hs], n_k),
            np.repeat(upper[hs], n_k),
            np.concatenate(r_all),
            np.concatenate(c_all),
            np.concatenate(v_all),
        )

    inf_n = np.full(n, INF)
    op_rows(hd.min_outflow > 0, [(q, 1.0), (s, 1.0), (dv, 1.0), (ob, 1.0)], hd.min_outflow, inf_n)
    op_rows(
        np.isfinite(hd.max_outflow),
        [(q, 1.0), (s, 1.0), (dv, 1.0), (oa, -1.0)],
        -inf_n,
        hd.max_outflow,
    )
    op_rows(hd.min_turbined > 0, [(q, 1.0), (tb, 1.0)], hd.min_turbined, inf_n)
    const_gen = (hd.min_generation > 0) & ~hd.is_fpha
    op_rows(const_gen, [(q, hd.entity_productivity), (gb, 1.0)], hd.min_generation, inf_n)
    for j, h in enumerate(fpha_h):
        if hd.min_generation[h] > 0:
            b.add_rows(
                n_k,
                hd.min_generation[h],
                INF,
                np.tile(np.arange(n_k), 2),
                np.concatenate([g_fpha[j], gb[h]]),
                np.ones(2 * n_k),
            )

    # --- generic constraints --------------------------------------------------------------------
    generic_slacks = _generic_rows(case, t, b, locals())

    lag_out = [z, lag[: n_lag - 1].ravel()] if n_lag else []
    out_state = np.concatenate([v_out, *lag_out])
    layout = StageLayout(
        v_out=v_out,
        lag=lag,
        z=z,
        v_in=v_in,
        theta=theta,
        turbined=q,
        spillage=s,
        diversion=dv,
        thermal=g_th,
        line_direct=f_dir,
        line_reverse=f_rev,
        deficit=deficit,
        excess=excess,
        inflow_slack=sigma_inf,
        fpha_hydros=fpha_h,
        fpha_generation=g_fpha,
        evaporation_hydros=ev_h,
        evaporation=q_ev,
        evaporation_pos=f_ev_pos,
        evaporation_neg=f_ev_neg,
        withdrawal_neg=ww_neg,
        withdrawal_pos=ww_pos,
        outflow_below=ob,
        outflow_above=oa,
        turbined_below=tb,
        generation_below=gb,
        ncs=g_ncs,
        generic_slacks=generic_slacks,
        storage_fix=storage_fix,
        lag_fix=lag_fix,
        z_def=z_def,
        water_balance=water_balance,
        load_balance=load_balance,
        out_state_cols=out_state,
    )
    return StageLp(
        lp=b.build(),
        layout=layout,
        stage=t,
        num_state=n * (1 + n_lag),
        z_base=par.base[t].copy(),
        z_sigma=par.sigma[t].copy(),
        load_rhs=load_rhs,
        load_mean=sd.load_mean,
        load_std=sd.load_std,
        load_factor=sd.load_factor,
        noise_load_buses=case.noise.load_buses,
        ncs_upper=np.repeat(ncs_avail[:, None], n_k, axis=1),
        noise_ncs=case.noise.ncs,
        ncs_max=sd.ncs_max * sd.ncs_active,
        ncs_mean=sd.ncs_mean,
        ncs_std=sd.ncs_std,
        discount=sd.discount,
    )


def _generic_rows(
    case: Case, t: int, b: LpBuilder, cols: dict
) -> tuple[tuple[int, IntArray, IntArray], ...]:
    """Add the stage's generic constraint rows; returns (constraint_id, plus, minus) slacks."""
    sd = case.stages[t]
    n_k = sd.num_blocks
    if not sd.generic:
        return ()
    hydro_pos = {h.id: i for i, h in enumerate(case.hydros)}
    thermal_pos = {x.id: i for i, x in enumerate(case.thermals)}
    line_pos = {x.id: i for i, x in enumerate(case.lines)}
    bus_pos = {x.id: i for i, x in enumerate(case.buses)}
    block_pos = {
        blk.id: k
        for k, blk in enumerate(sorted(case.stages_file.stages[t].blocks, key=lambda blk: blk.id))
    }
    hd = sd.hydro
    fpha_index = {int(h): j for j, h in enumerate(cols["fpha_h"])}
    ev_index = {int(h): j for j, h in enumerate(cols["ev_h"])}

    def columns(var: str, eid: int, k: int) -> list[tuple[int, float]]:
        q, s, dv = cols["q"], cols["s"], cols["dv"]
        if var.startswith("hydro_"):
            h = hydro_pos[eid]
            if var == "hydro_storage":
                return [(int(cols["v_out"][h]), 1.0)]
            if var == "hydro_turbined":
                return [(int(q[h, k]), 1.0)]
            if var == "hydro_spillage":
                return [(int(s[h, k]), 1.0)]
            if var == "hydro_diversion":
                return [(int(dv[h, k]), 1.0)]
            if var == "hydro_outflow":
                return [(int(q[h, k]), 1.0), (int(s[h, k]), 1.0), (int(dv[h, k]), 1.0)]
            if var == "hydro_generation":
                if h in fpha_index:
                    return [(int(cols["g_fpha"][fpha_index[h], k]), 1.0)]
                return [(int(q[h, k]), float(hd.productivity[h]))]
            if var == "hydro_evaporation":
                return [(int(cols["q_ev"][ev_index[h]]), 1.0)] if h in ev_index else []
            return []
        if var == "thermal_generation":
            return [(int(cols["g_th"][thermal_pos[eid], k]), 1.0)]
        if var in ("line_direct", "line_reverse", "line_exchange"):
            ln = line_pos[eid]
            d, r = int(cols["f_dir"][ln, k]), int(cols["f_rev"][ln, k])
            return {"line_direct": [(d, 1.0)], "line_reverse": [(r, 1.0)]}.get(
                var, [(d, 1.0), (r, -1.0)]
            )
        if var == "bus_deficit":
            return [(int(c), 1.0) for c in cols["deficit"][bus_pos[eid]][:, k]]
        if var == "bus_excess":
            return [(int(cols["excess"][bus_pos[eid], k]), 1.0)]
        return []

    slacks = []
    for row in sd.generic:
        plus_cols, minus_cols = [], []
        for k in range(n_k):
            bound = row.bounds[k]
            if np.isnan(bound):
                continue
            entries: dict[int, float] = {}
            for term in row.terms:
                if term.block_id is not None and block_pos.get(term.block_id) != k:
                    continue
                for col, coef in columns(term.variable, term.entity_id, k):
                    entries[col] = entries.get(col, 0.0) + term.coefficient * coef
            hours = float(sd.block_hours[k])
            if row.slack_penalty is not None:
                cost = row.slack_penalty * hours / COST_SCALE
                if row.sense in ("<=", "=="):
                    c = int(b.add_columns(1, 0.0, INF, cost)[0])
                    entries[c] = entries.get(c, 0.0) - 1.0
                    minus_cols.append(c)
                if row.sense in (">=", "=="):
                    c = int(b.add_columns(1, 0.0, INF, cost)[0])
                    entries[c] = entries.get(c, 0.0) + 1.0
                    plus_cols.append(c)
            lo = bound if row.sense in (">=", "==") else -INF
            hi = bound if row.sense in ("<=", "==") else INF
            keys = list(entries)
            b.add_rows(1, lo, hi, np.zeros(len(keys)), keys, [entries[c] for c in keys])
        slacks.append(
            (row.constraint_id, np.array(plus_cols, np.int64), np.array(minus_cols, np.int64))
        )
    return tuple(slacks)
