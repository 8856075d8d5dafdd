"""The simulation output tables of cobre-formulation.md §6.4: Arrow schemas and stage extraction.

Each table has upstream's exact column names, order, Arrow types and nullability. One stage solve
of a simulated scenario becomes a dict ``entity -> {column -> numpy array}`` (see
:func:`stage_columns`); a scenario's stages are then stacked into one :class:`pyarrow.Table` per
entity (:func:`scenario_tables`). Nullable columns travel as :class:`numpy.ma.MaskedArray` (masked =
null); every other column is a plain array.

Row order inside a stage follows upstream: entity-major, block-minor (``hydro 0 block 0, hydro 0
block 1, ..., hydro 1 block 0, ...``). Block ids are block positions (Cobre block ids are 0-based
and contiguous). Money is in $ (the LP's scaled costs multiplied back by ``COST_SCALE``); a cost
component is the sum, over its family's columns, of the unscaled objective coefficient times the
column value, so the components add up to the stage's immediate cost.

Choices where §6.4 leaves room:

* the diversion cost (a column cost only when a diversion channel exists) has no bucket upstream;
  it is reported inside ``spillage_cost`` so the components still sum to ``immediate_cost``;
* ``curtailment_cost`` is the NCS columns' objective contribution, i.e. negative (a reward for
  generating), in both the costs table and the non_controllables table;
* ``is_gnl`` is true for a thermal with a ``gnl_config``; the GNL columns are not modelled, so
  ``gnl_committed_mw`` and ``gnl_decision_mw`` are always null;
* violations/generic has one row per active (constraint, block) pair: ``slack_value`` is the slack
  of a one-sided row and ``plus - minus`` of an equality row; a row without slack penalty reports 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from cobre_core.solver.stage_lp import COST_SCALE, StageLp
from cobre_core.system.case import Case

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

Columns = dict[str, np.ndarray]
"""Column name -> values of one table (a masked array for a nullable column)."""
StageColumns = dict[str, Columns]
"""Entity (table name) -> columns, for one stage of one scenario."""

STORAGE_BINDING_TOLERANCE = 1e-6
"""Distance (hm³) from a storage bound under which the bound counts as binding."""

_I32 = pa.int32()
_F64 = pa.float64()
_I8 = pa.int8()


def _schema(*fields: tuple[str, pa.DataType, bool]) -> pa.Schema:
    """Schema from ``(name, type, nullable)`` triples."""
    return pa.schema([pa.field(name, typ, nullable=nullable) for name, typ, nullable in fields])


def _floats(*names: str, nullable: bool = False) -> tuple[tuple[str, pa.DataType, bool], ...]:
    """Float64 fields with the same nullability."""
    return tuple((name, _F64, nullable) for name in names)


_KEYS = (("stage_id", _I32, False), ("block_id", _I32, True))

COSTS_SCHEMA = _schema(
    *_KEYS,
    *_floats(
        "total_cost",
        "immediate_cost",
        "future_cost",
        "discount_factor",
        "thermal_cost",
        "contract_cost",
        "deficit_cost",
        "excess_cost",
        "storage_violation_cost",
        "filling_target_cost",
        "hydro_violation_cost",
        "outflow_violation_below_cost",
        "outflow_violation_above_cost",
        "turbined_violation_cost",
        "generation_violation_cost",
        "evaporation_violation_cost",
        "withdrawal_violation_cost",
        "inflow_penalty_cost",
        "generic_violation_cost",
        "spillage_cost",
        "fpha_turbined_cost",
        "curtailment_cost",
        "exchange_cost",
        "pumping_cost",
    ),
)
"""simulation/costs: one row per stage (block_id null)."""

HYDROS_SCHEMA = _schema(
    *_KEYS,
    ("hydro_id", _I32, False),
    *_floats("turbined_m3s", "spillage_m3s", "outflow_m3s"),
    *_floats("evaporation_m3s", "diverted_inflow_m3s", "diverted_outflow_m3s", nullable=True),
    *_floats(
        "incremental_inflow_m3s",
        "inflow_m3s",
        "storage_initial_hm3",
        "storage_final_hm3",
        "generation_mw",
        "generation_mwh",
    ),
    ("productivity_mw_per_m3s", _F64, True),
    *_floats("spillage_cost", "water_value_per_hm3"),
    ("storage_binding_code", _I8, False),
    ("operative_state_code", _I8, False),
    *_floats(
        "turbined_slack_m3s",
        "outflow_slack_below_m3s",
        "outflow_slack_above_m3s",
        "generation_slack_mw",
        "storage_violation_below_hm3",
        "filling_target_violation_hm3",
        "evaporation_violation_pos_m3s",
        "evaporation_violation_neg_m3s",
        "inflow_nonnegativity_slack_m3s",
        "water_withdrawal_violation_pos_m3s",
        "water_withdrawal_violation_neg_m3s",
    ),
)
"""simulation/hydros: one row per (stage, hydro, block)."""

THERMALS_SCHEMA = _schema(
    *_KEYS,
    ("thermal_id", _I32, False),
    *_floats("generation_mw", "generation_mwh", "generation_cost"),
    ("is_gnl", pa.bool_(), False),
    *_floats("gnl_committed_mw", "gnl_decision_mw", nullable=True),
    ("operative_state_code", _I8, False),
)
"""simulation/thermals: one row per (stage, thermal, block)."""

EXCHANGES_SCHEMA = _schema(
    *_KEYS,
    ("line_id", _I32, False),
    *_floats(
        "direct_flow_mw",
        "reverse_flow_mw",
        "net_flow_mw",
        "net_flow_mwh",
        "losses_mw",
        "losses_mwh",
        "exchange_cost",
    ),
    ("operative_state_code", _I8, False),
)
"""simulation/exchanges: one row per (stage, line, block)."""

BUSES_SCHEMA = _schema(
    *_KEYS,
    ("bus_id", _I32, False),
    *_floats(
        "load_mw", "load_mwh", "deficit_mw", "deficit_mwh", "excess_mw", "excess_mwh", "spot_price"
    ),
)
"""simulation/buses: one row per (stage, bus, block)."""

NON_CONTROLLABLES_SCHEMA = _schema(
    *_KEYS,
    ("non_controllable_id", _I32, False),
    *_floats(
        "generation_mw",
        "generation_mwh",
        "available_mw",
        "curtailment_mw",
        "curtailment_mwh",
        "curtailment_cost",
    ),
    ("operative_state_code", _I8, False),
)
"""simulation/non_controllables: one row per (stage, source, block)."""

INFLOW_LAGS_SCHEMA = _schema(
    ("stage_id", _I32, False),
    ("hydro_id", _I32, False),
    ("lag_index", _I32, False),
    ("inflow_m3s", _F64, False),
)
"""simulation/inflow_lags: the incoming AR lags per (stage, hydro, lag); lag_index 0 = latest."""

GENERIC_VIOLATIONS_SCHEMA = _schema(
    *_KEYS,
    ("constraint_id", _I32, False),
    *_floats("slack_value", "slack_cost"),
)
"""simulation/violations/generic: one row per active (stage, constraint, block)."""

SIMULATION_SCHEMAS: dict[str, pa.Schema] = {
    "costs": COSTS_SCHEMA,
    "hydros": HYDROS_SCHEMA,
    "thermals": THERMALS_SCHEMA,
    "exchanges": EXCHANGES_SCHEMA,
    "buses": BUSES_SCHEMA,
    "non_controllables": NON_CONTROLLABLES_SCHEMA,
    "inflow_lags": INFLOW_LAGS_SCHEMA,
    "violations/generic": GENERIC_VIOLATIONS_SCHEMA,
}
"""Schema of every simulation table, keyed by its path under ``simulation/``, in write order."""


def simulation_entities(case: Case) -> list[str]:
    """The tables a simulation of ``case`` produces (upstream skips entity types with none).

    costs always; hydros, thermals, exchanges, buses and non_controllables when the case has such
    entities; inflow_lags when the inflow model has AR lags; violations/generic when some stage has
    an active generic constraint.
    """
    present = {
        "costs": True,
        "hydros": bool(case.hydros),
        "thermals": bool(case.thermals),
        "exchanges": bool(case.lines),
        "buses": bool(case.buses),
        "non_controllables": bool(case.non_controllables),
        "inflow_lags": bool(case.hydros) and case.max_lag > 0,
        "violations/generic": any(sd.generic for sd in case.stages),
    }
    return [name for name in SIMULATION_SCHEMAS if present[name]]


# -- helpers ---------------------------------------------------------------------------------------


def _null_where(values: np.ndarray, null: NDArray[np.bool_]) -> np.ma.MaskedArray:
    """A masked (nullable) column: ``values`` with nulls where ``null`` is true."""
    return np.ma.MaskedArray(values, mask=np.asarray(null, dtype=bool))


def _is_active(entry: int | None, exit_: int | None, stage_id: int) -> bool:
    """Whether an entity with these entry/exit stage ids is in service at ``stage_id``."""
    return (entry is None or stage_id >= entry) and (exit_ is None or stage_id < exit_)


def _operative(entities: Sequence[object], stage_id: int) -> NDArray[np.int8]:
    """Operative state code per entity: 1 in service at the stage, 0 otherwise."""
    return np.array(
        [
            _is_active(
                getattr(e, "entry_stage_id", None), getattr(e, "exit_stage_id", None), stage_id
            )
            for e in entities
        ],
        dtype=np.int8,
    )


def _ids(entities: Sequence[object]) -> NDArray[np.int32]:
    """Entity ids as Int32 values."""
    return np.array([e.id for e in entities], dtype=np.int32)  # type: ignore[attr-defined]


def _keys(stage_id: int, ids: NDArray[np.int32], n_k: int, name: str) -> Columns:
    """stage_id, block_id and the entity id column of an (entity, block) table."""
    m = ids.size * n_k
    blocks = np.tile(np.arange(n_k, dtype=np.int32), ids.size)
    return {
        "stage_id": np.full(m, stage_id, dtype=np.int32),
        "block_id": _null_where(blocks, np.zeros(m, dtype=bool)),
        name: np.repeat(ids, n_k),
    }


def _patched_bounds(
    slp: StageLp, state: FloatArray, eta: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Row lower bounds and column upper bounds as the solved LP had them (state and noise set)."""
    row_lower = slp.lp.row_lower.copy()
    rows, lo, _ = slp.row_patch(state, eta)
    row_lower[rows] = lo
    col_upper = slp.lp.col_upper.copy()
    cols = slp.col_patch(eta)
    if cols is not None:
        col_upper[cols[0]] = cols[2]
    return row_lower, col_upper


# -- extraction ------------------------------------------------------------------------------------


def stage_columns(
    case: Case,
    slp: StageLp,
    x: FloatArray,
    y: FloatArray,
    t: int,
    discount_factor: float,
    state: FloatArray,
    eta: FloatArray,
    objective: float | None = None,
) -> StageColumns:
    """Turn one solved stage LP into column arrays for every simulation table.

    ``x`` and ``y`` are the primal values and row duals of stage position ``t`` solved at the
    incoming ``state`` with the effective noise ``eta``; ``discount_factor`` is the cumulative
    factor D_t. ``objective`` is the solver's scaled objective; when omitted it is recomputed as
    ``c . x`` (equal up to rounding). Tables of entity types the case does not have are omitted.
    """
    lay = slp.layout
    sd = case.stages[t]
    stage_id = case.calendar[t].stage_id
    hours = sd.block_hours
    n_k = sd.num_blocks
    n = case.num_hydros
    cost = slp.lp.col_cost * COST_SCALE  # unscaled coefficients ($ per unit of column value)
    v = cost * x  # $ contribution of every column (theta's entry is not used)
    row_lower, col_upper = _patched_bounds(slp, state, eta)
    obj = float(slp.lp.col_cost @ x) if objective is None else float(objective)

    def total(*families: np.ndarray) -> float:
        """Sum of the $ contributions of the given column families."""
        return float(sum(v[np.asarray(f, dtype=np.int64)].sum() for f in families))

    generic_cols = [c for _, plus, minus in lay.generic_slacks for c in (plus, minus)]
    outflow_below = total(lay.outflow_below)
    outflow_above = total(lay.outflow_above)
    turbined_violation = total(lay.turbined_below)
    generation_violation = total(lay.generation_below)
    evaporation_violation = total(lay.evaporation_pos, lay.evaporation_neg)
    withdrawal_violation = total(lay.withdrawal_neg, lay.withdrawal_pos)
    future = slp.discount * float(x[lay.theta])
    costs: Columns = {
        "stage_id": np.array([stage_id], dtype=np.int32),
        "block_id": np.ma.masked_all(1, dtype=np.int32),
        "total_cost": np.array([obj * COST_SCALE]),
        "immediate_cost": np.array([(obj - future) * COST_SCALE]),
        "future_cost": np.array([future * COST_SCALE]),
        "discount_factor": np.array([float(discount_factor)]),
        "thermal_cost": np.array([total(lay.thermal)]),
        "contract_cost": np.zeros(1),
        "deficit_cost": np.array([total(*lay.deficit)]),
        "excess_cost": np.array([total(lay.excess)]),
        "storage_violation_cost": np.zeros(1),
        "filling_target_cost": np.zeros(1),
        "hydro_violation_cost": np.array(
            [
                outflow_below
                + outflow_above
                + turbined_violation
                + generation_violation
                + evaporation_violation
                + withdrawal_violation
            ]
        ),
        "outflow_violation_below_cost": np.array([outflow_below]),
        "outflow_violation_above_cost": np.array([outflow_above]),
        "turbined_violation_cost": np.array([turbined_violation]),
        "generation_violation_cost": np.array([generation_violation]),
        "evaporation_violation_cost": np.array([evaporation_violation]),
        "withdrawal_violation_cost": np.array([withdrawal_violation]),
        "inflow_penalty_cost": np.array([total(lay.inflow_slack)]),
        "generic_violation_cost": np.array([total(*generic_cols)]),
        "spillage_cost": np.array([total(lay.spillage, lay.diversion)]),
        "fpha_turbined_cost": np.array([total(lay.turbined)]),
        "curtailment_cost": np.array([total(lay.ncs)]),
        "exchange_cost": np.array([total(lay.line_direct, lay.line_reverse)]),
        "pumping_cost": np.zeros(1),
    }
    out: StageColumns = {"costs": costs}

    if n:
        out["hydros"] = _hydro_columns(case, slp, x, y, t, v)
    if case.thermals:
        g = x[lay.thermal]
        m = g.size
        out["thermals"] = {
            **_keys(stage_id, _ids(case.thermals), n_k, "thermal_id"),
            "generation_mw": g.ravel(),
            "generation_mwh": (g * hours).ravel(),
            "generation_cost": v[lay.thermal].ravel(),
            "is_gnl": np.repeat(
                np.array([th.gnl_config is not None for th in case.thermals], dtype=bool), n_k
            ),
            "gnl_committed_mw": np.ma.masked_all(m, dtype=np.float64),
            "gnl_decision_mw": np.ma.masked_all(m, dtype=np.float64),
            "operative_state_code": np.repeat(_operative(case.thermals, stage_id), n_k),
        }
    if case.lines:
        fd, fr = x[lay.line_direct], x[lay.line_reverse]
        net = fd - fr
        zeros = np.zeros(fd.size)
        out["exchanges"] = {
            **_keys(stage_id, _ids(case.lines), n_k, "line_id"),
            "direct_flow_mw": fd.ravel(),
            "reverse_flow_mw": fr.ravel(),
            "net_flow_mw": net.ravel(),
            "net_flow_mwh": (net * hours).ravel(),
            "losses_mw": zeros,
            "losses_mwh": zeros.copy(),
            "exchange_cost": (v[lay.line_direct] + v[lay.line_reverse]).ravel(),
            "operative_state_code": np.repeat(_operative(case.lines, stage_id), n_k),
        }
    if case.buses:
        load = row_lower[lay.load_balance]
        deficit = np.stack([x[cols].sum(axis=0) for cols in lay.deficit])
        excess = x[lay.excess]
        out["buses"] = {
            **_keys(stage_id, _ids(case.buses), n_k, "bus_id"),
            "load_mw": load.ravel(),
            "load_mwh": (load * hours).ravel(),
            "deficit_mw": deficit.ravel(),
            "deficit_mwh": (deficit * hours).ravel(),
            "excess_mw": excess.ravel(),
            "excess_mwh": (excess * hours).ravel(),
            "spot_price": (y[lay.load_balance] * COST_SCALE / hours).ravel(),
        }
    if case.non_controllables:
        gen = x[lay.ncs]
        avail = col_upper[lay.ncs]
        curtail = avail - gen
        out["non_controllables"] = {
            **_keys(stage_id, _ids(case.non_controllables), n_k, "non_controllable_id"),
            "generation_mw": gen.ravel(),
            "generation_mwh": (gen * hours).ravel(),
            "available_mw": avail.ravel(),
            "curtailment_mw": curtail.ravel(),
            "curtailment_mwh": (curtail * hours).ravel(),
            "curtailment_cost": v[lay.ncs].ravel(),
            "operative_state_code": np.repeat(sd.ncs_active.astype(np.int8), n_k),
        }
    n_lag = case.max_lag
    if n and n_lag:
        lags = case.lags_of(state)
        out["inflow_lags"] = {
            "stage_id": np.full(n * n_lag, stage_id, dtype=np.int32),
            "hydro_id": np.repeat(_ids(case.hydros), n_lag),
            "lag_index": np.tile(np.arange(n_lag, dtype=np.int32), n),
            "inflow_m3s": lags.T.ravel(),
        }
    if sd.generic:
        out["violations/generic"] = _generic_columns(case, slp, x, v, t)
    return out


def _hydro_columns(
    case: Case, slp: StageLp, x: FloatArray, y: FloatArray, t: int, v: FloatArray
) -> Columns:
    """Columns of the hydros table for one stage: (hydro, block) rows, stage values repeated."""
    lay = slp.layout
    sd = case.stages[t]
    hd = sd.hydro
    topo = case.topology
    n, n_k = case.num_hydros, sd.num_blocks
    hours = sd.block_hours
    stage_id = case.calendar[t].stage_id

    def rep(a: np.ndarray) -> np.ndarray:
        """A per-hydro (stage-level) value repeated on each of its block rows."""
        return np.repeat(np.asarray(a, dtype=np.float64), n_k)

    def stage_level(cols: IntArray, hydros: np.ndarray | None = None) -> FloatArray:
        """Values of a stage-level family (one column per listed hydro), 0 for the others."""
        out = np.zeros(n)
        if cols.size:
            out[np.arange(n) if hydros is None else hydros] = x[cols]
        return out

    q, s, d = x[lay.turbined], x[lay.spillage], x[lay.diversion]
    z = x[lay.z]
    # water arriving from upstream plants and diversion channels, per block
    down = topo.hydro_downstream
    up = np.flatnonzero(down >= 0)
    from_upstream = np.zeros((n, n_k))
    np.add.at(from_upstream, down[up], q[up] + s[up])
    div_target = topo.hydro_diversion_target
    div_src = np.flatnonzero(div_target >= 0)
    diverted_in = np.zeros((n, n_k))
    np.add.at(diverted_in, div_target[div_src], d[div_src])
    receives = np.zeros(n, dtype=bool)
    receives[div_target[div_src]] = True

    generation = hd.productivity[:, None] * q
    if lay.fpha_hydros.size:
        generation[lay.fpha_hydros] = x[lay.fpha_generation]
    v_out = x[lay.v_out]
    lo, hi = slp.lp.col_lower[lay.v_out], slp.lp.col_upper[lay.v_out]
    binding = np.where(
        np.abs(v_out - lo) <= STORAGE_BINDING_TOLERANCE,
        1,
        np.where(np.abs(v_out - hi) <= STORAGE_BINDING_TOLERANCE, 2, 0),
    ).astype(np.int8)
    evaporating = hd.has_evaporation
    evaporation = stage_level(lay.evaporation, lay.evaporation_hydros)
    zeros = np.zeros(n * n_k)
    return {
        **_keys(stage_id, _ids(case.hydros), n_k, "hydro_id"),
        "turbined_m3s": q.ravel(),
        "spillage_m3s": s.ravel(),
        "outflow_m3s": (q + s + d).ravel(),
        "evaporation_m3s": _null_where(rep(evaporation), np.repeat(~evaporating, n_k)),
        "diverted_inflow_m3s": _null_where(diverted_in.ravel(), np.repeat(~receives, n_k)),
        "diverted_outflow_m3s": _null_where(d.ravel(), np.repeat(div_target < 0, n_k)),
        "incremental_inflow_m3s": rep(z),
        "inflow_m3s": (z[:, None] + from_upstream + diverted_in).ravel(),
        "storage_initial_hm3": rep(x[lay.v_in]),
        "storage_final_hm3": rep(v_out),
        "generation_mw": generation.ravel(),
        "generation_mwh": (generation * hours).ravel(),
        "productivity_mw_per_m3s": _null_where(rep(hd.productivity), np.repeat(hd.is_fpha, n_k)),
        "spillage_cost": v[lay.spillage].ravel(),
        "water_value_per_hm3": rep(y[lay.water_balance] * COST_SCALE),
        "storage_binding_code": np.repeat(binding, n_k),
        "operative_state_code": np.repeat(hd.active.astype(np.int8), n_k),
        "turbined_slack_m3s": x[lay.turbined_below].ravel(),
        "outflow_slack_below_m3s": x[lay.outflow_below].ravel(),
        "outflow_slack_above_m3s": x[lay.outflow_above].ravel(),
        "generation_slack_mw": x[lay.generation_below].ravel(),
        "storage_violation_below_hm3": zeros,
        "filling_target_violation_hm3": zeros.copy(),
        "evaporation_violation_pos_m3s": rep(
            stage_level(lay.evaporation_pos, lay.evaporation_hydros)
        ),
        "evaporation_violation_neg_m3s": rep(
            stage_level(lay.evaporation_neg, lay.evaporation_hydros)
        ),
        "inflow_nonnegativity_slack_m3s": rep(stage_level(lay.inflow_slack)),
        "water_withdrawal_violation_pos_m3s": rep(stage_level(lay.withdrawal_pos)),
        "water_withdrawal_violation_neg_m3s": rep(stage_level(lay.withdrawal_neg)),
    }


def _generic_columns(case: Case, slp: StageLp, x: FloatArray, v: FloatArray, t: int) -> Columns:
    """violations/generic rows of one stage: one per active (constraint, block) pair.

    The layout lists a constraint's slack columns in block order over the blocks that have a
    bound (one per block and direction), which is how they are matched back to blocks here.
    """
    sd = case.stages[t]
    stage_id = case.calendar[t].stage_id
    cids: list[np.ndarray] = []
    blocks: list[np.ndarray] = []
    values: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    for row, (cid, plus, minus) in zip(sd.generic, slp.layout.generic_slacks, strict=True):
        active = np.flatnonzero(~np.isnan(np.asarray(row.bounds, dtype=np.float64)))
        m = active.size
        value = np.zeros(m)
        cost = np.zeros(m)
        if plus.size:
            value += x[plus]
            cost += v[plus]
        if minus.size:
            value += x[minus] if not plus.size else -x[minus]
            cost += v[minus]
        cids.append(np.full(m, cid, dtype=np.int32))
        blocks.append(active.astype(np.int32))
        values.append(value)
        costs.append(cost)
    block = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int32)
    return {
        "stage_id": np.full(block.size, stage_id, dtype=np.int32),
        "block_id": _null_where(block, np.zeros(block.size, dtype=bool)),
        "constraint_id": np.concatenate(cids) if cids else np.zeros(0, dtype=np.int32),
        "slack_value": np.concatenate(values) if values else np.zeros(0),
        "slack_cost": np.concatenate(costs) if costs else np.zeros(0),
    }


# -- assembling tables -----------------------------------------------------------------------------


def _to_arrow(values: np.ndarray, field: pa.Field) -> pa.Array:
    """One column as an Arrow array of the field's type (masked entries become nulls)."""
    if np.ma.isMaskedArray(values):
        data = np.ma.getdata(values)
        mask = np.ma.getmaskarray(values)
        if field.type == pa.bool_():
            data = data.astype(bool)
        else:
            data = data.astype(field.type.to_pandas_dtype(), copy=False)
        return pa.array(data, type=field.type, mask=mask if mask.any() else None)
    if field.type == pa.bool_():
        return pa.array(np.asarray(values, dtype=bool), type=field.type)
    return pa.array(np.asarray(values, dtype=field.type.to_pandas_dtype()), type=field.type)


def columns_to_table(entity: str, columns: Mapping[str, np.ndarray]) -> pa.Table:
    """An Arrow table of ``entity`` from its columns, in schema order and types."""
    schema = SIMULATION_SCHEMAS[entity]
    return pa.Table.from_arrays([_to_arrow(columns[f.name], f) for f in schema], schema=schema)


def empty_table(entity: str) -> pa.Table:
    """A zero-row table with the schema of ``entity``."""
    return SIMULATION_SCHEMAS[entity].empty_table()


def _concat(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Stack one column over stages, keeping masks when any part is masked."""
    if any(np.ma.isMaskedArray(p) for p in parts):
        return np.ma.concatenate(parts)
    return np.concatenate(parts)


def scenario_tables(stages: Sequence[StageColumns], entities: Sequence[str]) -> dict[str, pa.Table]:
    """One table per entity for a whole scenario: the stages' rows stacked in stage order.

    ``entities`` lists the tables to build (see :func:`simulation_entities`); an entity that no
    stage produced rows for becomes an empty table with its schema.
    """
    out: dict[str, pa.Table] = {}
    for entity in entities:
        parts = [st[entity] for st in stages if entity in st]
        if not parts:
            out[entity] = empty_table(entity)
            continue
        schema = SIMULATION_SCHEMAS[entity]
        merged = {f.name: _concat([p[f.name] for p in parts]) for f in schema}
        out[entity] = columns_to_table(entity, merged)
    return out
