"""`interlock diff --format markdown`: a pull-request comment, one compact table per file.

The first line is a hidden marker (`MARKER`) so that the GitHub Action updates its earlier
comment instead of adding one per push. Weakening rows come first; neutral rows (renames)
last. Cells are escaped for GitHub tables and long evidence is cut at `CELL_MAX` characters.
"""

from __future__ import annotations

from interlock.report.diff_model import DiffReport, FileDiff
from interlock.report.diff_text import summary_line
from interlock.verifier.diff.model import Change

MARKER = "<!-- interlock-diff -->"
NO_FILES = "No rule file changed."  # the action posts no new comment for this alone
CELL_MAX = 240
COMMENT_MAX = 60_000  # GitHub refuses a comment over 65536 characters
_ICON = {"weakens": "🔴", "incomparable": "🟠", "strengthens": "🟢", "neutral": "⚪"}
_ORDER = {"weakens": 0, "incomparable": 1, "strengthens": 2, "neutral": 3}


def _cell(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > CELL_MAX:
        text = text[: CELL_MAX - 1] + "…"
    return text.replace("|", "\\|") or "—"


def _verdict(c: Change) -> str:
    code = f" `{c.code}`" if c.code else ""
    accepted = f" (accepted: {c.accepted})" if c.accepted is not None else ""
    return f"{_ICON[c.verdict]} {c.verdict}{code}{accepted}"


def _line(c: Change) -> str:
    return f"[{c.span.line}]" if c.span is not None else "—"


def _table(file: FileDiff) -> list[str]:
    rows = ["| verdict | change | line | before | after | evidence |",
            "| --- | --- | --- | --- | --- | --- |"]
    for c in sorted(file.changes, key=lambda c: _ORDER[c.verdict]):
        rows.append("| " + " | ".join((
            _cell(_verdict(c)), _cell(f"{c.label} · {c.aspect}"), _line(c),
            _cell(c.before), _cell(c.after), _cell(c.evidence))) + " |")
    return rows


def _file(file: FileDiff) -> list[str]:
    against = f" against `{file.old}`" if file.old else " (new file)"
    out = [f"#### `{file.path}`{against}", ""]
    if file.diagnostics:
        out += [f"- `{d.span.file}:{d.span.line}:{d.span.column}` error[{d.code}]: "
                f"{_cell(d.message)}" for d in file.diagnostics]
    elif file.changes:
        out += _table(file)
    else:
        out.append("No semantic change.")
    return [*out, ""]


def render_diff_markdown(report: DiffReport) -> str:
    s = report.summary
    code = report.exit_code()
    status = ("❌ weakens the guard" if code == 1 else "⚠️ invalid rule file" if code == 2
              else "✅ weakenings accepted by the rule file" if s.accepted
              else "✅ nothing weakened")
    out = [MARKER, f"### Interlock diff: {status}", "", summary_line(s) + ".", ""]
    for file in report.files:
        out += _file(file)
    if not report.files:
        out += [NO_FILES, ""]
    out = fit_comment(out, COMMENT_MAX)
    out.append("Verdicts and evidence: see docs/diff.md. A deliberate weakening is accepted "
               'in the rule file with `accept CODE NAME because "REASON"`.')
    return "\n".join(out) + "\n"


def fit_comment(lines: list[str], budget: int) -> list[str]:
    """The first lines that fit in `budget` characters, and a note of how many rows are cut
    (weakening rows come first in each table, so those are kept longest)."""
    used, kept = 0, list[str]()
    for line in lines:
        used += len(line) + 1
        if used > budget:
            cut = sum(line.startswith("| ") and not line.startswith("| verdict")
                      for line in lines[len(kept):])
            return [*kept, "", f"… {cut} more rows cut to fit a comment: run `interlock diff` "
                    "to see them all.", ""]
        kept.append(line)
    return kept
