"""The ``cobre-mcp`` command: validate, call (the scripted path) and tools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cobre_core.examples import write_example
from cobre_mcp.cli import main


def test_validate_prints_report_and_exits_zero(tmp_path: Path, capsys) -> None:
    root = write_example("toy", tmp_path / "c")
    assert main(["validate", str(root)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True
    assert report["summary"]["layers_completed"] == 5


def test_validate_invalid_case_exits_one(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(tmp_path / "missing")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["errors"][0]["kind"] == "MissingFile"


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit):
        main(["nope"])


def test_call_prints_structured_result(tmp_path: Path, capsys, monkeypatch) -> None:
    write_example("toy", tmp_path / "case")
    monkeypatch.chdir(tmp_path)
    args = ["call", "--state-dir", str(tmp_path / "state"), "validate", '{"case_dir": "case"}']
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is True and out["summary"].startswith("case is valid")


def test_call_exits_one_on_tool_error(tmp_path: Path, capsys, monkeypatch) -> None:
    write_example("toy", tmp_path / "case")
    monkeypatch.chdir(tmp_path)
    args = ["call", "--state-dir", str(tmp_path / "state"), "train", '{"case_dir": "case"}']
    assert main(args) == 1  # read-only by default
    assert json.loads(capsys.readouterr().out)["kind"] == "WriteDisabled"
    assert not (tmp_path / "case" / "output").exists()


def test_call_runs_a_job_to_completion(tmp_path: Path, capsys, monkeypatch) -> None:
    write_example("toy", tmp_path / "case")
    monkeypatch.chdir(tmp_path)
    args = [
        "call",
        "--allow-write",
        "--state-dir",
        str(tmp_path / "state"),
        "train",
        '{"case_dir": "case", "iterations": 3, "wait_seconds": 0}',
    ]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "completed" and out["train"]["iterations"] == 3


def test_call_rejects_non_json_arguments(capsys) -> None:
    assert main(["call", "validate", "{nope"]) == 2
    assert json.loads(capsys.readouterr().out)["kind"] == "InvalidArgument"


def test_tools_lists_every_tool_with_schemas(capsys) -> None:
    assert main(["tools"]) == 0
    tools = json.loads(capsys.readouterr().out)
    assert len(tools) == 14
    assert all(t["inputSchema"]["type"] == "object" and t["outputSchema"] for t in tools)


def test_serve_freezes_the_start_up_heap_before_serving(tmp_path: Path, monkeypatch) -> None:
    """Full collections would walk the server's whole start-up heap (100+ ms pauses seen as slow
    ``tools/list`` calls during a train); ``serve`` freezes it before taking requests."""
    import gc

    from mcp.server.mcpserver import MCPServer

    seen: list[int] = []
    monkeypatch.setattr(MCPServer, "run", lambda self, *a, **k: seen.append(gc.get_freeze_count()))
    monkeypatch.setattr(gc, "freeze", lambda: seen.append(-1))  # keep the test process as it is
    args = ["serve", "--allowed-dirs", str(tmp_path), "--state-dir", str(tmp_path / ".state")]
    assert main(args) == 0
    assert seen[0] == -1  # frozen, then served
    assert len(seen) == 2


def test_call_stdout_is_only_json_in_a_fresh_process(tmp_path: Path) -> None:
    """HiGHS prints a banner to fd 1 on a process's first instance; ``call`` output must still
    parse as one JSON document (the test runs a new process, where that first instance is)."""
    import subprocess
    import sys

    write_example("toy", tmp_path / "case")
    args = ["--allow-write", "--state-dir", str(tmp_path / "state"), "train"]
    job = '{"case_dir": "case", "iterations": 2}'
    cmd = [sys.executable, "-m", "cobre_mcp", "call", *args, job]
    out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["status"] == "completed"
