"""Command line: ``python -m cobre_core.examples <name> <dest> [--overwrite]``.

Writes the named example case to ``dest`` and prints the case directory's path.
"""

from __future__ import annotations

import argparse
import sys

from cobre_core.examples import example_names, write_example


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, write the example and print its path; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m cobre_core.examples",
        description="Write one of cobre-mcp's example cases to a directory.",
    )
    parser.add_argument("name", choices=example_names(), help="example to write")
    parser.add_argument("dest", help="destination case directory (created if missing)")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the case files of a non-empty destination",
    )
    args = parser.parse_args(argv)
    try:
        path = write_example(args.name, args.dest, overwrite=args.overwrite)
    except (FileExistsError, NotADirectoryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
