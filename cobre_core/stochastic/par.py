"""PAR(p) inflow model, precomputed per study stage in original units.

For stage t and hydro h, with stage stats (mu, s), standardised coefficients psi*_l and residual
ratio r::

    psi_l = psi*_l * s / s_lag          (0 when s_lag == 0)
    base  = mu - sum_l psi_l * mu_lag
    sigma = s * r
    inflow z = base + sum_l psi_l * lag_l + sigma * eta

``(mu_lag, s_lag)`` are the stats of stage ``stage_id - l``; when that stage has no stats row they
fall back to the season ``(stage_id - l + offset) mod n_seasons`` (offset = season of the first
study stage, n_seasons = number of distinct study seasons), taking the first study stage of that
season. A hydro without a stats row at a stage has zero inflow there.

PAR(p)-A (annual component, upstream ``crates/cobre-stochastic/src/par/precompute.rs``): with
``(ψ, μ^A, σ^A)`` given for a (hydro, stage), ψ̂ = ψ·s/σ^A (0 when σ^A = 0) and the model is
folded into an ordinary PAR(12)::

    psi_l = φ̂_l + ψ̂/12     (l = 1..12; φ̂_l = 0 beyond the AR order)
    base  = mu - sum_{l=1..12} psi_l * mu_lag

because ψ̂·A_{t-1} with A_{t-1} = (1/12)·sum_{l=1..12} z_{t-l} is ψ̂/12 on each of the 12 lags.
As upstream, μ^A does not enter the base: the 12 lag means μ_{t-l} centre the term instead.
When any model has an annual component, every hydro's lag width becomes max(12, max order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

ANNUAL_LAGS = 12
"""Lags an annual component spreads over (the 12 months averaged into A_{t-1})."""


@dataclass(frozen=True)
class ParModel:
    """Per-stage inflow model arrays: ``base[t, h]``, ``psi[t, h, l]``, ``sigma[t, h]``."""

    base: NDArray[np.float64]
    psi: NDArray[np.float64]
    sigma: NDArray[np.float64]
    order: NDArray[np.int64]

    @property
    def max_order(self) -> int:
        return int(self.psi.shape[2])

    def deterministic_part(self, t: int, lags: NDArray[np.float64]) -> NDArray[np.float64]:
        """``base + sum_l psi_l * lag_l`` at stage ``t`` for lags shaped ``(L, N)``, or for a
        stack ``(F, L, N)`` of them (then ``(F, N)``, each row as computed alone)."""
        lags = np.asarray(lags, dtype=np.float64)
        if not self.max_order:
            return np.array(np.broadcast_to(self.base[t], (*lags.shape[:-2], self.base.shape[1])))
        return self.base[t] + np.einsum("hl,...lh->...h", self.psi[t], lags)


def build_par_model(
    hydro_ids: Sequence[int],
    stage_ids: Sequence[int],
    stage_seasons: Sequence[int | None],
    stats: Mapping[tuple[int, int], tuple[float, float]],
    ar: Mapping[tuple[int, int], tuple[Sequence[float], float]],
    annual: Mapping[tuple[int, int], tuple[float, float, float]] | None = None,
) -> ParModel:
    """Precompute the PAR arrays.

    ``stats[(hydro_id, stage_id)] = (mean_m3s, std_m3s)`` (pre-study stage ids may be negative);
    ``ar[(hydro_id, stage_id)] = (standardised coefficients by lag 1.., residual_std_ratio)``;
    ``annual[(hydro_id, stage_id)] = (ψ standardised, μ^A, σ^A)`` for PAR(p)-A (see the module
    docstring). ``order`` stays the AR order p; the lag width is ``psi.shape[2]``.
    """
    n_t, n_h = len(stage_ids), len(hydro_ids)
    max_order = max((len(c) for c, _ in ar.values()), default=0)
    if annual:
        max_order = max(ANNUAL_LAGS, max_order)
    base = np.zeros((n_t, n_h))
    psi = np.zeros((n_t, n_h, max_order))
    sigma = np.zeros((n_t, n_h))
    order = np.zeros((n_t, n_h), dtype=np.int64)

    seasons = [s for s in stage_seasons if s is not None]
    n_seasons = len(set(seasons))
    offset = stage_seasons[0] if stage_seasons and stage_seasons[0] is not None else 0
    first_stage_of_season: dict[int, int] = {}
    for sid, season in zip(stage_ids, stage_seasons, strict=True):
        if season is not None:
            first_stage_of_season.setdefault(season, sid)

    def lag_stats(hydro: int, stage_id: int) -> tuple[float, float] | None:
        if (hydro, stage_id) in stats:
            return stats[(hydro, stage_id)]
        if n_seasons == 0:
            return None
        season = (stage_id + offset) % n_seasons
        proxy = first_stage_of_season.get(season)
        return None if proxy is None else stats.get((hydro, proxy))

    for t, sid in enumerate(stage_ids):
        for h, hid in enumerate(hydro_ids):
            own = stats.get((hid, sid))
            if own is None:
                continue
            mu, s = own
            coefs, ratio = ar.get((hid, sid), ((), 1.0))
            if annual:
                lagged = [lag_stats(hid, sid - lag) for lag in range(1, max_order + 1)]
                base[t, h] = _fill_annual_lags(
                    psi[t, h], mu, s, coefs, annual.get((hid, sid)), lagged
                )
                sigma[t, h] = s * ratio
                order[t, h] = len(coefs)
                continue
            b = mu
            for lag_index, coef in enumerate(coefs):
                lagged = lag_stats(hid, sid - lag_index - 1)
                if lagged is None or lagged[1] == 0.0:
                    continue
                mu_lag, s_lag = lagged
                p = coef * s / s_lag
                psi[t, h, lag_index] = p
                b -= p * mu_lag
            base[t, h] = b
            sigma[t, h] = s * ratio
            order[t, h] = len(coefs)
    return ParModel(base=base, psi=psi, sigma=sigma, order=order)


def _fill_annual_lags(
    psi_row: NDArray[np.float64],
    mu: float,
    s: float,
    coefs: Sequence[float],
    ann: tuple[float, float, float] | None,
    lagged: Sequence[tuple[float, float] | None],
) -> float:
    """Fill ``psi_row`` (all lags) for one PAR(p)-A (stage, hydro) and return its base.

    ``lagged[l - 1]`` are the stats of lag ``l``; missing stats count as ``(0, 0)`` (upstream),
    so such a lag keeps ψ̂/12 but no AR term and no base correction.
    """
    psi_hat = 0.0
    if ann is not None and ann[2] != 0.0:
        psi_hat = ann[0] * s / ann[2]
    b = mu
    for lag_index in range(psi_row.size):
        mu_lag, s_lag = lagged[lag_index] or (0.0, 0.0)
        ar_part = 0.0
        if lag_index < len(coefs) and s_lag != 0.0:
            ar_part = coefs[lag_index] * s / s_lag
        p = ar_part + psi_hat / ANNUAL_LAGS
        psi_row[lag_index] = p
        b -= p * mu_lag
    return b
