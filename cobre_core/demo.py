"""The README's main job: an end-to-end study on the bundled example, printed as a transcript.

Writes our own ``toy`` example case to ``demo-output/case``, validates it, trains an SDDP policy,
simulates it and summarises the Parquet outputs in ``demo-output/output``. Run with
``make demo`` or ``python -m cobre_core.demo [--example multi_region] [--dir PATH]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.dataset as ds

from cobre_core.examples import example_names, write_example
from cobre_core.loader import load_case
from cobre_core.study_runs import simulate, train
from cobre_core.validation import validate


def _say(text: str = "") -> None:
    print(text, flush=True)


def run(example: str, workdir: Path, threads: int) -> int:
    """Run the study; returns a process exit code."""
    case_dir = workdir / "case"
    out_dir = workdir / "output"
    _say(f"== 1. Writing the bundled example '{example}' to {case_dir}")
    write_example(example, case_dir, overwrite=True)

    _say("== 2. Validating (5 layers)")
    t0 = time.perf_counter()
    report = validate(case_dir)
    s = report.summary
    _say(
        f"   valid={report.valid} files={s.files_checked} entities={s.entities_validated} "
        f"layers={s.layers_completed} errors={s.error_count} warnings={s.warning_count} "
        f"({(time.perf_counter() - t0) * 1000:.0f} ms)"
    )
    for rec in [*report.errors, *report.warnings][:5]:
        _say(f"   - {rec.kind}: {rec.message} ({rec.context.get('file')})")
    if not report.valid:
        return 1

    case = load_case(case_dir)
    ov = case.summary()
    _say(
        f"== 3. Case: {ov['hydros']} hydros, {ov['thermals']} thermals, {ov['buses']} buses, "
        f"{ov['lines']} lines, {ov['stages']} stages, openings {ov['openings_per_stage'][0]}, "
        f"PAR order {ov['max_par_order']}"
    )

    _say(f"== 4. Training (threads={threads})")
    _say("   iter   lower bound ($)   upper bound ($)      gap")

    def show(rec) -> None:
        if rec.iteration == 1 or rec.iteration % 5 == 0:
            gap = f"{rec.gap_percent:8.3f}%" if rec.gap_percent is not None else "     n/a"
            _say(
                f"   {rec.iteration:4d}  {rec.lower_bound:16,.2f}  "
                f"{rec.upper_bound_mean:16,.2f}  {gap}"
            )

    res = train(case, progress_callback=show, threads=threads, output_dir=out_dir)
    _say(
        f"   done: {res.iterations} iterations ({res.termination_reason}), "
        f"{res.total_cuts} cuts, {res.lp_solves} LP solves, {res.wall_time_ms} ms"
    )

    _say("== 5. Simulating the policy")
    sim = simulate(case, res, threads=threads, output_dir=out_dir)
    _say(
        f"   {sim.completed} scenarios: mean cost {sim.mean_cost:,.2f} $ "
        f"(std {sim.std_cost:,.2f}), {len(sim.output_files)} Parquet files, {sim.wall_time_ms} ms"
    )

    _say("== 6. Querying outputs with Arrow (mean per stage over scenarios)")
    costs = ds.dataset(out_dir / "simulation" / "costs", format="parquet", partitioning="hive")
    table = costs.to_table(columns=["stage_id", "immediate_cost", "thermal_cost", "deficit_cost"])
    agg = table.group_by("stage_id").aggregate(
        [("immediate_cost", "mean"), ("thermal_cost", "mean"), ("deficit_cost", "mean")]
    )
    agg = agg.sort_by("stage_id")
    _say("   stage   immediate ($)     thermal ($)     deficit ($)")
    for row in agg.to_pylist():
        _say(
            f"   {row['stage_id']:5d}  {row['immediate_cost_mean']:14,.2f}  "
            f"{row['thermal_cost_mean']:14,.2f}  {row['deficit_cost_mean']:14,.2f}"
        )
    hydros = ds.dataset(out_dir / "simulation" / "hydros", format="parquet", partitioning="hive")
    final = hydros.to_table(columns=["storage_final_hm3"]).column("storage_final_hm3")
    _say(f"   final storage over all rows: mean {pc.mean(final).as_py():,.1f} hm3")
    _say(f"== Outputs in {out_dir} (training/, policy/, simulation/)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="toy", choices=example_names())
    parser.add_argument("--dir", default="demo-output", type=Path)
    parser.add_argument("--threads", default=2, type=int)
    args = parser.parse_args(argv)
    return run(args.example, args.dir, args.threads)


if __name__ == "__main__":
    sys.exit(main())
