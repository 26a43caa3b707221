"""Regenerate the front-end part of docs/diagnostics.md from the test cases.

    .venv/bin/python -m tests.dsl.gen_diagnostics_doc

Everything from a `## Findings` heading on (the verifier's warnings) is kept as it is.
"""

from __future__ import annotations

from pathlib import Path

from interlock.dsl.frontend import compile_text
from interlock.ir import codes as C
from interlock.report.diagnostic_text import render_diagnostic
from tests.dsl.test_diagnostics import CASES

DOC = Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"
GROUPS = [("E00", "Files"), ("E01", "Syntax"), ("E02", "Names and addresses"),
          ("E03", "Types and units"), ("E04", "Ranges"), ("E05", "Rules")]
INTRO = """# Diagnostics

Every problem Interlock reports has a stable code. Front-end errors (`E0xxx`) mean invalid
input: `interlock check` exits with 2 and verifies nothing. Built-in findings (`W0xxx`) are
warnings, errors under `--strict` (see the Findings section). Changes that `interlock diff`
finds weakening the guard (`W10xx`) are in the Diff section.

Text output is `file:line:col: error[CODE]: message`, the source line and a caret under the
span, then notes and `help:` when there are any; `--format json` carries the same code,
message and span (lines and columns 1-based, `end_column` exclusive). All errors of a phase
are reported together (a syntax error stops the file at the first one).

Message style: lowercase, one line, user input in backticks, no trailing period.

The examples below are the cases of `tests/dsl/test_diagnostics.py`; regenerate this part with
`.venv/bin/python -m tests.dsl.gen_diagnostics_doc`.
"""
UNREADABLE = ["```", "$ interlock check missing.guard",
              "missing.guard:1:1: error[E0001]: cannot read `missing.guard`: no such file or "
              "directory", "```", ""]


def front_end_part() -> str:
    cases = {c[0]: c for c in CASES}
    out = [INTRO]
    for prefix, title in GROUPS:
        out += [f"## {title}", ""]
        for code, desc in C.TITLES.items():
            if not code.startswith(prefix):
                continue
            out += [f"### {code}: {desc}", ""]
            if code == C.UNREADABLE:
                out += UNREADABLE
                continue
            text = cases[code][1]
            diag = next(d for d in compile_text(text, "rules.guard").diagnostics
                        if d.code == code)
            out += ["```", render_diagnostic(diag, text).rstrip("\n"), "```", ""]
    return "\n".join(out)


def main() -> None:
    old = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    keep = old[old.index("## Findings"):] if "## Findings" in old else ""
    DOC.write_text(front_end_part() + ("\n" + keep if keep else ""), encoding="utf-8")


if __name__ == "__main__":
    main()
