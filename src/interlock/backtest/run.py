"""`interlock backtest RULES TRACE...`: check the rules, replay each trace, render the report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock import __version__
from interlock.backtest.engine import Engine
from interlock.backtest.reader import TraceError, TraceReader
from interlock.backtest.results import TraceResult
from interlock.backtest.summary import summarize
from interlock.backtest.sweep import SweepError
from interlock.dsl.frontend import compile_file, compile_text
from interlock.ir.nodes import Program
from interlock.report.diagnostic_text import render_diagnostic


class BacktestInputError(Exception):
    """Invalid input: the text to print on stderr (diagnostics or a trace error), exit 2."""


@dataclass(frozen=True)
class BacktestOptions:
    format: str = "text"  # text | json
    sweep: str | None = None
    out: Path | None = None  # html: the report file (default: stdout)


def load_rules(path: str, text: str | None = None) -> Program:
    result = compile_file(path) if text is None else compile_text(text, path)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if result.program is None or errors:
        raise BacktestInputError("".join(render_diagnostic(d, result.source)
                                         for d in result.diagnostics))
    return result.program


def replay(program: Program, path: str) -> TraceResult:
    """One trace through the rules (raises `TraceError` on a bad trace)."""
    reader = TraceReader.open(path)
    engine = Engine(program, reader.header, path)
    for line, block in reader.blocks():
        engine.block(block, line)
    return engine.result


def backtest(rules: str, traces: list[str], options: BacktestOptions) -> dict[str, Any]:
    """The report as plain data; raises `BacktestInputError` on bad rules or traces."""
    program = load_rules(rules)
    try:
        results = [summarize(program, replay(program, t)) for t in traces]
        sweep = None
        if options.sweep is not None:
            from interlock.backtest.sweep import run_sweep
            sweep = run_sweep(rules, options.sweep, traces)
    except TraceError as err:
        raise BacktestInputError(str(err) + "\n") from None
    except SweepError as err:
        raise BacktestInputError(f"error: {err}\n") from None
    return {"version": __version__, "rules": rules, "protocol": program.protocol,
            "traces": results, "sweep": sweep}


def run_backtest(rules: str, traces: list[str], options: BacktestOptions) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `interlock backtest`."""
    try:
        report = backtest(rules, traces, options)
    except BacktestInputError as err:
        return 2, "", str(err)
    program = load_rules(rules)
    if options.format == "json":
        return 0, json.dumps(report, indent=2, sort_keys=True) + "\n", ""
    from interlock.backtest.text import render_text
    return 0, render_text(program, report), ""
