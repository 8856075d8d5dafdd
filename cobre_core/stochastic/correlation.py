"""Spatial correlation of the noise: ``scenarios/correlation.json`` and its spectral factors.

Upstream's file (book, "Scenario Files" and "Scenario Generation" §2.1, §2.4): named *profiles*,
each a list of *correlation groups*; a group lists entities of one class (``inflow`` = a hydro's
inflow, ``load`` = a bus's load, ``ncs`` = a non-controllable source's availability) and their
correlation matrix in entity order. An optional *schedule* maps stages to profiles; a stage it
does not name uses the ``"default"`` profile (or the only profile). ``method`` is ``"spectral"``,
the only method: each matrix ``C`` is factored as ``C^(1/2) = U diag(sqrt(max(λ, 0))) U^T``
(negative eigenvalues clipped), and independent standard normals ``z`` of the group become
``C^(1/2) z``. Groups are independent of each other; entities in no group keep their noise.

Schedule lookup, as upstream: the opening tree matches ``schedule[].stage_id`` against the
declared study-stage id; out-of-sample forward and simulation draws match it against the stage's
0-based position (the two coincide when ids are 0, 1, 2, ...).

Without ``correlation.json``, a case whose PAR model was estimated from the inflow history
(estimation paths 100, 101 and 110) gets the correlation of the standardized PAR residuals of the
history across hydros (:func:`estimate_residual_correlation`): one pooled ``"default"`` profile
and, in a cycle of more than one season, one ``season_<id>`` profile for each season whose every
hydro pair has at least :data:`MIN_SEASON_PAIRS` residual pairs, scheduled on that season's stages.
Every other case keeps independent noise, and its opening tree is bit-identical to an uncorrelated
one.

Use :func:`noise_correlation` to get what a case uses; do not use this module to *validate* a
file (the validation layers do that and report every problem at once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow.parquet as pq
from numpy.typing import NDArray
from pydantic import Field, model_validator

from cobre_core.errors import CobreError, ErrorKind, record
from cobre_core.model.base import CaseModel
from cobre_core.model.case_file import CaseFileModel
from cobre_core.model.ids import Int32
from cobre_core.stochastic.estimation import SeasonResolver, StageSpan, build_season_cycle
from cobre_core.stochastic.noise import OpeningTree
from cobre_core.system.case import Case

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CORRELATION_FILE = "scenarios/correlation.json"
HISTORY_FILE = "scenarios/inflow_history.parquet"
DEFAULT_PROFILE = "default"
SYMMETRY_TOLERANCE = 1e-10
"""Largest difference allowed between mirrored matrix entries (upstream's rule)."""
MIN_SEASON_PAIRS = 30
"""Residual pairs every hydro pair needs in a season for it to get its own estimated profile."""

EntityClass = Literal["inflow", "load", "ncs"]
ENTITY_CLASSES: tuple[EntityClass, ...] = ("inflow", "load", "ncs")


# ── the file ────────────────────────────────────────────────────────────────────────────────────


class CorrelationEntity(CaseModel):
    """One entity of a group: a hydro's inflow, a bus's load or an NCS's availability."""

    type: EntityClass = Field(description="Entity class: inflow, load or ncs [-]")
    id: Int32 = Field(description="Id of the hydro (inflow), bus (load) or NCS (ncs) [-]")


class CorrelationGroup(CaseModel):
    """Entities of one class whose noise is correlated, with their correlation matrix."""

    name: str = Field(description="Group label [-]")
    entities: tuple[CorrelationEntity, ...] = Field(
        min_length=1, description="Entities in matrix order, all of one type [-]"
    )
    matrix: tuple[tuple[float, ...], ...] = Field(
        description="Correlation matrix, row-major: symmetric, unit diagonal, entries in [-1, 1]"
    )

    @model_validator(mode="after")
    def _check_matrix(self) -> CorrelationGroup:
        n = len(self.entities)
        if len(self.matrix) != n or any(len(row) != n for row in self.matrix):
            raise ValueError(f"group {self.name!r}: matrix must be {n} x {n} (one row per entity)")
        m = np.array(self.matrix, dtype=np.float64)
        if not np.isfinite(m).all() or (np.abs(m) > 1.0).any():
            raise ValueError(f"group {self.name!r}: matrix entries must lie in [-1, 1]")
        if not np.all(np.diag(m) == 1.0):
            raise ValueError(f"group {self.name!r}: matrix diagonal must be 1.0")
        if (np.abs(m - m.T) > SYMMETRY_TOLERANCE).any():
            raise ValueError(f"group {self.name!r}: matrix must be symmetric")
        if len({e.type for e in self.entities}) > 1:
            raise ValueError(f"group {self.name!r}: entities must all have the same type")
        return self


class CorrelationProfile(CaseModel):
    """One named correlation configuration: its groups (may be empty)."""

    correlation_groups: tuple[CorrelationGroup, ...] = Field(
        description="Groups of correlated entities [-]"
    )


class ScheduleEntry(CaseModel):
    """Which profile one stage uses."""

    stage_id: Int32 = Field(description="Stage the profile applies to [-]")
    profile_name: str = Field(description="Name of a profile in profiles [-]")


class CorrelationFile(CaseFileModel):
    """Contents of ``scenarios/correlation.json`` (optional file)."""

    RELATIVE_PATH: ClassVar[str] = CORRELATION_FILE

    method: Literal["spectral"] = Field(description="Decomposition method; only spectral [-]")
    profiles: dict[str, CorrelationProfile] = Field(
        min_length=1, description="Named correlation profiles, at least one [-]"
    )
    schedule: tuple[ScheduleEntry, ...] | None = Field(
        default=None, description="Stage-to-profile entries; absent or null is empty [-]"
    )

    @model_validator(mode="after")
    def _check_schedule(self) -> CorrelationFile:
        for entry in self.schedule or ():
            if entry.profile_name not in self.profiles:
                raise ValueError(
                    f"schedule names profile {entry.profile_name!r}, which is not in profiles"
                )
        return self

    def default_profile(self) -> str | None:
        """The profile of unscheduled stages: ``"default"``, else the only one, else None."""
        if DEFAULT_PROFILE in self.profiles:
            return DEFAULT_PROFILE
        if len(self.profiles) == 1:
            return next(iter(self.profiles))
        return None


# ── factors ─────────────────────────────────────────────────────────────────────────────────────


def spectral_factor(matrix: FloatArray) -> FloatArray:
    """``U diag(sqrt(max(λ, 0))) U^T`` of a symmetric matrix (its clipped symmetric square root).

    ``F @ F.T`` equals the matrix when it is positive semidefinite, and its nearest positive
    semidefinite matrix (Frobenius norm) otherwise.
    """
    m = np.asarray(matrix, dtype=np.float64)
    m = 0.5 * (m + m.T)
    values, vectors = np.linalg.eigh(m)
    root = np.sqrt(np.clip(values, 0.0, None))
    return (vectors * root) @ vectors.T


@dataclass(frozen=True)
class GroupFactor:
    """A correlation group resolved against a case: noise-vector positions and spectral factor."""

    name: str
    entity_class: EntityClass
    positions: IntArray
    factor: FloatArray


@dataclass(frozen=True)
class NoiseCorrelation:
    """The correlation a case's noise uses, resolved to noise-vector positions.

    ``profiles`` maps a profile name to its groups; ``by_stage_id`` and ``by_position`` are the
    schedule read as stage ids (opening tree) and as 0-based stage positions (forward draws);
    ``default`` is the profile of unscheduled stages (None: independent noise there). ``spec``
    is the file form, for export; ``source`` is ``"file"`` or ``"estimated"``.
    """

    profiles: Mapping[str, tuple[GroupFactor, ...]]
    default: str | None
    by_stage_id: Mapping[int, str]
    by_position: Mapping[int, str]
    spec: CorrelationFile
    source: str

    def groups_for_stage_id(self, stage_id: int) -> tuple[GroupFactor, ...]:
        """Groups active at a study stage, looked up by its declared id (the opening tree)."""
        name = self.by_stage_id.get(stage_id, self.default)
        return self.profiles.get(name, ()) if name is not None else ()

    def groups_for_position(self, t: int) -> tuple[GroupFactor, ...]:
        """Groups active at stage position ``t`` (out-of-sample forward and simulation draws)."""
        name = self.by_position.get(t, self.default)
        return self.profiles.get(name, ()) if name is not None else ()

    def is_identity(self) -> bool:
        """True when no profile correlates anything (no group of two or more entities)."""
        return all(g.positions.size < 2 for gs in self.profiles.values() for g in gs)


def correlate(
    eta: FloatArray, groups: Sequence[GroupFactor], classes: Sequence[str] = ENTITY_CLASSES
) -> FloatArray:
    """Noise ``eta`` (``(dim,)`` or ``(m, dim)``) with ``groups`` of ``classes`` applied.

    Each group's entries become ``factor @ z`` of the group's independent entries ``z``; other
    entries are returned unchanged (same values, new array when anything changes). Apply it to
    independent draws only, once: not to user-supplied openings nor to already correlated noise.
    """
    active = [g for g in groups if g.entity_class in classes and g.positions.size >= 2]
    if not active:
        return eta
    out = np.array(eta, dtype=np.float64, copy=True)
    for g in active:
        out[..., g.positions] = eta[..., g.positions] @ g.factor.T
    return out


def _noise_position(case: Case) -> dict[tuple[str, int], int]:
    """``(class, entity id) -> position`` in the noise vector, for entities that have noise."""
    out: dict[tuple[str, int], int] = {("inflow", h.id): i for i, h in enumerate(case.hydros)}
    base = case.num_hydros
    for j, b in enumerate(case.noise.load_buses.tolist()):
        out[("load", case.buses[b].id)] = base + j
    base += int(case.noise.load_buses.size)
    for j, s in enumerate(case.noise.ncs.tolist()):
        out[("ncs", case.non_controllables[s].id)] = base + j
    return out


def resolve_correlation(case: Case, spec: CorrelationFile, source: str) -> NoiseCorrelation:
    """Resolve ``spec`` against ``case``: positions, spectral factors and the two schedules.

    ``source`` is ``"file"`` (the schedule's ``stage_id`` is read as a stage id by the tree and as
    a 0-based position by forward draws, as upstream) or ``"estimated"`` (a stage id for both).

    Entities without a noise entry (a deterministic bus, an NCS without statistics) are dropped
    from their group together with their matrix row and column. Raises ``CobreError``
    (IncompatibleSettings) when several profiles exist and none is the default, or when an
    entity id names nothing in the case.
    """
    position = _noise_position(case)
    known = {
        "inflow": {h.id for h in case.hydros},
        "load": {b.id for b in case.buses},
        "ncs": {s.id for s in case.non_controllables},
    }
    profiles: dict[str, tuple[GroupFactor, ...]] = {}
    for name, profile in spec.profiles.items():
        groups = []
        for group in profile.correlation_groups:
            keep, pos = [], []
            for i, ent in enumerate(group.entities):
                if ent.id not in known[ent.type]:
                    raise CobreError(
                        record(
                            ErrorKind.INCOMPATIBLE_SETTINGS,
                            f"correlation group {group.name!r} names {ent.type} {ent.id}, "
                            "which is not in the case",
                            "Use ids of declared hydros, buses or non-controllable sources.",
                            file=CORRELATION_FILE,
                            profile=name,
                            entity_id=ent.id,
                        )
                    )
                if (ent.type, ent.id) in position:
                    keep.append(i)
                    pos.append(position[(ent.type, ent.id)])
            matrix = np.array(group.matrix, dtype=np.float64)[np.ix_(keep, keep)]
            groups.append(
                GroupFactor(
                    group.name,
                    group.entities[0].type,
                    np.array(pos, dtype=np.int64),
                    spectral_factor(matrix) if keep else np.zeros((0, 0)),
                )
            )
        profiles[name] = tuple(groups)
    default = spec.default_profile()
    schedule = {e.stage_id: e.profile_name for e in spec.schedule or ()}
    if default is None and len(schedule) < len(case.calendar):
        raise CobreError(
            record(
                ErrorKind.INCOMPATIBLE_SETTINGS,
                "correlation.json has several profiles and none is named 'default'",
                "Name one profile 'default' (it applies to every stage the schedule omits).",
                file=CORRELATION_FILE,
                profiles=sorted(spec.profiles),
            )
        )
    if source == "file":
        by_position = dict(schedule)  # upstream reads the file's stage_id as a position here
    else:
        index = {c.stage_id: t for t, c in enumerate(case.calendar)}
        by_position = {index[s]: name for s, name in schedule.items() if s in index}
    return NoiseCorrelation(
        profiles=profiles,
        default=default,
        by_stage_id=schedule,
        by_position=by_position,
        spec=spec,
        source=source,
    )


# ── estimation from the history residuals ───────────────────────────────────────────────────────


def history_residuals(
    case: Case, dates: Sequence[date], hydro_ids: Sequence[int], values: Sequence[float]
) -> dict[int, dict[date, tuple[int, float]]]:
    """Standardized PAR residuals of an inflow history: ``{hydro_id: {date: (season, eps)}}``.

    Each observation of season ``m`` is read through the model of the first study stage of that
    season: ``eps = (a - base - sum_l psi_l a_{-l}) / sigma``, the lags being the hydro's previous
    observations in date order, which must be the preceding seasons of the cycle. Observations
    without a season, without a study stage of their season, with ``sigma = 0`` or with missing
    lags give no residual. For the correlation estimate only; it does not refit the PAR model.
    """
    sf = case.stages_file
    spans = [
        StageSpan(s.id, s.start_date, s.end_date, s.season_id)
        for s in (*sf.pre_study_stages, *sf.stages)
    ]
    resolve = SeasonResolver(spans, sf.season_definitions)
    cycle = build_season_cycle([s.season_id for s in spans], sf.season_definitions)
    first_stage: dict[int, int] = {}
    for t, cal in enumerate(case.calendar):
        if cal.season_id is not None:
            first_stage.setdefault(cal.season_id, t)
    hydro_pos = {h.id: i for i, h in enumerate(case.hydros)}
    series: dict[int, list[tuple[date, float]]] = {}
    for d, hid, v in zip(dates, hydro_ids, values, strict=True):
        if hid in hydro_pos and d is not None and v is not None and np.isfinite(v):
            series.setdefault(int(hid), []).append((d, float(v)))
    par = case.par
    out: dict[int, dict[date, tuple[int, float]]] = {}
    for hid, obs in series.items():
        obs.sort()
        h = hydro_pos[hid]
        seasons = [resolve(d) for d, _ in obs]
        cyc = [cycle.position(s) if s is not None else None for s in seasons]
        res: dict[date, tuple[int, float]] = {}
        for i, (d, a) in enumerate(obs):
            season = seasons[i]
            if season is None or season not in first_stage or cyc[i] is None:
                continue
            t = first_stage[season]
            sigma = float(par.sigma[t, h])
            if sigma <= 0.0:
                continue
            psi = par.psi[t, h]
            width = int(np.flatnonzero(psi)[-1]) + 1 if np.any(psi) else 0
            if i < width or any(
                cyc[i - lag] is None or (cyc[i] - cyc[i - lag]) % cycle.n != lag % cycle.n
                for lag in range(1, width + 1)
            ):
                continue
            det = float(par.base[t, h]) + sum(
                float(psi[lag]) * obs[i - lag - 1][1] for lag in range(width)
            )
            res[d] = (season, (a - det) / sigma)
        if res:
            out[hid] = res
    return out


def _pairwise_correlation(values: FloatArray) -> tuple[FloatArray, int]:
    """Pairwise-complete sample correlations of the columns of ``values`` (NaN = missing).

    Returns the matrix (unit diagonal; 0 for a pair with fewer than 2 common rows or no spread)
    and the fewest common rows over the pairs.
    """
    present = np.isfinite(values).astype(np.float64)
    x = np.where(present > 0, values, 0.0)
    n = present.T @ present  # common rows per pair
    s = x.T @ present  # s[i, j]: sum of column i over the rows it shares with j
    q = (x * x).T @ present
    cross = x.T @ x
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = cross - s * s.T / n
        var_i = q - s * s / n
        den = np.sqrt(var_i * var_i.T)
        r = np.where((n >= 2) & (den > 0.0), cov / den, 0.0)
    r = np.clip(0.5 * (r + r.T), -1.0, 1.0)
    np.fill_diagonal(r, 1.0)
    k = values.shape[1]
    fewest = int(n[~np.eye(k, dtype=bool)].min()) if k > 1 else 0
    return r, fewest


def estimate_residual_correlation(
    case: Case, history: tuple[Sequence[date], Sequence[int], Sequence[float]]
) -> CorrelationFile | None:
    """The correlation of the standardized PAR residuals of ``history`` across hydros.

    ``history`` is ``(dates, hydro_ids, values_m3s)``. One group with every hydro that has
    residuals: a pooled ``"default"`` profile and, in a cycle of more than one season, a
    ``season_<id>`` profile (id zero-padded to the width of the largest id) for each study season
    whose every hydro pair has at least :data:`MIN_SEASON_PAIRS` residual pairs, scheduled on the
    study stages of that season. None when fewer than two hydros have residuals.
    """
    residuals = history_residuals(case, *history)
    hydros = [h.id for h in case.hydros if h.id in residuals]
    if len(hydros) < 2:
        return None
    dates = sorted(set().union(*(residuals[h].keys() for h in hydros)))
    row = {d: i for i, d in enumerate(dates)}
    values = np.full((len(dates), len(hydros)), np.nan)
    season_of = np.full(len(dates), -1, dtype=np.int64)
    for j, hid in enumerate(hydros):
        for d, (season, eps) in residuals[hid].items():
            values[row[d], j] = eps
            season_of[row[d]] = season
    entities = [{"type": "inflow", "id": hid} for hid in hydros]

    def group(matrix: FloatArray) -> dict[str, Any]:
        return {"name": "inflow_residuals", "entities": entities, "matrix": matrix.tolist()}

    pooled, _ = _pairwise_correlation(values)
    profiles: dict[str, Any] = {DEFAULT_PROFILE: {"correlation_groups": [group(pooled)]}}
    schedule: list[dict[str, Any]] = []
    study_seasons = sorted({c.season_id for c in case.calendar if c.season_id is not None})
    defs = case.stages_file.season_definitions
    cycle_ids = [s.id for s in defs.seasons] if defs is not None else study_seasons
    if len(set(cycle_ids)) > 1:
        width = len(str(max(cycle_ids)))
        for season in study_seasons:
            matrix, fewest = _pairwise_correlation(values[season_of == season])
            if fewest < MIN_SEASON_PAIRS:
                continue
            name = f"season_{season:0{width}d}"
            profiles[name] = {"correlation_groups": [group(matrix)]}
            schedule += [
                {"stage_id": c.stage_id, "profile_name": name}
                for c in case.calendar
                if c.season_id == season
            ]
    return CorrelationFile.model_validate(
        {"method": "spectral", "profiles": profiles, "schedule": schedule or None}
    )


# ── what a case uses ────────────────────────────────────────────────────────────────────────────


def read_correlation_file(path: Path) -> CorrelationFile:
    """Parse a ``correlation.json`` file; raises ``CobreError`` (SchemaViolation) when invalid."""
    try:
        return CorrelationFile.model_validate_json(path.read_bytes())
    except ValueError as exc:
        raise CobreError(
            record(
                ErrorKind.SCHEMA_VIOLATION,
                f"{CORRELATION_FILE} is not a valid correlation file: {exc}",
                "Validate the case to see every problem of the file.",
                file=CORRELATION_FILE,
            )
        ) from exc


def _read_history(case: Case) -> tuple[list[date], list[int], list[float]] | None:
    if case.path is None or not (case.path / HISTORY_FILE).is_file():
        return None
    table = pq.read_table(case.path / HISTORY_FILE, columns=["hydro_id", "date", "value_m3s"])
    cols = table.to_pydict()
    return cols["date"], cols["hydro_id"], cols["value_m3s"]


def noise_correlation(case: Case) -> NoiseCorrelation | None:
    """The correlation ``case`` uses: its ``correlation.json``, else estimated, else None.

    The estimate (module docstring) applies only when the case's PAR model was estimated from
    its inflow history; a user-given model without ``correlation.json`` is uncorrelated, as
    upstream (paths 000, 010, 011 and 111). Reads the files from ``case.path``; a case without a
    path is uncorrelated.
    """
    if case.path is not None and (case.path / CORRELATION_FILE).is_file():
        spec = read_correlation_file(case.path / CORRELATION_FILE)
        return resolve_correlation(case, spec, "file")
    if case.inflow_model_source != "estimated":
        return None
    history = _read_history(case)
    if history is None:
        return None
    spec = estimate_residual_correlation(case, history)
    return None if spec is None else resolve_correlation(case, spec, "estimated")


def identity_correlation_file() -> CorrelationFile:
    """The file form of independent noise: a ``"default"`` profile without groups."""
    return CorrelationFile.model_validate(
        {"method": "spectral", "profiles": {DEFAULT_PROFILE: {"correlation_groups": []}}}
    )


def correlate_opening_tree(case: Case, tree: OpeningTree) -> OpeningTree:
    """``tree`` with the correlation of ``case`` (:func:`noise_correlation`) applied.

    Each generated stage's openings get the groups of its stage's profile (schedule read by stage
    id); a stage that shares its noise group's draw with the previous stage copies the previous
    stage's already-correlated openings, as upstream; stages given by
    ``scenarios/noise_openings.parquet`` are used as they are. Without correlation the very same
    tree object is returned, so the default tree stays bit-identical.
    """
    corr = noise_correlation(case)
    if corr is None:
        return tree
    user = case.user_openings or {}
    out: list[FloatArray] = []
    for t, block in enumerate(tree.openings):
        sid = case.calendar[t].stage_id
        if sid in user:
            out.append(block)
        elif t > 0 and block is tree.openings[t - 1]:
            out.append(out[-1])
        else:
            new = correlate(block, corr.groups_for_stage_id(sid))
            if new is not block:
                new.setflags(write=False)
            out.append(new)
    return OpeningTree(tuple(out), correlation=corr)
