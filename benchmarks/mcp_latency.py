"""MCP latency over stdio: tools/list, validate and query-results, idle and while a train runs.

Starts ``cobre-mcp serve`` as a subprocess and drives it with the SDK's client, as a host would.
Reports p50/p99 in milliseconds. Run alone with ``python -m benchmarks.mcp_latency``.
"""

from __future__ import annotations

import gc
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from cobre_core.examples import write_example
from cobre_mcp.cli import stdio_server

SHARED = Path(__file__).resolve().parents[2] / "shared" / "cobre-cases"


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(p99, 2),
        "max_ms": round(ordered[-1], 2),
    }


async def _timed(n: int, fn: Callable[[], Awaitable[Any]]) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def _session(case_dir: Path, work: Path) -> dict[str, Any]:
    params = stdio_server([work, case_dir], work / ".state", "--threads", "2")
    report: dict[str, Any] = {"case": case_dir.name}
    async with Client(params) as c:

        async def call(name: str, **args: Any) -> dict[str, Any]:
            res = await c.call_tool(name, args)
            if res.is_error:
                raise RuntimeError(f"{name}: {res.structured_content}")
            return res.structured_content

        async def finish(job: dict[str, Any]) -> dict[str, Any]:
            while job["status"] in ("queued", "running"):
                job = await call("get-job", job_id=job["job_id"], wait_seconds=30)
            return job

        report["tools_list"] = _stats(await _timed(50, c.list_tools))
        report["validate"] = _stats(
            await _timed(20, lambda: call("validate", case_dir=str(case_dir)))
        )
        out = work / "run"
        await finish(
            await call(
                "train", case_dir=str(case_dir), output_dir=str(out), iterations=10, wait_seconds=0
            )
        )
        await finish(
            await call(
                "simulate",
                case_dir=str(case_dir),
                output_dir=str(out),
                num_scenarios=100,
                threads=2,
                wait_seconds=0,
            )
        )
        report["query_results_page"] = _stats(
            await _timed(
                30,
                lambda: call(
                    "query-results",
                    output_dir=str(out),
                    entity_type="hydros",
                    stage_min=3,
                    stage_max=6,
                    limit=100,
                ),
            )
        )
        report["query_results_grouped"] = _stats(
            await _timed(
                30,
                lambda: call(
                    "query-results", output_dir=str(out), entity_type="costs", group_by="stage"
                ),
            )
        )
        job = await call(
            "train",
            case_dir=str(case_dir),
            output_dir=str(work / "busy"),
            iterations=200,
            threads=1,
            wait_seconds=0,
        )
        await anyio.sleep(1.0)
        busy = []
        while len(busy) < 100:
            busy += await _timed(1, c.list_tools)
            await anyio.sleep(0.02)
        report["tools_list_during_train"] = _stats(busy)
        await call("cancel-job", job_id=job["job_id"], wait_seconds=30)
    return report


def mcp_latency(case_dir: Path) -> dict[str, Any]:
    """Latency figures for one case (a fresh server per call).

    The server freezes its start-up heap (``cobre_mcp.cli._settle_heap``); this client does the
    same, so a full garbage collection of the benchmark's own heap (100+ ms with pandas and
    pyarrow loaded) is not counted as server latency. Hosts written in other languages have no
    such pause.
    """
    gc.collect()
    gc.freeze()
    with tempfile.TemporaryDirectory() as tmp:
        return anyio.run(_session, case_dir, Path(tmp))


def default_case(tmp: Path) -> Path:
    """4ree from ../shared when present, else our multi_region example."""
    if (SHARED / "4ree").is_dir():
        return SHARED / "4ree"
    return write_example("multi_region", tmp / "multi_region")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(mcp_latency(default_case(Path(d))), indent=2))
