"""``InflowModel``: a case's PAR(p) inflow model as arrays and tables, and a forward sampler.

    m = InflowModel(case)                     # or study.inflow_model()
    m.coefficients()                          # one row per (stage, hydro): base, sigma, psi_1..
    m.psi[t, h, l - 1]                        # lag-l coefficient in original units
    paths = m.simulate_inflows(1000, seed=7)  # (paths, stages, hydros), m³/s

The model is the engine's, stage by stage in original units (see
:mod:`cobre_core.stochastic.par`)::

    z_t = base_t + sum_l psi_t[l] * z_{t-l} + sigma_t * eta_t,    eta_t ~ N(0, 1) per hydro

starting from the case's initial lags (``initial_conditions.json`` past inflows). The sampler
draws fresh independent normals, so it shows the model itself, not the finite opening tree
training samples from; use it for inflow statistics and fan charts, not to reproduce a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from cobre_core.results.results import Output
    from cobre_core.system.case import Case

FloatArray = NDArray[np.float64]


def _read_only(a: NDArray[Any]) -> NDArray[Any]:
    view = a.view()
    view.flags.writeable = False
    return view


class InflowModel:
    """The PAR(p) inflow model of a loaded case, read-only.

    Arrays are indexed by stage position ``t`` (0 = first study stage; ``stage_ids[t]`` is its
    id) and hydro position ``h`` (``hydro_ids[h]``). A hydro without inflow statistics at a
    stage has ``base = sigma = 0`` there: its inflow is zero.
    """

    def __init__(self, case: Case) -> None:
        """Wrap the PAR model of ``case`` (load it with ``cobre_core.load_case``)."""
        self.case = case
        par = case.par
        self.stage_ids: tuple[int, ...] = tuple(c.stage_id for c in case.calendar)
        """Stage ids in study order."""
        self.hydro_ids: tuple[int, ...] = tuple(int(h.id) for h in case.hydros)
        """Hydro ids in the order of the hydro axis."""
        self.base: FloatArray = _read_only(par.base)
        """``(stages, hydros)``: the constant term in m³/s (mean minus the lagged means' share)."""
        self.psi: FloatArray = _read_only(par.psi)
        """``(stages, hydros, lags)``: lag coefficients in original units (lag 1 first)."""
        self.sigma: FloatArray = _read_only(par.sigma)
        """``(stages, hydros)``: residual standard deviation in m³/s."""
        self.order: NDArray[np.int64] = _read_only(par.order)
        """``(stages, hydros)``: AR order p of each (stage, hydro)."""
        self.initial_lags: FloatArray = _read_only(case.initial_lags)
        """``(lags, hydros)``: the inflows before the study, row 0 the latest."""

    @property
    def max_lag(self) -> int:
        """Lags carried in the state (the largest order; 12 or more with an annual term)."""
        return int(self.psi.shape[2])

    @property
    def num_stages(self) -> int:
        return int(self.base.shape[0])

    @property
    def num_hydros(self) -> int:
        return int(self.base.shape[1])

    @property
    def truncates(self) -> bool:
        """Whether the case clips negative inflows to zero (``truncation`` methods)."""
        return self.case.truncates_inflows

    def coefficients(self, to: Output = "pandas") -> Any:
        """One row per (stage, hydro): ``stage_id, hydro_id, order, base_m3s, sigma_m3s`` and
        ``psi_1 .. psi_L``. ``to`` is ``"pandas"``, ``"arrow"`` or ``"polars"``."""
        from cobre_core.results.results import convert

        n_t, n_h = self.num_stages, self.num_hydros
        columns: dict[str, Any] = {
            "stage_id": pa.array(np.repeat(self.stage_ids, n_h), pa.int32()),
            "hydro_id": pa.array(np.tile(self.hydro_ids, n_t), pa.int32()),
            "order": pa.array(self.order.ravel(), pa.int32()),
            "base_m3s": pa.array(self.base.ravel(), pa.float64()),
            "sigma_m3s": pa.array(self.sigma.ravel(), pa.float64()),
        }
        for lag in range(self.max_lag):
            columns[f"psi_{lag + 1}"] = pa.array(self.psi[:, :, lag].ravel(), pa.float64())
        return convert(pa.table(columns), to)

    def deterministic_part(self, t: int, lags: ArrayLike) -> FloatArray:
        """``base_t + sum_l psi_t[l] * lags[l]`` for lags ``(L, hydros)``, row 0 the latest."""
        return self.case.par.deterministic_part(t, np.asarray(lags, dtype=np.float64))

    def mean_path(self) -> FloatArray:
        """``(stages, hydros)``: inflows with every noise at zero, from the initial lags.

        This is the expected inflow of the linear model; with truncation the sampled mean is
        somewhat higher where negative draws are clipped.
        """
        noise = np.zeros((1, self.num_stages, self.num_hydros))
        return self.simulate_inflows(1, noise=noise, truncate=False)[0]

    def simulate_inflows(
        self,
        num_paths: int,
        seed: int | None = None,
        *,
        noise: ArrayLike | None = None,
        truncate: bool | None = None,
    ) -> FloatArray:
        """Sample inflow paths forward through the model: ``(paths, stages, hydros)`` in m³/s.

        ``seed`` seeds NumPy's default generator (same seed, same paths). ``noise`` gives the
        standard-normal draws ``eta`` yourself, shaped ``(paths, stages, hydros)`` (then ``seed``
        is unused): handy for common random numbers across models. ``truncate`` clips negative
        inflows to 0 as the truncation methods do; ``None`` follows the case's
        ``modeling.inflow_non_negativity.method``. Every path starts from the initial lags; each
        sampled inflow becomes the next stage's latest lag.
        """
        n_t, n_h, n_lag = self.num_stages, self.num_hydros, self.max_lag
        if noise is None:
            if isinstance(num_paths, bool) or int(num_paths) != num_paths or num_paths < 0:
                raise ValueError(f"num_paths must be a non-negative integer, not {num_paths!r}")
            rng = np.random.default_rng(seed)
            eta = rng.standard_normal((int(num_paths), n_t, n_h))
        else:
            eta = np.asarray(noise, dtype=np.float64)
            if eta.shape != (num_paths, n_t, n_h):
                raise ValueError(
                    f"noise has shape {eta.shape}; expected {(num_paths, n_t, n_h)} "
                    "(paths, stages, hydros)"
                )
        clip = self.truncates if truncate is None else bool(truncate)
        out = np.empty((eta.shape[0], n_t, n_h))
        lags = np.broadcast_to(self.initial_lags, (eta.shape[0], n_lag, n_h)).copy()
        for t in range(n_t):
            z = self.base[t] + self.sigma[t] * eta[:, t, :]
            if n_lag:
                z = z + np.einsum("hl,plh->ph", self.psi[t], lags)
            if clip:
                z = np.where((z < 0.0) & (self.sigma[t] > 0.0), 0.0, z)
            out[:, t, :] = z
            if n_lag:
                lags[:, 1:, :] = lags[:, :-1, :]
                lags[:, 0, :] = z
        return out

    def __repr__(self) -> str:
        return (
            f"InflowModel({self.num_hydros} hydros, {self.num_stages} stages, "
            f"max lag {self.max_lag}, source {self.case.inflow_model_source!r})"
        )


__all__ = ["InflowModel"]
