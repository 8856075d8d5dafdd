"""``make bench``: validation, training and simulation figures, as JSON and Markdown.

Writes benchmarks/results/latest.json and latest.md. Uses 4ree from ../shared when present, else
our multi_region example. Figures, not assertions: nothing here fails on a slow machine.
"""

from __future__ import annotations

import json
import platform
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.mcp_latency import default_case, mcp_latency
from cobre_core.examples import write_example
from cobre_core.loader import load_case
from cobre_core.study_runs import simulate, train
from cobre_core.validation import validate

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parents[1] / "shared" / "cobre-cases"
ITERATIONS = 32


def _case_dirs(tmp: Path) -> dict[str, Path]:
    cases = {
        "toy": write_example("toy", tmp / "toy"),
        "multi_region": write_example("multi_region", tmp / "multi_region"),
    }
    if (SHARED / "4ree").is_dir():
        cases["4ree"] = SHARED / "4ree"
    return cases


def _bench_case(name: str, path: Path, out: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    report = validate(path)
    validate_ms = (time.perf_counter() - t0) * 1000
    case = load_case(path)
    row: dict[str, Any] = {
        "case": name,
        "validate_ms": round(validate_ms, 2),
        "valid": report.valid,
    }
    limit = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": ITERATIONS}]}}
    for threads in (1, 2):
        res = train(case, config_overrides=limit, threads=threads, output_dir=out / name)
        wall = res.wall_time_ms / 1000
        row[f"train_t{threads}"] = {
            "iterations": res.iterations,
            "wall_s": round(wall, 3),
            "s_per_iteration": round(wall / res.iterations, 4),
            "lp_solves": res.lp_solves,
            "lp_solves_per_s": round(res.lp_solves / wall, 1),
            "share_in_highs": round(res.extra["solve_seconds"] / wall, 3) if threads == 1 else None,
            "lower_bound": res.final_lower_bound,
        }
    row["speedup_2_threads"] = round(
        row["train_t1"]["wall_s"] / max(row["train_t2"]["wall_s"], 1e-9), 2
    )
    sim = simulate(case, res, threads=2, output_dir=out / name, num_scenarios=100)
    size = sum(p.stat().st_size for p in sim.output_files)
    row["simulate_100"] = {
        "wall_s": round(sim.wall_time_ms / 1000, 3),
        "scenarios_per_s": round(100 / max(sim.wall_time_ms / 1000, 1e-9), 1),
        "output_mb": round(size / 1e6, 2),
        "mean_cost": sim.mean_cost,
    }
    return row


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for name, path in _case_dirs(tmp).items():
            rows.append(_bench_case(name, path, tmp / "out"))
            print(json.dumps(rows[-1]), flush=True)
        latency = mcp_latency(default_case(tmp))
        print(json.dumps(latency), flush=True)
    report = {
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "iterations_per_run": ITERATIONS,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cases": rows,
        "mcp_latency_stdio": latency,
    }
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Benchmarks",
        "",
        f"{ITERATIONS} training iterations per run; peak RSS {report['peak_rss_mb']} MB.",
        "",
        "| case | validate ms | s/iter (1 thr) | LP/s | in HiGHS | 2-thread speedup | sim scen/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t1 = r["train_t1"]
        lines.append(
            f"| {r['case']} | {r['validate_ms']} | {t1['s_per_iteration']} | "
            f"{t1['lp_solves_per_s']} | {t1['share_in_highs']:.0%} | {r['speedup_2_threads']}x | "
            f"{r['simulate_100']['scenarios_per_s']} |"
        )
    lines += [
        "",
        f"MCP over stdio ({latency['case']}), milliseconds:",
        "",
        "| call | p50 | p99 |",
        "|---|---|---|",
    ]
    for key in (
        "tools_list",
        "validate",
        "query_results_page",
        "query_results_grouped",
        "tools_list_during_train",
    ):
        lines.append(f"| {key} | {latency[key]['p50_ms']} | {latency[key]['p99_ms']} |")
    (out / "latest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
