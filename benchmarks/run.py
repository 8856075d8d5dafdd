"""``make bench``: validation, training, simulation, MCP latency and scaling, as JSON and Markdown.

Writes benchmarks/results/latest.json and latest.md. Sections: ``cases`` (toy, multi_region and
4ree from ../shared when present), ``mcp`` (MCP latency over stdio) and ``scaling`` (training on
generated cases of growing size, see :mod:`benchmarks.scaling`). ``--only scaling`` runs a subset
and keeps the other sections of the previous latest.json; ``--quick`` makes short runs. Figures,
not assertions: nothing here fails on a slow machine. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.full_run import (
    default_full_case,
    full_markdown,
    highs_fixed_cost,
    highs_seconds,
    machine_parallelism,
    repeated_full_runs,
)
from benchmarks.mcp_latency import default_case, mcp_latency
from benchmarks.scaling import run_scaling, scaling_markdown
from cobre_core.examples import write_example
from cobre_core.loader import load_case
from cobre_core.study_runs import simulate, train
from cobre_core.validation import validate

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parents[1] / "shared" / "cobre-cases"
ITERATIONS = 32
QUICK_ITERATIONS = 4


def _case_dirs(tmp: Path) -> dict[str, Path]:
    cases = {
        "toy": write_example("toy", tmp / "toy"),
        "multi_region": write_example("multi_region", tmp / "multi_region"),
    }
    if (SHARED / "4ree").is_dir():
        cases["4ree"] = SHARED / "4ree"
    return cases


def _bench_case(name: str, path: Path, out: Path, iterations: int = ITERATIONS) -> dict[str, Any]:
    t0 = time.perf_counter()
    report = validate(path)
    validate_ms = (time.perf_counter() - t0) * 1000
    case = load_case(path)
    row: dict[str, Any] = {
        "case": name,
        "validate_ms": round(validate_ms, 2),
        "valid": report.valid,
    }
    limit = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": iterations}]}}
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
            "share_in_highs_calls": (
                round(highs_seconds(res.extra) / wall, 3) if threads == 1 else None
            ),
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


SECTIONS: tuple[str, ...] = ("cases", "full", "mcp", "scaling")
"""Report sections: bundled and shared cases, the full 4ree run with its own config (1 thread,
2 threads, 2 processes, and the machine's 2-worker ceiling), MCP latency over stdio,
generated-case scaling. ``--quick`` skips ``full`` (it is the long one)."""


def _sections(spec: str | None) -> list[str]:
    """Parse ``--only NAME[,NAME]`` into section names (all of them when ``spec`` is None).

    Raises ``ValueError`` for an empty list or an unknown name.
    """
    if spec is None:
        return list(SECTIONS)
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = sorted(set(names) - set(SECTIONS))
    if unknown or not names:
        raise ValueError(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
    return [n for n in SECTIONS if n in names]


def _previous_report(path: Path) -> dict[str, Any]:
    """Return the report at ``path`` when it exists and parses, else an empty dict."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _cases_markdown(report: dict[str, Any]) -> list[str]:
    """Return the Markdown table of the per-case figures."""
    lines = [
        f"{report['iterations_per_run']} training iterations per run.",
        "",
        "| case | validate ms | s/iter (1 thr) | LP/s | in HiGHS run() | in HiGHS calls "
        "| 2-thread speedup | sim scen/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["cases"]:
        t1 = r["train_t1"]
        lines.append(
            f"| {r['case']} | {r['validate_ms']} | {t1['s_per_iteration']} | "
            f"{t1['lp_solves_per_s']} | {t1['share_in_highs']:.0%} | "
            f"{t1.get('share_in_highs_calls') or 0.0:.0%} | {r['speedup_2_threads']}x | "
            f"{r['simulate_100']['scenarios_per_s']} |"
        )
    return lines


def _mcp_markdown(latency: dict[str, Any]) -> list[str]:
    """Return the Markdown table of MCP call latencies."""
    lines = [
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
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    """Return latest.md for ``report``: one part per section the report holds."""
    runs = report.get("sections", {})

    def heading(name: str, title: str) -> list[str]:
        meta = runs.get(name, {})
        quick = " (quick)" if meta.get("quick") else ""
        when = f" ({meta['finished']})" if meta.get("finished") else ""
        return ["", f"## {title}{quick}{when}", ""]

    lines = [
        "# Benchmarks",
        "",
        "Peak RSS of the process that ran the cases and MCP sections: "
        f"{report.get('peak_rss_mb', 'n/a')} MB (scaling points report their own).",
    ]
    if "cases" in report:
        lines += heading("cases", "Cases") + _cases_markdown(report)
    if "full_run" in report:
        lines += heading("full", "Full run, own config") + full_markdown(report)
    if "mcp_latency_stdio" in report:
        lines += heading("mcp", "MCP latency") + _mcp_markdown(report["mcp_latency_stdio"])
    if "scaling" in report:
        lines += heading("scaling", "Scaling on generated cases")
        lines += scaling_markdown(report["scaling"])
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Run the selected sections, merge them into latest.json and rewrite latest.md.

    Without ``--only`` every section runs and the report starts afresh; with it, the sections
    not run keep their figures from the previous latest.json. ``--quick`` shortens the cases'
    training and the scaling sweep, and the report marks those sections as quick.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument(
        "--only", default=None, help=f"comma-separated sections to run: {', '.join(SECTIONS)}"
    )
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke check")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the full section this many times and report medians and ranges",
    )
    args = parser.parse_args(argv)
    try:
        chosen = _sections(args.only)
    except ValueError as exc:
        parser.error(f"--only: {exc}")
    out = ROOT / "results"
    report = _previous_report(out / "latest.json") if args.only else {}
    iterations = QUICK_ITERATIONS if args.quick else ITERATIONS
    sections = report.setdefault("sections", {})
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if "cases" in chosen:
            rows = []
            for name, path in _case_dirs(tmp).items():
                rows.append(_bench_case(name, path, tmp / "out", iterations))
                print(json.dumps(rows[-1]), flush=True)
            report["iterations_per_run"] = iterations
            report["cases"] = rows
        if "full" in chosen and not args.quick:
            report["machine_parallelism"] = {**machine_parallelism(), **highs_fixed_cost()}
            report["full_run"] = repeated_full_runs(default_full_case(tmp), args.repeat)
        if "mcp" in chosen:
            latency = mcp_latency(default_case(tmp))
            print(json.dumps(latency), flush=True)
            report["mcp_latency_stdio"] = latency
    if "scaling" in chosen:
        report["scaling"] = run_scaling(quick=args.quick)
    finished = time.strftime("%Y-%m-%d %H:%M")
    for name in chosen:
        if name == "full" and args.quick:
            continue
        sections[name] = {"quick": args.quick and name != "mcp", "finished": finished}
    report["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    if "cases" in chosen or "mcp" in chosen:  # scaling points measure their own processes
        report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    text = render_markdown(report)
    (out / "latest.md").write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
