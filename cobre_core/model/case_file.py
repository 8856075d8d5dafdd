"""Base class of the top-level model of one Cobre case file."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field

from cobre_core.model.base import CaseModel


class CaseFileModel(CaseModel):
    """Top-level model of one case file.

    Accepts the optional, informational ``"$schema"`` key (field ``schema_``) and dumps it back
    under that alias. Each subclass names its location inside the case directory in
    ``RELATIVE_PATH`` (POSIX separators, relative to the case root).
    """

    model_config = ConfigDict(serialize_by_alias=True)

    RELATIVE_PATH: ClassVar[str] = ""

    schema_: str | None = Field(
        default=None,
        alias="$schema",
        description="JSON Schema URI for editors; informational, not validated [-]",
    )
