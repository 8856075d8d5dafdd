"""Base class of every case-file model.

Models mirror upstream's files field for field (names, types, defaults, units). They are immutable.
Unknown keys are kept out of the model (``extra="ignore"``); the validator reports them as warnings,
so a newer case file still loads while nothing is silently dropped.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CaseModel(BaseModel):
    """Immutable pydantic model for one object of a Cobre case file."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
