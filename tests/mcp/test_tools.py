"""Every tool through a real MCP client (in memory, both protocol eras): results validate against
their outputSchema and agree with the core."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from mcp import Client
from mcp.client._memory import InMemoryTransport

from cobre_core.results.query import cost_summary
from cobre_core.validation import validate
from cobre_mcp.app import App
from tests.mcp.conftest import ERAS, TOOLS, check_output

pytestmark = pytest.mark.anyio

WRITERS = {"train", "simulate", "export-results", "cancel-job"}


def _walk(schema: Any) -> list[str]:
    """All keys anywhere in a JSON Schema."""
    if isinstance(schema, dict):
        return [k for k, v in schema.items() for k in [k, *_walk(v)]]
    if isinstance(schema, list):
        return [k for item in schema for k in _walk(item)]
    return []


async def test_tool_list_is_portable(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == TOOLS
    for t in tools:
        assert re.fullmatch(r"[a-z0-9-]{1,32}", t.name)
        keys = set(_walk(t.input_schema))
        assert not keys & {"anyOf", "$ref", "$defs", "oneOf"}, t.name
        assert t.input_schema["type"] == "object"
        assert t.output_schema and "summary" in t.output_schema["properties"], t.name
        assert t.description and len(t.description) < 700
        ann = t.annotations
        assert ann.open_world_hint is False
        assert ann.read_only_hint is (t.name not in WRITERS), t.name


@pytest.mark.parametrize("era", ERAS)
async def test_study_session(era: str, make_app: Callable[..., App], sandbox: Path) -> None:
    """validate -> load-case -> train -> simulate -> queries, each output schema-valid."""
    async with Client(InMemoryTransport(make_app().server), mode=era) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}

        async def call(name: str, **args: Any) -> dict[str, Any]:
            res = await c.call_tool(name, args)
            assert not res.is_error, res.structured_content
            check_output(tools, name, res.structured_content)
            return res.structured_content

        v = await call("validate", case_dir="case")
        direct = validate(sandbox / "case")
        assert v["valid"] is direct.valid is True
        assert v["totals"]["warning_count"] == direct.summary.warning_count
        case = await call("load-case", case_dir="case")
        assert case["entities"]["hydros"] == 1 and case["stages"] == 6
        assert (await call("load-case", case_dir=str(sandbox / "case")))["case_id"] == case[
            "case_id"
        ]
        cid = case["case_id"]
        sc = await call("list-scenarios", case_id=cid)
        assert sc["max_par_order"] == 1 and sc["openings_per_stage"] == [5] * 6
        schema = await call("get-config-schema", file="hydros")
        assert schema["file"] == "system/hydros.json" and "properties" in schema["json_schema"]

        seen: list[float] = []

        async def progress(done: float, total: float | None, message: str | None) -> None:
            seen.append(done)

        res = await c.call_tool(
            "train", {"case_id": cid, "iterations": 6}, progress_callback=progress
        )
        job = res.structured_content
        check_output(tools, "train", job)
        assert job["status"] == "completed", job
        assert seen == sorted(set(seen)) and seen[-1] == 6
        tr = job["train"]
        assert tr["iterations"] == 6 and tr["termination_reason"] == "iteration_limit"
        out = tr["output_dir"]
        assert Path(out) == sandbox / "case" / "output"

        sim = await call("simulate", case_id=cid, num_scenarios=12)
        assert sim["status"] == "completed" and sim["simulate"]["completed"] == 12
        direct_cost = cost_summary(out)
        assert sim["simulate"]["cost"]["mean"] == pytest.approx(direct_cost.mean, rel=1e-12)

        conv = await call("query-convergence", output_dir=out, limit=4)
        assert conv["total_iterations"] == 6 and [r["iteration"] for r in conv["iterations"]] == [
            3,
            4,
            5,
            6,
        ]
        assert conv["final_lower_bound"] == pytest.approx(tr["final_lower_bound"], rel=1e-15)

        page = await call(
            "query-results", output_dir=out, entity_type="hydros", scenario_max=3, limit=7
        )
        assert page["total_rows"] == 4 * 6 and page["next_offset"] == 7 and page["truncated"]
        grouped = await call(
            "query-results",
            output_dir=out,
            entity_type="costs",
            group_by="stage",
            columns=["immediate_cost"],
        )
        assert grouped["columns"] == ["stage_id", "immediate_cost_mean", "row_count"]
        per_stage = {s["stage_id"]: s["mean_immediate_cost"] for s in direct_cost.per_stage}
        for stage_id, mean, count in grouped["rows"]:
            assert count == 12
            assert mean == pytest.approx(per_stage[stage_id], rel=1e-12)

        pol = await call("inspect-policy", output_dir=out, stage=2)
        assert pol["total_cuts"] == tr["total_cuts"] and pol["stage"] == 2
        assert len(pol["coefficients_sample"][0]) == pol["state_dimension"] == 2
        cmp_ = await call("compare-policies", output_dirs=[out, out])
        assert cmp_["compatible"] and cmp_["deltas"]["cut_count_delta"] == 0

        exp = await call("export-results", output_dir=out, entity_type="thermals", format="parquet")
        table = pq.read_table(exp["file_path"])
        assert table.num_rows == exp["rows"] == 12 * 6 * 2
        jobs = await call("list-jobs")
        assert jobs["total"] == 2
        got = await call("get-job", job_id=job["job_id"], wait_seconds=0)
        assert got["train"] == tr
        again = await call("cancel-job", job_id=job["job_id"], wait_seconds=0)
        assert again["status"] == "completed"


async def test_resources_and_prompts(make_app: Callable[..., App]) -> None:
    app = make_app()
    async with Client(InMemoryTransport(app.server), mode="legacy") as c:
        templates = {t.name for t in (await c.list_resource_templates()).resource_templates}
        assert templates == {
            "case-config",
            "case-overview",
            "case-entities",
            "run-convergence",
            "run-results",
            "run-policy",
        }
        cid = (await c.call_tool("load-case", {"case_dir": "case"})).structured_content["case_id"]
        job = (await c.call_tool("train", {"case_id": cid, "iterations": 2})).structured_content
        import json

        def read(res: Any) -> Any:
            return json.loads(res.contents[0].text)

        cfg = read(await c.read_resource(f"cobre://cases/{cid}/config"))
        assert "training" in cfg
        hydros = read(await c.read_resource(f"cobre://cases/{cid}/entities/hydros"))
        assert [h["id"] for h in hydros] == [0]
        conv = read(await c.read_resource(f"cobre://jobs/{job['job_id']}/convergence"))
        assert conv["iterations"] == 2 and len(conv["rows"]) == 2
        pol = read(await c.read_resource(f"cobre://jobs/{job['job_id']}/policy"))
        assert pol["total_cuts"] == job["train"]["total_cuts"]
        prompts = {p.name for p in (await c.list_prompts()).prompts}
        assert prompts == {"setup-study", "diagnose-convergence", "compare-runs", "explain-results"}
        msg = await c.get_prompt("diagnose-convergence", {"output_dir": "case/output"})
        assert "query-convergence" in msg.messages[0].content.text


async def test_inspect_policy_reports_multi_cut_and_boundary_cuts(
    client: Client, sandbox: Path
) -> None:
    from cobre_core.study_runs import train

    limit = {"stopping_rules": [{"type": "iteration_limit", "limit": 3}]}
    train(
        sandbox / "case",
        {"training": {**limit, "cut_formulation": "multi"}},
        output_dir=sandbox / "multi",
    )
    res = await client.call_tool("inspect-policy", {"output_dir": "multi"})
    got = res.structured_content
    assert got["cut_formulation"] == "multi" and "multi-cut" in got["summary"]
    assert got["boundary_cuts"] == 0
    train(sandbox / "case", {"training": limit}, output_dir=sandbox / "single")
    boundary = {"boundary": {"path": str(sandbox / "single" / "policy"), "source_stage": 2}}
    train(sandbox / "case", {"training": limit, "policy": boundary}, output_dir=sandbox / "bounded")
    got = (await client.call_tool("inspect-policy", {"output_dir": "bounded"})).structured_content
    assert got["cut_formulation"] == "single"
    assert got["boundary_cuts"] == got["cuts_per_stage"][-1] > 0


async def test_list_scenarios_names_the_sampling_schemes(client: Client, sandbox: Path) -> None:
    import json

    config = sandbox / "case" / "config.json"
    cfg = json.loads(config.read_text())
    cfg["training"]["scenario_source"] = {"seed": 7, "inflow": {"scheme": "out_of_sample"}}
    cfg["simulation"]["scenario_source"] = {"seed": 7, "inflow": {"scheme": "in_sample"}}
    config.write_text(json.dumps(cfg))
    got = (await client.call_tool("list-scenarios", {"case_dir": "case"})).structured_content
    assert got["training_sampling"] == "inflow=out_of_sample, load=in_sample, ncs=in_sample"
    assert got["simulation_sampling"] == "inflow=in_sample, load=in_sample, ncs=in_sample"
    assert "out_of_sample" in got["summary"]
