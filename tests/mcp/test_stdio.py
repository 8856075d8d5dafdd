"""The server as a subprocess over stdio: the SDK client in both protocol eras, and the raw wire.

``python -m cobre_mcp serve`` is what MCP hosts launch. Over stdio, stdout must carry
newline-delimited JSON-RPC only (logs belong on stderr) and the server must exit when stdin
closes.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.mcp.conftest import ERAS, TOOLS

REPO = Path(__file__).resolve().parents[2]


def serve_args(root: Path) -> list[str]:
    """``serve`` over stdio, writable, confined to ``root``."""
    return [
        "-m",
        "cobre_mcp",
        "serve",
        "--allow-write",
        "--allowed-dirs",
        str(root),
        "--state-dir",
        str(root / ".state"),
    ]


def server_env() -> dict[str, str]:
    """The caller's environment without COBRE_MCP_* settings, so flags alone configure the
    server."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COBRE_MCP_")}


async def finish(client: Client, report: dict[str, Any]) -> dict[str, Any]:
    """Poll get-job until a train/simulate job is done; returns the final report."""
    while report["status"] in ("queued", "running"):
        res = await client.call_tool("get-job", {"job_id": report["job_id"], "wait_seconds": 10})
        assert not res.is_error, res.structured_content
        report = res.structured_content
    return report


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_sdk_client_session(sandbox: Path, mode: str) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=serve_args(sandbox), env=server_env(), cwd=str(REPO)
    )
    case = str(sandbox / "case")
    with anyio.fail_after(90):
        async with Client(params, mode=mode) as client:
            tools = (await client.list_tools()).tools
            assert {t.name for t in tools} == TOOLS
            assert len(tools) == 14

            res = await client.call_tool("validate", {"case_dir": case})
            assert not res.is_error, res.structured_content
            assert res.structured_content["valid"] is True

            res = await client.call_tool(
                "train", {"case_dir": case, "iterations": 3, "wait_seconds": 30}
            )
            assert not res.is_error, res.structured_content
            job = await finish(client, res.structured_content)
            assert job["status"] == "completed", job
            assert job["train"]["iterations"] == 3
            out = job["train"]["output_dir"]

            res = await client.call_tool(
                "simulate", {"case_dir": case, "num_scenarios": 5, "wait_seconds": 30}
            )
            assert not res.is_error, res.structured_content
            sim = await finish(client, res.structured_content)
            assert sim["status"] == "completed", sim
            assert sim["simulate"]["scenarios"] == 5

            res = await client.call_tool("query-results", {"output_dir": out})
            assert not res.is_error, res.structured_content
            page = res.structured_content
            assert page["rows"], page
            assert page["total_rows"] >= len(page["rows"]) > 0
            assert all(len(row) == len(page["columns"]) for row in page["rows"])

            outside = sandbox.parent / "elsewhere"
            outside.mkdir()
            for path in (str(outside), "/etc", "../elsewhere"):
                res = await client.call_tool("validate", {"case_dir": path})
                assert res.is_error, (path, res)
                assert res.structured_content["kind"] == "PathNotAllowed", res.structured_content


class WireServer:
    """The server under ``subprocess.Popen``; every stdout line is kept for inspection."""

    def __init__(self, root: Path) -> None:
        self.stderr_path = root.parent / "server-stderr.log"
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, *serve_args(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=REPO,
            env=server_env(),
        )
        self.raw = bytearray()
        self.lines: list[bytes] = []
        self._queue: queue.Queue[bytes | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := self.proc.stdout.readline():
            self.raw += chunk
            self._queue.put(chunk)
        self._queue.put(None)

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def response(self, request_id: int, timeout: float = 60.0) -> dict[str, Any]:
        """Read stdout lines until the response to ``request_id``; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no response to request {request_id} in {timeout} s{self.stderr()}")
            if line is None:
                pytest.fail(f"server closed stdout before answering {request_id}{self.stderr()}")
            self.lines.append(line)
            message = json.loads(line)
            if message.get("id") == request_id and "method" not in message:
                return message

    def stderr(self) -> str:
        self._stderr.flush()
        return "\n--- server stderr ---\n" + self.stderr_path.read_text(errors="replace")[-4000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        self._stderr.close()


def test_raw_wire_is_pure_json_rpc(sandbox: Path) -> None:
    # A regular file where the job records go: every job write fails and is logged, so the
    # train call below makes the server log while it serves a request.
    (sandbox / ".state").mkdir()
    (sandbox / ".state" / "jobs").write_text("not a directory\n")
    server = WireServer(sandbox)
    try:
        server.send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "raw-wire-test", "version": "0"},
                },
            }
        )
        init = server.response(1)
        assert init["result"]["protocolVersion"] == "2025-11-25", init
        assert init["result"]["serverInfo"]["name"] == "cobre-mcp"
        server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

        server.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        listed = server.response(2)
        assert {t["name"] for t in listed["result"]["tools"]} == TOOLS

        server.send(
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "validate", "arguments": {"case_dir": "case"}},
            }
        )
        validated = server.response(3)
        assert validated["result"]["structuredContent"]["valid"] is True, validated

        server.send(
            {
                "jsonrpc": "2.0",
                "id": 4,
                "method": "tools/call",
                "params": {
                    "name": "train",
                    "arguments": {"case_dir": "case", "iterations": 3, "wait_seconds": 30},
                    "_meta": {"progressToken": "train-4"},
                },
            }
        )
        trained = server.response(4)
        assert not trained["result"].get("isError"), trained
        assert trained["result"]["structuredContent"]["status"] == "completed", trained

        assert server.proc.stdin is not None
        server.proc.stdin.close()
        t0 = time.monotonic()
        try:
            code = server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server still running 10 s after stdin closed{server.stderr()}")
        assert time.monotonic() - t0 < 5, "the server took over 5 s to exit after stdin closed"
        assert code == 0, f"exit code {code}{server.stderr()}"
        server._reader.join(timeout=5)

        raw = bytes(server.raw)
        assert raw.endswith(b"\n"), f"stdout ends mid-line: {raw[-200:]!r}"
        for number, line in enumerate(raw[:-1].split(b"\n"), start=1):
            try:
                message = json.loads(line)
            except ValueError:
                pytest.fail(f"stdout line {number} is not JSON: {line[:300]!r}")
            assert isinstance(message, dict), (number, line[:300])
            assert message.get("jsonrpc") == "2.0", (number, line[:300])
        assert server.stderr_path.stat().st_size > 0, "the train call was expected to log"
    finally:
        server.close()
