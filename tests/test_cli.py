"""The ``cobre-mcp validate`` command prints the JSON report and signals validity by exit code."""

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
