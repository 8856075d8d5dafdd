"""PAR(p) estimation from an inflow history (cobre-formulation.md §4.7).

Use it when a case gives ``scenarios/inflow_history.parquet`` without (some of) the seasonal
statistics and AR coefficients. It turns monthly (or weekly/custom-season) observations into
per-(hydro, season) statistics and standardised AR coefficients ψ*, which
:func:`cobre_core.stochastic.par.build_par_model` then precomputes per stage. With
``order_selection = "pacf_annual"`` it fits the PAR(p)-A model instead (see "PAR(p)-A" below).

Steps (all in the order of the season cycle, see :class:`SeasonCycle`):

1. Group observations by season: the stage whose ``[start, end)`` range holds the date, else the
   calendar position given by ``season_definitions`` (:class:`SeasonResolver`).
2. Per (hydro, season): mean and **population** std (1/N); degenerate buckets (constant within
   1e-6, or more than half the values at the modal rounded value) become ``(value, 0)``. A bucket
   with more than 10 % negative values is flagged only (:func:`classify_history`).
3. Periodic autocorrelation ρ(m, k) over year-aligned pairs with a 1/n_pairs covariance
   (:func:`periodic_autocorrelation`); periodic Yule-Walker systems per order; PACF_k = last
   element of the order-k solution.
4. Order: the largest k ≤ max_order with |PACF_k| > 1.96/√N_m; coefficients from the YW solve at
   that order; residual_std_ratio = √(1 − φ·r) clamped to [ε, 1] (1 when 1 − φ·r ≤ 0).
5. Reductions: optional |ψ*| bound and φ_1 < 0 set order 0; then, per hydro, a season whose
   recursive contributions (:func:`contributions`) turn negative has its max order lowered by one
   and is re-selected, until no season fails.

PAR(p)-A (``pacf_annual``; upstream cobre ``crates/cobre-stochastic/src/par/fitting/``:
``annual_stats.rs``, ``yw_matrices.rs``, ``conditional_facp.rs``, ``order_selection.rs``,
``estimation.rs``) adds one regressor, the annual component ``A_{t-1}``:

* ``A`` is the mean of 12 consecutive observations (chronological, per hydro), stored under the
  season of the **last** of them; windows start at every index ``i < N − 12``, so the window
  ending at the last observation is not used (:func:`rolling_annual_buckets`). Its stats per
  season are the mean and population std of those values.
* For season ``m`` the equation couples standardised ``Z_t`` with ``A_{t-1}`` (stats of season
  ``m − 1``). Z–A cross-correlations align A and Z buckets by absolute year and divide by the
  larger bucket size, not the number of pairs (:func:`cross_correlation_z_a`,
  :func:`cross_correlation_a_z_next`).
* Order selection uses the conditional PACF of ``Z_t`` and ``Z_{t−k}`` given
  ``(Z_{t−1}, …, Z_{t−k+1}, A_{t−1})`` (partitioned covariance, :func:`conditional_pacf`); the
  order is the largest significant lag, but at least 1 unless the lag-1 value is exactly 0
  (:func:`select_order_annual`).
* ``(φ_1..φ_p, ψ)`` solve the extended YW system (:func:`extended_yule_walker_system`); the ratio
  is √(1 − sol·rhs) over all p + 1 entries. Reductions act on φ only; ψ is re-solved with them.
* At run time ψ̂ = ψ·s_m/σ^A_{m−1} and the model is an ordinary PAR(12):
  ``psi_l = φ̂_l + ψ̂/12`` for l = 1..12 (see :func:`cobre_core.stochastic.par.build_par_model`).
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from cobre_core.model.stages import SeasonDefinitions

Z_ALPHA = 1.96
"""Two-sided 95 % normal quantile of the PACF significance test."""
CONSTANT_TOLERANCE = 1e-6
"""A bucket whose values all lie within this of the first one is constant."""
NEGATIVE_SHARE = 0.10
"""More than this share of strictly negative values flags a bucket (diagnostic only)."""
MODAL_SHARE = 0.50
"""More than this share at the modal rounded value makes a bucket saturated."""
EPS = float(np.finfo(np.float64).eps)

EstimationPath = Literal["full_estimation", "user_ar_history_stats", "partial_estimation"]
"""Which roles come from the history: both (100), stats only (101) or AR only (110)."""

Stats = tuple[float, float]


class EstimationError(ValueError):
    """The history cannot be turned into a model (unmapped date, too few observations)."""

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.context = context


# ── seasons ─────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class StageSpan:
    """A stage (study or pre-study) as estimation sees it: id, date range and season."""

    stage_id: int
    start: date
    end: date
    season_id: int | None


@dataclass(frozen=True)
class SeasonCycle:
    """The season ids in cycle order: position ``p`` is preceded by position ``p - 1 (mod n)``.

    With ``season_definitions`` the order is calendar order (monthly/custom: by start month and
    day; weekly: by id), whatever the ids; without them it is ``0..max(stage season)``.
    """

    season_ids: tuple[int, ...]

    @property
    def n(self) -> int:
        return len(self.season_ids)

    def position(self, season_id: int) -> int | None:
        """Cycle position of a season id; None when the id is not in the cycle."""
        try:
            return self.season_ids.index(season_id)
        except ValueError:
            return None


def build_season_cycle(
    stage_seasons: Sequence[int | None], definitions: SeasonDefinitions | None
) -> SeasonCycle:
    """The cycle from ``season_definitions``; falls back to ids 0..max when stages leave it."""
    used = {s for s in stage_seasons if s is not None}
    if definitions is not None and used <= {s.id for s in definitions.seasons}:
        if definitions.cycle_type == "weekly":
            ordered = sorted(definitions.seasons, key=lambda s: s.id)
        else:
            ordered = sorted(
                definitions.seasons, key=lambda s: (s.month_start, s.day_start or 1, s.id)
            )
        return SeasonCycle(tuple(s.id for s in ordered))
    return SeasonCycle(tuple(range(max(used) + 1)) if used else ())


def season_for_calendar_date(day: date, definitions: SeasonDefinitions) -> int | None:
    """The season of a date by calendar position alone (any year); None if no season covers it.

    Monthly: the season starting in that month. Weekly: ISO week − 1, week 53 folded into 51.
    Custom: the first season whose [start, end] month/day range (wrapping the year end) holds it.
    """
    if definitions.cycle_type == "monthly":
        return next((s.id for s in definitions.seasons if s.month_start == day.month), None)
    if definitions.cycle_type == "weekly":
        week = min(day.isocalendar()[1] - 1, 51)
        return next((s.id for s in definitions.seasons if s.id == week), None)
    here = (day.month, day.day)
    for s in definitions.seasons:
        start = (s.month_start, s.day_start or 1)
        end = (s.month_end or s.month_start, s.day_end or 31)
        inside = start <= here <= end if start <= end else (here >= start or here <= end)
        if inside:
            return s.id
    return None


class SeasonResolver:
    """Maps a date to a season id: the stage range holding it first, else the calendar."""

    def __init__(self, spans: Sequence[StageSpan], definitions: SeasonDefinitions | None) -> None:
        self._spans = sorted((s for s in spans if s.season_id is not None), key=lambda s: s.start)
        self._starts = [s.start for s in self._spans]
        self._definitions = definitions

    def __call__(self, day: date) -> int | None:
        i = bisect.bisect_right(self._starts, day) - 1
        if i >= 0 and day < self._spans[i].end:
            return self._spans[i].season_id
        if self._definitions is None:
            return None
        return season_for_calendar_date(day, self._definitions)


# ── per-season buckets and statistics ───────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Bucket:
    """The chronological observations of one (hydro, season); entry ``i`` is ``first_year + i``."""

    values: NDArray[np.float64]
    first_year: int

    @property
    def size(self) -> int:
        return int(self.values.size)


EMPTY_BUCKET = Bucket(np.zeros(0), 0)


def group_by_season(
    dates: Sequence[date],
    values: Sequence[float],
    resolve: Callable[[date], int | None],
    cycle: SeasonCycle,
) -> list[Bucket]:
    """One hydro's observations split into buckets by cycle position (chronological order).

    Raises :class:`EstimationError` for a date no stage or season covers; observations of a
    season outside the cycle are dropped.
    """
    order = sorted(range(len(dates)), key=lambda i: dates[i])
    per_pos: list[list[float]] = [[] for _ in range(cycle.n)]
    first: list[int | None] = [None] * cycle.n
    for i in order:
        season = resolve(dates[i])
        if season is None:
            raise EstimationError(
                f"observation date {dates[i]} matches no stage date range or season definition",
                date=str(dates[i]),
            )
        pos = cycle.position(season)
        if pos is None:
            continue
        per_pos[pos].append(float(values[i]))
        if first[pos] is None:
            first[pos] = dates[i].year
    return [
        Bucket(np.asarray(v, dtype=np.float64), y if y is not None else 0)
        for v, y in zip(per_pos, first, strict=True)
    ]


HistoryKind = Literal["default", "constant", "many_negative", "saturated"]


@dataclass(frozen=True)
class HistoryClass:
    """Classification of one bucket; ``constant``/``saturated`` override the stats to (value, 0)."""

    kind: HistoryKind
    value: float = 0.0

    @property
    def overrides(self) -> bool:
        return self.kind in ("constant", "saturated")


def _round_half_away(x: NDArray[np.float64]) -> NDArray[np.int64]:
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.int64)


def classify_history(values: NDArray[np.float64]) -> HistoryClass:
    """Constant → many-negative → saturated → default, in that priority.

    Constant: all within 1e-6 of the first value (an empty bucket is constant 0). Many-negative:
    more than 10 % strictly negative (diagnostic, no override). Saturated: more than 50 % of the
    values rounded to integers share the modal value (the cap).
    """
    if values.size == 0:
        return HistoryClass("constant", 0.0)
    first = float(values[0])
    if np.all(np.abs(values - first) < CONSTANT_TOLERANCE):
        return HistoryClass("constant", first)
    if np.count_nonzero(values < 0.0) / values.size > NEGATIVE_SHARE:
        return HistoryClass("many_negative", float(values.sum() / values.size))
    counts = Counter(_round_half_away(values).tolist())
    best = max(counts.values())
    cap = min(v for v, c in counts.items() if c == best)
    if best / values.size > MODAL_SHARE:
        return HistoryClass("saturated", float(cap))
    return HistoryClass("default")


def seasonal_stats(values: NDArray[np.float64]) -> tuple[Stats, HistoryClass]:
    """Mean and population std (1/N) of a bucket, with the degenerate override applied.

    Raises :class:`EstimationError` with fewer than 2 observations.
    """
    n = values.size
    if n < 2:
        raise EstimationError(f"{n} observation(s) in a season; at least 2 are needed")
    mean = float(values.sum() / n)
    std = math.sqrt(float(((values - mean) ** 2).sum() / n))
    cls = classify_history(values)
    if cls.overrides:
        return (cls.value, 0.0), cls
    return (mean, std), cls


# ── periodic autocorrelation and Yule-Walker ────────────────────────────────────────────────────


@dataclass(frozen=True)
class SeasonalSeries:
    """One hydro's buckets and (mean, std) by cycle position: the input of every YW routine."""

    buckets: Sequence[Bucket]
    stats: Sequence[Stats]

    @property
    def n(self) -> int:
        return len(self.buckets)


def _years_back(ref: int, lag: int, n: int) -> int:
    """Cycle boundaries crossed going ``lag`` positions back from position ``ref``."""
    return -(-(lag - ref) // n) if lag > ref else 0


def periodic_autocorrelation(series: SeasonalSeries, ref: int, lag: int) -> float:
    """ρ(ref, lag): correlation of season ``ref`` with the season ``lag`` positions earlier.

    Pairs are aligned by year (one year earlier for each cycle boundary the lag crosses), the
    covariance divides by the number of pairs, the std are the season stats; the result is
    clamped to [−1, 1]. 0 when either std is 0 or there are no pairs; 1 at lag 0.
    """
    if lag == 0:
        return 1.0
    n = series.n
    lag_pos = (ref - lag) % n
    mu_r, s_r = series.stats[ref]
    mu_l, s_l = series.stats[lag_pos]
    if abs(s_r) < EPS or abs(s_l) < EPS:
        return 0.0
    a, b = series.buckets[ref], series.buckets[lag_pos]
    shift = a.first_year - b.first_year - _years_back(ref, lag, n)
    a_off, b_off = (0, shift) if shift >= 0 else (-shift, 0)
    pairs = min(a.size - a_off, b.size - b_off)
    if pairs <= 0:
        return 0.0
    x = a.values[a_off : a_off + pairs] - mu_r
    y = b.values[b_off : b_off + pairs] - mu_l
    gamma = float(np.dot(x, y)) / pairs
    return min(max(gamma / (s_r * s_l), -1.0), 1.0)


def yule_walker_system(
    series: SeasonalSeries, pos: int, order: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Periodic YW matrix and RHS of order ``order`` for season position ``pos``.

    ``R[i, j] = ρ(pos − i − 1, j − i)`` above the unit diagonal (symmetric, not Toeplitz) and
    ``r[i] = ρ(pos, i + 1)``.
    """
    n = series.n
    mat = np.eye(order)
    for i in range(order):
        ref = (pos - (i + 1)) % n
        for j in range(i + 1, order):
            mat[i, j] = mat[j, i] = periodic_autocorrelation(series, ref, j - i)
    rhs = np.array([periodic_autocorrelation(series, pos, i + 1) for i in range(order)])
    return mat, rhs


def solve_small(mat: NDArray[np.float64], rhs: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """Gaussian elimination with partial pivoting; None when a pivot is below machine ε."""
    a = mat.astype(np.float64, copy=True)
    b = rhs.astype(np.float64, copy=True)
    n = b.size
    for k in range(n):
        piv = k + int(np.argmax(np.abs(a[k:, k])))
        if abs(a[piv, k]) < EPS:
            return None
        if piv != k:
            a[[k, piv]] = a[[piv, k]]
            b[[k, piv]] = b[[piv, k]]
        for i in range(k + 1, n):
            f = a[i, k] / a[k, k]
            a[i, k:] -= f * a[k, k:]
            b[i] -= f * b[k]
    x = np.zeros(n)
    for k in range(n - 1, -1, -1):
        x[k] = (b[k] - float(np.dot(a[k, k + 1 :], x[k + 1 :]))) / a[k, k]
    return x


def periodic_pacf(series: SeasonalSeries, pos: int, max_order: int) -> list[float]:
    """PACF_k, k = 1..max_order: the last element of each order-k YW solution.

    Stops early (shorter list) at the first singular system.
    """
    out: list[float] = []
    for k in range(1, max_order + 1):
        phi = solve_small(*yule_walker_system(series, pos, k))
        if phi is None:
            break
        out.append(float(phi[-1]))
    return out


def pacf_threshold(n_observations: int, z_alpha: float = Z_ALPHA) -> float:
    """Significance threshold z/√N (infinite without observations)."""
    return z_alpha / math.sqrt(n_observations) if n_observations > 0 else math.inf


def select_order(pacf: Sequence[float], n_observations: int, z_alpha: float = Z_ALPHA) -> int:
    """The largest lag whose |PACF| exceeds z/√N; 0 when none does."""
    thr = pacf_threshold(n_observations, z_alpha)
    return max((k + 1 for k, p in enumerate(pacf) if abs(p) > thr), default=0)


def fit_coefficients(series: SeasonalSeries, pos: int, order: int) -> tuple[list[float], float]:
    """Standardised coefficients at ``order`` and the residual std ratio √(1 − φ·r).

    The ratio is clamped to [ε, 1] and is 1 when 1 − φ·r ≤ 0; order 0 (or a singular system)
    gives ``([], 1.0)``.
    """
    if order == 0:
        return [], 1.0
    mat, rhs = yule_walker_system(series, pos, order)
    phi = solve_small(mat, rhs)
    if phi is None:
        return [], 1.0
    sigma2 = 1.0 - float(np.dot(phi, rhs))
    ratio = min(max(math.sqrt(sigma2), EPS), 1.0) if sigma2 > 0.0 else 1.0
    return [float(c) for c in phi], ratio


# ── contributions and reductions ────────────────────────────────────────────────────────────────


def _transfer(pos: int, lag: int, coeffs: Sequence[Sequence[float]], std: Sequence[float]) -> float:
    """ψ_l in original units, ψ*·s_pos/s_lagged (0 past the order or with s_lagged = 0)."""
    c = coeffs[pos]
    if lag >= len(c):
        return 0.0
    s_lag = std[(pos - (lag + 1)) % len(std)]
    return 0.0 if s_lag == 0.0 else c[lag] * std[pos] / s_lag


def contributions(
    pos: int, order: int, coeffs: Sequence[Sequence[float]], std: Sequence[float]
) -> list[float]:
    """Recursive contribution of lags 1..order to season ``pos``, through the periodic chain.

    Row 0 holds the direct transfers ψ_j of ``pos``; row i is
    ``A[i][j] = A[i−1][0]·ψ_j(pos − i) + A[i−1][j+1]``; the contribution of lag i+1 is A[i][0].
    """
    if order == 0:
        return []
    n = len(std)
    row = [_transfer(pos, j, coeffs, std) for j in range(order)]
    out = [row[0]]
    for i in range(1, order):
        prev = (pos - i) % n
        row = [row[0] * _transfer(prev, j, coeffs, std) + row[j + 1] for j in range(order - i)]
        out.append(row[0])
    return out


@dataclass
class _SeasonState:
    coefficients: list[float]
    ratio: float
    pacf: list[float]
    max_order: int
    frozen: bool = False


@dataclass(frozen=True)
class Reduction:
    """One order reduction: season, orders before/after and why."""

    season_id: int
    original_order: int
    reduced_order: int
    reason: Literal["magnitude_bound", "phi1_negative", "negative_contribution"]
    contributions: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "season_id": self.season_id,
            "original_order": self.original_order,
            "reduced_order": self.reduced_order,
            "reason": self.reason,
            "contributions": list(self.contributions),
        }


def _fit_position(series: SeasonalSeries, pos: int, max_order: int) -> _SeasonState:
    """PACF selection and YW fit of one season (order 0 with std 0 or under 2 observations)."""
    if series.stats[pos][1] == 0.0 or series.buckets[pos].size < 2 or max_order == 0:
        return _SeasonState([], 1.0, [], max_order)
    pacf = periodic_pacf(series, pos, max_order)
    coefs, ratio = fit_coefficients(
        series, pos, select_order(pacf, series.buckets[pos].size, Z_ALPHA)
    )
    return _SeasonState(coefs, ratio, pacf, max_order)


def _clear(state: _SeasonState) -> None:
    state.coefficients, state.ratio, state.frozen = [], 1.0, True


def _prepass(
    states: list[_SeasonState], cycle: SeasonCycle, bound: float | None, log: list[Reduction]
) -> None:
    """Magnitude bound, then φ_1 < 0: either sets the season to order 0."""
    for pos, st in enumerate(states):
        if bound is not None and any(abs(c) > bound for c in st.coefficients):
            log.append(Reduction(cycle.season_ids[pos], len(st.coefficients), 0, "magnitude_bound"))
            _clear(st)
        if st.coefficients and st.coefficients[0] < 0.0:
            log.append(Reduction(cycle.season_ids[pos], len(st.coefficients), 0, "phi1_negative"))
            _clear(st)
        if not st.coefficients:
            st.frozen = True


def _failing(states: list[_SeasonState], std: Sequence[float], cycle: SeasonCycle, log: list):
    coeffs = [st.coefficients for st in states]
    out = []
    for pos, st in enumerate(states):
        if st.frozen or not st.coefficients:
            continue
        contrib = contributions(pos, len(st.coefficients), coeffs, std)
        if any(c < 0.0 for c in contrib):
            valid = next((i for i, c in enumerate(contrib) if c < 0.0), len(contrib))
            log.append(
                Reduction(
                    cycle.season_ids[pos],
                    len(st.coefficients),
                    valid,
                    "negative_contribution",
                    tuple(contrib),
                )
            )
            out.append(pos)
    return out


def reduce_orders(
    series: SeasonalSeries,
    states: list[_SeasonState],
    cycle: SeasonCycle,
    max_coefficient_magnitude: float | None,
) -> list[Reduction]:
    """Apply the pre-passes, then lower and re-select failing seasons until none fails."""
    log: list[Reduction] = []
    _prepass(states, cycle, max_coefficient_magnitude, log)
    std = [s for _, s in series.stats]
    while True:
        failing = _failing(states, std, cycle, log)
        if not failing:
            break
        reselected = False
        for pos in failing:
            st = states[pos]
            if st.max_order == 0:
                continue
            st.max_order -= 1
            if st.max_order == 0:
                _clear(st)
                continue
            refit = _fit_position(series, pos, st.max_order)
            st.coefficients, st.ratio, st.pacf = refit.coefficients, refit.ratio, refit.pacf
            if st.coefficients and st.coefficients[0] < 0.0:
                log.append(
                    Reduction(cycle.season_ids[pos], len(st.coefficients), 0, "phi1_negative")
                )
                _clear(st)
            else:
                reselected = True
        if not reselected:
            break
    return log


# ── PAR(p)-A: annual component ──────────────────────────────────────────────────────────────────


ANNUAL_WINDOW = 12
"""Observations averaged into one annual-component value A (monthly cycles: one year)."""


def rolling_annual_buckets(
    dates: Sequence[date],
    values: Sequence[float],
    resolve: Callable[[date], int | None],
    cycle: SeasonCycle,
) -> list[Bucket]:
    """A values (means of 12 consecutive observations) grouped by the season of the last one.

    Windows start at chronological index ``i`` for ``0 ≤ i < N − 12`` (upstream's range, which
    leaves out the window ending at the last observation). A window whose last date maps to no
    season, or to a season outside the cycle, is skipped. Raises :class:`EstimationError` with
    fewer than 13 observations (no window at all).
    """
    n = len(dates)
    if n <= ANNUAL_WINDOW:
        raise EstimationError(
            f"{n} observation(s); the annual component (pacf_annual) needs at least "
            f"{ANNUAL_WINDOW + 1} to form one rolling {ANNUAL_WINDOW}-value mean",
            observations=n,
        )
    order = sorted(range(n), key=lambda i: dates[i])
    ordered = [float(values[i]) for i in order]
    per_pos: list[list[float]] = [[] for _ in range(cycle.n)]
    first: list[int | None] = [None] * cycle.n
    for i in range(n - ANNUAL_WINDOW):
        last = dates[order[i + ANNUAL_WINDOW - 1]]
        season = resolve(last)
        pos = cycle.position(season) if season is not None else None
        if pos is None:
            continue
        total = 0.0
        for v in ordered[i : i + ANNUAL_WINDOW]:
            total += v
        per_pos[pos].append(total / ANNUAL_WINDOW)
        if first[pos] is None:
            first[pos] = last.year
    return [
        Bucket(np.asarray(v, dtype=np.float64), y if y is not None else 0)
        for v, y in zip(per_pos, first, strict=True)
    ]


def annual_stats(bucket: Bucket) -> Stats:
    """Mean and population std (1/N) of an A bucket; ``(0, 0)`` when empty."""
    n = bucket.size
    if n == 0:
        return (0.0, 0.0)
    mean = float(bucket.values.sum() / n)
    return mean, math.sqrt(float(((bucket.values - mean) ** 2).sum() / n))


def _cross_gamma(a: Bucket, z: Bucket, shift: int) -> float:
    """Σ (A_i − μ)(Z_{i+shift} − μ) / max(|A|, |Z|) on centred buckets (0 without pairs)."""
    a_off, z_off = (0, shift) if shift >= 0 else (-shift, 0)
    pairs = min(a.size - a_off, z.size - z_off)
    if pairs <= 0:
        return math.nan
    return float(np.dot(a.values[a_off : a_off + pairs], z.values[z_off : z_off + pairs])) / max(
        a.size, z.size
    )


def cross_correlation_z_a(
    series: SeasonalSeries, annual: SeasonalSeries, ref: int, lag: int
) -> float:
    """Corr(A at season ``ref``, Z at season ``ref − lag``); ``lag = 0`` pairs the same year.

    Pairs align by absolute year (bucket first years, one year earlier per cycle boundary the lag
    crosses) and the covariance divides by the **larger bucket size** (upstream: equivalent to
    padding missing years with the mean). Clamped to [−1, 1]; 0 with a zero std or no pairs.
    """
    n = series.n
    lag_pos = (ref - lag) % n
    mu_a, s_a = annual.stats[ref]
    mu_z, s_z = series.stats[lag_pos]
    if abs(s_a) < EPS or abs(s_z) < EPS:
        return 0.0
    a, z = annual.buckets[ref], series.buckets[lag_pos]
    shift = a.first_year - z.first_year - _years_back(ref, lag, n)
    gamma = _cross_gamma(Bucket(a.values - mu_a, 0), Bucket(z.values - mu_z, 0), shift)
    if math.isnan(gamma):
        return 0.0
    return min(max(gamma / (s_a * s_z), -1.0), 1.0)


def cross_correlation_a_z_next(series: SeasonalSeries, annual: SeasonalSeries, ref: int) -> float:
    """Corr(A at season ``ref``, Z at the next season): the ``A_{t−1}``/``Z_t`` pair.

    Z is one year later when the next season wraps to cycle position 0; same divisor and
    clamping as :func:`cross_correlation_z_a`.
    """
    n = series.n
    z_pos = (ref + 1) % n
    mu_a, s_a = annual.stats[ref]
    mu_z, s_z = series.stats[z_pos]
    if abs(s_a) < EPS or abs(s_z) < EPS:
        return 0.0
    a, z = annual.buckets[ref], series.buckets[z_pos]
    shift = a.first_year - z.first_year + (1 if z_pos == 0 else 0)
    gamma = _cross_gamma(Bucket(a.values - mu_a, 0), Bucket(z.values - mu_z, 0), shift)
    if math.isnan(gamma):
        return 0.0
    return min(max(gamma / (s_a * s_z), -1.0), 1.0)


def extended_yule_walker_system(
    series: SeasonalSeries, annual: SeasonalSeries, pos: int, order: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The PAR-A YW system of size ``order + 1``: unknowns ``(φ_1..φ_p, ψ)``.

    The leading block is :func:`yule_walker_system`; the last row/column holds
    ``Corr(A_{t−1}, Z_{t−1−i})`` and a unit diagonal; the last RHS entry is
    ``Corr(A_{t−1}, Z_t)``. ``A_{t−1}`` is the A of season ``pos − 1``.
    """
    prev = (pos - 1) % series.n
    mat = np.eye(order + 1)
    rhs = np.zeros(order + 1)
    if order:
        mat[:order, :order], rhs[:order] = yule_walker_system(series, pos, order)
    for i in range(order):
        mat[i, order] = mat[order, i] = cross_correlation_z_a(series, annual, prev, i)
    rhs[order] = cross_correlation_a_z_next(series, annual, prev)
    return mat, rhs


def conditional_pacf(
    series: SeasonalSeries, annual: SeasonalSeries, pos: int, max_order: int
) -> list[float]:
    """Conditional PACF at lags 1..max_order given ``(Z_{t−1}..Z_{t−k+1}, A_{t−1})``.

    With Σ₁₁ the covariance of ``(Z_t, Z_{t−k})``, Σ₂₂ that of the conditioning set and Σ₁₂ their
    cross-covariance, Σ̄ = Σ₁₁ − Σ₁₂ Σ₂₂⁻¹ Σ₂₁ and the value is Σ̄₀₁/√(Σ̄₀₀ Σ̄₁₁), clamped
    (0 when Σ̄₀₀ Σ̄₁₁ ≤ 0). Stops early (shorter list) at the first singular Σ₂₂.
    """
    n = series.n
    prev = (pos - 1) % n
    out: list[float] = []
    for k in range(1, max_order + 1):
        rho_k = periodic_autocorrelation(series, pos, k)
        s11 = np.array([[1.0, rho_k], [rho_k, 1.0]])
        s22 = np.eye(k)
        for i in range(k - 1):
            ref = (prev - i) % n
            for j in range(i + 1, k - 1):
                s22[i, j] = s22[j, i] = periodic_autocorrelation(series, ref, j - i)
            s22[i, k - 1] = s22[k - 1, i] = cross_correlation_z_a(series, annual, prev, i)
        s12 = np.zeros((2, k))
        for j in range(k - 1):
            s12[0, j] = periodic_autocorrelation(series, pos, j + 1)
            s12[1, j] = periodic_autocorrelation(series, (pos - 1 - j) % n, k - 1 - j)
        s12[0, k - 1] = cross_correlation_a_z_next(series, annual, prev)
        s12[1, k - 1] = cross_correlation_z_a(series, annual, prev, k - 1)
        cols = [solve_small(s22, s12[c]) for c in range(2)]
        if cols[0] is None or cols[1] is None:
            break
        bar = s11 - s12 @ np.column_stack(cols)
        denom = bar[0, 0] * bar[1, 1]
        value = float(bar[0, 1]) / math.sqrt(float(denom)) if denom > 0.0 else 0.0
        out.append(min(max(value, -1.0), 1.0))
    return out


def select_order_annual(
    pacf: Sequence[float], n_observations: int, z_alpha: float = Z_ALPHA
) -> int:
    """PAR-A order: 0 when the lag-1 value is exactly 0, else max(1, largest significant lag)."""
    if not pacf or pacf[0] == 0.0:
        return 0
    return max(1, select_order(pacf, n_observations, z_alpha))


def fit_annual_coefficients(
    series: SeasonalSeries, annual: SeasonalSeries, pos: int, order: int
) -> tuple[list[float], float, float]:
    """``(φ_1..φ_p, ψ, ratio)`` from the extended YW solve (all standardised).

    ratio = √(1 − sol·rhs) over the p + 1 unknowns, clamped to [ε, 1] (1 when not positive); a
    singular system gives ``([], 0.0, 1.0)``. Order 0 solves for ψ alone.
    """
    mat, rhs = extended_yule_walker_system(series, annual, pos, order)
    sol = solve_small(mat, rhs)
    if sol is None:
        return [], 0.0, 1.0
    sigma2 = 1.0 - float(np.dot(sol, rhs))
    ratio = min(max(math.sqrt(sigma2), EPS), 1.0) if sigma2 > 0.0 else 1.0
    return [float(c) for c in sol[:order]], float(sol[order]), ratio


@dataclass
class _AnnualState(_SeasonState):
    annual: tuple[float, float, float] | None = None
    """(ψ standardised, μ^A, σ^A) of ``A_{t−1}``; None leaves the season classical."""


def _fit_position_annual(
    series: SeasonalSeries, annual: SeasonalSeries, pos: int, max_order: int
) -> _AnnualState:
    """Conditional-PACF selection and extended YW fit of one season.

    Without usable data (std 0, under 2 observations, no A values or σ^A = 0 for the previous
    season) the season keeps order 0 and ψ = 0, with the A stats when that season has any.
    """
    prev = (pos - 1) % series.n
    a_mean, a_std = annual.stats[prev]
    if (
        series.stats[pos][1] == 0.0
        or series.buckets[pos].size < 2
        or annual.buckets[prev].size == 0
        or a_std == 0.0
    ):
        ann = (0.0, a_mean, a_std) if annual.buckets[prev].size else None
        return _AnnualState([], 1.0, [], max_order, annual=ann)
    pacf = conditional_pacf(series, annual, pos, max_order)
    order = select_order_annual(pacf, series.buckets[pos].size, Z_ALPHA)
    coefs, psi, ratio = fit_annual_coefficients(series, annual, pos, order)
    return _AnnualState(coefs, ratio, pacf, max_order, annual=(psi, a_mean, a_std))


def _refit_annual(
    series: SeasonalSeries, annual: SeasonalSeries, pos: int, st: _AnnualState, order: int
) -> None:
    coefs, psi, ratio = fit_annual_coefficients(series, annual, pos, order)
    a_mean, a_std = annual.stats[(pos - 1) % series.n]
    st.coefficients, st.ratio, st.annual = coefs, ratio, (psi, a_mean, a_std)


def reduce_orders_annual(
    series: SeasonalSeries,
    annual: SeasonalSeries,
    states: list[_AnnualState],
    cycle: SeasonCycle,
    max_coefficient_magnitude: float | None,
) -> list[Reduction]:
    """PAR-A reductions: the same pre-passes and contribution loop as :func:`reduce_orders`, on φ.

    Differences (upstream ``reduce_entity_orders_annual``): the pre-passes drop φ (ratio 1) but
    keep the jointly fitted ψ; a lowered season is re-selected with the conditional PACF and
    re-solved with the extended system, also when its ceiling reaches 0 (ψ alone); φ_1 < 0 after
    a re-solve refits at order 0. The data guard of the loop reads the A bucket of the season
    itself, as upstream does.
    """
    log: list[Reduction] = []
    _prepass(states, cycle, max_coefficient_magnitude, log)
    std = [s for _, s in series.stats]
    while True:
        failing = _failing(states, std, cycle, log)
        if not failing:
            break
        reselected = False
        for pos in failing:
            st = states[pos]
            if st.max_order == 0:
                continue
            st.max_order -= 1
            if (
                series.stats[pos][1] == 0.0
                or series.buckets[pos].size < 2
                or annual.buckets[pos].size == 0
                or annual.stats[pos][1] == 0.0
            ):
                _clear(st)
                continue
            order = 0
            if st.max_order > 0:
                st.pacf = conditional_pacf(series, annual, pos, st.max_order)
                order = select_order_annual(st.pacf, series.buckets[pos].size, Z_ALPHA)
            _refit_annual(series, annual, pos, st, order)
            if st.max_order == 0 or not st.coefficients:
                st.frozen = True
                continue
            if st.coefficients[0] < 0.0:
                log.append(
                    Reduction(cycle.season_ids[pos], len(st.coefficients), 0, "phi1_negative")
                )
                _refit_annual(series, annual, pos, st, 0)
                st.frozen = True
            else:
                reselected = True
        if not reselected:
            break
    return log


# ── results ─────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class SeasonFit:
    """Estimated statistics and AR model of one (hydro, season)."""

    season_id: int
    n_observations: int
    mean: float
    std: float
    history_class: HistoryKind
    pacf: tuple[float, ...]
    threshold: float
    coefficients: tuple[float, ...]
    residual_std_ratio: float
    annual: tuple[float, float, float] | None = None
    """PAR(p)-A only: (ψ standardised, μ^A, σ^A) of ``A_{t−1}``; None for a classical season."""

    @property
    def order(self) -> int:
        return len(self.coefficients)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "season_id": self.season_id,
            "n_observations": self.n_observations,
            "mean_m3s": self.mean,
            "std_m3s": self.std,
            "history_class": self.history_class,
            "pacf": list(self.pacf),
            "pacf_threshold": None if math.isinf(self.threshold) else self.threshold,
            "selected_order": self.order,
            "coefficients": list(self.coefficients),
            "residual_std_ratio": self.residual_std_ratio,
        }
        if self.annual is not None:
            out["annual_coefficient"], out["annual_mean_m3s"], out["annual_std_m3s"] = self.annual
        return out


@dataclass(frozen=True)
class HydroEstimate:
    """All seasons of one hydro (cycle order) and the reductions applied to them."""

    hydro_id: int
    seasons: tuple[SeasonFit, ...]
    reductions: tuple[Reduction, ...]

    @property
    def selected_order(self) -> int:
        """The largest per-season order (upstream's single order per hydro)."""
        return max((s.order for s in self.seasons), default=0)

    def season(self, season_id: int) -> SeasonFit | None:
        return next((s for s in self.seasons if s.season_id == season_id), None)


@dataclass(frozen=True)
class EstimationResult:
    """Per-(hydro, season) estimates, plus how they map onto the case's stages."""

    path: EstimationPath
    method: str
    max_order: int
    hydros: tuple[HydroEstimate, ...]
    spans: tuple[StageSpan, ...]
    warnings: tuple[str, ...] = field(default=())

    def _fits_by_stage(self):
        for h in self.hydros:
            for span in self.spans:
                fit = h.season(span.season_id) if span.season_id is not None else None
                if fit is not None:
                    yield h.hydro_id, span.stage_id, fit

    def stats_by_stage(self) -> dict[tuple[int, int], Stats]:
        """``{(hydro_id, stage_id): (mean, std)}`` for every stage (pre-study included)."""
        return {(h, s): (f.mean, f.std) for h, s, f in self._fits_by_stage()}

    def ar_by_stage(self) -> dict[tuple[int, int], tuple[tuple[float, ...], float]]:
        """``{(hydro_id, stage_id): (ψ* by lag, residual_std_ratio)}`` for every stage."""
        return {(h, s): (f.coefficients, f.residual_std_ratio) for h, s, f in self._fits_by_stage()}

    def annual_by_stage(self) -> dict[tuple[int, int], tuple[float, float, float]]:
        """``{(hydro_id, stage_id): (ψ, μ^A, σ^A)}`` for stages of PAR(p)-A seasons."""
        return {(h, s): f.annual for h, s, f in self._fits_by_stage() if f.annual is not None}

    def orders_by_stage(self, hydro_id: int) -> list[int]:
        """Selected order at each study stage (id ≥ 0, id order) of a hydro."""
        h = next(x for x in self.hydros if x.hydro_id == hydro_id)
        out = []
        for span in sorted(self.spans, key=lambda s: s.stage_id):
            if span.stage_id < 0:
                continue
            fit = h.season(span.season_id) if span.season_id is not None else None
            out.append(fit.order if fit is not None else 0)
        return out

    def _entry(self, h: HydroEstimate) -> dict[str, Any]:
        entry: dict[str, Any] = {"hydro_id": h.hydro_id}
        if self.path != "user_ar_history_stats":
            entry["selected_order"] = h.selected_order
            entry["orders_by_stage"] = self.orders_by_stage(h.hydro_id)
        entry["seasons"] = [s.to_dict() for s in h.seasons]
        entry["reductions"] = [r.to_dict() for r in h.reductions]
        return entry

    def report(self) -> dict[str, Any]:
        """JSON-ready estimation report: one entry per hydro with its selected order(s)."""
        return {
            "path": self.path,
            "method": self.method,
            "max_order": self.max_order,
            "entries": [self._entry(h) for h in self.hydros],
            "warnings": list(self.warnings),
        }


# ── driver ──────────────────────────────────────────────────────────────────────────────────────


def _series_for(
    buckets: list[Bucket], cycle: SeasonCycle, staged: set[int], hydro_id: int
) -> tuple[SeasonalSeries, list[HistoryKind]]:
    """Stats per position; seasons without a stage get no stats (std 0, never fitted)."""
    stats: list[Stats] = []
    kinds: list[HistoryKind] = []
    for pos, bucket in enumerate(buckets):
        if cycle.season_ids[pos] not in staged or bucket.size == 0:
            stats.append((0.0, 0.0))
            kinds.append("constant")
            continue
        try:
            st, cls = seasonal_stats(bucket.values)
        except EstimationError as exc:
            raise EstimationError(
                f"hydro {hydro_id} season {cycle.season_ids[pos]}: {exc}",
                hydro_id=hydro_id,
                season_id=cycle.season_ids[pos],
            ) from exc
        stats.append(st)
        kinds.append(cls.kind)
    return SeasonalSeries(buckets, stats), kinds


def _estimate_hydro(
    hydro_id: int,
    series: SeasonalSeries,
    kinds: list[HistoryKind],
    cycle: SeasonCycle,
    staged: set[int],
    fit_ar: bool,
    max_order: int,
    max_coefficient_magnitude: float | None,
    annual: SeasonalSeries | None = None,
) -> HydroEstimate:
    order_cap = max_order if fit_ar else 0
    states: list[Any]
    if annual is not None:
        states = [_fit_position_annual(series, annual, pos, max_order) for pos in range(cycle.n)]
        reductions = reduce_orders_annual(series, annual, states, cycle, max_coefficient_magnitude)
    else:
        states = [_fit_position(series, pos, order_cap) for pos in range(cycle.n)]
        reductions = (
            reduce_orders(series, states, cycle, max_coefficient_magnitude) if fit_ar else []
        )
    fits = []
    for pos, st in enumerate(states):
        sid = cycle.season_ids[pos]
        if sid not in staged or series.buckets[pos].size == 0:
            continue
        n_obs = series.buckets[pos].size
        fits.append(
            SeasonFit(
                season_id=sid,
                n_observations=n_obs,
                mean=series.stats[pos][0],
                std=series.stats[pos][1],
                history_class=kinds[pos],
                pacf=tuple(st.pacf),
                threshold=pacf_threshold(n_obs),
                coefficients=tuple(st.coefficients),
                residual_std_ratio=st.ratio,
                annual=getattr(st, "annual", None),
            )
        )
    return HydroEstimate(hydro_id, tuple(fits), tuple(reductions))


def estimate_par(
    hydro_ids: Sequence[int],
    observations: Mapping[int, tuple[Sequence[date], Sequence[float]]],
    spans: Sequence[StageSpan],
    definitions: SeasonDefinitions | None,
    *,
    max_order: int = 6,
    max_coefficient_magnitude: float | None = None,
    min_observations_per_season: int = 30,
    path: EstimationPath = "full_estimation",
    order_selection: Literal["pacf", "pacf_annual"] = "pacf",
) -> EstimationResult:
    """Estimate seasonal stats and (unless ``path`` keeps the user's AR) PAR(p) coefficients.

    ``order_selection = "pacf_annual"`` fits PAR(p)-A (module docstring) on the paths that fit AR;
    it then also raises :class:`EstimationError` for a hydro with 13 observations or fewer.

    ``observations[hydro_id] = (dates, values_m3s)``; hydros absent from it get no estimate.
    ``spans`` are every stage with its dates and season (pre-study stages included, they receive
    the stats of their season too). Raises :class:`EstimationError` for an unmapped date or a
    staged season with fewer than 2 observations.
    """
    cycle = build_season_cycle([s.season_id for s in spans], definitions)
    resolve = SeasonResolver(spans, definitions)
    staged = {s.season_id for s in spans if s.season_id is not None}
    fit_ar = path != "user_ar_history_stats"
    with_annual = fit_ar and order_selection == "pacf_annual"
    warnings: list[str] = []
    hydros = []
    for hid in hydro_ids:
        if hid not in observations:
            continue
        dates, values = observations[hid]
        buckets = group_by_season(dates, values, resolve, cycle)
        for pos, b in enumerate(buckets):
            sid = cycle.season_ids[pos]
            if sid in staged and b.size < min_observations_per_season:
                warnings.append(
                    f"hydro {hid} season {sid} has {b.size} observations "
                    f"(minimum recommended: {min_observations_per_season})"
                )
        series, kinds = _series_for(buckets, cycle, staged, hid)
        annual = None
        if with_annual:
            try:
                a_buckets = rolling_annual_buckets(dates, values, resolve, cycle)
            except EstimationError as exc:
                raise EstimationError(f"hydro {hid}: {exc}", hydro_id=hid) from exc
            annual = SeasonalSeries(a_buckets, [annual_stats(b) for b in a_buckets])
        hydros.append(
            _estimate_hydro(
                hid,
                series,
                kinds,
                cycle,
                staged,
                fit_ar,
                max_order,
                max_coefficient_magnitude,
                annual,
            )
        )
    method = ("PACF_ANNUAL" if with_annual else "PACF") if fit_ar else "user_provided"
    return EstimationResult(path, method, max_order, tuple(hydros), tuple(spans), tuple(warnings))


def observations_from_rows(rows: Sequence[Mapping[str, Any]]) -> dict[int, tuple[list, list]]:
    """``inflow_history`` rows (hydro_id, date, value_m3s) grouped per hydro."""
    out: dict[int, tuple[list, list]] = {}
    for r in rows:
        if r["value_m3s"] is None or r["date"] is None:
            continue
        dates, values = out.setdefault(int(r["hydro_id"]), ([], []))
        dates.append(r["date"])
        values.append(float(r["value_m3s"]))
    return out
