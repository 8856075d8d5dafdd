"""The server over streamable HTTP as a subprocess: SDK clients in both protocol eras, the
DNS-rebinding guards (Origin 403, Host 421), the refusal to bind beyond loopback without a token,
and bearer-token authentication."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

from cobre_core.examples import write_example
from tests.mcp.conftest import ERAS

REPO = Path(__file__).resolve().parents[2]
TOKEN = "s3cret"
TOOL_COUNT = 14
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "http-test", "version": "0"},
    },
}
POST_HEADERS = {"Accept": "application/json, text/event-stream"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env() -> dict[str, str]:
    """The caller's environment without COBRE_MCP_* settings (notably no auth token)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COBRE_MCP_")}


def serve_command(root: Path, port: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cobre_mcp",
        "serve",
        "--transport",
        "http",
        "--port",
        str(port),
        "--allowed-dirs",
        str(root),
        "--state-dir",
        str(root / ".state"),
        *extra,
    ]


@dataclass
class HttpServer:
    proc: subprocess.Popen[bytes]
    port: int
    root: Path
    log: Path
    log_file: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def stderr(self) -> str:
        if not self.log_file.closed:
            self.log_file.flush()
        return "\n--- server output ---\n" + self.log.read_text(errors="replace")[-4000:]


def spawn_server(root: Path, *extra: str) -> HttpServer:
    """Start ``serve --transport http`` on a free port (see :func:`wait_listening`)."""
    port = free_port()
    log = root.parent / f"http-{port}.log"
    log_file = log.open("wb")
    proc = subprocess.Popen(
        serve_command(root, port, *extra),
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        env=server_env(),
    )
    return HttpServer(proc, port, root, log, log_file)


def wait_listening(server: HttpServer, timeout: float = 30.0) -> None:
    """Return once the server's port accepts connections; fail if it exits or times out."""
    deadline = time.monotonic() + timeout
    while True:
        if server.proc.poll() is not None:
            stop_server(server)
            code = server.proc.returncode
            pytest.fail(f"server exited with {code} before listening{server.stderr()}")
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                stop_server(server)
                pytest.fail(f"server not listening after {timeout} s{server.stderr()}")
            time.sleep(0.05)


def stop_server(server: HttpServer) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=10)
    server.log_file.close()


def make_root(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    root = tmp_path_factory.mktemp(name) / "sandbox"
    write_example("toy", root / "case")
    return root.resolve()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, HttpServer]]:
    """Two loopback servers, started together: ``plain`` (the default HTTP configuration)
    and ``token`` (requires ``Authorization: Bearer s3cret``)."""
    started: dict[str, HttpServer] = {}
    try:
        started["plain"] = spawn_server(make_root(tmp_path_factory, "http"))
        started["token"] = spawn_server(
            make_root(tmp_path_factory, "http-token"), "--auth-token", TOKEN
        )
        for srv in started.values():
            wait_listening(srv)
        yield started
    finally:
        for srv in started.values():
            stop_server(srv)


@pytest.fixture
def server(servers: dict[str, HttpServer]) -> HttpServer:
    return servers["plain"]


@pytest.fixture
def token_server(servers: dict[str, HttpServer]) -> HttpServer:
    return servers["token"]


async def list_and_validate(client: Client, root: Path) -> None:
    tools = (await client.list_tools()).tools
    assert len(tools) == TOOL_COUNT
    assert "validate" in {t.name for t in tools}
    res = await client.call_tool("validate", {"case_dir": str(root / "case")})
    assert not res.is_error, res.structured_content
    assert res.structured_content["valid"] is True
    res = await client.call_tool("validate", {"case_dir": "/etc"})
    assert res.is_error
    assert res.structured_content["kind"] == "PathNotAllowed"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_sdk_client(server: HttpServer, mode: str) -> None:
    with anyio.fail_after(60):
        async with Client(server.url, mode=mode) as client:
            await list_and_validate(client, server.root)


def post_initialize(url: str, **headers: str) -> httpx2.Response:
    return httpx2.post(url, json=INITIALIZE, headers={**POST_HEADERS, **headers}, timeout=10)


def test_plain_initialize_is_accepted(server: HttpServer) -> None:
    """The control for the rejections below: the same request, well-formed, succeeds."""
    assert post_initialize(server.url).status_code == 200
    local = post_initialize(server.url, Origin=f"http://localhost:{server.port}")
    assert local.status_code == 200


def test_foreign_origin_is_rejected(server: HttpServer) -> None:
    res = post_initialize(server.url, Origin="http://evil.example")
    assert res.status_code == 403, res.text
    # same host, other port: still another origin
    res = post_initialize(server.url, Origin=f"http://127.0.0.1:{server.port + 1}")
    assert res.status_code == 403, res.text


def test_foreign_host_is_rejected(server: HttpServer) -> None:
    res = post_initialize(server.url, Host="evil.example")
    assert res.status_code == 421, res.text
    res = post_initialize(server.url, Host=f"evil.example:{server.port}")
    assert res.status_code == 421, res.text


def test_public_bind_without_token_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "sandbox"
    root.mkdir()
    t0 = time.monotonic()
    done = subprocess.run(
        serve_command(root, free_port(), "--host", "0.0.0.0"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        cwd=REPO,
        env=server_env(),
        timeout=30,
    )
    assert done.returncode != 0, done.stderr.decode()
    assert time.monotonic() - t0 < 20
    assert b"auth-token" in done.stderr, done.stderr.decode()


def test_token_required(token_server: HttpServer) -> None:
    missing = post_initialize(token_server.url)
    assert missing.status_code == 401, missing.text
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = post_initialize(token_server.url, Authorization="Bearer wrong")
    assert wrong.status_code == 401
    bare = post_initialize(token_server.url, Authorization=TOKEN)
    assert bare.status_code == 401
    ok = post_initialize(token_server.url, Authorization=f"Bearer {TOKEN}")
    assert ok.status_code == 200, ok.text
    # the token does not switch the loopback Origin guard off
    foreign = post_initialize(
        token_server.url, Authorization=f"Bearer {TOKEN}", Origin="http://evil.example"
    )
    assert foreign.status_code == 403


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_sdk_client_with_token(token_server: HttpServer, mode: str) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with anyio.fail_after(60):
        async with (
            create_mcp_http_client(headers=headers) as http,
            Client(streamable_http_client(token_server.url, http_client=http), mode=mode) as c,
        ):
            await list_and_validate(c, token_server.root)


def leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_sdk_client_without_token_fails(token_server: HttpServer, mode: str) -> None:
    with anyio.fail_after(30), pytest.raises(Exception) as info:
        async with Client(token_server.url, mode=mode) as client:
            await client.list_tools()
    assert any(isinstance(e, MCPError) for e in leaves(info.value)), info.value
