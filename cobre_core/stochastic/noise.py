"""Opening trees and forward sampling from a seed.

The opening tree is upstream Cobre's, bit for bit (:mod:`cobre_core.stochastic.upstream_noise`:
SipHash-1-3 seed per (seed, opening, stage id), PCG64, Ziggurat normal), so SAA problems, and
hence converged lower bounds, match upstream's. The forward and simulation opening choices use
this project's own generator: NumPy's PCG64 seeded by a ``SeedSequence`` over a tuple of
non-negative integers, so a value depends only on its coordinates, never on thread count or call
order:

* the forward opening choice of ``(iteration, scenario)``:
  ``SeedSequence([seed, 1, iteration, scenario])`` -> one ``integers(0, n_t)`` per stage, in order;
* simulation scenario ``k``: ``SeedSequence([seed, 2, k])`` likewise.

Noise groups: consecutive stages with the same ``(season_id, start year)`` share one draw (the later
stage copies the earlier one's openings); a stage without ``season_id`` is its own group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cobre_core.stochastic.upstream_noise import opening_noise

_FORWARD, _SIMULATION = 1, 2


def _rng(*key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([abs(k) for k in key])))


@dataclass(frozen=True)
class OpeningTree:
    """``openings[t]`` is an array ``(num_openings_t, dim)`` of standard-normal noise vectors.

    ``correlation`` is the :class:`~cobre_core.stochastic.correlation.NoiseCorrelation` already
    applied to the generated openings (None: independent noise); samplers reuse it for their own
    draws, and the stochastic export writes it.
    """

    openings: tuple[NDArray[np.float64], ...]
    correlation: Any = field(default=None, compare=False)

    def count(self, t: int) -> int:
        return int(self.openings[t].shape[0])


def noise_groups(seasons: Sequence[int | None], start_years: Sequence[int]) -> list[int]:
    """Group id per stage; a stage joins the previous stage's group when both keys match."""
    groups: list[int] = []
    for t, (season, year) in enumerate(zip(seasons, start_years, strict=True)):
        same = (
            t > 0 and season is not None and seasons[t - 1] == season and start_years[t - 1] == year
        )
        groups.append(groups[-1] if same else (groups[-1] + 1 if groups else 0))
    return groups


def generate_opening_tree(
    seed: int,
    stage_ids: Sequence[int],
    num_openings: Sequence[int],
    dim: int,
    groups: Sequence[int],
    user: Mapping[int, NDArray[np.float64]] | None = None,
) -> OpeningTree:
    """Draw the opening tree; stages of one group with equal opening counts share draws.

    ``user`` (stage id -> ``(n, dim)`` array, from scenarios/noise_openings.parquet) replaces the
    draws of the stages it lists.
    """
    out: list[NDArray[np.float64]] = []
    for t, (sid, n) in enumerate(zip(stage_ids, num_openings, strict=True)):
        if user and sid in user:
            out.append(user[sid])
            continue
        if t > 0 and groups[t] == groups[t - 1] and out[-1].shape[0] == n:
            out.append(out[-1])
            continue
        block = np.empty((n, dim))
        for o in range(n):
            block[o] = opening_noise(seed, sid, o, dim)
        block.setflags(write=False)
        out.append(block)
    return OpeningTree(tuple(out))


def forward_openings(
    seed: int, iteration: int, scenario: int, num_openings: Sequence[int]
) -> NDArray[np.int64]:
    """In-sample opening index per stage for one forward trajectory."""
    rng = _rng(seed, _FORWARD, iteration, scenario)
    return np.array([rng.integers(0, n) for n in num_openings], dtype=np.int64)


def simulation_openings(seed: int, scenario: int, num_openings: Sequence[int]) -> NDArray[np.int64]:
    """In-sample opening index per stage for one simulation scenario."""
    rng = _rng(seed, _SIMULATION, scenario)
    return np.array([rng.integers(0, n) for n in num_openings], dtype=np.int64)
