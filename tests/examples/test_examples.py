"""Tests of the project's example cases (``cobre_core.examples``).

They write each example to a temporary directory and check that the files parse, that Parquet
columns carry the upstream types, that the files agree with each other, that the numbers are
physically sensible, and that the layout matches the upstream reference cases key for key.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cobre_core.examples import (
    EXAMPLES,
    build_example,
    example_names,
    write_example,
)
from cobre_core.examples.__main__ import main as cli_main
from cobre_core.examples.writer import PARQUET_SCHEMAS, write_case_files

UPSTREAM_CASES = Path(__file__).resolve().parents[3] / "shared" / "cobre-cases"
"""Upstream reference cases used only to compare file layouts (skipped when absent)."""

REQUIRED_FILES = (
    "config.json",
    "stages.json",
    "penalties.json",
    "initial_conditions.json",
    "system/buses.json",
    "system/lines.json",
    "system/hydros.json",
    "system/thermals.json",
    "scenarios/inflow_seasonal_stats.parquet",
    "scenarios/inflow_ar_coefficients.parquet",
    "scenarios/load_seasonal_stats.parquet",
)
"""Files every example must contain."""

EXPECTED_COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "scenarios/inflow_seasonal_stats.parquet": {
        "hydro_id": pa.int32(),
        "stage_id": pa.int32(),
        "mean_m3s": pa.float64(),
        "std_m3s": pa.float64(),
    },
    "scenarios/inflow_ar_coefficients.parquet": {
        "hydro_id": pa.int32(),
        "stage_id": pa.int32(),
        "lag": pa.int32(),
        "coefficient": pa.float64(),
        "residual_std_ratio": pa.float64(),
    },
    "scenarios/load_seasonal_stats.parquet": {
        "bus_id": pa.int32(),
        "stage_id": pa.int32(),
        "mean_mw": pa.float64(),
        "std_mw": pa.float64(),
    },
}
"""Column names and types of each Parquet file, in order."""


# --------------------------------------------------------------------------- helpers


def load_case(case_dir: Path) -> dict[str, Any]:
    """Read every file of a written case: JSON as dicts, Parquet as lists of row dicts."""
    content: dict[str, Any] = {}
    for path in sorted(case_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(case_dir).as_posix()
        if path.suffix == ".json":
            content[rel] = json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".parquet":
            content[rel] = pq.read_table(path).to_pylist()
    return content


def consistency_problems(case: dict[str, Any]) -> list[str]:
    """Return every cross-file inconsistency or physically implausible value of a loaded case."""
    problems: list[str] = []
    buses = case["system/buses.json"]["buses"]
    lines = case["system/lines.json"]["lines"]
    hydros = case["system/hydros.json"]["hydros"]
    thermals = case["system/thermals.json"]["thermals"]
    stages = case["stages.json"]["stages"]
    pre_study = case["stages.json"].get("pre_study_stages", [])
    bus_ids = {b["id"] for b in buses}
    hydro_ids = {h["id"] for h in hydros}
    stage_ids = {s["id"] for s in stages}
    pre_ids = {s["id"] for s in pre_study}

    for kind, records in (
        ("bus", buses),
        ("line", lines),
        ("hydro", hydros),
        ("thermal", thermals),
    ):
        ids = [r["id"] for r in records]
        if len(ids) != len(set(ids)):
            problems.append(f"duplicate {kind} ids {ids}")

    for h in hydros:
        if h["bus_id"] not in bus_ids:
            problems.append(f"hydro {h['id']} references missing bus {h['bus_id']}")
        if h["downstream_id"] is not None and h["downstream_id"] not in hydro_ids:
            problems.append(f"hydro {h['id']} references missing downstream {h['downstream_id']}")
        res = h["reservoir"]
        if not res["max_storage_hm3"] > res["min_storage_hm3"] >= 0.0:
            problems.append(f"hydro {h['id']} storage bounds {res}")
        gen = h["generation"]
        if gen["productivity_mw_per_m3s"] <= 0 or gen["max_turbined_m3s"] <= 0:
            problems.append(f"hydro {h['id']} cannot generate")
        outflow = h["outflow"]
        if outflow["max_outflow_m3s"] is not None and (
            outflow["max_outflow_m3s"] < outflow["min_outflow_m3s"]
        ):
            problems.append(f"hydro {h['id']} outflow bounds {outflow}")
    for t in thermals:
        if t["bus_id"] not in bus_ids:
            problems.append(f"thermal {t['id']} references missing bus {t['bus_id']}")
        if not t["generation"]["max_mw"] >= t["generation"]["min_mw"] >= 0:
            problems.append(f"thermal {t['id']} generation bounds")
    for ln in lines:
        for key in ("source_bus_id", "target_bus_id"):
            if ln[key] not in bus_ids:
                problems.append(f"line {ln['id']} references missing bus {ln[key]}")
        if ln["source_bus_id"] == ln["target_bus_id"]:
            problems.append(f"line {ln['id']} is a self-loop")
    segment_lists = [b["deficit_segments"] for b in buses]
    segment_lists.append(case["penalties.json"]["bus"]["deficit_segments"])
    for segments in segment_lists:
        costs = [s["cost"] for s in segments]
        if costs != sorted(costs) or len(set(costs)) != len(costs):
            problems.append(f"deficit costs not increasing: {costs}")
        if segments[-1]["depth_mw"] is not None:
            problems.append("last deficit segment is bounded")

    # Initial conditions.
    ic = case["initial_conditions.json"]
    storage = {r["hydro_id"]: r["value_hm3"] for r in ic["storage"]}
    if set(storage) != hydro_ids:
        problems.append(f"initial storage ids {sorted(storage)} != hydros {sorted(hydro_ids)}")
    for h in hydros:
        res = h["reservoir"]
        value = storage.get(h["id"])
        if value is not None and not res["min_storage_hm3"] <= value <= res["max_storage_hm3"]:
            problems.append(f"hydro {h['id']} initial storage {value} outside bounds")
    for r in ic.get("past_inflows", []):
        if r["hydro_id"] not in hydro_ids:
            problems.append(f"past inflows for missing hydro {r['hydro_id']}")

    # Inflow statistics and PAR coefficients.
    stats = case["scenarios/inflow_seasonal_stats.parquet"]
    stats_keys = [(r["hydro_id"], r["stage_id"]) for r in stats]
    if len(stats_keys) != len(set(stats_keys)):
        problems.append("duplicate inflow stats rows")
    for r in stats:
        if r["hydro_id"] not in hydro_ids or r["stage_id"] not in stage_ids | pre_ids:
            problems.append(f"inflow stats row for unknown ids {r}")
        if not (r["mean_m3s"] > 0 and r["std_m3s"] > 0):
            problems.append(f"inflow stats row not stochastic {r}")
    ar = case["scenarios/inflow_ar_coefficients.parquet"]
    max_order = max((r["lag"] for r in ar), default=0)
    for h in hydro_ids:
        for s in stage_ids:
            if (h, s) not in stats_keys:
                problems.append(f"no inflow stats for hydro {h} stage {s}")
            lags = sorted(r["lag"] for r in ar if (r["hydro_id"], r["stage_id"]) == (h, s))
            if lags != list(range(1, len(lags) + 1)):
                problems.append(f"AR lags of hydro {h} stage {s} are not 1..p: {lags}")
            for lag in lags:
                if (h, s - lag) not in stats_keys:
                    problems.append(f"no stats for the lag-{lag} stage of hydro {h} stage {s}")
        past = [r for r in ic.get("past_inflows", []) if r["hydro_id"] == h]
        if max_order and (len(past) != 1 or len(past[0]["values_m3s"]) < max_order):
            problems.append(f"hydro {h} lacks {max_order} past inflows")
    for r in ar:
        if not 0.0 < r["residual_std_ratio"] <= 1.0 or abs(r["coefficient"]) >= 1.0:
            problems.append(f"AR row out of range {r}")
        if r["hydro_id"] not in hydro_ids or r["stage_id"] not in stage_ids:
            problems.append(f"AR row for unknown ids {r}")

    # Load statistics and block factors.
    load = {(r["bus_id"], r["stage_id"]): r for r in case["scenarios/load_seasonal_stats.parquet"]}
    for b in bus_ids:
        for s in stage_ids:
            row = load.get((b, s))
            if row is None:
                problems.append(f"no load stats for bus {b} stage {s}")
            elif row["mean_mw"] < 0 or row["std_mw"] < 0:
                problems.append(f"negative load stats {row}")
    for b, s in load:
        if b not in bus_ids or s not in stage_ids:
            problems.append(f"load stats for unknown bus {b} / stage {s}")
    blocks = {s["id"]: {blk["id"]: blk["hours"] for blk in s["blocks"]} for s in stages}
    factors: dict[tuple[int, int, int], float] = {}
    for entry in case.get("scenarios/load_factors.json", {"load_factors": []})["load_factors"]:
        b, s = entry["bus_id"], entry["stage_id"]
        if b not in bus_ids or s not in stage_ids:
            problems.append(f"load factors for unknown bus {b} / stage {s}")
            continue
        for bf in entry["block_factors"]:
            if bf["block_id"] not in blocks[s] or bf["factor"] <= 0:
                problems.append(f"bad block factor {bf} for bus {b} stage {s}")
            factors[(b, s, bf["block_id"])] = bf["factor"]
        hours = blocks[s]
        total = sum(hours.values())
        average = sum(factors.get((b, s, k), 1.0) * hk for k, hk in hours.items()) / total
        if abs(average - 1.0) > 0.05:
            problems.append(f"hours-weighted load factor of bus {b} stage {s} is {average:.3f}")

    # Stage calendar: contiguous months, block hours = days × 24.
    previous_end: str | None = None
    for s in sorted(stages, key=lambda x: x["id"]):
        start, end = date.fromisoformat(s["start_date"]), date.fromisoformat(s["end_date"])
        if previous_end is not None and s["start_date"] != previous_end:
            problems.append(f"stage {s['id']} does not start where the previous one ended")
        previous_end = s["end_date"]
        if sum(blocks[s["id"]].values()) != (end - start).days * 24:
            problems.append(f"stage {s['id']} block hours do not cover the stage")
        if [blk["id"] for blk in s["blocks"]] != list(range(len(s["blocks"]))):
            problems.append(f"stage {s['id']} block ids are not 0..K-1")
        if s["num_scenarios"] < 1:
            problems.append(f"stage {s['id']} has no openings")

    # Adequacy: thermal + hydro capacity covers the system's peak block load.
    capacity = sum(t["generation"]["max_mw"] for t in thermals) + sum(
        min(
            h["generation"]["max_generation_mw"],
            h["generation"]["productivity_mw_per_m3s"] * h["generation"]["max_turbined_m3s"],
        )
        for h in hydros
    )
    for s in stage_ids:
        for k in blocks[s]:
            peak = sum(
                (load[(b, s)]["mean_mw"] + 2.0 * load[(b, s)]["std_mw"])
                * factors.get((b, s, k), 1.0)
                for b in bus_ids
                if (b, s) in load
            )
            if peak > capacity:
                problems.append(f"peak load {peak:.0f} MW exceeds capacity {capacity:.0f} MW")
    return problems


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Return the set of dotted key paths of a JSON value (list items collapse to ``[]``),
    ignoring ``$schema``."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$schema":
                continue
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, f"{prefix}[]")
    return paths


def hydro_cycle(hydros: list[dict[str, Any]]) -> list[int] | None:
    """Return a cycle of the downstream graph as a list of hydro ids, or None if acyclic."""
    downstream = {h["id"]: h["downstream_id"] for h in hydros}
    for start in downstream:
        seen: list[int] = []
        node: int | None = start
        while node is not None:
            if node in seen:
                return [*seen[seen.index(node) :], node]
            seen.append(node)
            node = downstream.get(node)
    return None


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(params=sorted(EXAMPLES))
def written(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Write each example to its own temporary directory and yield ``(name, case_dir)``."""
    name = request.param
    yield name, write_example(name, tmp_path / name)


# --------------------------------------------------------------------------- tests


def test_example_names() -> None:
    """Both examples are registered and listed in sorted order."""
    assert example_names() == ["multi_region", "toy"]
    with pytest.raises(KeyError, match="unknown example"):
        build_example("nope")


def test_builders_return_fresh_objects() -> None:
    """Mutating one built case does not leak into the next build."""
    first = build_example("toy")
    first["system/hydros.json"]["hydros"].clear()
    assert build_example("toy")["system/hydros.json"]["hydros"]


def test_files_present_and_json_parses(written: tuple[str, Path]) -> None:
    """Every required file exists, every JSON file parses and carries a ``$schema`` URL."""
    name, case_dir = written
    for rel in REQUIRED_FILES:
        assert (case_dir / rel).is_file(), rel
    if name == "multi_region":
        assert (case_dir / "scenarios/load_factors.json").is_file()
    for path in case_dir.rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert isinstance(data, dict)
        assert data["$schema"].endswith(f"/{path.stem}.schema.json")
        assert text.endswith("\n")
        assert text.startswith('{\n  "$schema"')  # 2-space indent


def test_parquet_columns_and_types(written: tuple[str, Path]) -> None:
    """Every Parquet file reads back with exactly the expected columns and int32/float64 types."""
    _, case_dir = written
    found = sorted(p.relative_to(case_dir).as_posix() for p in case_dir.rglob("*.parquet"))
    assert found == sorted(EXPECTED_COLUMNS)
    for rel, columns in EXPECTED_COLUMNS.items():
        table = pq.read_table(case_dir / rel)
        assert table.schema.names == list(columns), rel
        for field in table.schema:
            assert field.type == columns[field.name], (rel, field)
        assert table.num_rows > 0
        assert PARQUET_SCHEMAS[rel].names == list(columns)


def test_cross_file_consistency(written: tuple[str, Path]) -> None:
    """All ids resolve, stats cover every (hydro, stage), factors average 1, bounds hold."""
    _, case_dir = written
    assert consistency_problems(load_case(case_dir)) == []


def test_checker_catches_broken_variants(tmp_path: Path) -> None:
    """Broken variants derived from the in-memory case are reported (the checks have teeth)."""
    files = build_example("multi_region")
    files["system/thermals.json"]["thermals"][0]["bus_id"] = 99
    files["initial_conditions.json"]["storage"][0]["value_hm3"] = 1e9
    stats = files["scenarios/inflow_seasonal_stats.parquet"]
    files["scenarios/inflow_seasonal_stats.parquet"] = stats.slice(1)
    files["scenarios/load_factors.json"]["load_factors"][0]["block_factors"][0]["factor"] = 3.0
    write_case_files(files, tmp_path)
    problems = "\n".join(consistency_problems(load_case(tmp_path)))
    assert "missing bus 99" in problems
    assert "initial storage" in problems
    assert "no stats for the lag-1 stage" in problems
    assert "hours-weighted load factor" in problems


def test_toy_shape() -> None:
    """The toy case has the promised size and settings."""
    case = build_example("toy")
    stages = case["stages.json"]["stages"]
    assert len(stages) == 6
    assert [s["start_date"][:7] for s in stages] == [f"2025-0{m}" for m in range(1, 7)]
    for s in stages:
        month = int(s["start_date"][5:7])
        assert [b["hours"] for b in s["blocks"]] == [calendar.monthrange(2025, month)[1] * 24]
        assert s["num_scenarios"] == 5
    assert [p["id"] for p in case["stages.json"]["pre_study_stages"]] == [-1]
    assert len(case["system/buses.json"]["buses"]) == 1
    assert len(case["system/hydros.json"]["hydros"]) == 1
    thermals = case["system/thermals.json"]["thermals"]
    assert len(thermals) == 2
    assert len({t["cost_per_mwh"] for t in thermals}) == 2
    config = case["config.json"]
    assert config["training"]["forward_passes"] == 2
    assert config["training"]["stopping_rules"] == [{"type": "iteration_limit", "limit": 30}]
    assert config["simulation"] == {"enabled": True, "num_scenarios": 20}
    assert config["modeling"]["inflow_non_negativity"]["method"] == "truncation"
    ar = case["scenarios/inflow_ar_coefficients.parquet"].to_pylist()
    assert {r["coefficient"] for r in ar} == {0.4}
    assert all(0.85 <= r["residual_std_ratio"] <= 0.95 for r in ar)
    loads = case["scenarios/load_seasonal_stats.parquet"].to_pylist()
    assert {r["std_mw"] for r in loads} == {0.0}
    assert case["initial_conditions.json"]["past_inflows"][0]["values_m3s"]
    assert "scenarios/load_factors.json" not in case


def test_multi_region_shape() -> None:
    """The multi-region case has the promised entities, blocks and stochastic features."""
    case = build_example("multi_region")
    stages = case["stages.json"]["stages"]
    assert len(stages) == 12
    assert all(s["start_date"].startswith("2025-") for s in stages)
    assert all(len(s["blocks"]) == 3 and s["num_scenarios"] == 4 for s in stages)
    assert len(case["system/buses.json"]["buses"]) == 3
    lines = case["system/lines.json"]["lines"]
    assert 2 <= len(lines) <= 3
    assert all(0 < ln["exchange_cost"] <= 1.0 for ln in lines)
    hydros = case["system/hydros.json"]["hydros"]
    assert len(hydros) == 4
    assert any(h["outflow"]["min_outflow_m3s"] > 0 for h in hydros)
    assert len(case["system/thermals.json"]["thermals"]) == 4
    loads = case["scenarios/load_seasonal_stats.parquet"].to_pylist()
    assert len({r["bus_id"] for r in loads if r["std_mw"] > 0}) == 1
    config = case["config.json"]
    assert config["training"]["forward_passes"] == 2
    assert config["training"]["stopping_rules"] == [{"type": "iteration_limit", "limit": 20}]
    assert config["simulation"] == {"enabled": True, "num_scenarios": 20}


def test_multi_region_cascade() -> None:
    """The cascade is acyclic: UPPER -> MIDDLE -> LOWER on two buses, plus a stand-alone hydro."""
    hydros = build_example("multi_region")["system/hydros.json"]["hydros"]
    assert hydro_cycle(hydros) is None
    by_id = {h["id"]: h for h in hydros}
    chain = [0]
    while by_id[chain[-1]]["downstream_id"] is not None:
        chain.append(by_id[chain[-1]]["downstream_id"])
    assert chain == [0, 1, 2]
    assert len({by_id[h]["bus_id"] for h in chain}) == 2
    standalone = [
        h
        for h in hydros
        if h["downstream_id"] is None and all(u["downstream_id"] != h["id"] for u in hydros)
    ]
    assert [h["id"] for h in standalone] == [3]


def test_cycle_detector() -> None:
    """The cycle helper itself finds a planted cycle."""
    hydros = build_example("multi_region")["system/hydros.json"]["hydros"]
    hydros[2]["downstream_id"] = 0
    assert hydro_cycle(hydros) is not None


def test_refuses_non_empty_directory(tmp_path: Path) -> None:
    """A non-empty destination is refused unless overwrite=True, which drops stale inputs."""
    dest = tmp_path / "case"
    dest.mkdir()
    (dest / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        write_example("toy", dest)
    assert not (dest / "config.json").exists()

    write_example("multi_region", dest, overwrite=True)
    assert (dest / "scenarios/load_factors.json").is_file()
    write_example("toy", dest, overwrite=True)
    assert not (dest / "scenarios/load_factors.json").exists()
    assert (dest / "keep.txt").read_text() == "x"
    assert consistency_problems(load_case(dest)) == []


def test_writes_into_new_or_empty_directory(tmp_path: Path) -> None:
    """A missing (nested) or empty destination is created or filled without overwrite."""
    nested = write_example("toy", tmp_path / "a" / "b")
    assert (nested / "config.json").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert write_example("toy", empty) == empty.resolve()
    not_dir = tmp_path / "file"
    not_dir.write_text("x")
    with pytest.raises(NotADirectoryError):
        write_example("toy", not_dir, overwrite=True)


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m cobre_core.examples <name> <dest>`` writes the case and prints its path."""
    dest = tmp_path / "cli"
    assert cli_main(["multi_region", str(dest)]) == 0
    assert capsys.readouterr().out.strip() == str(dest.resolve())
    assert (dest / "stages.json").is_file()
    assert cli_main(["toy", str(dest)]) == 1
    assert "not empty" in capsys.readouterr().err
    assert cli_main(["toy", str(dest), "--overwrite"]) == 0


# --------------------------------------------------------------------------- upstream layout

UPSTREAM_MATCHES: dict[str, str] = {
    "config.json": "1dtoy/config.json",
    "stages.json": "deterministic/d26-estimated-par2/stages.json",
    "penalties.json": "1dtoy/penalties.json",
    "initial_conditions.json": "deterministic/d19-multi-hydro-par/initial_conditions.json",
    "system/buses.json": "1dtoy/system/buses.json",
    "system/hydros.json": "deterministic/d19-multi-hydro-par/system/hydros.json",
    "system/thermals.json": "1dtoy/system/thermals.json",
    "scenarios/load_factors.json": "deterministic/d14-block-factors/scenarios/load_factors.json",
    "scenarios/inflow_seasonal_stats.parquet": (
        "deterministic/d19-multi-hydro-par/scenarios/inflow_seasonal_stats.parquet"
    ),
    "scenarios/inflow_ar_coefficients.parquet": (
        "deterministic/d19-multi-hydro-par/scenarios/inflow_ar_coefficients.parquet"
    ),
    "scenarios/load_seasonal_stats.parquet": (
        "deterministic/d19-multi-hydro-par/scenarios/load_seasonal_stats.parquet"
    ),
}
"""For each example file, an upstream case file with the same layout."""

LINES_MATCH = {"toy": "1dtoy/system/lines.json", "multi_region": "4ree/system/lines.json"}
"""Upstream ``lines.json`` matching each example (empty vs populated list)."""


@pytest.mark.skipif(not UPSTREAM_CASES.is_dir(), reason="upstream reference cases not available")
def test_layout_matches_upstream(written: tuple[str, Path]) -> None:
    """Every file has exactly the key paths (JSON) or columns and types (Parquet) of a matching
    upstream reference file."""
    name, case_dir = written
    matches = {**UPSTREAM_MATCHES, "system/lines.json": LINES_MATCH[name]}
    checked = 0
    for path in sorted(case_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(case_dir).as_posix()
        upstream = UPSTREAM_CASES / matches[rel]
        if path.suffix == ".json":
            mine = json.loads(path.read_text(encoding="utf-8"))
            theirs = json.loads(upstream.read_text(encoding="utf-8"))
            assert key_paths(mine) == key_paths(theirs), rel
            if "$schema" in theirs:
                assert mine["$schema"] == theirs["$schema"], rel
        else:
            mine_schema = pq.read_schema(path)
            theirs_schema = pq.read_schema(upstream)
            assert mine_schema.names == theirs_schema.names, rel
            assert mine_schema.types == theirs_schema.types, rel
        checked += 1
    assert checked == len(list(case_dir.rglob("*.*")))
