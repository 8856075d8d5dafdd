"""The module-wide thread default used by Study runs."""

from __future__ import annotations

import pytest

import cobre_core as cc
from cobre_core.threads import DEFAULT_THREADS, resolve_threads


def test_set_get_and_reset(default_threads: None) -> None:
    assert cc.get_default_threads() == DEFAULT_THREADS == 1
    cc.set_default_threads(3)
    assert cc.get_default_threads() == 3
    assert resolve_threads(None) == 3
    assert resolve_threads(2) == 2
    cc.set_default_threads(None)
    assert cc.get_default_threads() == DEFAULT_THREADS


@pytest.mark.parametrize("bad", [0, -2, 1.5, "4", True])
def test_invalid_counts_are_rejected(bad: object, default_threads: None) -> None:
    with pytest.raises(ValueError):
        cc.set_default_threads(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        resolve_threads(bad)  # type: ignore[arg-type]
    assert cc.get_default_threads() == DEFAULT_THREADS
