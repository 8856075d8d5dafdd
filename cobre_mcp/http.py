"""Streamable HTTP transport: loopback by default with Host/Origin checks, a bearer token elsewhere.

On 127.0.0.1 / localhost / ::1 the SDK's DNS-rebinding protection is on (a bad Origin gets 403,
a bad Host 421). Binding any other address is refused unless a bearer token is configured; every
request must then carry ``Authorization: Bearer <token>`` (401 otherwise). A token may also be
set on loopback.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

import anyio
from mcp.server.transport_security import TransportSecuritySettings

from cobre_mcp.app import App

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class BearerAuth:
    """ASGI middleware: reject HTTP requests without the expected bearer token."""

    def __init__(self, inner: Any, token: str) -> None:
        self.inner = inner
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = json.dumps({"error": "unauthorized"}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="cobre-mcp"'),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.inner(scope, receive, send)


class StopJobsOnShutdown:
    """ASGI middleware: on lifespan shutdown (SIGTERM, Ctrl-C), cancel running jobs and wait for
    them to publish their completed iterations, before the process exits."""

    def __init__(self, inner: Any, app: App) -> None:
        self.inner = inner
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.inner(scope, receive, send)
            return

        async def receive_and_stop() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await anyio.to_thread.run_sync(self.app.jobs.shutdown)
            return message

        await self.inner(scope, receive_and_stop, send)


def http_app(app: App, host: str, port: int, token: str | None) -> Any:
    """The ASGI app serving MCP at ``/mcp``; raises ValueError for an unsafe configuration."""
    if host not in LOOPBACK and not token:
        raise ValueError(
            f"binding {host} exposes the server beyond this machine; set --auth-token "
            "(or COBRE_MCP_AUTH_TOKEN) or bind 127.0.0.1"
        )
    if host in LOOPBACK:
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=[f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]")]
            + ["127.0.0.1", "localhost", "[::1]"],
            allowed_origins=[f"http://{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]")],
        )
    else:  # the token is the guard; Host/Origin vary with how clients reach us
        security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    asgi = StopJobsOnShutdown(
        app.server.streamable_http_app(host=host, transport_security=security), app
    )
    return BearerAuth(asgi, token) if token else asgi


def serve_http(app: App, host: str, port: int, token: str | None) -> None:
    """Run uvicorn until interrupted; jobs are cancelled cleanly on the way out."""
    import uvicorn

    asgi = http_app(app, host, port, token)
    try:
        uvicorn.run(asgi, host=host, port=port, log_level="warning")
    finally:
        app.jobs.shutdown()
