"""The committed JSON Schemas in schemas/case/ match what the case-file models generate."""

from __future__ import annotations

import json
from pathlib import Path

from cobre_core.schema_export import (
    CASE_FILE_MODELS,
    SCHEMA_DIR,
    SCHEMA_SUFFIX,
    generate_schemas,
    schema_drift,
)

REGENERATE = "schemas are out of date: run `make schemas` and commit schemas/case/"


def test_schema_dir_is_in_the_repository() -> None:
    assert Path(__file__).resolve().parents[1] / "schemas" / "case" == SCHEMA_DIR


def test_every_model_has_a_schema_file() -> None:
    missing = [
        f"{name}{SCHEMA_SUFFIX}"
        for name in sorted(CASE_FILE_MODELS)
        if not (SCHEMA_DIR / f"{name}{SCHEMA_SUFFIX}").is_file()
    ]
    assert not missing, f"{REGENERATE}; missing: {', '.join(missing)}"


def test_committed_schemas_equal_generated() -> None:
    problems = schema_drift(SCHEMA_DIR)
    assert not problems, f"{REGENERATE}; " + "; ".join(problems)


def test_registry_has_config_and_stages() -> None:
    assert {"config", "stages"} <= CASE_FILE_MODELS.keys()


def test_generated_text_format() -> None:
    for name, text in generate_schemas().items():
        assert name.endswith(SCHEMA_SUFFIX)
        assert text.endswith("}\n") and not text.endswith("\n\n")
        schema = json.loads(text)
        assert text == json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        assert schema["type"] == "object"


def test_missing_module_is_skipped_not_hidden() -> None:
    from cobre_core.schema_export import _module_exists

    assert _module_exists("cobre_core.model.config")
    assert not _module_exists("cobre_core.model.no_such_module")
    assert not _module_exists("cobre_core.no_such_package.module")
