"""The MCP server: MCPServer plus our error mapping, tools, resources and prompts.

:func:`build_server` is the one constructor (the CLI, tests and the demo use it). Every tool is
a thin wrapper over one cobre_core call; see ``cobre_mcp/tools``. Any exception a tool raises
becomes an ``isError`` result with one error record in ``structuredContent``
(:mod:`cobre_mcp.errors`); an unknown tool name is a JSON-RPC invalid-params error.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult

import cobre_core
from cobre_mcp import prompts, resources
from cobre_mcp.app import App, ServerSettings
from cobre_mcp.case_registry import CaseRegistry
from cobre_mcp.errors import error_result, record_for_exception
from cobre_mcp.jobs import JobManager
from cobre_mcp.sandbox import PathGuard
from cobre_mcp.tools import cases, jobs, results, runs

log = logging.getLogger("cobre_mcp")

INSTRUCTIONS = """\
cobre-mcp runs Cobre hydrothermal dispatch studies (SDDP on HiGHS).
Typical flow: validate (case_dir) -> load-case -> train (returns a job; poll get-job) ->
simulate -> query-results / query-convergence. Paths must lie inside the server's allowed
directories; train, simulate and export-results need the server started with --allow-write.
Failures come back as one record {kind, message, context, suggestion}: read the suggestion."""


def strip_titles(schema: Any, parent: str | None = None) -> Any:
    """``schema`` without pydantic's generated ``title`` keywords (a property named ``title`` is
    kept). Titles repeat field names and cost tokens on every turn of a host's conversation."""
    if isinstance(schema, dict):
        return {
            k: strip_titles(v, k)
            for k, v in schema.items()
            if not (k == "title" and isinstance(v, str) and parent != "properties")
        }
    if isinstance(schema, list):
        return [strip_titles(v) for v in schema]
    return schema


class CobreServer(MCPServer):
    """MCPServer whose tool failures are error records, never tracebacks.

    ``plain_errors`` leaves the record out of ``structuredContent`` (it stays in the text block),
    for hosts whose client validates error results against the tool's outputSchema.
    """

    plain_errors: bool = False

    def slim_schemas(self) -> None:
        """Drop generated titles from every registered tool's input and output schema."""
        for tool in self._tool_manager.list_tools():
            tool.parameters = strip_titles(tool.parameters)
            if tool.fn_metadata.output_schema is not None:
                tool.fn_metadata.output_schema = strip_titles(tool.fn_metadata.output_schema)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context | None = None
    ) -> Any:
        if self._tool_manager.get_tool(name) is None:
            raise MCPError(code=INVALID_PARAMS, message=f"unknown tool {name!r}")
        try:
            result = await super().call_tool(name, arguments, context)
        except MCPError:
            raise
        except Exception as exc:
            return error_result(record_for_exception(name, exc), self.plain_errors)
        if isinstance(result, CallToolResult) and result.is_error and not result.structured_content:
            text = " ".join(getattr(c, "text", "") for c in result.content)
            return error_result(record_for_exception(name, RuntimeError(text)), self.plain_errors)
        return result


def build_server(settings: ServerSettings | None = None) -> App:
    """A ready server with every tool, resource and prompt registered."""
    settings = settings or ServerSettings()
    server = CobreServer(
        name="cobre-mcp",
        title="Cobre hydrothermal dispatch (SDDP)",
        version=cobre_core.__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
    )
    guard = PathGuard(settings.allowed_dirs, settings.allow_write)
    state = settings.state_dir
    if state is not None:
        try:
            state.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("state directory unusable (%s); jobs will not persist", exc)
            state = None
    app = App(
        settings=settings,
        server=server,
        guard=guard,
        cases=CaseRegistry(guard, state),
        jobs=JobManager(state, max_workers=settings.max_jobs),
    )
    server.plain_errors = settings.plain_errors
    for module in (cases, runs, jobs, results, resources, prompts):
        module.register(app)
    server.slim_schemas()
    return app
