"""Regenerate the `## Diff` part of docs/diagnostics.md from the weakening codes' cases.

    .venv/bin/python -m tests.verifier.diff.gen_diff_doc

Everything before the `## Diff` heading is kept as it is.
"""

from __future__ import annotations

from pathlib import Path

from tests.verifier.diff.rules import CODE_CASES, diff, edit

from interlock.ir.codes import DIFF_TITLES
from interlock.report.diff_model import FileDiff
from interlock.report.diff_text import change_lines

DOC = Path(__file__).resolve().parents[3] / "docs" / "diagnostics.md"
HEADING = "\n## Diff"
BUILD = "\n## Build"
INTRO = [
    "## Diff",
    "",
    "Kinds of change that `interlock diff` reports as weakening the guard (docs/diff.md defines",
    "each comparison). A weakening fails the diff (exit 1) unless the new rule file accepts it",
    '(`accept CODE NAME because "REASON"`, NAME the role, scope, breaker, invariant or param the',
    "change is about). Each example is an edit of the rule file of",
    "`tests/verifier/diff/rules.py` and the change it produces; regenerate this part with",
    "`.venv/bin/python -m tests.verifier.diff.gen_diff_doc`.",
    "",
]


def _example(code: str) -> list[str]:
    before, after = CODE_CASES[code]
    found = next(c for c in diff(edit((before, after))) if c.code == code)
    file = FileDiff(path="new.guard", old="old.guard", protocol="T")
    lines = [f"- {line}" for line in before.rstrip("\n").splitlines()]
    lines += [f"+ {line}" for line in after.rstrip("\n").splitlines()]
    return ["```diff", *lines, "```", "", "```", *change_lines(file, found), "```", ""]


def diff_part() -> str:
    out = list(INTRO)
    for code, title in DIFF_TITLES.items():
        out += [f"### {code}: {title}", "", *_example(code)]
    return "\n".join(out)


def main() -> None:
    text = DOC.read_text("utf-8")
    head = text[: text.index(HEADING)] if HEADING in text else text
    tail = text[text.index(BUILD):] if BUILD in text else ""  # build errors, written by hand
    DOC.write_text(head.rstrip() + "\n\n" + diff_part() + tail, "utf-8")


if __name__ == "__main__":
    main()
