"""`interlock diff` as text: per file, each change with its before, after and evidence."""

from __future__ import annotations

from interlock.report.diagnostic_text import render_diagnostic
from interlock.report.diff_model import DiffReport, DiffSummary, FileDiff
from interlock.verifier.diff.model import Change


def _where(file: FileDiff, change: Change) -> str:
    return f"{file.path}:{change.span.line}" if change.span is not None else "(gone)"


def change_lines(file: FileDiff, c: Change) -> list[str]:
    """One change: its verdict, code, declaration and aspect, then before, after, evidence."""
    code = f" [{c.code}]" if c.code else ""
    verdict = c.verdict + (" (accepted)" if c.accepted is not None else "")
    lines = [f"{verdict:<13}{code} {c.label} · {c.aspect}  {_where(file, c)}",
             f"    before    {c.before}", f"    after     {c.after}",
             f"    evidence  {c.evidence}"]
    if c.accepted is not None:
        lines.append(f"    accepted  {c.accepted}")
    return lines


def _header(file: FileDiff) -> str:
    if file.deleted:
        return f"{file.path}: deleted (was {file.old})"
    return f"{file.path} against {file.old}" if file.old else f"{file.path}: new file"


def summary_line(s: DiffSummary) -> str:
    """`2 weaken (1 accepted), 1 incomparable, 3 strengthen, 1 neutral`."""
    accepted = f" ({s.accepted} accepted)" if s.accepted else ""
    return (f"{s.weakens} weaken{accepted}, {s.incomparable} incomparable, "
            f"{s.strengthens} strengthen, {s.neutral} neutral")


def render_diff_text(report: DiffReport) -> str:
    out: list[str] = []
    for file in report.files:
        for diag in file.diagnostics:
            out.append(render_diagnostic(diag, file.sources.get(diag.span.file, "")).rstrip())
        if file.diagnostics:
            continue
        out.append(_header(file))
        if not file.changes:
            out.append("    no semantic change")
        for c in file.changes:
            out += change_lines(file, c)
        out.append("")
    errors = report.summary.errors
    counts = (f"{errors} error{'s' * (errors != 1)} (invalid files are not compared)" if errors
              else summary_line(report.summary))
    out.append(f"interlock diff: {counts}")
    return "\n".join(out) + "\n"
