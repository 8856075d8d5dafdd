"""Export one JSON Schema per case file into ``schemas/case/<stem>.schema.json``.

Run ``python -m cobre_core.schema_export`` (``make schemas``) after changing a case-file model;
``--check`` only reports drift. ``tests/test_schema_drift.py`` fails when the committed files
differ from what the models generate.

The registry lists every case-file model as (module, class). A module that does not exist (yet)
is skipped; a module that exists but fails to import, or lacks its class, raises as usual.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from pathlib import Path, PurePosixPath

from pydantic import BaseModel

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas" / "case"
"""Where the committed schemas live (``schemas/case`` at the repository root)."""

SCHEMA_SUFFIX = ".schema.json"

_CASE_FILE_MODELS: tuple[tuple[str, str], ...] = (
    ("cobre_core.model.config", "ConfigFile"),
    ("cobre_core.model.stages", "StagesFile"),
    ("cobre_core.model.penalties", "PenaltiesFile"),
    ("cobre_core.model.initial_conditions", "InitialConditionsFile"),
    ("cobre_core.model.buses", "BusesFile"),
    ("cobre_core.model.lines", "LinesFile"),
    ("cobre_core.model.hydros", "HydrosFile"),
    ("cobre_core.model.thermals", "ThermalsFile"),
    ("cobre_core.model.non_controllables", "NonControllableSourcesFile"),
    ("cobre_core.model.pumping_stations", "PumpingStationsFile"),
    ("cobre_core.model.energy_contracts", "EnergyContractsFile"),
    ("cobre_core.model.production_models", "ProductionModelsFile"),
    ("cobre_core.model.load_factors", "LoadFactorsFile"),
    ("cobre_core.model.generic_constraints", "GenericConstraintsFile"),
    ("cobre_core.model.exchange_factors", "ExchangeFactorsFile"),
    ("cobre_core.stochastic.correlation", "CorrelationFile"),
)
"""(module, class) of every case-file model; each class defines ``RELATIVE_PATH``."""


def _module_exists(module_name: str) -> bool:
    """Whether ``module_name`` can be found, without importing it."""
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _load_registry() -> dict[str, type[BaseModel]]:
    """Import the existing case-file models and key them by their file stem."""
    registry: dict[str, type[BaseModel]] = {}
    for module_name, class_name in _CASE_FILE_MODELS:
        if not _module_exists(module_name):
            continue
        model = getattr(importlib.import_module(module_name), class_name)
        name = PurePosixPath(model.RELATIVE_PATH).stem
        if name in registry:
            raise RuntimeError(
                f"{module_name}.{class_name} and {registry[name].__qualname__} "
                f"both export the schema name {name!r}"
            )
        registry[name] = model
    return registry


CASE_FILE_MODELS: dict[str, type[BaseModel]] = _load_registry()
"""Schema name (file stem of ``RELATIVE_PATH``, e.g. ``config``, ``hydros``) to its model."""


def schema_text(model: type[BaseModel]) -> str:
    """JSON Schema of ``model`` (by alias) as text: sorted keys, 2-space indent, final newline."""
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = JSON_SCHEMA_DIALECT
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate_schemas() -> dict[str, str]:
    """File name (``<stem>.schema.json``) to schema text, for every registered model."""
    return {
        f"{name}{SCHEMA_SUFFIX}": schema_text(model)
        for name, model in sorted(CASE_FILE_MODELS.items())
    }


def schema_drift(
    directory: Path = SCHEMA_DIR,
    expected: dict[str, str] | None = None,
    suffix: str = SCHEMA_SUFFIX,
) -> list[str]:
    """Describe every difference between ``directory`` and freshly generated schemas.

    ``expected`` (file name -> text) defaults to the case-file schemas; ``cobre_mcp`` passes its
    tool schemas.
    """
    expected = generate_schemas() if expected is None else expected
    present = {path.name for path in directory.glob(f"*{suffix}")}
    problems = [f"missing: {name}" for name in sorted(expected.keys() - present)]
    problems += [f"stale (no model): {name}" for name in sorted(present - expected.keys())]
    for name in sorted(expected.keys() & present):
        if (directory / name).read_text(encoding="utf-8") != expected[name]:
            problems.append(f"outdated: {name}")
    return problems


def write_schemas(
    directory: Path = SCHEMA_DIR,
    expected: dict[str, str] | None = None,
    suffix: str = SCHEMA_SUFFIX,
) -> list[Path]:
    """Write every schema into ``directory``, delete those without a model; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    expected = generate_schemas() if expected is None else expected
    for stale in directory.glob(f"*{suffix}"):
        if stale.name not in expected:
            stale.unlink()
    written = []
    for name, text in expected.items():
        path = directory / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line entry: write the schemas, or with ``--check`` only report drift."""
    parser = argparse.ArgumentParser(prog="python -m cobre_core.schema_export", description=__doc__)
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    parser.add_argument("--out", type=Path, default=SCHEMA_DIR, help="output directory")
    args = parser.parse_args(argv)
    if args.check:
        problems = schema_drift(args.out)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `make schemas` to regenerate", file=sys.stderr)
        return 1 if problems else 0
    for path in write_schemas(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
