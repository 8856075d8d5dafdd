"""Refusals: paths outside the sandbox, writes on a read-only server, unknown handles, bad
arguments. Each is an isError result with one record of the right kind, and nothing is written."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client
from mcp.client._memory import InMemoryTransport
from mcp.shared.exceptions import MCPError

from cobre_mcp.app import App
from tests.mcp.conftest import check_error

pytestmark = pytest.mark.anyio


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize(
    "path",
    ["/etc", "../", "case/../../", "~", "case/\x00x"],
    ids=["absolute", "dotdot", "nested-dotdot", "home", "nul"],
)
async def test_path_escapes_are_refused(
    path: str, make_app: Callable[..., App], sandbox: Path
) -> None:
    async with Client(InMemoryTransport(make_app().server), mode="legacy") as c:
        res = await c.call_tool("validate", {"case_dir": path})
        kind = "InvalidArgument" if "\x00" in path else "PathNotAllowed"
        rec = check_error(res, kind)
        assert str(sandbox) not in str(res.structured_content), "refusal reveals the allowlist"
        assert rec["context"]["argument"] == "case_dir"


async def test_symlink_escape_is_refused(
    make_app: Callable[..., App], sandbox: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside_case"
    outside.mkdir()
    os.symlink(outside, sandbox / "link")
    async with Client(InMemoryTransport(make_app().server), mode="legacy") as c:
        check_error(await c.call_tool("validate", {"case_dir": "link"}), "PathNotAllowed")
        res = await c.call_tool(
            "train", {"case_dir": "case", "output_dir": "link/out", "wait_seconds": 0}
        )
        check_error(res, "PathNotAllowed")
    assert not any(outside.iterdir())


async def test_writes_need_allow_write(make_app: Callable[..., App], sandbox: Path) -> None:
    before = _tree(sandbox)
    async with Client(InMemoryTransport(make_app(allow_write=False).server), mode="legacy") as c:
        assert not (await c.call_tool("validate", {"case_dir": "case"})).is_error
        for tool, args in [
            ("train", {"case_dir": "case"}),
            ("simulate", {"case_dir": "case"}),
            ("export-results", {"output_dir": "case"}),
        ]:
            rec = check_error(await c.call_tool(tool, args), "WriteDisabled")
            assert "--allow-write" in rec["suggestion"]
    assert _tree(sandbox) == before


async def test_unknown_handles(client: Client) -> None:
    check_error(await client.call_tool("get-job", {"job_id": "job_0"}), "JobNotFound")
    check_error(await client.call_tool("cancel-job", {"job_id": "nope"}), "JobNotFound")
    check_error(await client.call_tool("list-scenarios", {"case_id": "case_0"}), "CaseNotFound")


async def test_bad_arguments(client: Client, sandbox: Path) -> None:
    rec = check_error(
        await client.call_tool("train", {"case_dir": "case", "iterations": "many"}),
        "InvalidArgument",
    )
    assert rec["context"]["problems"][0]["argument"] == "iterations"
    check_error(await client.call_tool("validate", {}), "InvalidArgument")  # neither argument
    check_error(
        await client.call_tool("validate", {"case_dir": "case", "case_id": "x"}), "InvalidArgument"
    )
    check_error(
        await client.call_tool("query-results", {"output_dir": "case", "limit": 0}),
        "InvalidArgument",
    )
    with pytest.raises(MCPError):
        await client.call_tool("no-such-tool", {})


async def test_missing_outputs_and_invalid_cases(client: Client, sandbox: Path) -> None:
    check_error(await client.call_tool("query-results", {"output_dir": "case"}), "OutputNotFound")
    check_error(
        await client.call_tool("query-convergence", {"output_dir": "case"}), "OutputNotFound"
    )
    check_error(
        await client.call_tool("simulate", {"case_dir": "case", "wait_seconds": 0}),
        "OutputNotFound",
    )
    (sandbox / "case" / "stages.json").write_text("{not json")
    rec = check_error(await client.call_tool("load-case", {"case_dir": "case"}), "ParseError")
    assert rec["context"]["file"] == "stages.json"
    report = (await client.call_tool("validate", {"case_dir": "case"})).structured_content
    assert report["valid"] is False and report["errors"][0]["kind"] == "ParseError"


async def test_stored_policies_outside_the_sandbox_are_refused(
    make_app: Callable[..., App], sandbox: Path, tmp_path: Path
) -> None:
    """A case whose config warm-starts from (or takes boundary cuts from) a policy outside the
    allowed directories is refused before any job starts."""
    import json

    config = sandbox / "case" / "config.json"
    cfg = json.loads(config.read_text())
    cfg["policy"] = {"mode": "warm_start", "path": str(tmp_path / "elsewhere" / "policy")}
    config.write_text(json.dumps(cfg))
    before = _tree(sandbox)
    async with Client(InMemoryTransport(make_app().server), mode="legacy") as c:
        res = await c.call_tool("train", {"case_dir": "case", "wait_seconds": 0})
        rec = check_error(res, "PathNotAllowed")
        assert rec["context"]["argument"] == "config.json policy"
    assert _tree(sandbox) == before
