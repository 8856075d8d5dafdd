"""Shared pieces of tool outputs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ToolOutput(BaseModel):
    """Base of every tool output: a one-line, human-readable ``summary`` first."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(description="One line saying what happened; read this first.")
