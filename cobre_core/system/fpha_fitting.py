"""Fit FPHA hyperplanes from reservoir geometry (``fpha_config.source: computed``).

Production function (power in MW), for storage ``v`` [hm³], turbined flow ``q`` and spillage
``s`` [m³/s]::

    phi(v, q, s) = K * eta * q * h_net(v, q, s),           K = 9.81e-3 MW / (m³/s · m)
    h_net        = max(0, gross - loss),                    gross = h_fore(v) - h_tail(q + s)
    loss         = f * gross  (``factor`` losses)   or   c  (``constant`` losses, metres)

``h_fore`` interpolates ``height_m`` over ``volume_hm3`` from ``system/hydro_geometry.parquet``
(clamped to the table; its slope is the enclosing segment's, the right-hand one at a breakpoint);
``h_tail`` is the polynomial (ascending powers) or the clamped piecewise-linear tailrace curve of
the total outflow; ``eta`` the constant efficiency (1 when absent).

The fit follows upstream cobre's ``crates/cobre-sddp/src/fpha_fitting.rs`` (the tangent-plane
pipeline that the reference formulation cites), re-derived here:

1. **Window.** Storage range = the geometry table's range, or ``fitting_window`` (absolute hm³, or
   percentiles as *fractions* of the plant's ``[min_storage, max_storage]``: ``v = vmin + p·(vmax -
   vmin)``), clamped to the table. Grid counts default to 5 (volume, turbine, spillage) and the
   plane budget to 10.
2. **Grid.** Uniform, endpoints included: ``v`` over the window; ``q`` from ``max(1, 0.01·qmax)``
   to ``qmax`` (``max_turbined_m3s``; q = 0 gives a degenerate tangent); ``s`` from 0 to
   ``0.5·qmax``.
3. **Tangent planes** ``phi(p) + ∇phi(p)·(x - p)`` at every grid point with ``q > 0`` and
   ``phi > 0`` (analytic gradient).
4. **Redundancy.** Keep a plane only if it is within 1e-8 of the envelope's maximum at some grid
   point; then drop near-duplicates (all four coefficients within 1e-8; the first is kept).
5. **Selection.** While more planes than the budget remain, remove the plane whose removal keeps
   the envelope above ``phi`` at every grid point (tolerance 1e-8) with the smallest resulting
   maximum overestimate ``max(envelope - phi)``; stop early, keeping more planes, when every removal
   would cut below ``phi``. Upstream's removal is a swap-remove (the last plane takes the removed
   one's slot), which fixes the tie-breaking order; it is reproduced.
6. **Kappa** = ``min phi / envelope`` over grid points where both are positive (1 if none): the
   largest factor by which the whole envelope can be scaled so that it overestimates ``phi`` at no
   grid point.
7. **Checks.** At least one plane, ``0 < kappa <= 1``, ``gamma_v >= 0``, ``gamma_q >= 0``,
   ``gamma_s <= 0`` (tolerance 1e-10).

The planes are returned unscaled with ``kappa`` beside them; the LP row uses
``g <= gamma_0·kappa + gamma_v·v + gamma_q·q + gamma_s·s`` exactly as upstream (only the
intercept is scaled, as for precomputed planes with a ``kappa`` column).

What the result guarantees, on the fitting grid: the unscaled envelope ``max_m plane_m`` is an
outer approximation, ``envelope >= phi - 1e-8`` at every grid point where ``phi > 0`` (each such
point carries its own tangent plane, redundancy elimination keeps the maximisers, and selection
only removes planes while this holds), and it is tight (``= phi``) wherever a tangent plane of that
point survives. ``phi`` is not concave in general (``q·h_fore(v)`` is bilinear), so between grid
points, and at grid points through other planes, the envelope can exceed ``phi``; ``kappa``
measures the worst such ratio on the grid. When ``phi`` is linear (flat forebay, constant
tailrace) every tangent plane is the function itself and the fit returns exactly one plane with
``kappa = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cobre_core.model.hydros import (
    ConstantHydraulicLosses,
    FactorHydraulicLosses,
    Hydro,
    PiecewiseTailrace,
    PolynomialTailrace,
)
from cobre_core.model.production_models import (
    DEFAULT_DISCRETIZATION_POINTS,
    DEFAULT_MAX_PLANES_PER_HYDRO,
    FphaConfig,
)
from cobre_core.system.stage_data import FphaPlanes

FloatArray = NDArray[np.float64]

K_MW_PER_M4S = 9.81e-3
"""g·ρ / 1e6: MW per (m³/s of flow × m of head) before efficiency."""
ACTIVE_TOL = 1e-8
DUPLICATE_TOL = 1e-8
ENVELOPE_TOL = 1e-8
SIGN_TOL = 1e-10
LOW_KAPPA = 0.95
"""Below this kappa upstream reports a (non-fatal) warning: the envelope overestimates a lot."""


class FphaFittingError(ValueError):
    """The geometry or fitting settings cannot produce valid planes."""


def _segments(x: FloatArray, points: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Clamped query and the index of its enclosing segment (right-hand one at a breakpoint)."""
    xc = np.clip(x, points[0], points[-1])
    seg = np.clip(np.searchsorted(points, xc, side="right") - 1, 0, points.size - 2)
    return xc, seg


def _interp(x: FloatArray, px: FloatArray, py: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Piecewise-linear value and slope at ``x`` (clamped to the table)."""
    xc, seg = _segments(x, px)
    slope = (py[seg + 1] - py[seg]) / (px[seg + 1] - px[seg])
    return py[seg] + slope * (xc - px[seg]), slope


@dataclass(frozen=True)
class ProductionFunction:
    """``phi(v, q, s)`` of one plant; every method is vectorised over numpy arrays."""

    volumes: FloatArray
    heights: FloatArray
    max_turbined: float
    efficiency: float = 1.0
    loss_factor: float = 0.0
    loss_constant_m: float = 0.0
    tailrace_coefficients: tuple[float, ...] | None = None
    tailrace_outflows: FloatArray | None = None
    tailrace_heights: FloatArray | None = None

    def __post_init__(self) -> None:
        v = np.asarray(self.volumes, dtype=np.float64)
        h = np.asarray(self.heights, dtype=np.float64)
        if v.size < 2 or v.size != h.size:
            raise FphaFittingError(
                f"the volume-height curve needs at least 2 points (got {v.size})"
            )
        if np.any(np.diff(v) <= 0):
            raise FphaFittingError("volume_hm3 must be strictly increasing")
        if np.any(np.diff(h) < 0):
            raise FphaFittingError("height_m must not decrease as the volume grows")
        object.__setattr__(self, "volumes", v)
        object.__setattr__(self, "heights", h)

    def forebay(self, v: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Forebay height [m] and its slope [m/hm³]."""
        return _interp(np.asarray(v, dtype=np.float64), self.volumes, self.heights)

    def tailrace(self, outflow: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Tailrace height [m] and its slope [m/(m³/s)] at a total outflow."""
        u = np.asarray(outflow, dtype=np.float64)
        if self.tailrace_coefficients is not None:
            c = self.tailrace_coefficients
            value = np.zeros_like(u)
            for coef in reversed(c):
                value = value * u + coef
            slope = np.zeros_like(u)
            for power in range(len(c) - 1, 0, -1):
                slope = slope * u + power * c[power]
            return value, slope
        if self.tailrace_outflows is not None and self.tailrace_heights is not None:
            qx = np.asarray(self.tailrace_outflows, dtype=np.float64)
            hy = np.asarray(self.tailrace_heights, dtype=np.float64)
            if qx.size == 0:
                return np.zeros_like(u), np.zeros_like(u)
            if qx.size == 1:
                return np.full_like(u, hy[0]), np.zeros_like(u)
            return _interp(u, qx, hy)
        return np.zeros_like(u), np.zeros_like(u)

    def _head(self, v: FloatArray, q: FloatArray, s: FloatArray) -> tuple[FloatArray, ...]:
        fore, dfore = self.forebay(v)
        tail, dtail = self.tailrace(np.asarray(q) + np.asarray(s))
        gross = fore - tail
        net = np.maximum(0.0, (1.0 - self.loss_factor) * gross - self.loss_constant_m)
        return net, dfore, dtail

    def net_head(self, v: FloatArray, q: FloatArray, s: FloatArray) -> FloatArray:
        return self._head(v, q, s)[0]

    def evaluate(self, v: FloatArray, q: FloatArray, s: FloatArray) -> FloatArray:
        """Power [MW]."""
        q = np.asarray(q, dtype=np.float64)
        return K_MW_PER_M4S * self.efficiency * q * self.net_head(v, q, s)

    def gradient(
        self, v: FloatArray, q: FloatArray, s: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(dphi/dv, dphi/dq, dphi/ds), treating the head clamp at 0 as inactive."""
        q = np.asarray(q, dtype=np.float64)
        net, dfore, dtail = self._head(v, q, s)
        ke = K_MW_PER_M4S * self.efficiency
        keep = 1.0 - self.loss_factor
        d_v = ke * q * keep * dfore
        d_s = -ke * q * keep * dtail
        return d_v, ke * net + d_s, d_s


def production_function(
    hydro: Hydro, volumes: FloatArray, heights: FloatArray
) -> ProductionFunction:
    """The plant's production function from its entity fields and volume-height curve."""
    losses = hydro.hydraulic_losses
    tail = hydro.tailrace
    return ProductionFunction(
        volumes=np.asarray(volumes, dtype=np.float64),
        heights=np.asarray(heights, dtype=np.float64),
        max_turbined=float(hydro.generation.max_turbined_m3s),
        efficiency=hydro.efficiency.value if hydro.efficiency is not None else 1.0,
        loss_factor=losses.value if isinstance(losses, FactorHydraulicLosses) else 0.0,
        loss_constant_m=losses.value_m if isinstance(losses, ConstantHydraulicLosses) else 0.0,
        tailrace_coefficients=(
            tuple(tail.coefficients) if isinstance(tail, PolynomialTailrace) else None
        ),
        tailrace_outflows=(
            np.array([p.outflow_m3s for p in tail.points])
            if isinstance(tail, PiecewiseTailrace)
            else None
        ),
        tailrace_heights=(
            np.array([p.height_m for p in tail.points])
            if isinstance(tail, PiecewiseTailrace)
            else None
        ),
    )


@dataclass(frozen=True)
class FittingBounds:
    """Storage window and discretisation of the fitting grid."""

    v_min: float
    v_max: float
    n_volume: int = DEFAULT_DISCRETIZATION_POINTS
    n_flow: int = DEFAULT_DISCRETIZATION_POINTS
    n_spillage: int = DEFAULT_DISCRETIZATION_POINTS
    max_planes: int = DEFAULT_MAX_PLANES_PER_HYDRO

    def __post_init__(self) -> None:
        if not self.v_min < self.v_max:
            raise FphaFittingError(
                f"the fitting window is empty: v_min={self.v_min} >= v_max={self.v_max}"
            )
        for name in ("n_volume", "n_flow", "n_spillage"):
            if getattr(self, name) < 2:
                raise FphaFittingError(f"{name} discretization must be at least 2")
        if self.max_planes < 1:
            raise FphaFittingError("max_planes_per_hydro must be at least 1")


def resolve_bounds(
    config: FphaConfig | None,
    table_volumes: FloatArray,
    min_storage: float,
    max_storage: float,
) -> FittingBounds:
    """Fitting window and grid counts from an ``fpha_config`` (absent fields take defaults)."""
    lo, hi = float(table_volumes[0]), float(table_volumes[-1])
    v_min, v_max = lo, hi
    window = config.fitting_window if config is not None else None
    if window is not None:
        if window.volume_min_hm3 is not None and window.volume_min_percentile is not None:
            raise FphaFittingError("volume_min_hm3 and volume_min_percentile are both set")
        if window.volume_max_hm3 is not None and window.volume_max_percentile is not None:
            raise FphaFittingError("volume_max_hm3 and volume_max_percentile are both set")
        span = max_storage - min_storage
        if window.volume_min_hm3 is not None:
            v_min = window.volume_min_hm3
        elif window.volume_min_percentile is not None:
            v_min = min_storage + window.volume_min_percentile * span
        if window.volume_max_hm3 is not None:
            v_max = window.volume_max_hm3
        elif window.volume_max_percentile is not None:
            v_max = min_storage + window.volume_max_percentile * span
        v_min = min(max(v_min, lo), hi)
        v_max = min(max(v_max, lo), hi)

    def count(value: int | None, default: int) -> int:
        return default if value is None else int(value)

    return FittingBounds(
        v_min=float(v_min),
        v_max=float(v_max),
        n_volume=count(
            config and config.volume_discretization_points, DEFAULT_DISCRETIZATION_POINTS
        ),
        n_flow=count(
            config and config.turbine_discretization_points, DEFAULT_DISCRETIZATION_POINTS
        ),
        n_spillage=count(
            config and config.spillage_discretization_points, DEFAULT_DISCRETIZATION_POINTS
        ),
        max_planes=count(config and config.max_planes_per_hydro, DEFAULT_MAX_PLANES_PER_HYDRO),
    )


def fitting_grid(pf: ProductionFunction, bounds: FittingBounds) -> tuple[FloatArray, ...]:
    """Flattened (v, q, s) grid points, volume-major then flow then spillage."""
    q_max = pf.max_turbined
    q_lo = min(max(1.0, 0.01 * q_max), q_max)
    v_axis = np.linspace(bounds.v_min, bounds.v_max, bounds.n_volume)
    q_axis = np.linspace(q_lo, q_max, bounds.n_flow)
    s_axis = np.linspace(0.0, 0.5 * q_max, bounds.n_spillage)
    v, q, s = np.meshgrid(v_axis, q_axis, s_axis, indexing="ij")
    return v.ravel(), q.ravel(), s.ravel()


def tangent_planes(
    pf: ProductionFunction, v: FloatArray, q: FloatArray, s: FloatArray
) -> FloatArray:
    """(n, 4) planes [gamma_0, gamma_v, gamma_q, gamma_s] tangent at points with q > 0, phi > 0."""
    phi = pf.evaluate(v, q, s)
    d_v, d_q, d_s = pf.gradient(v, q, s)
    keep = (q > 0.0) & (phi > 0.0)
    gamma_0 = phi - d_v * v - d_q * q - d_s * s
    return np.column_stack([gamma_0, d_v, d_q, d_s])[keep]


def plane_values(planes: FloatArray, v: FloatArray, q: FloatArray, s: FloatArray) -> FloatArray:
    """(n_planes, n_points) value of every plane at every point."""
    pts = np.vstack([np.ones_like(v), v, q, s])
    return planes @ pts


def envelope(planes: FloatArray, v: FloatArray, q: FloatArray, s: FloatArray) -> FloatArray:
    """Upper envelope ``max_m plane_m`` at each point (unscaled by kappa)."""
    return plane_values(planes, v, q, s).max(axis=0)


def drop_redundant(planes: FloatArray, values: FloatArray) -> FloatArray:
    """Planes that reach the envelope at some point, without near-duplicates (first kept)."""
    if planes.shape[0] == 0:
        return planes
    active = np.any(values.max(axis=0) - values <= ACTIVE_TOL, axis=1)
    unique: list[FloatArray] = []
    for plane in planes[active]:
        if not any(np.all(np.abs(plane - u) < DUPLICATE_TOL) for u in unique):
            unique.append(plane)
    return np.array(unique).reshape(-1, 4)


def select_planes(
    planes: FloatArray, values: FloatArray, phi: FloatArray, budget: int
) -> FloatArray:
    """Greedy removal down to ``budget`` planes keeping the envelope above ``phi`` on the grid.

    ``values`` are the planes' values at the grid points (rows follow ``planes``).
    """
    order = list(range(planes.shape[0]))
    while len(order) > budget:
        vals = values[order]
        top = np.argmax(vals, axis=0)
        srt = np.sort(vals, axis=0)
        first, second = srt[-1], srt[-2]
        # envelope without plane i: the runner-up where i is the maximiser, else unchanged
        without = np.where(top[None, :] == np.arange(len(order))[:, None], second, first)
        err = without - phi[None, :]
        valid = err.min(axis=1) >= -ENVELOPE_TOL
        if not valid.any():
            break
        worst = np.maximum(err.max(axis=1), 0.0)
        best = int(np.flatnonzero(valid)[np.argmin(worst[valid])])
        order[best] = order[-1]  # swap-remove, as upstream (fixes later tie-breaking)
        order.pop()
    return planes[order]


def compute_kappa(env: FloatArray, phi: FloatArray) -> float:
    """``min phi / envelope`` over points where both are positive; 1 when there is none."""
    ok = (phi > 0.0) & (env > 0.0)
    return float(np.min(phi[ok] / env[ok])) if ok.any() else 1.0


@dataclass(frozen=True)
class FphaFit:
    """Fitted planes (unscaled intercepts) and the kappa that scales the intercepts."""

    planes: FloatArray
    kappa: float
    max_overestimate_mw: float

    @property
    def low_kappa(self) -> bool:
        return self.kappa < LOW_KAPPA

    def as_fpha_planes(self) -> FphaPlanes:
        """Rows [gamma_0, gamma_v, gamma_q, gamma_s, kappa] as the stage LP expects."""
        kappa = np.full((self.planes.shape[0], 1), self.kappa)
        return FphaPlanes(np.hstack([self.planes, kappa]))


def fit_planes(pf: ProductionFunction, bounds: FittingBounds) -> FphaFit:
    """Run the whole pipeline (module docstring, steps 2-7)."""
    v, q, s = fitting_grid(pf, bounds)
    phi = pf.evaluate(v, q, s)
    sampled = tangent_planes(pf, v, q, s)
    if sampled.shape[0] == 0:
        raise FphaFittingError(
            "no tangent plane: the net head is not positive anywhere on the fitting grid"
        )
    planes = drop_redundant(sampled, plane_values(sampled, v, q, s))
    planes = select_planes(planes, plane_values(planes, v, q, s), phi, bounds.max_planes)
    env = envelope(planes, v, q, s)
    kappa = compute_kappa(env, phi)
    if not 0.0 < kappa <= 1.0:
        raise FphaFittingError(f"kappa {kappa} is outside (0, 1]")
    for i, (_, g_v, g_q, g_s) in enumerate(planes):
        if g_v < -SIGN_TOL or g_q < -SIGN_TOL or g_s > SIGN_TOL:
            raise FphaFittingError(
                f"plane {i} has gamma_v={g_v}, gamma_q={g_q}, gamma_s={g_s}; expected "
                "gamma_v >= 0, gamma_q >= 0, gamma_s <= 0"
            )
    return FphaFit(planes=planes, kappa=kappa, max_overestimate_mw=float(np.max(env - phi)))


def fit_hydro(
    hydro: Hydro, volumes: FloatArray, heights: FloatArray, config: FphaConfig | None
) -> FphaFit:
    """Fit one plant from its entity, volume-height curve and ``fpha_config``."""
    order = np.argsort(np.asarray(volumes, dtype=np.float64), kind="stable")
    vol = np.asarray(volumes, dtype=np.float64)[order]
    hgt = np.asarray(heights, dtype=np.float64)[order]
    pf = production_function(hydro, vol, hgt)
    bounds = resolve_bounds(
        config, vol, hydro.reservoir.min_storage_hm3, hydro.reservoir.max_storage_hm3
    )
    return fit_planes(pf, bounds)
