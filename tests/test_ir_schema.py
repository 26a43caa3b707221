"""The exported IR JSON Schema is versioned, up to date and validates real programs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from interlock.dsl.frontend import compile_file
from interlock.ir.nodes import IR_VERSION
from interlock.ir.schema import ir_json_schema, ir_json_schema_text

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "ir.schema.json").read_text(encoding="utf-8")
    assert committed == ir_json_schema_text(), "run `interlock ir --schema > docs/ir.schema.json`"


def test_schema_is_versioned() -> None:
    schema = ir_json_schema()
    assert schema["$id"].endswith(f"ir-v{IR_VERSION}.json")
    assert "ir_version" in schema["properties"]


def test_spec_example_ir_validates() -> None:
    result = compile_file(str(ROOT / "tests" / "dsl" / "data" / "perp_venue.guard"))
    assert result.program is not None
    instance = json.loads(result.program.model_dump_json())
    jsonschema.validate(instance, ir_json_schema())
