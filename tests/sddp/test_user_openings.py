"""scenarios/noise_openings.parquet replaces the generated opening tree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cobre_core.errors import CaseValidationError
from cobre_core.examples import write_example
from cobre_core.loader import load_case
from cobre_core.sddp.problem import Problem


def _write(case_dir: Path, rows: list[tuple[int, int, int, float]]) -> None:
    sid, o, e, v = zip(*rows, strict=True)
    table = pa.table(
        {
            "stage_id": pa.array(sid, pa.int32()),
            "opening_index": pa.array(o, pa.uint32()),
            "entity_index": pa.array(e, pa.uint32()),
            "value": pa.array(v, pa.float64()),
        }
    )
    pq.write_table(table, case_dir / "scenarios" / "noise_openings.parquet")


def test_listed_stages_use_the_file(tmp_path: Path) -> None:
    root = write_example("toy", tmp_path / "toy")
    generated = Problem(load_case(root)).tree.openings
    n, dim = generated[2].shape
    values = np.arange(n * dim, dtype=float).reshape(n, dim) / 10.0
    _write(root, [(2, o, e, values[o, e]) for o in range(n) for e in range(dim)])
    tree = Problem(load_case(root)).tree.openings
    np.testing.assert_array_equal(tree[2], values)
    np.testing.assert_array_equal(tree[0], generated[0])


def test_incomplete_file_is_a_coverage_error(tmp_path: Path) -> None:
    root = write_example("toy", tmp_path / "toy")
    _write(root, [(2, 0, 0, 0.5)])
    with pytest.raises(CaseValidationError) as err:
        load_case(root)
    assert err.value.kind == "CoverageMismatch"
    assert err.value.context["file"] == "scenarios/noise_openings.parquet"
