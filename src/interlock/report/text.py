"""`interlock check`'s text output: diagnostics, a property table per file, violation timelines.

A security engineer reading a failed CI job should see in seconds which property broke and how:

    examples/venue.guard (Venue)
      property            status    method          time   notes
      no_single_key       proved    exhaustive     0.01s
      withdrawals_escape  violated  bmc            0.40s   depth 3

    violated withdrawals_escape  examples/venue.guard:40:1
         +0s  agent            breaker `drain` fires: pause withdrawals for 6h
         +6h  guardian (a, c)  pause withdrawals for 72h
      breaks: at +6h: `withdrawals` is paused from +0s to +78h: 78h continuously, more than 72h

Diagnostics are rendered by `interlock.report.diagnostic_text` (one place for carets).
"""

from __future__ import annotations

from interlock.report.fold import folded_lines, repeated_run
from interlock.report.model import FileReport, Report, Summary
from interlock.verifier.coalition import CERTIFICATE_TITLE
from interlock.verifier.describe import fmt_duration, fmt_offset
from interlock.verifier.result import Counterexample, PropertyResult

_HEADERS = ("property", "status", "method", "time", "notes")


def _notes(result: PropertyResult) -> str:
    notes = []
    if result.bound is not None:
        tight = result.bound_tight
        kind = "" if tight is None else " (tightest)" if tight else " (an upper bound)"
        notes.append(f"bound {fmt_duration(result.bound)}{kind}")
    if result.depth is not None:
        notes.append(f"depth {result.depth}")
    if result.status == "unknown":
        notes.append("see below")
    return "; ".join(notes)


def property_table(results: tuple[PropertyResult, ...]) -> list[str]:
    """An aligned table: one row per property, in declaration order."""
    rows = [_HEADERS] + [
        (r.name, r.status, r.method, f"{r.seconds:.2f}s", _notes(r)) for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
    lines = []
    for row in rows:
        cells = [
            row[i].rjust(widths[i]) if i == 3 else row[i].ljust(widths[i])
            for i in range(len(row))
        ]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def loop_row(counterexample: Counterexample) -> int | None:
    """The timeline row where a lasso's cycle starts (`loop_start` indexes the steps).

    The verifier's timelines have one row per step (then maybe a final `property` row), so the
    index is the same; a timeline with one row per step that is not time passing is mapped by
    counting; otherwise the cycle starts at the first row at or after its start time.
    """
    start = counterexample.loop_start
    if start is None:
        return None
    steps = counterexample.steps
    if len(counterexample.timeline) >= len(steps):
        return start
    acting = [s for s in steps if s.kind != "advance"]
    if len(acting) == len(counterexample.timeline):
        return sum(1 for s in steps[:start] if s.kind != "advance")
    at = sum(s.seconds for s in steps[:start] if s.kind == "advance")
    rows = [i for i, e in enumerate(counterexample.timeline) if e.time >= at]
    return rows[0] if rows else None


def timeline(counterexample: Counterexample) -> list[str]:
    """`  +6h  alice, carol  pause withdrawals for 72h`, aligned, cycle marked, repetition
    folded (`report.fold`: one line for a block of steps repeated many times).

    Rows where only time passes are left out: the next row's offset already says it. A cycle
    that starts at such a row is marked before the next row shown.
    """
    cycle = loop_row(counterexample)
    rows = counterexample.timeline
    one_to_one = len(rows) >= len(counterexample.steps)
    run = repeated_run(counterexample.steps) if one_to_one else None
    cells: list[tuple[int, str, str, str]] = []  # (row index, time, actor, action)
    for index, entry in enumerate(rows):
        if run is not None and run.start <= index < run.start + run.rounds * run.period:
            if index == run.start:
                cells += [(index, *line) for line in folded_lines(rows, run)]
            continue
        if entry.actor != "time":
            cells.append((index, fmt_offset(entry.time), entry.actor, entry.action))
    tw = max((len(c[1]) for c in cells), default=0)
    aw = max((len(c[2]) for c in cells), default=0)
    lines = []
    marked = cycle is None
    for index, at, actor, action in cells:
        if not marked and cycle is not None and index >= cycle:
            lines.append("    ↻ from here the steps repeat forever")
            marked = True
        lines.append(f"    {at.rjust(tw)}  {actor.ljust(aw)}  {action}".rstrip())
    return lines


def coalition_lines(results: tuple[PropertyResult, ...]) -> list[str]:
    """Every power's smallest coalitions, once per file, from the coalition certificates."""
    seen: dict[str, None] = {}
    for r in results:
        cert = r.certificate or ""
        if cert.startswith(CERTIFICATE_TITLE):
            lines = cert.splitlines()[1:]
            seen.update(dict.fromkeys(line for line in lines if line.startswith("power #")))
    if not seen:
        return []
    return ["", CERTIFICATE_TITLE, *(f"  {line}" for line in seen)]


def _location(file: FileReport, result: PropertyResult) -> str:
    return f"{file.path}:{result.span.line}:{result.span.column}"


def violation_block(file: FileReport, result: PropertyResult) -> list[str]:
    lines = [f"violated {result.name}  {_location(file, result)}"]
    if result.counterexample is not None:
        lines.extend(timeline(result.counterexample))
    cex = result.counterexample
    stated = cex is not None and bool(cex.timeline) and cex.timeline[-1].actor == "property"
    if result.breaks and not stated:
        lines.append(f"  breaks: {result.breaks}")
    return lines


def unknown_line(file: FileReport, result: PropertyResult) -> str:
    why = result.reason or "undecided"
    depth = f"; no violation up to depth {result.depth}" if result.depth else ""
    return f"unknown {result.name}  {_location(file, result)}: {why}{depth} (not a proof)"


def _diagnostics(file: FileReport) -> list[str]:
    if not file.diagnostics:
        return []
    from interlock.report.diagnostic_text import render_diagnostic

    return [render_diagnostic(d, file.source).rstrip("\n") for d in file.diagnostics]


def render_file(file: FileReport) -> list[str]:
    lines = _diagnostics(file)
    if file.protocol is None and not file.properties:
        return lines
    title = f"{file.path} ({file.protocol})" if file.protocol else file.path
    if lines:
        lines.append("")
    lines.append(title)
    if file.properties:
        lines.extend(property_table(file.properties))
    else:
        lines.append("  no invariants to prove")
    for result in file.properties:
        if result.status == "violated":
            lines.append("")
            lines.extend(violation_block(file, result))
        elif result.status == "unknown":
            lines.append("")
            lines.append(unknown_line(file, result))
    lines.extend(coalition_lines(file.properties))
    return lines


def summary_line(summary: Summary) -> str:
    return (
        f"{summary.proved} proved, {summary.violated} violated, {summary.unknown} unknown, "
        f"{summary.errors} error(s)"
    )


def render_text(report: Report) -> str:
    """The whole text report, files separated by blank lines, the summary last."""
    blocks = ["\n".join(render_file(f)) for f in report.files]
    blocks.append(summary_line(report.summary))
    return "\n\n".join(b for b in blocks if b) + "\n"
