"""The official MCP Inspector CLI (a TypeScript-SDK client) against ``cobre_mcp serve`` on stdio.

Needs ``npx`` and the npm registry; skips when either is unavailable. The Inspector is pinned:
on Node < 22.19 an unpinned ``npx @modelcontextprotocol/inspector`` resolves to the old 0.x
line, which has neither ``--protocol-era`` nor ``--strict``. Set ``COBRE_MCP_INSPECTOR`` to
test another version. npm's cache defaults to ``/tmp/npm-cache`` (or ``$npm_config_cache``) so
repeated runs are fast; HOME is a temporary directory because the Inspector writes
``~/.mcp-inspector``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cobre_core.examples import write_example
from tests.mcp.conftest import TOOLS

pytestmark = pytest.mark.slow

INSPECTOR = os.environ.get("COBRE_MCP_INSPECTOR", "@modelcontextprotocol/inspector@2.12.0")
FETCH_TIMEOUT = 120
RUN_TIMEOUT = 120
REPO = Path(__file__).resolve().parents[2]
ERAS = ("legacy", "modern")

Inspector = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def inspector(tmp_path_factory: pytest.TempPathFactory) -> Inspector:
    """Run ``npx -y <inspector> --cli ARGS``; skips when npx or the package is unavailable."""
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx not found")
    home = tmp_path_factory.mktemp("inspector-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COBRE_MCP_")}
    env["HOME"] = str(home)
    env.setdefault("npm_config_cache", "/tmp/npm-cache")
    env["npm_config_update_notifier"] = "false"

    def run(*args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [npx, "-y", INSPECTOR, "--cli", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            cwd=home,
            timeout=timeout,
        )

    try:
        probe = run("--version", timeout=FETCH_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.skip(f"{INSPECTOR} could not be fetched within {FETCH_TIMEOUT} s")
    if probe.returncode != 0:
        pytest.skip(f"{INSPECTOR} unavailable: {probe.stderr.strip()[-500:]}")
    return run


@pytest.fixture(scope="module")
def sandbox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inspector") / "sandbox"
    write_example("toy", root / "case")
    return root.resolve()


def target(root: Path) -> list[str]:
    """The stdio server command line, as an MCP host would launch it."""
    return [
        sys.executable,
        "-m",
        "cobre_mcp",
        "serve",
        "--allowed-dirs",
        str(root),
        "--state-dir",
        str(root / ".state"),
    ]


def diagnostics(done: subprocess.CompletedProcess[str]) -> str:
    """stderr without npm's engine warnings (Node 20 is below the Inspector's declared range)."""
    return "\n".join(line for line in done.stderr.splitlines() if "EBADENGINE" not in line).strip()


def report(done: subprocess.CompletedProcess[str]) -> str:
    return (
        f"exit {done.returncode}\n--- stdout ---\n{done.stdout[-3000:]}\n--- stderr ---\n"
        + (diagnostics(done)[-3000:])
    )


@pytest.mark.parametrize("era", ERAS)
def test_tools_list_strict(inspector: Inspector, sandbox_dir: Path, era: str) -> None:
    done = inspector(
        *target(sandbox_dir), "--method", "tools/list", "--strict", "--protocol-era", era
    )
    # --strict prints portability problems on stderr and exits 6 on error-severity ones
    assert done.returncode == 0, report(done)
    names = {tool["name"] for tool in json.loads(done.stdout)["tools"]}
    assert names == TOOLS, report(done)
    assert "0 errors" in diagnostics(done) or not diagnostics(done), report(done)


@pytest.mark.parametrize("era", ERAS)
def test_tools_call_validate(inspector: Inspector, sandbox_dir: Path, era: str) -> None:
    done = inspector(
        *target(sandbox_dir),
        "--method",
        "tools/call",
        "--tool-name",
        "validate",
        "--tool-arg",
        f"case_dir={sandbox_dir / 'case'}",
        "--protocol-era",
        era,
    )
    assert done.returncode == 0, report(done)
    result = json.loads(done.stdout)
    assert not result.get("isError"), report(done)
    assert result["structuredContent"]["valid"] is True, report(done)


@pytest.mark.xfail(
    reason="TS-SDK clients (Inspector 2.12.0) validate an isError result's structuredContent "
    "against the tool's success outputSchema (typescript-sdk #1943), so our error record is "
    "reported as a schema mismatch instead of reaching the caller",
    strict=False,
)
def test_tools_call_error_record_reaches_client(inspector: Inspector, sandbox_dir: Path) -> None:
    done = inspector(
        *target(sandbox_dir),
        "--method",
        "tools/call",
        "--tool-name",
        "validate",
        "--tool-arg",
        "case_dir=/etc",
    )
    assert "PathNotAllowed" in done.stdout + done.stderr, report(done)


def test_plain_errors_reach_a_ts_sdk_client(inspector: Inspector, sandbox_dir: Path) -> None:
    """With --plain-errors the record travels as text only, which TS-SDK clients accept."""
    done = inspector(
        *target(sandbox_dir),
        "--plain-errors",
        "--method",
        "tools/call",
        "--tool-name",
        "validate",
        "--tool-arg",
        "case_dir=/etc",
    )
    assert "PathNotAllowed" in done.stdout + done.stderr, report(done)
