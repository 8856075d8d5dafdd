"""What every tool shares: settings, the path guard, the case registry and the job manager.

``App`` is built once per server by :func:`cobre_mcp.server.build_server`; tool modules receive it
in their ``register(app)`` function and close over it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from cobre_mcp.case_registry import CaseRegistry
from cobre_mcp.jobs import JobManager
from cobre_mcp.sandbox import PathGuard

ENV_ALLOWED_DIRS = "COBRE_MCP_ALLOWED_DIRS"
ENV_ALLOW_WRITE = "COBRE_MCP_ALLOW_WRITE"
ENV_STATE_DIR = "COBRE_MCP_STATE_DIR"
ENV_AUTH_TOKEN = "COBRE_MCP_AUTH_TOKEN"
ENV_PLAIN_ERRORS = "COBRE_MCP_PLAIN_ERRORS"


def default_state_dir() -> Path:
    """``$COBRE_MCP_STATE_DIR``, else ``$XDG_STATE_HOME/cobre-mcp`` (``~/.local/state/...``)."""
    if os.environ.get(ENV_STATE_DIR):
        return Path(os.environ[ENV_STATE_DIR]).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base).expanduser() / "cobre-mcp"


def env_allowed_dirs() -> list[str]:
    """Directories from ``$COBRE_MCP_ALLOWED_DIRS`` (``os.pathsep``-separated), else the cwd."""
    raw = os.environ.get(ENV_ALLOWED_DIRS, "")
    dirs = [d for d in raw.split(os.pathsep) if d]
    return dirs or [os.getcwd()]


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ServerSettings:
    """How a server is configured; see ``cobre-mcp serve --help``."""

    allowed_dirs: tuple[str, ...] = field(default_factory=lambda: tuple(env_allowed_dirs()))
    allow_write: bool = field(default_factory=lambda: env_flag(ENV_ALLOW_WRITE))
    state_dir: Path | None = field(default_factory=default_state_dir)
    max_jobs: int = 1
    """Jobs that run at once; further ones queue. One uses both cores through solver threads."""
    default_threads: int = 1
    """Solver threads for train/simulate when the call does not say."""
    parallel: str = "auto"
    """How train runs its workers: "threads", "processes" (worker interpreters: real parallel
    HiGHS solves, same results, about a second to start), or "auto": processes for a long run
    on 2+ threads (``cobre_core.study_runs.choose_parallel``)."""
    plain_errors: bool = field(default_factory=lambda: env_flag(ENV_PLAIN_ERRORS))
    """Error records only as text, not structuredContent (for clients that reject them)."""


@dataclass
class App:
    """The server plus its shared state."""

    settings: ServerSettings
    server: MCPServer
    guard: PathGuard
    cases: CaseRegistry
    jobs: JobManager


def read_only(title: str) -> ToolAnnotations:
    """Annotations of a tool that reads only (never touches the user's files)."""
    return ToolAnnotations(
        title=title,
        read_only_hint=True,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=False,
    )


def writes(title: str, *, idempotent: bool, destructive: bool = True) -> ToolAnnotations:
    """Annotations of a tool that writes files (needs --allow-write)."""
    return ToolAnnotations(
        title=title,
        read_only_hint=False,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )
