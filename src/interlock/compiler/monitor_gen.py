"""The monitor back end: `emit_monitor(program)` -> {"<name>_monitor.py": source}.

The generated module holds the rules as data (the checked IR as JSON, and a table of rule ids
and how each is triggered) and imports its behaviour from `interlock.runtime`. `build_view`
makes every decision; `templates/monitor.py.j2` only lays the view out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from interlock import __version__
from interlock.compiler.codehash import CodeFingerprint
from interlock.compiler.templates_env import template
from interlock.compiler.triggers import trigger
from interlock.ir.nodes import IR_VERSION, Program


@dataclass(frozen=True)
class RuleRow:
    id: int
    name_literal: str
    method: str
    cooldown: int | None


@dataclass(frozen=True)
class ReadRow:
    name_literal: str
    address: str
    signature_literal: str
    args_literal: str
    unit_literal: str


@dataclass(frozen=True)
class MonitorView:
    protocol: str
    protocol_literal: str
    source_path: str
    source_path_literal: str
    source_sha256: str
    version: str
    ir_version: str
    module_file: str
    module_file_literal: str
    rules: tuple[RuleRow, ...]
    ir_literal: str
    guard_code_literal: str  # a dict literal of `CodeFingerprint.to_json()`, or None
    reads: tuple[ReadRow, ...] = ()


def module_name(program: Program) -> str:
    """`PerpVenue` -> `perp_venue_monitor`."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", program.protocol)
    return f"{snake.lower()}_monitor"


def _string_literal(text: str) -> str:
    """A Python literal for `text`: a raw triple-quoted block when that is exact, else repr."""
    if '"""' not in text and not text.endswith("\\") and "\r" not in text:
        return 'r"""\n' + text + '\n"""'
    return repr("\n" + text + "\n")


def build_view(program: Program, guard_code: CodeFingerprint | None = None) -> MonitorView:
    ir = json.dumps(program.model_dump(mode="json"), indent=1, sort_keys=True)
    module_file = module_name(program) + ".py"
    rules = tuple(
        RuleRow(b.id, json.dumps(b.name), trigger(program, b), b.cooldown)
        for b in program.breakers
    )
    reads = tuple(
        ReadRow(json.dumps(r.name), r.address, json.dumps(r.text()),
                "(" + ", ".join(json.dumps(a) for a in r.args) + ("," if len(r.args) == 1 else "")
                + ")", "None" if r.unit is None else json.dumps(r.unit))
        for r in program.reads
    )
    return MonitorView(
        protocol=program.protocol,
        protocol_literal=json.dumps(program.protocol),
        source_path=program.source_path,
        source_path_literal=json.dumps(program.source_path),
        source_sha256=program.source_sha256,
        version=__version__,
        ir_version=IR_VERSION,
        module_file=module_file,
        module_file_literal=json.dumps(module_file),
        rules=rules,
        ir_literal=_string_literal(ir),
        guard_code_literal=(json.dumps(guard_code.to_json(), indent=1, sort_keys=True)
                            if guard_code else "None"),
        reads=reads,
    )



def emit_monitor(program: Program, guard_code: CodeFingerprint | None = None
                 ) -> dict[str, str]:
    """The monitor module for `program` (file name -> source text); with `guard_code` (the
    compiled guard's), it refuses a guard address holding other code."""
    view = build_view(program, guard_code)
    return {view.module_file: template("monitor.py.j2").render(v=view)}
