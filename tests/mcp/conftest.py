"""Fixtures for the MCP server tests: a sandbox with the toy case, servers and clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client
from mcp.client._memory import InMemoryTransport

from cobre_core.examples import write_example
from cobre_mcp.app import App, ServerSettings
from cobre_mcp.server import build_server

ERAS = ("legacy", "2026-07-28")
"""Protocol eras: the 2025-11-25 handshake today's hosts use, and the stateless revision."""
TOOLS = frozenset(
    {
        "load-case",
        "validate",
        "list-scenarios",
        "get-config-schema",
        "train",
        "simulate",
        "get-job",
        "cancel-job",
        "list-jobs",
        "query-results",
        "query-convergence",
        "inspect-policy",
        "compare-policies",
        "export-results",
    }
)
"""Every tool the server lists."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """An allowed directory holding the toy example at ``case/``."""
    root = tmp_path / "sandbox"
    write_example("toy", root / "case")
    return root.resolve()


@pytest.fixture
def make_app(sandbox: Path) -> Iterator[Callable[..., App]]:
    """Build servers confined to the sandbox; every job pool is shut down afterwards."""
    apps: list[App] = []

    def make(allow_write: bool = True, state_dir: Path | None = None, **kw: Any) -> App:
        settings = ServerSettings(
            allowed_dirs=(str(sandbox),),
            allow_write=allow_write,
            state_dir=state_dir if state_dir is not None else sandbox.parent / "state",
            **kw,
        )
        app = build_server(settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.jobs.shutdown(timeout=60)


@pytest.fixture
async def client(make_app: Callable[..., App]) -> AsyncIterator[Client]:
    """A wire-level in-memory client (legacy handshake) on a writable server."""
    async with Client(InMemoryTransport(make_app().server), mode="legacy") as c:
        yield c


def check_output(tools: dict[str, Any], name: str, structured: Any) -> None:
    """Assert ``structured`` validates against tool ``name``'s outputSchema."""
    jsonschema.validate(structured, tools[name].output_schema)


def check_error(result: Any, kind: str) -> dict[str, Any]:
    """Assert an isError result whose structured content is one record of ``kind``."""
    assert result.is_error, result
    rec = result.structured_content
    assert set(rec) == {"kind", "message", "context", "suggestion"}
    assert rec["kind"] == kind, rec
    assert "Traceback" not in str(result.content)
    return rec
