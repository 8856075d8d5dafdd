"""The ``cobre-mcp`` command: serve, call, tools, demo, validate.

* ``serve`` runs the MCP server over stdio (default) or streamable HTTP. On stdio, stdout
  carries protocol bytes only; logs go to stderr.
* ``call TOOL '{json}'`` runs one tool in-process through a real MCP client and prints its
  structured JSON result; the exit code is 1 when the tool reports an error. The scripted path.
* ``tools`` prints every tool's name, description and input/output schemas as JSON.
* ``demo`` is the README's main job: an agent session over stdio on the bundled example.
* ``validate CASE`` prints the validation report (exit 1 when invalid), without a server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from cobre_mcp.app import ENV_AUTH_TOKEN, ServerSettings, default_state_dir, env_allowed_dirs

FAILED_JOB_STATES = ("failed", "cancelled", "interrupted")
"""Job states that make ``call`` exit non-zero (the tool call itself succeeded)."""


def stdio_server(
    allowed_dirs: list[str | Path],
    state_dir: str | Path,
    *extra: str,
    allow_write: bool = True,
) -> Any:
    """``StdioServerParameters`` that launch ``cobre-mcp serve`` with this Python (for the demo,
    benchmarks and tests that drive a real server process); ``extra`` are further flags."""
    from mcp import StdioServerParameters

    args = ["-m", "cobre_mcp", "serve", *(["--allow-write"] if allow_write else []), *extra]
    args += ["--allowed-dirs", *map(str, allowed_dirs), "--state-dir", str(state_dir)]
    return StdioServerParameters(command=sys.executable, args=args)


def _server_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allowed-dirs",
        nargs="+",
        default=None,
        metavar="DIR",
        help="directories tools may read and write (default: $COBRE_MCP_ALLOWED_DIRS or cwd)",
    )
    p.add_argument(
        "--allow-write",
        action="store_true",
        default=None,
        help="enable train, simulate and export-results (default: $COBRE_MCP_ALLOW_WRITE)",
    )
    p.add_argument("--state-dir", type=Path, default=None, help="job and case-id records")
    p.add_argument("--max-jobs", type=int, default=1, help="jobs running at once (default 1)")
    p.add_argument("--threads", type=int, default=1, help="default solver threads per job")
    p.add_argument(
        "--parallel",
        choices=("auto", "threads", "processes"),
        default="auto",
        help="run a training's workers as threads or as processes (same results; processes "
        "solve truly in parallel, and take about a second to start); auto (default): processes "
        "for a long run on 2+ threads",
    )
    p.add_argument(
        "--plain-errors",
        action="store_true",
        default=None,
        help="send error records as text only, for clients that validate error results against "
        "the outputSchema (default: $COBRE_MCP_PLAIN_ERRORS)",
    )


def settings_from(args: argparse.Namespace) -> ServerSettings:
    """ServerSettings from parsed flags, with environment defaults."""
    base = ServerSettings()
    return ServerSettings(
        allowed_dirs=tuple(args.allowed_dirs or env_allowed_dirs()),
        allow_write=base.allow_write if args.allow_write is None else args.allow_write,
        state_dir=args.state_dir or default_state_dir(),
        max_jobs=max(1, args.max_jobs),
        default_threads=max(1, args.threads),
        parallel=args.parallel,
        plain_errors=base.plain_errors if args.plain_errors is None else args.plain_errors,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cobre-mcp", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the MCP server (stdio by default)")
    _server_flags(serve)
    serve.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--auth-token", default=None, help=f"bearer token for HTTP (default ${ENV_AUTH_TOKEN})"
    )
    call = sub.add_parser("call", help="run one tool in-process and print its JSON result")
    _server_flags(call)
    call.add_argument("tool")
    call.add_argument("arguments", nargs="?", default="{}", help="JSON object of arguments")
    sub.add_parser("tools", help="print tool names and schemas as JSON")
    demo = sub.add_parser("demo", help="an agent session over stdio on the bundled example")
    demo.add_argument("--dir", type=Path, default=Path("demo-output"))
    demo.add_argument("--example", default="toy")
    val = sub.add_parser("validate", help="validate a case directory and print the JSON report")
    val.add_argument("case_dir")
    return parser


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2) + "\n")


async def _call(settings: ServerSettings, tool: str, arguments: dict[str, Any]) -> int:
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    from cobre_mcp.server import build_server

    app = build_server(settings)
    try:
        async with Client(app.server) as client:
            try:
                result = await client.call_tool(tool, arguments)
            except MCPError as exc:  # unknown tool or a malformed request
                _print_json(
                    {
                        "kind": "InvalidArgument",
                        "message": str(exc),
                        "context": {"tool": tool},
                        "suggestion": "Run `cobre-mcp tools` for the tool names and schemas.",
                    }
                )
                return 2
            payload = result.structured_content
            # A job that outlives wait_seconds: keep polling, so scripts get the final result.
            while (
                not result.is_error
                and payload
                and payload.get("status") in ("queued", "running")
                and tool in ("train", "simulate", "get-job")
            ):
                result = await client.call_tool(
                    "get-job", {"job_id": payload["job_id"], "wait_seconds": 30}
                )
                payload = result.structured_content
    finally:
        app.jobs.shutdown()
    if payload is None:
        payload = {"content": [c.model_dump(mode="json") for c in result.content]}
    _print_json(payload)
    failed_job = isinstance(payload, dict) and payload.get("status") in FAILED_JOB_STATES
    return 1 if result.is_error or failed_job else 0


def _tools() -> int:
    from cobre_mcp.server import build_server

    app = build_server(ServerSettings(state_dir=None))
    tools = asyncio.run(app.server.list_tools())
    _print_json(
        [
            {
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "annotations": t.annotations.model_dump(mode="json", by_alias=True)
                if t.annotations
                else None,
                "inputSchema": t.input_schema,
                "outputSchema": t.output_schema,
            }
            for t in tools
        ]
    )
    return 0


def _settle_heap() -> None:
    """Move everything built at start-up out of the garbage collector's sight.

    The server's heap (pydantic, the SDK, pyarrow, the tool schemas) is long-lived, and a full
    collection walks all of it: 100+ ms pauses that a client sees as a slow ``tools/list`` now
    and then, more often while a training job allocates. Frozen objects are never scanned.
    """
    import gc

    gc.collect()
    gc.freeze()


def _serve(args: argparse.Namespace) -> int:
    from cobre_mcp.server import build_server

    settings = settings_from(args)
    try:
        app = build_server(settings)
    except ValueError as exc:  # no usable allowed directory
        logging.getLogger("cobre_mcp").error("cannot start: %s", exc)
        return 2
    _settle_heap()
    if args.transport == "http":
        from cobre_mcp.http import serve_http

        token = args.auth_token or os.environ.get(ENV_AUTH_TOKEN) or None
        try:
            serve_http(app, args.host, args.port, token)
        except ValueError as exc:
            logging.getLogger("cobre_mcp").error("%s", exc)
            return 2
        return 0
    try:
        app.server.run("stdio")
    finally:
        app.jobs.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(asctime)s %(name)s %(message)s"
    )
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "call":
        try:
            arguments = json.loads(args.arguments)
        except json.JSONDecodeError as exc:
            _print_json(
                {
                    "kind": "InvalidArgument",
                    "message": f"arguments are not JSON: {exc}",
                    "context": {},
                    "suggestion": 'Pass a JSON object, e.g. \'{"case_dir": "my_case"}\'.',
                }
            )
            return 2
        if not isinstance(arguments, dict):
            _print_json(
                {
                    "kind": "InvalidArgument",
                    "message": "arguments must be a JSON object",
                    "context": {},
                    "suggestion": None,
                }
            )
            return 2
        return asyncio.run(_call(settings_from(args), args.tool, arguments))
    if args.command == "tools":
        return _tools()
    if args.command == "demo":
        from cobre_mcp.demo import run_demo

        return run_demo(args.dir, args.example)
    from cobre_core.validation import validate

    report = validate(args.case_dir)
    _print_json(report.to_dict())
    return 0 if report.valid else 1


if __name__ == "__main__":
    sys.exit(main())
