"""Full training run of a case with its own config, and the machine's parallel capacity.

Usage::

    python -m benchmarks.full_run [4ree|multi_region|PATH]

``full_run`` trains the case as configured (4ree: 256 iterations, 4 forward passes) with 1 thread,
2 threads and 2 worker processes, and reports wall time, the share inside HiGHS, LP solves and
whether the lower bounds are identical. ``machine_parallelism`` times a pure-Python CPU loop in one
process, then in two processes at once: the ratio is the most any 2-worker speedup can reach on
this machine (a shared or throttled core shows up here, not as our overhead).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cobre_core.examples import write_example
from cobre_core.solver.highs_api import api_name
from cobre_core.solver.highs_solver import HIGHS_VERSION
from cobre_core.study_runs import train

SHARED = Path(__file__).resolve().parents[2] / "shared" / "cobre-cases"
_LOOP = (
    "import time\nt = time.perf_counter()\nx = 0\n"
    "for i in range(6_000_000):\n    x += i\nprint(time.perf_counter() - t)"
)
# warm re-solves of one small LP with changing right-hand sides, as training does
_HIGHS_LOOP = """
import time
import highspy
import numpy as np
rng = np.random.default_rng(0)
m, n = 120, 240
h = highspy.Highs()
for k, v in {"output_flag": False, "presolve": "off", "threads": 1}.items():
    h.setOptionValue(k, v)
h.addVars(n, np.zeros(n), np.full(n, 10.0))
h.changeColsCost(n, np.arange(n, dtype=np.int32), rng.uniform(1, 2, n))
a = rng.uniform(0, 1, (m, n)) * (rng.uniform(0, 1, (m, n)) < 0.1)
for i in range(m):
    idx = np.flatnonzero(a[i]).astype(np.int32)
    h.addRow(1.0, np.inf, idx.size, idx, a[i, idx])
rows = np.arange(m, dtype=np.int32)
rhs = [rng.uniform(0.5, 2.0, m) for _ in range(8)]
t = time.perf_counter()
for k in range(400):
    h.changeRowsBounds(m, rows, rhs[k % 8], np.full(m, np.inf))
    h.run()
print(time.perf_counter() - t)
"""


# HiGHS's fixed cost per call: run() on an LP already solved, so no pivot is left to make
_HIGHS_FIXED = """
import time
import highspy
import numpy as np
h = highspy.Highs()
for k, v in {"output_flag": False, "presolve": "off", "threads": 1}.items():
    h.setOptionValue(k, v)
h.addVars(2, np.zeros(2), np.full(2, 10.0))
h.changeColsCost(2, np.arange(2, dtype=np.int32), np.array([1.0, 2.0]))
h.addRow(1.0, np.inf, 2, np.arange(2, dtype=np.int32), np.ones(2))
h.run()
t = time.perf_counter()
for _ in range(5000):
    h.run()
print((time.perf_counter() - t) / 5000 * 1e6)
"""


def highs_fixed_cost() -> dict[str, Any]:
    """The HiGHS version in use, how we reach it (``highs_api``: its C API, ``"c"``, or
    highspy's object; see :mod:`cobre_core.solver.highs_api`) and the microseconds of one
    ``run()`` with nothing to solve (best of 3 fresh processes).

    HiGHS's own cost per call, paid once per LP solve in training: a warm re-solve takes a few
    pivots, so a version whose fixed cost grows slows training (HiGHS 1.16.0 probes the CPU
    topology in sysfs on every run; see docs/engine.md).
    """
    runs = [
        subprocess.run([sys.executable, "-c", _HIGHS_FIXED], capture_output=True, text=True)
        for _ in range(3)
    ]
    fixed = round(min(float(r.stdout.split()[-1]) for r in runs), 1)
    return {"highs_version": HIGHS_VERSION, "highs_api": api_name(), "highs_run_fixed_us": fixed}


def _ceiling(script: str) -> tuple[float, float, float]:
    """Seconds of ``script`` alone (best of 2), of two copies side by side (the slower), and
    the 2-worker throughput ratio ``2 * alone / pair``."""

    def seconds(n: int) -> list[float]:
        procs = [
            subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
            for _ in range(n)
        ]
        return [float(p.communicate()[0].split()[-1]) for p in procs]

    alone = min(seconds(1)[0] for _ in range(2))
    pair = max(seconds(2))
    return alone, pair, 2 * alone / pair


def machine_parallelism() -> dict[str, float]:
    """Throughput of two CPU-bound processes at once relative to one alone (2.0 is ideal).

    Two probes: a pure-Python loop (``two_worker_ceiling``) and warm HiGHS re-solves of a small
    LP (``highs_two_worker_ceiling``). The second also feels the caches and memory bandwidth the
    two solvers share, which the first misses; it is the closer bound for parallel training.
    """
    alone, pair, ratio = _ceiling(_LOOP)
    h_alone, h_pair, h_ratio = _ceiling(_HIGHS_LOOP)
    return {
        "one_process_s": round(alone, 3),
        "two_processes_s": round(pair, 3),
        "two_worker_ceiling": round(ratio, 2),
        "highs_one_process_s": round(h_alone, 3),
        "highs_two_processes_s": round(h_pair, 3),
        "highs_two_worker_ceiling": round(h_ratio, 2),
    }


def highs_seconds(extra: dict[str, Any]) -> float:
    """Seconds inside HiGHS of a training result: ``run()`` plus the other HiGHS calls (bound
    patches, cut rows added and deleted, solution copies)."""
    return float(extra["solve_seconds"]) + float(extra.get("highs_call_seconds", 0.0))


def full_run(case: Path) -> dict[str, Any]:
    """Train ``case`` with its own config: 1 thread, 2 threads, 2 processes."""
    runs = []
    for parallel, workers in (("threads", 1), ("threads", 2), ("processes", 2)):
        before = machine_parallelism() if workers > 1 else None
        t0 = time.perf_counter()
        res = train(case, threads=workers, parallel=parallel)
        wall = time.perf_counter() - t0
        # the machine's 2-worker ceilings around this run (they move from minute to minute here)
        ceiling = highs_ceiling = None
        if before is not None:
            after = machine_parallelism()
            ceiling = round((before["two_worker_ceiling"] + after["two_worker_ceiling"]) / 2, 2)
            highs_ceiling = round(
                (before["highs_two_worker_ceiling"] + after["highs_two_worker_ceiling"]) / 2, 2
            )
        runs.append(
            {
                "machine_ceiling": ceiling,
                "highs_ceiling": highs_ceiling,
                "parallel": parallel,
                "workers": workers,
                "iterations": res.iterations,
                "wall_s": round(wall, 1),
                "lp_solves": res.lp_solves,
                "highs_s": round(res.extra["solve_seconds"], 1),
                "share_in_highs": round(res.extra["solve_seconds"] / wall, 3),
                "highs_calls_s": round(highs_seconds(res.extra), 1),
                "share_in_highs_calls": round(highs_seconds(res.extra) / wall, 3),
                # the same share of the training loop alone (no case loading or LP building)
                "loop_s": round(res.wall_time_ms / 1000, 1),
                "share_in_highs_loop": round(
                    res.extra["solve_seconds"] / max(res.wall_time_ms / 1000, 1e-9), 3
                ),
                # finished worker processes waiting for the last one at each step's end
                "share_waiting": round(res.extra.get("worker_wait_seconds", 0.0) / wall, 3),
                "lower_bound": res.final_lower_bound,
            }
        )
        print(json.dumps(runs[-1]), flush=True)
    one = runs[0]["wall_s"]
    return {
        "case": case.name,
        "runs": runs,
        "speedup_2_threads": round(one / runs[1]["wall_s"], 2),
        "speedup_2_processes": round(one / runs[2]["wall_s"], 2),
        "same_lower_bound": len({r["lower_bound"] for r in runs}) == 1,
    }


def repeated_full_runs(case: Path, repeat: int) -> dict[str, Any]:
    """:func:`full_run` ``repeat`` times: the last run's report plus ``repeats``, the median and
    range of each headline figure over all of them (one run is noisy on a shared machine)."""
    reports = [full_run(case) for _ in range(max(1, repeat))]
    out = dict(reports[-1])
    if len(reports) > 1:
        figures = {
            "wall_1_thread_s": [r["runs"][0]["wall_s"] for r in reports],
            "share_in_highs": [r["runs"][0]["share_in_highs"] for r in reports],
            "share_in_highs_calls": [r["runs"][0]["share_in_highs_calls"] for r in reports],
            "speedup_2_threads": [r["speedup_2_threads"] for r in reports],
            "speedup_2_processes": [r["speedup_2_processes"] for r in reports],
        }
        out["repeats"] = {
            "count": len(reports),
            "same_lower_bound": len({r["runs"][0]["lower_bound"] for r in reports}) == 1
            and all(r["same_lower_bound"] for r in reports),
            **{
                name: {"median": statistics.median(v), "min": min(v), "max": max(v), "all": v}
                for name, v in figures.items()
            },
        }
    return out


def full_markdown(report: dict[str, Any]) -> list[str]:
    """Markdown lines for the full-run section."""
    full, cap = report["full_run"], report.get("machine_parallelism", {})
    lines = [
        f"{full['case']} with its own config ({full['runs'][0]['iterations']} iterations). "
        f"Identical lower bound across runs: {full['same_lower_bound']}.",
        "",
        "| run | wall s | in HiGHS run() | in HiGHS calls | LP solves | speedup "
        "| ceiling (Python) | ceiling (HiGHS) | workers waiting |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in full["runs"]:
        speed = round(full["runs"][0]["wall_s"] / r["wall_s"], 2)
        lines.append(
            f"| {r['workers']} {r['parallel']} | {r['wall_s']} | {r['share_in_highs']:.1%} | "
            f"{r.get('share_in_highs_calls', 0.0):.1%} | {r['lp_solves']} | {speed}x | "
            f"{r.get('machine_ceiling') or '-'} | {r.get('highs_ceiling') or '-'} | "
            f"{r.get('share_waiting', 0.0):.0%} |"
        )
    reps = full.get("repeats")
    if reps:

        def fig(name: str, pct: bool = False) -> str:
            f = reps[name]
            fmt = (lambda x: f"{x:.1%}") if pct else (lambda x: f"{x}")
            return f"{fmt(f['median'])} ({fmt(f['min'])}-{fmt(f['max'])})"

        lines += [
            "",
            f"Over {reps['count']} repeats of the three runs (median, range): 1 thread "
            f"{fig('wall_1_thread_s')} s, {fig('share_in_highs', True)} in HiGHS `run()`, "
            f"{fig('share_in_highs_calls', True)} in all HiGHS calls; 2 threads "
            f"{fig('speedup_2_threads')}x; 2 processes {fig('speedup_2_processes')}x. "
            f"Same lower bound in every run: {reps['same_lower_bound']}. The table shows the "
            "last repeat.",
        ]
    one = full["runs"][0]
    if "share_in_highs_loop" in one:
        lines += [
            "",
            f"The 1-thread run's training loop alone (`TrainingResult.wall_time_ms`, without "
            f"loading the case and building the LPs) took {one['loop_s']} s, "
            f"{one['share_in_highs_loop']:.1%} of it in HiGHS `run()`.",
        ]
    if cap:
        lines += [
            "",
            f"Machine: two CPU-bound processes run at {cap['two_worker_ceiling']}x the throughput "
            f"of one ({cap['one_process_s']} s alone, {cap['two_processes_s']} s side by side), "
            "the ceiling of any 2-worker speedup here; two processes of warm HiGHS re-solves run "
            f"at {cap.get('highs_two_worker_ceiling', '-')}x (they also share caches and memory "
            "bandwidth). Both move from minute to minute on this machine, so each 2-worker run "
            "shows the mean of the ceilings measured just before and just after it. "
            "Workers waiting: wall time during which a finished worker process waited for the "
            "last one at the end of a step (the steps' imbalance). With 2 workers the HiGHS "
            "shares sum both workers' time, hence above 100%.",
            "",
            f"HiGHS {cap.get('highs_version', '-')} through "
            f"{'its C API' if cap.get('highs_api') == 'c' else 'highspy'}: "
            f"one `run()` with nothing to solve costs "
            f"{cap.get('highs_run_fixed_us', '-')} us, paid once per LP solve.",
        ]
    return lines


def default_full_case(tmp: Path) -> Path:
    """4ree from ../shared when present, else our multi_region example."""
    if (SHARED / "4ree").is_dir():
        return SHARED / "4ree"
    return write_example("multi_region", tmp / "multi_region")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmpdir:
        arg = sys.argv[1] if len(sys.argv) > 1 else None
        path = Path(arg) if arg and Path(arg).is_dir() else default_full_case(Path(tmpdir))
        if arg and (SHARED / arg).is_dir():
            path = SHARED / arg
        print(json.dumps({**machine_parallelism(), **highs_fixed_cost()}))
        print(json.dumps(full_run(path), indent=2))
