"""Layer 1, structural: the case directory exists, required files are there, every file parses.

Produces ``MissingFile`` (the directory itself, or a required file) and ``ParseError`` (a JSON
file that is not valid UTF-8 JSON, a Parquet file that cannot be read). Also warns, as
``IncompatibleSettings``, about files upstream knows but this project ignores and about files the
case format does not know at all. Nothing is checked against a schema here: that is layer 2.
"""

from __future__ import annotations

from cobre_core.io.catalog import FileFormat
from cobre_core.io.reader import load_json, load_parquet, root_problem, scan_case
from cobre_core.validation.context import ValidationContext


def run(ctx: ValidationContext) -> int:
    """Run layer 1 on ``ctx``; returns the number of catalogued files found and read."""
    problem = root_problem(ctx.root)
    if problem is not None:
        ctx.diags.errors.append(problem)
        return 0
    present, unknown, scan = scan_case(ctx.root)
    ctx.files.present, ctx.files.unknown = present, unknown
    ctx.diags.extend(scan)
    checked = 0
    for rel, entry in present.items():
        if not entry.supported:
            continue
        checked += 1
        if entry.format is FileFormat.JSON:
            raw, diags = load_json(ctx.root, rel)
            ctx.diags.extend(diags)
            if diags.ok:
                ctx.files.raw[rel] = raw
        else:
            table, diags = load_parquet(ctx.root, rel)
            ctx.diags.extend(diags)
            if table is not None:
                ctx.files.tables[rel] = table
    return checked
