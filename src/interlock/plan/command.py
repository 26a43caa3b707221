"""`interlock plan RULES [-o DIR] [--format md|html] [--backtest JSON]`, and the plan files
`interlock build` writes with its other outputs."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.check import CheckOptions, file_report, verify_properties
from interlock.dsl.frontend import compile_file
from interlock.ir.nodes import Program
from interlock.plan.facts import load_facts
from interlock.plan.model import build_plan
from interlock.plan.render import Format, file_name, render
from interlock.report.diagnostic_text import render_diagnostic
from interlock.report.model import FileReport

FORMATS: tuple[Format, ...] = ("md", "html")


@dataclass(frozen=True)
class PlanOptions:
    out_dir: Path
    formats: tuple[Format, ...] = FORMATS
    backtest: Path | None = None
    check: CheckOptions = field(default_factory=CheckOptions)


def facts_report(program: Program) -> FileReport | None:
    """The sidecar's diagnostics as a report of its own file (None: nothing wrong)."""
    loaded = load_facts(program)
    if not loaded.diagnostics or loaded.path is None:
        return None
    return FileReport(path=loaded.path, protocol=None, source=loaded.source,
                      diagnostics=loaded.diagnostics)


def plan_files(program: Program, report: FileReport, formats: Sequence[Format] = FORMATS,
               backtest: dict[str, Any] | None = None) -> dict[str, bytes]:
    """File name -> content of the plan of `program` (sidecar assumed valid)."""
    loaded = load_facts(program)
    plan = build_plan(program, report, loaded.facts, loaded.path, backtest)
    return {file_name(program.protocol, f): render(plan, f).encode() for f in formats}


def run_plan(path: str, options: PlanOptions) -> int:
    """Write the plan of `path`; 2 on invalid rules, sidecar or backtest file."""
    front = compile_file(path)
    report = file_report(front, path, options.check, verify_properties)
    if front.program is None or any(d.is_error for d in report.diagnostics):
        for d in report.diagnostics:
            print(render_diagnostic(d, report.source), file=sys.stderr)
        return 2
    bad = facts_report(front.program)
    if bad is not None:
        for d in bad.diagnostics:
            print(render_diagnostic(d, bad.source), file=sys.stderr)
        return 2
    backtest = None
    if options.backtest is not None:
        try:
            backtest = json.loads(options.backtest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            print(f"error: cannot read backtest result `{options.backtest}`: {e}", file=sys.stderr)
            return 2
    files = plan_files(front.program, report, options.formats, backtest)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (options.out_dir / name).write_bytes(data)
        print(f"wrote {options.out_dir / name}")
    return 0
