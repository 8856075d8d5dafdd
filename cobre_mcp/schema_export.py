"""Write the MCP tool schemas to ``schemas/mcp``: ``<tool>.input.json``, ``<tool>.output.json``
and ``error.json`` (the error record). Generated from the server's tool list, i.e. from the
pydantic models; ``make schemas`` runs this and a test fails when the committed files drift.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from cobre_core.errors import ErrorRecord
from cobre_core.schema_export import JSON_SCHEMA_DIALECT, schema_drift, write_schemas
from cobre_mcp.app import ServerSettings

MCP_SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas" / "mcp"
SUFFIX = ".json"


def _text(schema: dict) -> str:
    schema = {"$schema": JSON_SCHEMA_DIALECT, **schema}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate_mcp_schemas() -> dict[str, str]:
    """File name -> schema text for every tool's input and output, plus the error record."""
    from cobre_mcp.server import build_server

    app = build_server(ServerSettings(allowed_dirs=(".",), state_dir=None))
    tools = asyncio.run(app.server.list_tools())
    out = {"error.json": _text(ErrorRecord.model_json_schema())}
    for tool in tools:
        out[f"{tool.name}.input.json"] = _text(tool.input_schema)
        out[f"{tool.name}.output.json"] = _text(tool.output_schema or {})
    return dict(sorted(out.items()))


def mcp_schema_drift(directory: Path = MCP_SCHEMA_DIR) -> list[str]:
    """Differences between ``directory`` and freshly generated tool schemas."""
    return schema_drift(directory, generate_mcp_schemas(), SUFFIX)


def main(argv: list[str] | None = None) -> int:
    """Write the schemas, or with ``--check`` only report drift (exit 1)."""
    parser = argparse.ArgumentParser(prog="python -m cobre_mcp.schema_export")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        problems = mcp_schema_drift()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for path in write_schemas(MCP_SCHEMA_DIR, generate_mcp_schemas(), SUFFIX):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
