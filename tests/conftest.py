"""Shared fixtures: where the upstream reference cases live (../shared beside the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_CASES = Path(__file__).resolve().parents[2] / "shared" / "cobre-cases"


@pytest.fixture(scope="session")
def shared_cases() -> Path:
    """The upstream reference cases; skips when ../shared is absent."""
    if not SHARED_CASES.is_dir():
        pytest.skip(f"upstream reference cases not found at {SHARED_CASES}")
    return SHARED_CASES
