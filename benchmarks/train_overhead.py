"""Training overhead probe: wall time, share inside HiGHS and 2-thread speedup for one case.

Usage::

    python -m benchmarks.train_overhead [multi_region|4ree|PATH] [--iterations N] [--repeat R]
                                        [--threads 1,2] [--profile]

Prints one JSON line per run (case, threads, iterations, wall, s/iteration, HiGHS share, lower
bound), then the best-of-``repeat`` wall per thread count and the speedup. ``--profile`` runs one
single-thread training under cProfile and prints the top functions by own time. Figures only: the
machine is shared, so compare runs made back to back.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import tempfile
import time
from pathlib import Path

from cobre_core.examples import write_example
from cobre_core.loader import load_case
from cobre_core.sddp.problem import Problem
from cobre_core.sddp.stopping import rules_from_config
from cobre_core.sddp.training import Trainer
from cobre_core.study_runs import DEFAULT_LANES, resolve_case

SHARED = Path(__file__).resolve().parents[2] / "shared" / "cobre-cases"


def _case_path(name: str, tmp: Path) -> Path:
    if name in ("toy", "multi_region"):
        return write_example(name, tmp / name)
    if (SHARED / name).is_dir():
        return SHARED / name
    return Path(name)


def _train(case_path: Path, iterations: int, threads: int) -> dict[str, object]:
    overrides = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": iterations}]}}
    case = resolve_case(load_case(case_path), overrides)
    problem = Problem(case, lanes=DEFAULT_LANES)
    trainer = Trainer(
        problem,
        case.config.training.forward_passes or 1,
        rules_from_config(case.config.training),
        case.config.training.stopping_mode,
        threads=threads,
    )
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    out = trainer.train()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    n = len(out.history)
    return {
        "threads": threads,
        "iterations": n,
        "wall_s": round(wall, 3),
        "s_per_iteration": round(wall / n, 4),
        "lp_solves": problem.lp_solves(),
        "cpu_s": round(cpu, 3),
        "highs_share": round(problem.solve_seconds() / wall, 3) if threads == 1 else None,
        "highs_s": round(problem.solve_seconds(), 3),
        "highs_calls_s": round(problem.solve_seconds() + problem.call_seconds(), 3),
        "load_avg_1min": os.getloadavg()[0],
        "lower_bound": out.history[-1].lower_bound,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case", nargs="?", default="multi_region")
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        path = _case_path(args.case, Path(tmpdir))
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            row = _train(path, args.iterations, 1)
            prof.disable()
            print(json.dumps(row))
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
            return
        best: dict[int, float] = {}
        bounds: dict[int, float] = {}
        for _ in range(args.repeat):
            for threads in (int(x) for x in args.threads.split(",")):
                row = _train(path, args.iterations, threads)
                print(json.dumps({"case": args.case, **row}), flush=True)
                best[threads] = min(best.get(threads, float("inf")), float(row["wall_s"]))
                bounds[threads] = float(row["lower_bound"])
        summary: dict[str, object] = {"best_wall_s": best}
        if 1 in best and 2 in best:
            summary["speedup_2_threads"] = round(best[1] / best[2], 2)
            summary["same_lower_bound"] = bounds[1] == bounds[2]
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
