"""The exported, versioned JSON Schema of the IR (`interlock ir --schema`, docs/ir.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from interlock.ir.nodes import IR_VERSION, Program

SCHEMA_ID = f"https://interlock.dev/schema/ir-v{IR_VERSION}.json"


def ir_json_schema() -> dict[str, Any]:
    schema = Program.model_json_schema(mode="serialization")
    return {
        **schema,
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"Interlock IR v{IR_VERSION}",
    }


def ir_json_schema_text() -> str:
    return json.dumps(ir_json_schema(), indent=2, sort_keys=True) + "\n"
