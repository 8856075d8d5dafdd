"""Scaling of training on generated cases: hydros 4 -> 64, stages 12 -> 60, openings 10 -> 50.

Each axis is varied alone from the base point (4 hydros, 12 stages, 10 openings; 3 buses, one
load block, 2 forward passes). Every point runs in a fresh subprocess, so peak memory is that
point's own: it writes :func:`cobre_core.examples.generated.build_generated`'s case to a temporary
directory, trains a fixed number of iterations on one thread and prints one JSON line with wall
time per iteration, LP solves per second, the share of wall time inside HiGHS solves, peak RSS
and the size of the stage-0 LP. The parent fits a log-log slope of each figure against each axis:
a slope of 1 means the figure grows linearly with that dimension, 0 means it does not grow.

Usage::

    python -m benchmarks.scaling [--quick] [--iterations N] [--axis hydros[,stages,...]]
    python -m benchmarks.scaling --point hydros=8,stages=12,openings=10 --iterations 8

Figures, not assertions: the machine may be shared, so compare runs made back to back.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cobre_core.examples.generated import write_generated_case
from cobre_core.loader import load_case
from cobre_core.solver.stage_lp import build_stage_lp
from cobre_core.study_runs import TrainingResult, train

REPO = Path(__file__).resolve().parents[1]
"""Repository root: the working directory of the point subprocesses."""

BASE: dict[str, int] = {"hydros": 4, "stages": 12, "openings": 10}
"""The point every axis starts from."""

AXES: dict[str, tuple[int, ...]] = {
    "hydros": (4, 8, 16, 32, 64),
    "stages": (12, 24, 36, 60),
    "openings": (10, 20, 30, 50),
}
"""Values of each axis; the other two dimensions stay at :data:`BASE`."""

ITERATIONS = 8
"""Training iterations per point in a full run."""

QUICK_ITERATIONS = 3
"""Training iterations per point with ``--quick`` (a smoke check: same points, noisier)."""

REPEAT = 2
"""Trainings per point in a full run; the fastest one is reported."""

QUICK_REPEAT = 1
"""Trainings per point with ``--quick``."""

FORWARD_PASSES = 2
"""Forward passes per iteration of the generated cases."""

LINEAR_TOLERANCE = 0.15
"""Slack on a slope of 1 before a figure counts as growing faster than linearly."""

SLOPE_METRICS: tuple[str, ...] = (
    "wall_s_per_iteration",
    "cpu_s_per_iteration",
    "ms_per_lp_solve",
    "lp_solves_per_iteration",
    "peak_rss_mb",
    "lp_cols",
)
"""Figures whose log-log slope is reported for every axis."""

POINT_TIMEOUT_S = 1800
"""Give up on a point subprocess after this many seconds."""


# --------------------------------------------------------------------------- one point


def _rss_mb() -> float:
    """Return this process's peak resident set size so far, in MB.

    On Linux this reads ``VmHWM`` (the peak of the current address space): ``ru_maxrss`` would
    carry the parent's peak across fork and exec, so every point would report the sweep's.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def measure_point(
    hydros: int, stages: int, openings: int, iterations: int, repeat: int = 1
) -> dict[str, Any]:
    """Generate one case, train it ``repeat`` times on one thread and return its figures.

    Timing figures come from the fastest of the ``repeat`` trainings (best-of, to damp the noise
    of a shared machine); ``cpu_s_per_iteration`` is that run's process CPU time, which includes
    building the stage LPs. Meant to run in a fresh process (see :func:`run_point`):
    ``peak_rss_mb`` is the whole process's peak and ``baseline_rss_mb`` the peak before the case
    was generated (interpreter and imports), so their difference is what the point needed.
    """
    baseline = _rss_mb()
    overrides = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": iterations}]}}
    with tempfile.TemporaryDirectory() as tmpdir:
        path = write_generated_case(
            Path(tmpdir) / "case",
            hydros,
            stages,
            openings,
            forward_passes=FORWARD_PASSES,
            iteration_limit=iterations,
        )
        t0 = time.perf_counter()
        case = load_case(path)
        load_s = time.perf_counter() - t0
        best: TrainingResult | None = None
        best_cpu = 0.0
        for _ in range(max(1, repeat)):
            cpu0 = time.process_time()
            res = train(case, config_overrides=overrides, threads=1)
            cpu = time.process_time() - cpu0
            if best is None or res.wall_time_ms < best.wall_time_ms:
                best, best_cpu = res, cpu
    assert best is not None
    wall = best.wall_time_ms / 1000
    n = max(best.iterations, 1)
    lp = build_stage_lp(best.extra["case"], 0).lp
    return {
        "hydros": hydros,
        "stages": stages,
        "openings": openings,
        "iterations": best.iterations,
        "repeat": max(1, repeat),
        "load_s": round(load_s, 3),
        "wall_s": round(wall, 3),
        "wall_s_per_iteration": round(wall / n, 5),
        "cpu_s_per_iteration": round(best_cpu / n, 5),
        "lp_solves": best.lp_solves,
        "lp_solves_per_iteration": round(best.lp_solves / n, 1),
        "lp_solves_per_s": round(best.lp_solves / max(wall, 1e-9), 1),
        "ms_per_lp_solve": round(1000 * wall / max(best.lp_solves, 1), 4),
        "highs_share": round(best.extra["solve_seconds"] / max(wall, 1e-9), 3),
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
        "lp_rows": lp.num_rows,
        "lp_cols": lp.num_cols,
        "lower_bound": best.final_lower_bound,
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }


def run_point(point: Mapping[str, int], iterations: int, repeat: int = 1) -> dict[str, Any]:
    """Measure ``point`` (hydros, stages, openings) in a fresh Python subprocess."""
    spec = ",".join(f"{key}={point[key]}" for key in BASE)
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.scaling",
        "--point",
        spec,
        "--iterations",
        str(iterations),
        "--repeat",
        str(repeat),
    ]
    proc = subprocess.run(
        cmd, cwd=REPO, capture_output=True, text=True, timeout=POINT_TIMEOUT_S, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"scaling point {spec} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- the sweep


def loglog_slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Return the least-squares slope of ``log y`` against ``log x``; ``None`` if undefined.

    Undefined means fewer than two distinct positive ``x`` or a non-positive ``y``.
    """
    pairs = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(pairs) != len(xs) or len({p[0] for p in pairs}) < 2:
        return None
    mx = sum(p[0] for p in pairs) / len(pairs)
    my = sum(p[1] for p in pairs) / len(pairs)
    sxx = sum((p[0] - mx) ** 2 for p in pairs)
    sxy = sum((p[0] - mx) * (p[1] - my) for p in pairs)
    return round(sxy / sxx, 3)


def axis_points(axis: str) -> list[dict[str, int]]:
    """Return the points of one axis: :data:`BASE` with ``axis`` set to each of its values."""
    return [{**BASE, axis: value} for value in AXES[axis]]


def summarize_axis(axis: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Return one axis's values, rows and log-log slopes, and whether time per iteration grows
    at most linearly (slope <= 1 + :data:`LINEAR_TOLERANCE`)."""
    xs = [float(r[axis]) for r in rows]
    slopes = {m: loglog_slope(xs, [float(r[m]) for r in rows]) for m in SLOPE_METRICS}
    time_slope = slopes["wall_s_per_iteration"]
    return {
        "values": [r[axis] for r in rows],
        "rows": rows,
        "slopes": slopes,
        "time_at_most_linear": None if time_slope is None else time_slope <= 1 + LINEAR_TOLERANCE,
    }


def run_scaling(
    *,
    quick: bool = False,
    iterations: int | None = None,
    repeat: int | None = None,
    axes: Iterable[str] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the sweep and return the report dict (the ``scaling`` section of ``latest.json``).

    ``iterations`` defaults to :data:`ITERATIONS` (:data:`QUICK_ITERATIONS` when ``quick``),
    ``repeat`` to :data:`REPEAT` (:data:`QUICK_REPEAT`).
    ``axes`` selects a subset of :data:`AXES`. The base point is measured once and shared by
    every axis. With ``progress`` each point's JSON line is printed as it completes.
    """
    n_iter = iterations or (QUICK_ITERATIONS if quick else ITERATIONS)
    n_repeat = repeat or (QUICK_REPEAT if quick else REPEAT)
    chosen = list(AXES) if axes is None else [a for a in AXES if a in set(axes)]
    measured: dict[tuple[int, ...], dict[str, Any]] = {}
    t0 = time.perf_counter()
    report_axes: dict[str, Any] = {}
    for axis in chosen:
        rows = []
        for point in axis_points(axis):
            key = tuple(point[k] for k in BASE)
            if key not in measured:
                measured[key] = run_point(point, n_iter, n_repeat)
                if progress:
                    print(json.dumps(measured[key]), flush=True)
            rows.append(measured[key])
        report_axes[axis] = summarize_axis(axis, rows)
    return {
        "base": dict(BASE),
        "iterations": n_iter,
        "repeat": n_repeat,
        "forward_passes": FORWARD_PASSES,
        "threads": 1,
        "quick": quick,
        "points_measured": len(measured),
        "sweep_wall_s": round(time.perf_counter() - t0, 1),
        "axes": report_axes,
    }


def _fmt_slope(value: float | None) -> str:
    """Format a slope for Markdown (``n/a`` when undefined)."""
    return "n/a" if value is None else f"{value:.2f}"


def scaling_markdown(report: Mapping[str, Any]) -> list[str]:
    """Return Markdown lines: a summary of slopes, then one table per axis."""
    base = ", ".join(f"{k} {v}" for k, v in report["base"].items())
    lines = [
        f"Generated cases, one axis at a time from ({base}); {report['iterations']} iterations, "
        f"{report['forward_passes']} forward passes, 1 thread, best of {report['repeat']} "
        "trainings, each point in its own process"
        + (" (quick run: noisy)." if report.get("quick") else "."),
        "",
        "Log-log slopes (1 = linear growth, 0 = flat):",
        "",
        "| axis | s/iter | CPU s/iter | ms/LP solve | LP solves/iter | peak RSS | "
        "stage-0 LP cols | s/iter <= linear |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for axis, data in report["axes"].items():
        s = data["slopes"]
        verdict = {True: "yes", False: "no", None: "n/a"}[data["time_at_most_linear"]]
        cells = [axis, *(_fmt_slope(s[m]) for m in SLOPE_METRICS), verdict]
        lines.append("| " + " | ".join(cells) + " |")
    for axis, data in report["axes"].items():
        lines += [
            "",
            f"Axis `{axis}`:",
            "",
            f"| {axis} | s/iter | CPU s/iter | LP solves/iter | LP/s | ms/LP | in HiGHS | "
            "peak RSS MB | stage-0 LP rows x cols |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in data["rows"]:
            lines.append(
                f"| {r[axis]} | {r['wall_s_per_iteration']:.4f} | "
                f"{r['cpu_s_per_iteration']:.4f} | {r['lp_solves_per_iteration']} "
                f"| {r['lp_solves_per_s']} | {r['ms_per_lp_solve']:.3f} | "
                f"{r['highs_share']:.0%} | {r['peak_rss_mb']} | {r['lp_rows']} x {r['lp_cols']} |"
            )
    return lines


# --------------------------------------------------------------------------- command line


def _parse_point(spec: str) -> dict[str, int]:
    """Parse ``hydros=8,stages=12,openings=10``; missing keys take their :data:`BASE` value."""
    point = dict(BASE)
    for item in spec.split(","):
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in BASE or not value.strip().isdigit():
            raise argparse.ArgumentTypeError(f"bad point item {item!r}; use e.g. hydros=8")
        point[key] = int(value)
    return point


def main(argv: list[str] | None = None) -> int:
    """Run the sweep (or one ``--point``) and print JSON lines, then the Markdown summary."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scaling",
        description="Training scaling over generated cases of growing size.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer iterations per point")
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None, help="trainings per point (best-of)")
    parser.add_argument(
        "--axis", default=None, help="comma-separated subset of: " + ", ".join(AXES)
    )
    parser.add_argument(
        "--point", type=_parse_point, default=None, help="measure one point in this process"
    )
    args = parser.parse_args(argv)
    if args.point is not None:
        iterations = args.iterations or (QUICK_ITERATIONS if args.quick else ITERATIONS)
        repeat = args.repeat or (QUICK_REPEAT if args.quick else REPEAT)
        row = measure_point(**args.point, iterations=iterations, repeat=repeat)
        print(json.dumps(row), flush=True)
        return 0
    axes = None if args.axis is None else [a.strip() for a in args.axis.split(",")]
    unknown = sorted(set(axes or ()) - set(AXES))
    if unknown:
        parser.error(f"unknown axis {', '.join(unknown)}; choose from {', '.join(AXES)}")
    report = run_scaling(
        quick=args.quick, iterations=args.iterations, repeat=args.repeat, axes=axes
    )
    print(json.dumps({k: v for k, v in report.items() if k != "axes"}))
    print("\n".join(scaling_markdown(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
