"""The ``cobre-mcp`` command. For now: ``validate CASE`` (JSON report) and ``demo``.

The MCP server (``serve``), ``call`` and ``tools`` arrive with the server itself. Output is JSON
on stdout; the exit code is 1 when the case is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cobre-mcp", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    val = sub.add_parser("validate", help="validate a case directory and print the JSON report")
    val.add_argument("case_dir")
    sub.add_parser("demo", help="run the end-to-end study on the bundled example")
    args = parser.parse_args(argv)
    if args.command == "validate":
        from cobre_core.validation import validate

        report = validate(args.case_dir)
        json.dump(report.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0 if report.valid else 1
    from cobre_core.demo import main as demo_main

    return demo_main([])


if __name__ == "__main__":
    sys.exit(main())
