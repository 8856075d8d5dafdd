"""Long runs: train returns a job when it outlasts wait_seconds, the server keeps answering while
it solves, get-job finishes it, cancel-job leaves a consistent output, and job results survive a
restart of the server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client._memory import InMemoryTransport

from cobre_core.results.atomic import is_complete
from cobre_core.results.policy import Policy
from cobre_core.results.query import convergence_summary
from cobre_mcp.app import App, ServerSettings
from cobre_mcp.cli import stdio_server
from cobre_mcp.server import build_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def reree_app(shared_cases: Path, sandbox: Path):
    """A writable server that may read the shared 4ree case and write into the sandbox."""
    app = build_server(
        ServerSettings(
            allowed_dirs=(str(sandbox), str(shared_cases / "4ree")),
            allow_write=True,
            state_dir=sandbox.parent / "state",
        )
    )
    yield app
    app.jobs.shutdown(timeout=120)


async def _finish(c: Client, job: dict) -> dict:
    while job["status"] in ("queued", "running"):
        job = (
            await c.call_tool("get-job", {"job_id": job["job_id"], "wait_seconds": 50})
        ).structured_content
    return job


async def test_4ree_train_runs_in_the_background(
    reree_app: App, shared_cases: Path, sandbox: Path
) -> None:
    async with Client(InMemoryTransport(reree_app.server), mode="legacy") as c:
        res = await c.call_tool(
            "train",
            {
                "case_dir": str(shared_cases / "4ree"),
                "output_dir": str(sandbox / "run4ree"),
                "iterations": 25,
                "wait_seconds": 1,
            },
        )
        job = res.structured_content
        assert job["status"] in ("queued", "running"), job["summary"]
        assert job["train"] is None and "get-job" in job["next_step"]
        # The event loop is free while the worker thread solves: tools/list answers mid-run.
        answered_while_running = 0
        for _ in range(5):
            tools = await c.list_tools()
            assert len(tools.tools) == 14
            if reree_app.jobs.get(job["job_id"]).status == "running":
                answered_while_running += 1
        assert answered_while_running >= 1
        done = await _finish(c, job)
        assert done["status"] == "completed" and done["train"]["iterations"] == 25
        out = done["train"]["output_dir"]
        conv = (await c.call_tool("query-convergence", {"output_dir": out})).structured_content
        assert conv["total_iterations"] == 25
        assert conv["final_lower_bound"] == done["train"]["final_lower_bound"]
        assert done["progress"]["done"] == 25
        direct = convergence_summary(out)
        assert direct.final_lower_bound == done["train"]["final_lower_bound"]


async def test_cancel_job_publishes_completed_iterations(
    reree_app: App, shared_cases: Path, sandbox: Path
) -> None:
    async with Client(InMemoryTransport(reree_app.server), mode="legacy") as c:
        job = (
            await c.call_tool(
                "train",
                {
                    "case_dir": str(shared_cases / "4ree"),
                    "output_dir": str(sandbox / "cancelled"),
                    "iterations": 500,
                    "wait_seconds": 2,
                },
            )
        ).structured_content
        assert job["status"] == "running"
        res = await c.call_tool("cancel-job", {"job_id": job["job_id"], "wait_seconds": 50})
        done = res.structured_content
        assert done["status"] == "cancelled", done["summary"]
        tr = done["train"]
        assert tr["termination_reason"] == "cancelled" and 0 < tr["iterations"] < 500
    out = sandbox / "cancelled"
    assert is_complete(out / "training") and is_complete(out / "policy")
    assert convergence_summary(out).iterations == tr["iterations"]
    assert Policy.load(out / "policy").total_cuts == tr["total_cuts"]


async def test_results_survive_a_restart(make_app: Callable[..., App], sandbox: Path) -> None:
    state = sandbox.parent / "state"
    first = make_app(state_dir=state)
    async with Client(InMemoryTransport(first.server), mode="legacy") as c:
        job = (await c.call_tool("train", {"case_dir": "case", "iterations": 3})).structured_content
        assert job["status"] == "completed"
        case_id = (await c.call_tool("load-case", {"case_dir": "case"})).structured_content[
            "case_id"
        ]
    # A second server on the same state directory (the first one never shut down: as if killed).
    second = make_app(state_dir=state)
    async with Client(InMemoryTransport(second.server), mode="2026-07-28") as c:
        again = (await c.call_tool("get-job", {"job_id": job["job_id"]})).structured_content
        assert again["status"] == "completed" and again["train"] == job["train"]
        scen = await c.call_tool("list-scenarios", {"case_id": case_id})
        assert not scen.is_error


async def test_a_job_left_running_is_reported_interrupted(
    reree_app: App, shared_cases: Path, sandbox: Path
) -> None:
    async with Client(InMemoryTransport(reree_app.server), mode="legacy") as c:
        job = (
            await c.call_tool(
                "train",
                {
                    "case_dir": str(shared_cases / "4ree"),
                    "output_dir": str(sandbox / "orphan"),
                    "iterations": 500,
                    "wait_seconds": 1,
                },
            )
        ).structured_content
    # A new server reads the record a live (or killed) process left "running".
    successor = build_server(
        ServerSettings(allowed_dirs=(str(sandbox),), state_dir=sandbox.parent / "state")
    )
    try:
        rep = successor.jobs.get(job["job_id"])
        assert rep.status == "interrupted" and rep.error["kind"] == "JobInterrupted"
    finally:
        successor.jobs.shutdown()
        reree_app.jobs.cancel(job["job_id"])
    assert not (sandbox / "orphan" / "training").exists() or is_complete(
        sandbox / "orphan" / "training"
    )


async def test_finished_job_survives_server_process_exit(sandbox: Path) -> None:
    def params() -> StdioServerParameters:
        return stdio_server([sandbox], sandbox.parent / "state")

    async with Client(params()) as c:
        job = (await c.call_tool("train", {"case_dir": "case", "iterations": 2})).structured_content
        assert job["status"] == "completed"
    async with Client(params(), mode="2026-07-28") as c:
        again = (await c.call_tool("get-job", {"job_id": job["job_id"]})).structured_content
    assert again["train"] == job["train"]


async def test_client_cancelling_the_call_cancels_the_job(
    reree_app: App, shared_cases: Path, sandbox: Path
) -> None:
    async with Client(InMemoryTransport(reree_app.server), mode="legacy") as c:
        with pytest.raises(Exception):  # noqa: B017  (the SDK's timeout error type varies)
            await c.call_tool(
                "train",
                {
                    "case_dir": str(shared_cases / "4ree"),
                    "output_dir": str(sandbox / "timeout"),
                    "iterations": 500,
                    "wait_seconds": 30,
                },
                read_timeout_seconds=2,
            )
        (job,) = reree_app.jobs.list()
        # Wait off the event loop: the in-memory server shares it and must see the cancel.
        assert await anyio.to_thread.run_sync(reree_app.jobs.wait, job, 60)
        assert job.status == "cancelled" and 0 < job.result["iterations"] < 500


async def test_process_workers_give_the_thread_result(
    make_app: Callable[..., App], sandbox: Path
) -> None:
    """A server started with --parallel processes trains to the same bound as with threads."""
    results = {}
    for parallel in ("threads", "processes"):
        app = make_app(default_threads=2, parallel=parallel)
        async with Client(InMemoryTransport(app.server), mode="legacy") as c:
            args = {"case_dir": "case", "iterations": 4, "output_dir": f"par-{parallel}"}
            job = (await c.call_tool("train", args)).structured_content
            assert job["status"] == "completed", job["summary"]
            results[parallel] = job["train"]
    assert results["processes"]["final_lower_bound"] == results["threads"]["final_lower_bound"]
    assert results["processes"]["lp_solves"] == results["threads"]["lp_solves"]
