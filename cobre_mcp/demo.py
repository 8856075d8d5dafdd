"""The README's main job: an agent session against the real server, over stdio, as a transcript.

Writes the bundled example case to ``<dir>/case``, starts ``cobre-mcp serve --allow-write`` as a
subprocess confined to ``<dir>``, and drives it with the MCP SDK's client: tools/list, validate,
load-case, list-scenarios, train (with progress notifications), simulate, query-results,
query-convergence and inspect-policy, printing what an agent would see.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from cobre_core.examples import write_example
from cobre_mcp.cli import stdio_server


def _say(text: str = "") -> None:
    print(text, flush=True)


def _short(obj: Any, width: int = 96) -> str:
    text = json.dumps(obj)
    return text if len(text) <= width else text[: width - 3] + "..."


async def _session(workdir: Path, example: str) -> int:
    params = stdio_server([workdir], workdir / ".state")
    async with Client(params) as client:
        tools = await client.list_tools()
        _say(f"== tools/list: {len(tools.tools)} tools")
        _say("   " + ", ".join(t.name for t in tools.tools))

        async def call(name: str, args: dict[str, Any], **kw: Any) -> dict[str, Any]:
            _say(f"\n== {name} {_short(args)}")
            t0 = time.perf_counter()
            res = await client.call_tool(name, args, **kw)
            sc = res.structured_content or {}
            ms = (time.perf_counter() - t0) * 1000
            mark = "ERROR " if res.is_error else ""
            _say(f"   {mark}{sc.get('summary') or sc.get('message')}  ({ms:.0f} ms)")
            if res.is_error:
                raise SystemExit(f"{name} failed: {sc}")
            return sc

        await call("validate", {"case_dir": "case"})
        case = await call("load-case", {"case_dir": "case"})
        cid = case["case_id"]
        await call("list-scenarios", {"case_id": cid})

        async def progress(done: float, total: float | None, message: str | None) -> None:
            if int(done) == 1 or int(done) % 10 == 0:
                _say(f"   progress: {message}")

        job = await call(
            "train",
            {"case_id": cid, "iterations": 40, "wait_seconds": 30},
            progress_callback=progress,
        )
        while job["status"] in ("queued", "running"):
            job = await call("get-job", {"job_id": job["job_id"], "wait_seconds": 30})
        out = job["train"]["output_dir"]
        for row in job["train"]["last_iterations"][-3:]:
            _say(
                f"   iter {row['iteration']:3d}  lower {row['lower_bound']:14,.2f}  "
                f"upper {row['upper_bound_mean']:14,.2f}"
            )
        sim = await call("simulate", {"case_id": cid, "num_scenarios": 50, "wait_seconds": 30})
        while sim["status"] in ("queued", "running"):
            sim = await call("get-job", {"job_id": sim["job_id"], "wait_seconds": 30})
        cost = sim["simulate"]["cost"]
        _say(
            f"   cost $: mean {cost['mean']:,.0f}  p5 {cost['p5']:,.0f}  p50 {cost['p50']:,.0f}  "
            f"p95 {cost['p95']:,.0f}"
        )
        page = await call(
            "query-results",
            {
                "output_dir": out,
                "entity_type": "hydros",
                "group_by": "stage",
                "columns": ["storage_final_hm3", "turbined_m3s", "spillage_m3s"],
            },
        )
        _say("   " + "  ".join(f"{c:>24}" for c in page["columns"]))
        for row in page["rows"]:
            _say(
                "   "
                + "  ".join(f"{v:>24,.2f}" if isinstance(v, float) else f"{v:>24}" for v in row)
            )
        await call("query-convergence", {"output_dir": out, "limit": 3})
        await call("inspect-policy", {"output_dir": out})
        res = await client.call_tool("validate", {"case_dir": "/etc"})
        _say('\n== validate {"case_dir": "/etc"}  (outside the allowed directory)')
        _say(f"   isError={res.is_error}: {_short(res.structured_content, 150)}")
    _say(f"\nOutputs are in {out}")
    return 0


def run_demo(workdir: Path = Path("demo-output"), example: str = "toy") -> int:
    """Write the example, run the session, return a process exit code."""
    workdir = workdir.resolve()
    _say(f"== writing the bundled example '{example}' to {workdir / 'case'}")
    write_example(example, workdir / "case", overwrite=True)
    return anyio.run(_session, workdir, example)


if __name__ == "__main__":
    sys.exit(run_demo())
