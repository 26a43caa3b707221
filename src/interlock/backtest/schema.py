"""The trace format's JSON Schema (schemas/interlock-trace-v2.schema.json), from the models.

Each line of a trace validates against exactly one of `Header`, `Block` and `End`; the file-level
rules (header first, consecutive blocks, `end` last) are the reader's (docs/backtest.md).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from interlock.backtest.trace import TRACE_VERSION, Block, End, Header

SCHEMA_ID = f"https://interlock.dev/schema/interlock-trace-v{TRACE_VERSION}.json"
SCHEMA_FILE = f"interlock-trace-v{TRACE_VERSION}.schema.json"


def trace_line_schema() -> dict[str, Any]:
    refs, defs = models_json_schema(
        [(Header, "validation"), (Block, "validation"), (End, "validation")],
        ref_template="#/$defs/{model}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"Interlock trace v{TRACE_VERSION}: one line of a JSON Lines trace",
        "oneOf": [refs[(m, "validation")] for m in (Header, Block, End)],
        **defs,
    }


def trace_schema_text() -> str:
    return json.dumps(trace_line_schema(), indent=2, sort_keys=True) + "\n"
