"""Path confinement: every path a client names must resolve inside the allowed directories.

The checks follow the reference filesystem server: reject NUL bytes, expand ``~``, resolve
relative paths against the first allowed directory, collapse ``..``, resolve symlinks (for a path
that does not exist yet, those of its nearest existing ancestor), then test containment with
``is_relative_to`` against the resolved roots. Refusals name the argument and the path the client
gave, never the allowlist.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from cobre_mcp.errors import ServerErrorKind, tool_failure


def _resolve(path: Path) -> Path:
    """Resolve symlinks and ``..``; a missing tail is resolved from its nearest existing parent."""
    missing: list[str] = []
    cur = path
    while not cur.exists() and cur.parent != cur:
        if cur.is_symlink():  # a dangling symlink: refuse to guess where it points
            break
        missing.append(cur.name)
        cur = cur.parent
    resolved = cur.resolve(strict=False)
    for name in reversed(missing):
        resolved = resolved / name
    return resolved


class PathGuard:
    """The allowed directories and the write switch; use it for every client-supplied path."""

    def __init__(self, allowed_dirs: Iterable[str | Path], allow_write: bool = False) -> None:
        roots: list[Path] = []
        for raw in allowed_dirs:
            p = Path(os.path.expanduser(str(raw)))
            if p.is_dir():
                roots.append(p.resolve(strict=True))
        if not roots:
            raise ValueError("none of the allowed directories exists")
        self.roots: tuple[Path, ...] = tuple(dict.fromkeys(roots))
        self.allow_write = allow_write

    def resolve(self, raw: str, argument: str) -> Path:
        """The resolved path for ``raw`` (argument ``argument``), or PathNotAllowed."""
        if not raw or "\x00" in raw:
            raise tool_failure(
                ServerErrorKind.INVALID_ARGUMENT,
                f"{argument} must be a non-empty path without NUL bytes",
                f"Pass {argument} as a directory path.",
                argument=argument,
            )
        p = Path(os.path.expanduser(raw))
        if not p.is_absolute():
            p = self.roots[0] / p
        # Collapse ``..`` lexically first: a missing component followed by ``..`` must not
        # survive into the result, where mkdir(parents=True) would walk out of the root.
        resolved = _resolve(Path(os.path.normpath(p)))
        if not any(resolved.is_relative_to(root) for root in self.roots):
            raise tool_failure(
                ServerErrorKind.PATH_NOT_ALLOWED,
                f"{argument} is outside the directories this server may access",
                "Use a path inside the directories the server was started with "
                "(--allowed-dirs or COBRE_MCP_ALLOWED_DIRS); relative paths are taken from "
                "the first of them.",
                argument=argument,
                path=raw,
            )
        return resolved

    def require_write(self, tool: str) -> None:
        """Refuse with WriteDisabled unless the server was started with --allow-write."""
        if not self.allow_write:
            raise tool_failure(
                ServerErrorKind.WRITE_DISABLED,
                f"{tool} writes files and this server is read-only",
                "Restart the server with --allow-write (or COBRE_MCP_ALLOW_WRITE=1) to enable "
                "train, simulate and export-results.",
                tool=tool,
            )

    def writable(self, raw: str, argument: str, tool: str) -> Path:
        """A path the tool may write to: write enabled and inside the allowed directories."""
        self.require_write(tool)
        return self.resolve(raw, argument)
