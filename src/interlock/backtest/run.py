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
from interlock.backtest.trace import Header
from interlock.dsl.frontend import compile_file, compile_text
from interlock.ir.nodes import Program
from interlock.report.diagnostic_text import render_diagnostic


class BacktestInputError(Exception):
    """Invalid input: the text to print on stderr (diagnostics or a trace error), exit 2."""


@dataclass(frozen=True)
class BacktestOptions:
    format: str = "text"  # text | json | html
    sweep: str | None = None
    out: Path | None = None  # write the report here instead of stdout
    charts: Path | None = None  # write each trace's chart (SVG and PNG) into this directory


@dataclass(frozen=True)
class Backtest:
    program: Program
    report: dict[str, Any]  # plain data: the JSON report, what text and HTML render
    results: list[TraceResult]
    headers: list[Header]


def load_rules(path: str, text: str | None = None) -> Program:
    result = compile_file(path) if text is None else compile_text(text, path)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if result.program is None or errors:
        raise BacktestInputError("".join(render_diagnostic(d, result.source)
                                         for d in result.diagnostics))
    return result.program


def replay_with_header(program: Program, path: str) -> tuple[TraceResult, Header]:
    """One trace through the rules (raises `TraceError` on a bad trace)."""
    reader = TraceReader.open(path)
    engine = Engine(program, reader.header, path)
    for line, block in reader.blocks():
        engine.block(block, line)
    return engine.result, reader.header


def replay(program: Program, path: str) -> TraceResult:
    return replay_with_header(program, path)[0]


def backtest(rules: str, traces: list[str], options: BacktestOptions) -> Backtest:
    """Replay every trace (and the sweep); raises `BacktestInputError` on bad input."""
    program = load_rules(rules)
    try:
        pairs = [replay_with_header(program, t) for t in traces]
        sweep = None
        if options.sweep is not None:
            from interlock.backtest.sweep import run_sweep
            sweep = run_sweep(rules, options.sweep, traces)
    except TraceError as err:
        raise BacktestInputError(str(err) + "\n") from None
    except SweepError as err:
        raise BacktestInputError(f"error: {err}\n") from None
    report = {"version": __version__, "rules": rules, "protocol": program.protocol,
              "traces": [summarize(program, r) for r, _ in pairs], "sweep": sweep}
    return Backtest(program, report, [r for r, _ in pairs], [h for _, h in pairs])


def render(bt: Backtest, format: str) -> str:
    if format == "json":
        return json.dumps(bt.report, indent=2, sort_keys=True) + "\n"
    if format == "html":
        from interlock.backtest.html import render_html
        return render_html(bt.program, bt.report, bt.results, bt.headers)
    from interlock.backtest.text import render_text
    return render_text(bt.program, bt.report)


def run_backtest(rules: str, traces: list[str], options: BacktestOptions) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `interlock backtest`."""
    try:
        bt = backtest(rules, traces, options)
    except BacktestInputError as err:
        return 2, "", str(err)
    notes = []
    if options.charts is not None:
        from interlock.backtest.chart import write_charts
        for r in bt.results:
            notes += [f"wrote {p}" for p in write_charts(bt.program, r, options.charts)]
    page = render(bt, options.format)
    if options.out is not None:
        options.out.write_text(page, encoding="utf-8")
        notes.append(f"wrote {options.out}")
        page = ""
    return 0, page, "".join(n + "\n" for n in notes)
