"""One diagnostic as text: `file:line:col: error[CODE]: message`, the line, a caret, help.

    perp.guard:12:17: error[E0201]: unknown name `alise`, expected a signer or a role
       |
    12 | role guardian = 2 of [alise, carol, dave]
       |                       ^~~~~
       = help: did you mean `alice`?
"""

from __future__ import annotations

from interlock.ir.diagnostics import Diagnostic


def _caret(line_text: str, column: int, end_column: int) -> str:
    """`^~~~` under columns [column, end_column) of the line (1-based), tabs kept as tabs."""
    start = max(column, 1) - 1
    width = max(1, end_column - column)
    width = min(width, max(1, len(line_text) - start))
    pad = "".join("\t" if ch == "\t" else " " for ch in line_text[:start])
    return pad + "^" + "~" * (width - 1)


def render_diagnostic(diag: Diagnostic, source: str) -> str:
    span = diag.span
    head = f"{span.file}:{span.line}:{span.column}: {diag.severity}[{diag.code}]: {diag.message}"
    if diag.suppressed is not None:
        head += f" (accepted: {diag.suppressed})"
    out = [head]
    lines = source.split("\n")
    if 1 <= span.line <= len(lines) and source:
        text = lines[span.line - 1].rstrip("\r")
        end = span.end_column if span.end_line == span.line else len(text) + 1
        gutter = str(span.line)
        blank = " " * len(gutter)
        out += [f"{blank} |", f"{gutter} | {text}", f"{blank} | {_caret(text, span.column, end)}"]
        for label in diag.labels:
            out.append(f"{blank} = note: {label.message} at {label.span.file}:"
                       f"{label.span.line}:{label.span.column}")
        if diag.help:
            out.append(f"{blank} = help: {diag.help}")
    else:
        for label in diag.labels:
            out.append(f"  = note: {label.message} at {label.span.line}:{label.span.column}")
        if diag.help:
            out.append(f"  = help: {diag.help}")
    return "\n".join(out) + "\n"
