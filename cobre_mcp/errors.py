"""Tool failures as one record ``{kind, message, context, suggestion}`` in ``structuredContent``.

The core's kinds (validation and runtime, :class:`cobre_core.errors.ErrorKind`) pass through
unchanged; the server adds its own (:class:`ServerErrorKind`). Every exception a tool raises is
turned into a record here, so no traceback ever reaches a client: unexpected exceptions are logged
to stderr with their traceback and reported as ``InternalError`` without one.
"""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError

from cobre_core.errors import CobreError, ErrorRecord, record

log = logging.getLogger("cobre_mcp")

MAX_CONTEXT_RECORDS = 5
"""How many further records of a multi-record failure (an invalid case) ride in ``context``."""


class ServerErrorKind(StrEnum):
    """Kinds only the server emits, on top of the core registry."""

    WRITE_DISABLED = "WriteDisabled"
    PATH_NOT_ALLOWED = "PathNotAllowed"
    JOB_NOT_FOUND = "JobNotFound"
    JOB_INTERRUPTED = "JobInterrupted"
    CASE_NOT_FOUND = "CaseNotFound"
    INVALID_ARGUMENT = "InvalidArgument"
    INTERNAL_ERROR = "InternalError"


def tool_failure(
    kind: ServerErrorKind | str, message: str, suggestion: str | None = None, **context: Any
) -> CobreError:
    """An exception carrying one record; raise it from a tool to fail with that record."""
    return CobreError(record(kind, message, suggestion, **context))


def _headline(exc: CobreError) -> ErrorRecord:
    """The first record, with a digest of the others in its context."""
    head = exc.records[0]
    rest = exc.records[1:]
    if not rest:
        return head
    context = dict(head.context)
    context["more_errors"] = len(rest)
    context["next_errors"] = [
        {"kind": r.kind, "message": r.message, "file": r.context.get("file")}
        for r in rest[:MAX_CONTEXT_RECORDS]
    ]
    suggestion = head.suggestion or "Call validate on the case for the full report."
    return head.model_copy(update={"context": context, "suggestion": suggestion})


def _from_validation(tool: str, exc: ValidationError) -> ErrorRecord:
    problems = [
        {"argument": ".".join(str(p) for p in err["loc"]) or "(arguments)", "problem": err["msg"]}
        for err in exc.errors()
    ]
    names = ", ".join(p["argument"] for p in problems)
    return record(
        ServerErrorKind.INVALID_ARGUMENT,
        f"invalid arguments for {tool}: {names}",
        "Check the tool's input schema (tools/list) and retry with corrected arguments.",
        tool=tool,
        problems=problems,
    )


def record_for_exception(tool: str, exc: BaseException) -> ErrorRecord:
    """Map any exception raised while running ``tool`` to one error record."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, CobreError):
            return _headline(cur)
        if isinstance(cur, ValidationError):
            return _from_validation(tool, cur)
        cur = cur.__cause__
    if isinstance(exc, ToolError) and exc.__cause__ is None:
        return record(ServerErrorKind.INVALID_ARGUMENT, str(exc), None, tool=tool)
    log.error("tool %s failed unexpectedly", tool, exc_info=exc)
    return record(
        ServerErrorKind.INTERNAL_ERROR,
        f"{tool} failed unexpectedly ({type(exc).__name__})",
        "This is a bug in cobre-mcp; the server log (stderr) has the details. Retrying will "
        "not help unless the inputs change.",
        tool=tool,
    )


def error_result(rec: ErrorRecord, plain: bool = False) -> CallToolResult:
    """A tool result with ``isError``: the record as structured content and as JSON text.

    ``plain`` omits the structured content (some TypeScript-SDK clients validate error results
    against the success outputSchema and then hide the record).
    """
    payload = rec.to_dict()
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(payload))],
        structured_content=None if plain else payload,
        is_error=True,
    )
