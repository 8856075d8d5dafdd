"""Field types shared by the case-file models: int32 ids and ISO calendar dates.

Upstream declares every identifier and stage index as ``format: int32``; the alias below keeps
that range check (and only that) on the Python side.
"""

from __future__ import annotations

import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
"""A signed 32-bit integer (upstream ``format: int32``): entity ids, stage ids, counts."""


def _date_from_iso_text(value: object) -> object:
    """Accept ``YYYY-MM-DD`` text or a date; refuse numbers (pydantic would read epochs)."""
    if isinstance(value, datetime.datetime):
        raise ValueError("expected a date (YYYY-MM-DD), got a date and time")
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 date string (YYYY-MM-DD)")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"invalid date {value!r}, expected YYYY-MM-DD") from None


IsoDate = Annotated[datetime.date, BeforeValidator(_date_from_iso_text)]
"""A calendar date written as ``YYYY-MM-DD`` (JSON Schema ``format: date``)."""
