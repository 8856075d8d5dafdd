"""Integer types shared by the case-file models.

Upstream declares every identifier and stage index as ``format: int32``; the alias below keeps
that range check (and only that) on the Python side.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
"""A signed 32-bit integer (upstream ``format: int32``): entity ids, stage ids, counts."""
