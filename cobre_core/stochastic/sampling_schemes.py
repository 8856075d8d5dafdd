"""Forward and simulation noise per entity class: in_sample, out_of_sample, external, historical.

The schemes implement :mod:`cobre_core.sddp.sampling`'s contract (``sampler.path(key)`` ->
``path.noise(t, state)``). ``training.scenario_source`` / ``simulation.scenario_source`` give each
class of the noise vector (inflow = the hydros' entries, load = the stochastic buses', ncs = the
stochastic NCS') its own scheme; :class:`SchemeSampler` fills each class's slice from its scheme
and then applies the inflow non-negativity treatment exactly as ``Problem.realize`` does. Build
one with :func:`sampler_for`; when every class is ``in_sample`` it returns the plain
:class:`~cobre_core.sddp.sampling.InSample`, so default runs are unchanged bit for bit.

Schemes (upstream book, "Scenario Generation" §3.2 and §4):

* ``in_sample``: one opening of the backward tree per stage, picked exactly as ``InSample`` does
  (seed ``case.seed``); classes sharing this scheme share the pick.
* ``out_of_sample``: fresh standard normals per (path key, noise group) from the scenario
  source's ``seed`` (``case.seed`` when absent), independent of the tree and of the other classes:
  the generator is NumPy's PCG64 seeded by ``SeedSequence([seed, 3, class, purpose, *key])`` with
  class 0/1/2 = inflow/load/ncs and purpose 1 = training key ``(iteration, scenario)``,
  2 = simulation key ``(scenario,)``. Stages of one noise group (same season and start year)
  share a draw, like the tree; the correlation of ``scenarios/correlation.json`` (or the estimated
  one) is applied to each draw with the profile of the stage's 0-based position.
* ``external``: ``scenarios/external_{inflow,load,ncs}_scenarios.parquet``. A path replays one
  external scenario ``j`` for all its stages: in training ``j`` is drawn uniformly, with
  replacement, from ``(iteration, scenario)`` alone (no user seed, as upstream; generator
  ``SeedSequence([4, 1, iteration, scenario])``); in simulation ``j = scenario mod N``. ``N`` is
  the largest scenario count of any stage; a stage with ``n_t`` scenarios uses ``j mod n_t``.
  Inflow values are inverted through the PAR model at the path's own lags,
  ``eta = (z - deterministic_part(t, lags)) / sigma`` (0 where ``sigma`` is 0), so the stage LP
  sees exactly the external inflow; load and NCS values become ``(value - mean) / std`` of the
  stage statistics (0 where ``std`` is 0). An entity without a value at a stage gets noise 0.
* ``historical`` (inflow only): windows of ``scenarios/inflow_history.parquet``. Window ``y`` gives
  stage ``t`` the observation of season ``m(t)`` in year ``y + delta_t``, ``delta_t`` being the
  stage's start year minus the first stage's; several observations of one (hydro, season, year)
  are averaged. Candidate years are ``historical_years`` (a list or ``{from, to}``), else every year
  of the record; a year is kept when every hydro has an observation for every stage. A path
  replays window ``W[i]``: in training ``i`` is drawn uniformly from ``(iteration, scenario)``
  (generator ``SeedSequence([5, 1, iteration, scenario])``), in simulation ``i = scenario mod |W|``.
  The values are inverted to noise like external inflows, so the LP replays the history.

Not modelled (upstream does these): moment substitution of order-0 external classes, clamping the
tree's opening counts to the external scenario counts, external load/NCS entities that have no
noise entry (a bus whose ``std_mw`` is 0 everywhere), per-stage ``sampling_method`` for
out-of-sample draws (all are plain Monte Carlo), and the admissibility of a historical window's
pre-study lags (the inversion uses the path's lag state, so they are never read).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import pyarrow.parquet as pq
from numpy.typing import NDArray

from cobre_core.errors import CobreError, ErrorKind, record
from cobre_core.model.config import HistoricalYearRange, HistoricalYears, ScenarioSourceConfig
from cobre_core.sddp.problem import Problem, effective_noise_at
from cobre_core.sddp.sampling import InSample, PathNoise, ScenarioSampler
from cobre_core.stochastic.correlation import NoiseCorrelation, correlate
from cobre_core.stochastic.estimation import SeasonResolver, StageSpan
from cobre_core.stochastic.noise import noise_groups
from cobre_core.system.case import Case

FloatArray = NDArray[np.float64]

Purpose = Literal["training", "simulation"]
EntityClass = Literal["inflow", "load", "ncs"]
CLASSES: tuple[EntityClass, ...] = ("inflow", "load", "ncs")
CLASS_CODE: dict[str, int] = {"inflow": 0, "load": 1, "ncs": 2}

EXTERNAL_FILES: dict[str, str] = {
    "inflow": "scenarios/external_inflow_scenarios.parquet",
    "load": "scenarios/external_load_scenarios.parquet",
    "ncs": "scenarios/external_ncs_scenarios.parquet",
}
HISTORY_FILE = "scenarios/inflow_history.parquet"

_OUT_OF_SAMPLE, _EXTERNAL_PICK, _HISTORICAL_PICK = 3, 4, 5
_TRAINING_KEY, _SIMULATION_KEY = 1, 2


def _generator(*key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([abs(k) for k in key])))


def _key_code(key: Sequence[int]) -> int:
    return _TRAINING_KEY if len(key) == 2 else _SIMULATION_KEY


def _path_pick(tag: int, key: Sequence[int], n: int) -> int:
    """Which of ``n`` items a path replays: hashed in training, ``scenario mod n`` in simulation."""
    if n <= 1:
        return 0
    if len(key) == 2:
        return int(_generator(tag, _TRAINING_KEY, int(key[0]), int(key[1])).integers(0, n))
    return int(key[0]) % n


def class_slices(case: Case) -> dict[str, slice]:
    """Where each class sits in the noise vector: hydros, then stochastic buses, then NCS."""
    n_h, n_l = case.num_hydros, int(case.noise.load_buses.size)
    return {
        "inflow": slice(0, n_h),
        "load": slice(n_h, n_h + n_l),
        "ncs": slice(n_h + n_l, case.noise.dim),
    }


def scenario_source(case: Case, purpose: Purpose) -> ScenarioSourceConfig:
    """The scenario source of ``purpose``; simulation falls back to training's when absent."""
    config = case.config
    if purpose == "training":
        return config.training.resolved_scenario_source
    return config.simulation_scenario_source


# ── one class of one path ────────────────────────────────────────────────────────────────────


class _Part(Protocol):
    def fill(self, t: int, state: FloatArray, out: FloatArray) -> None:
        """Write this part's raw (untruncated) noise of stage ``t`` into ``out``."""
        ...


class _Source(Protocol):
    def start(self, key: Sequence[int]) -> _Part:
        """The part of path ``key``."""
        ...


class _TreePart:
    """Slices of the picked opening of each stage."""

    __slots__ = ("_openings", "_picks", "_slices")

    def __init__(
        self, openings: Sequence[FloatArray], picks: NDArray[np.int64], slices: Sequence[slice]
    ) -> None:
        self._openings = openings
        self._picks = picks
        self._slices = slices

    def fill(self, t: int, state: FloatArray, out: FloatArray) -> None:
        row = self._openings[t][int(self._picks[t])]
        for sl in self._slices:
            out[sl] = row[sl]


class _ArrayPart:
    """Precomputed noise ``values[t]`` of one class."""

    __slots__ = ("_slice", "_values")

    def __init__(self, values: FloatArray, sl: slice) -> None:
        self._values = values
        self._slice = sl

    def fill(self, t: int, state: FloatArray, out: FloatArray) -> None:
        out[self._slice] = self._values[t]


class _InflowTargetPart:
    """Inflow noise that makes the LP realise ``targets[t]`` at the path's own lags."""

    __slots__ = ("_case", "_targets")

    def __init__(self, case: Case, targets: FloatArray) -> None:
        self._case = case
        self._targets = targets

    def fill(self, t: int, state: FloatArray, out: FloatArray) -> None:
        case = self._case
        out[: case.num_hydros] = invert_inflow(case, t, self._targets[t], case.lags_of(state))


def invert_inflow(case: Case, t: int, target: FloatArray, lags: FloatArray) -> FloatArray:
    """Noise ``eta`` with ``deterministic_part(t, lags) + sigma * eta == target`` per hydro.

    ``lags`` is ``(max_lag, num_hydros)`` as in the state. Hydros with ``sigma == 0`` or a
    non-finite target get 0 (their inflow stays the deterministic part). Only for target inflows
    (external, historical); tree openings are noise already.
    """
    det = case.par.deterministic_part(t, lags)
    sigma = case.par.sigma[t]
    ok = (sigma > 0.0) & np.isfinite(target)
    safe_sigma = np.where(ok, sigma, 1.0)
    return np.where(ok, (np.where(ok, target, 0.0) - det) / safe_sigma, 0.0)


# ── sources ──────────────────────────────────────────────────────────────────────────────────


class _InSampleSource:
    """The tree picks of ``InSample`` for the classes using ``in_sample``."""

    def __init__(self, problem: Problem, seed: int, slices: Sequence[slice]) -> None:
        self._openings = problem.tree.openings
        self._in_sample = InSample(problem, seed)
        self._slices = tuple(slices)

    def start(self, key: Sequence[int]) -> _Part:
        return _TreePart(self._openings, self._in_sample.picks(key), self._slices)


class _OutOfSampleSource:
    """Fresh standard normals per (path, noise group) for one class, then correlated."""

    def __init__(
        self,
        case: Case,
        entity_class: str,
        sl: slice,
        seed: int,
        correlation: NoiseCorrelation | None,
    ) -> None:
        self._class = entity_class
        self._slice = sl
        self._seed = int(seed)
        self._dim = case.noise.dim
        self._groups = noise_groups(
            [c.season_id for c in case.calendar], [c.start_date.year for c in case.calendar]
        )
        self._correlation = correlation

    def draws(self, key: Sequence[int]) -> FloatArray:
        """The class's noise ``(num_stages, width)`` of path ``key``."""
        width = self._slice.stop - self._slice.start
        gen = _generator(
            self._seed, _OUT_OF_SAMPLE, CLASS_CODE[self._class], _key_code(key), *map(int, key)
        )
        out = np.empty((len(self._groups), width))
        for t, g in enumerate(self._groups):
            if t > 0 and g == self._groups[t - 1]:
                out[t] = out[t - 1]
                continue
            z = gen.standard_normal(width)
            if self._correlation is not None:
                full = np.zeros(self._dim)
                full[self._slice] = z
                z = correlate(full, self._correlation.groups_for_position(t), (self._class,))[
                    self._slice
                ]
            out[t] = z
        return out

    def start(self, key: Sequence[int]) -> _Part:
        return _ArrayPart(self.draws(key), self._slice)


class _ExternalInflowSource:
    """Replays one external inflow scenario per path, inverted to noise at the path's lags."""

    def __init__(self, case: Case, values: Sequence[FloatArray]) -> None:
        self._case = case
        self._values = values
        self.count = max((v.shape[0] for v in values), default=0)

    def targets(self, j: int) -> FloatArray:
        """Inflow targets ``(num_stages, num_hydros)`` of external scenario ``j``."""
        return np.array([v[j % v.shape[0]] for v in self._values])

    def start(self, key: Sequence[int]) -> _Part:
        return _InflowTargetPart(
            self._case, self.targets(_path_pick(_EXTERNAL_PICK, key, self.count))
        )


class _ExternalStatSource:
    """Replays one external load or NCS scenario per path as standardized noise."""

    def __init__(self, noise: Sequence[FloatArray], sl: slice) -> None:
        self._noise = noise
        self._slice = sl
        self.count = max((v.shape[0] for v in noise), default=0)

    def start(self, key: Sequence[int]) -> _Part:
        j = _path_pick(_EXTERNAL_PICK, key, self.count)
        return _ArrayPart(np.array([v[j % v.shape[0]] for v in self._noise]), self._slice)


class _HistoricalSource:
    """Replays one window of the inflow history per path, inverted to noise at the path's lags."""

    def __init__(self, case: Case, years: Sequence[int], windows: FloatArray) -> None:
        self._case = case
        self.years = tuple(years)
        self.windows = windows

    def start(self, key: Sequence[int]) -> _Part:
        w = _path_pick(_HISTORICAL_PICK, key, len(self.years))
        return _InflowTargetPart(self._case, self.windows[w])


# ── the sampler ──────────────────────────────────────────────────────────────────────────────


class _SchemePath:
    __slots__ = ("_case", "_parts")

    def __init__(self, case: Case, parts: Sequence[_Part]) -> None:
        self._case = case
        self._parts = parts

    def noise(self, t: int, state: FloatArray) -> FloatArray:
        eta = np.zeros(self._case.noise.dim)
        for part in self._parts:
            part.fill(t, state, eta)
        return effective_noise_at(self._case, t, eta, state)


class SchemeSampler:
    """A :class:`~cobre_core.sddp.sampling.ScenarioSampler` composed of one scheme per class.

    ``schemes`` maps each class to its scheme (classes without noise entries are listed as
    ``in_sample``). ``name`` is the scheme shared by the classes that have noise entries, or
    ``"mixed"``. ``historical_years`` is the admissible window pool of a historical inflow class
    (None otherwise). Build it with
    :func:`sampler_for`; use :class:`~cobre_core.sddp.sampling.InSample` directly when every class
    is in sample.
    """

    def __init__(self, problem: Problem, schemes: Mapping[str, str], sources: Sequence[_Source]):
        self._problem = problem
        self.schemes = dict(schemes)
        self._sources = tuple(sources)
        slices = class_slices(problem.case)
        used = {s for c, s in self.schemes.items() if slices[c].stop > slices[c].start}
        self.name = used.pop() if len(used) == 1 else ("mixed" if used else "in_sample")
        self.historical_years: tuple[int, ...] | None = next(
            (s.years for s in self._sources if isinstance(s, _HistoricalSource)), None
        )

    def path(self, key: Sequence[int]) -> PathNoise:
        return _SchemePath(self._problem.case, [s.start(key) for s in self._sources])


# ── inputs ───────────────────────────────────────────────────────────────────────────────────


def _missing(rel: str, purpose: Purpose, entity_class: str, scheme: str) -> CobreError:
    section = "training" if purpose == "training" else "simulation"
    return CobreError(
        record(
            ErrorKind.MISSING_FILE,
            f"{section} samples the {entity_class} class with the '{scheme}' scheme but {rel} "
            "is missing",
            f"Provide {rel}, or set {section}.scenario_source.{entity_class}.scheme to "
            "'in_sample' or 'out_of_sample'.",
            file=rel,
            setting=f"{section}.scenario_source.{entity_class}.scheme",
        )
    )


def _read(case: Case, rel: str, purpose: Purpose, entity_class: str, scheme: str) -> dict:
    if case.path is None or not (case.path / rel).is_file():
        raise _missing(rel, purpose, entity_class, scheme)
    return pq.read_table(Path(case.path) / rel).to_pydict()


def _per_stage(
    case: Case, cols: dict, id_col: str, value_col: str, entity_ids: Sequence[int]
) -> list[FloatArray]:
    """``values[t]`` ``(n_t, len(entity_ids))`` from an external table; NaN where absent."""
    index = {c.stage_id: t for t, c in enumerate(case.calendar)}
    where = {eid: i for i, eid in enumerate(entity_ids)}
    counts = [0] * case.num_stages
    rows = []
    for sid, sc, eid, v in zip(
        cols["stage_id"], cols["scenario_id"], cols[id_col], cols[value_col], strict=True
    ):
        if sid in index and eid in where and sc is not None and sc >= 0 and v is not None:
            t = index[sid]
            counts[t] = max(counts[t], int(sc) + 1)
            rows.append((t, int(sc), where[eid], float(v)))
    out = [np.full((max(n, 1), len(entity_ids)), np.nan) for n in counts]
    for t, sc, e, v in rows:
        out[t][sc, e] = v
    return out


def external_inflow_values(case: Case, cols: dict) -> list[FloatArray]:
    """Inflow targets per stage ``(n_t, num_hydros)`` of an external inflow table (as a dict)."""
    return _per_stage(case, cols, "hydro_id", "value_m3s", [h.id for h in case.hydros])


def _external_stat_noise(case: Case, entity_class: str, cols: dict) -> list[FloatArray]:
    """Standardized external load/NCS noise per stage ``(n_t, width)``; 0 where undefined."""
    if entity_class == "load":
        idx = case.noise.load_buses.tolist()
        ids = [case.buses[b].id for b in idx]
        values = _per_stage(case, cols, "bus_id", "value_mw", ids)
        stats = [(sd.load_mean[idx], sd.load_std[idx]) for sd in case.stages]
    else:
        idx = case.noise.ncs.tolist()
        ids = [case.non_controllables[s].id for s in idx]
        col = "availability_factor" if "availability_factor" in cols else "value"
        values = _per_stage(case, cols, "ncs_id", col, ids)
        stats = [(sd.ncs_mean[idx], sd.ncs_std[idx]) for sd in case.stages]
    out = []
    for v, (mean, std) in zip(values, stats, strict=True):
        ok = np.isfinite(v) & (std > 0.0)
        out.append(np.where(ok, (np.where(ok, v, 0.0) - mean) / np.where(ok, std, 1.0), 0.0))
    return out


def _year_pool(years: HistoricalYears | None, record_years: Sequence[int]) -> list[int]:
    if years is None:
        return sorted(set(record_years))
    if isinstance(years, HistoricalYearRange):
        return list(range(years.from_, years.to + 1))
    return sorted(set(int(y) for y in years))


def _season_of(case: Case) -> Callable[[date], int | None]:
    """A date -> season function: stage ranges, then season_definitions, then study months."""
    sf = case.stages_file
    spans = [
        StageSpan(s.id, s.start_date, s.end_date, s.season_id)
        for s in (*sf.pre_study_stages, *sf.stages)
    ]
    resolver = SeasonResolver(spans, sf.season_definitions)
    by_month: dict[int, int] = {}
    for c in case.calendar:
        if c.season_id is not None:
            by_month.setdefault(c.start_date.month, c.season_id)

    def season(day: date) -> int | None:
        s = resolver(day)
        return s if s is not None else by_month.get(day.month)

    return season


def historical_windows(
    case: Case,
    history: tuple[Sequence[date], Sequence[int], Sequence[float]],
    years: HistoricalYears | None,
) -> tuple[list[int], FloatArray]:
    """Admissible window years and their inflows ``(num_windows, num_stages, num_hydros)``.

    ``history`` is ``(dates, hydro_ids, values_m3s)`` (see the module docstring for the window
    rule). Raises ``CobreError`` (IncompatibleSettings) when a study stage has no season and
    (CoverageMismatch) when no candidate year is admissible.
    """
    if any(c.season_id is None for c in case.calendar):
        raise CobreError(
            record(
                ErrorKind.INCOMPATIBLE_SETTINGS,
                "historical sampling needs a season_id on every study stage",
                "Give every stage of stages.json a season_id (and season_definitions).",
                file="stages.json",
            )
        )
    season_of = _season_of(case)
    sums: dict[tuple[int, int, int], list[float]] = {}
    for d, hid, v in zip(*history, strict=True):
        if d is None or hid is None or v is None or not np.isfinite(v):
            continue
        s = season_of(d)
        if s is not None:
            sums.setdefault((int(hid), d.year, int(s)), []).append(float(v))
    obs = {k: float(np.mean(v)) for k, v in sums.items()}
    first = case.calendar[0].start_date.year
    offsets = [c.start_date.year - first for c in case.calendar]
    seasons = [int(c.season_id) for c in case.calendar]  # type: ignore[arg-type]
    hydro_ids = [h.id for h in case.hydros]
    kept: list[int] = []
    windows: list[FloatArray] = []
    for y in _year_pool(years, [k[1] for k in obs]):
        keys = [[(h, y + dt, s) for h in hydro_ids] for dt, s in zip(offsets, seasons, strict=True)]
        if all(k in obs for row in keys for k in row):
            kept.append(y)
            windows.append(np.array([[obs[k] for k in row] for row in keys]))
    if not kept:
        raise CobreError(
            record(
                ErrorKind.COVERAGE_MISMATCH,
                "no historical window covers every hydro at every study stage",
                "Check historical_years against the years of scenarios/inflow_history.parquet; "
                "a year needs an observation of every hydro for the season of every stage.",
                file=HISTORY_FILE,
                historical_years=str(years) if years is not None else None,
            )
        )
    return kept, np.array(windows).reshape(len(kept), case.num_stages, case.num_hydros)


def _history(case: Case, purpose: Purpose) -> tuple[list, list, list]:
    cols = _read(case, HISTORY_FILE, purpose, "inflow", "historical")
    return cols["date"], cols["hydro_id"], cols["value_m3s"]


# ── the factory ──────────────────────────────────────────────────────────────────────────────


def sampler_for(problem: Problem, purpose: Purpose = "training") -> ScenarioSampler:
    """The sampler ``problem``'s case configures for ``purpose`` (``"training"``/``"simulation"``).

    Reads ``training.scenario_source`` (or ``simulation.scenario_source``, falling back to the
    training one) and the input files its schemes need from ``case.path``. Returns
    :class:`~cobre_core.sddp.sampling.InSample` when every class with noise entries is
    ``in_sample``, else a :class:`SchemeSampler`. Raises ``CobreError``: MissingFile for an
    ``external``/``historical`` scheme whose file is absent, IncompatibleSettings for a
    ``historical`` load or NCS class, CoverageMismatch for an empty historical window pool.
    Forward and simulation paths only: the backward pass and the lower bound always visit the
    opening tree (``problem.tree``).
    """
    case = problem.case
    source = scenario_source(case, purpose)
    slices = class_slices(case)
    wanted = {"inflow": source.inflow_scheme, "load": source.load_scheme, "ncs": source.ncs_scheme}
    schemes = {c: (wanted[c] if slices[c].stop > slices[c].start else "in_sample") for c in CLASSES}
    if all(s == "in_sample" for s in schemes.values()):
        return InSample(problem, case.seed)
    seed = abs(int(source.seed)) if source.seed is not None else case.seed
    correlation = problem.tree.correlation
    sources: list[_Source] = []
    in_sample = [
        slices[c] for c in CLASSES if schemes[c] == "in_sample" and slices[c].stop > slices[c].start
    ]
    if in_sample:
        sources.append(_InSampleSource(problem, case.seed, in_sample))
    for c in CLASSES:
        scheme = schemes[c]
        if scheme == "out_of_sample":
            sources.append(_OutOfSampleSource(case, c, slices[c], seed, correlation))
        elif scheme == "external":
            cols = _read(case, EXTERNAL_FILES[c], purpose, c, scheme)
            if c == "inflow":
                sources.append(_ExternalInflowSource(case, external_inflow_values(case, cols)))
            else:
                sources.append(_ExternalStatSource(_external_stat_noise(case, c, cols), slices[c]))
        elif scheme == "historical":
            if c != "inflow":
                raise CobreError(
                    record(
                        ErrorKind.INCOMPATIBLE_SETTINGS,
                        f"the historical scheme applies to the inflow class only, not {c}",
                        f"Use in_sample, out_of_sample or external for {c}.",
                        file="config.json",
                        setting=f"{purpose}.scenario_source.{c}.scheme",
                    )
                )
            years, windows = historical_windows(
                case, _history(case, purpose), source.historical_years
            )
            sources.append(_HistoricalSource(case, years, windows))
    return SchemeSampler(problem, schemes, sources)
