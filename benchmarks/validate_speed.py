"""Wall time of ``cobre_core.validation.validate`` on the upstream 4ree case (or a given case).

Run: ``.venv/bin/python benchmarks/validate_speed.py [CASE_DIR] [--repeat N]``. Prints the best
and median wall time over the repeats (the first, cold call is reported separately). Not a test:
timings depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from cobre_core.validation import validate

DEFAULT_CASE = Path(__file__).resolve().parents[2] / "shared" / "cobre-cases" / "4ree"


def main(argv: list[str] | None = None) -> int:
    """Time validation of one case directory and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", nargs="?", type=Path, default=DEFAULT_CASE)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    if not args.case.is_dir():
        print(f"case directory not found: {args.case}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    result = validate(args.case)
    cold = time.perf_counter() - start
    times = []
    for _ in range(max(args.repeat, 1)):
        start = time.perf_counter()
        validate(args.case)
        times.append(time.perf_counter() - start)
    print(f"case: {args.case}")
    print(
        f"valid={result.valid} errors={result.summary.error_count} "
        f"warnings={result.summary.warning_count} files={result.summary.files_checked} "
        f"entities={result.summary.entities_validated}"
    )
    print(f"first call (imports the case-file models): {cold * 1000:.1f} ms")
    print(
        f"warm over {len(times)} runs: best {min(times) * 1000:.1f} ms, "
        f"median {statistics.median(times) * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
