"""The committed schemas/mcp files match what the tool models generate."""

from __future__ import annotations

import json

from cobre_mcp.schema_export import MCP_SCHEMA_DIR, generate_mcp_schemas, mcp_schema_drift


def test_committed_tool_schemas_equal_generated() -> None:
    problems = mcp_schema_drift()
    assert not problems, "run `make schemas` and commit schemas/mcp/: " + "; ".join(problems)


def test_every_tool_has_input_and_output_schema() -> None:
    names = generate_mcp_schemas()
    tools = {n.split(".")[0] for n in names if n != "error.json"}
    assert len(tools) == 14
    for tool in tools:
        assert (MCP_SCHEMA_DIR / f"{tool}.input.json").is_file()
        out = json.loads((MCP_SCHEMA_DIR / f"{tool}.output.json").read_text())
        assert "summary" in out["required"]


def test_error_record_schema_has_the_four_fields() -> None:
    schema = json.loads((MCP_SCHEMA_DIR / "error.json").read_text())
    assert set(schema["properties"]) == {"kind", "message", "context", "suggestion"}
