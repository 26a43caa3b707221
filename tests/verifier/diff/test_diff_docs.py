"""Every weakening code is registered with a title, has a worked case, and is documented in
docs/diagnostics.md exactly as the generator renders it."""

from __future__ import annotations

import re

from tests.verifier.diff.gen_diff_doc import BUILD, DOC, diff_part
from tests.verifier.diff.rules import CODE_CASES, diff, edit

from interlock.ir.codes import DIFF_TITLES


def test_every_code_has_a_case_that_produces_it() -> None:
    assert set(CODE_CASES) == set(DIFF_TITLES)
    for code, (before, after) in CODE_CASES.items():
        assert code in {c.code for c in diff(edit((before, after)))}, code


# a counterexample's steps may differ from one run (or process) to the next; its verdict not
_STEPS = re.compile(r"(evidence  the new rules pause it longer than [^:]+:).*")


def _stable(text: str) -> str:
    return _STEPS.sub(r"\1 …", text).rstrip()


def test_docs_show_every_code_as_generated() -> None:
    text = DOC.read_text("utf-8")
    text = text[: text.index(BUILD)] if BUILD in text else text  # then `## Build`, by hand
    assert _stable(text).endswith(_stable(diff_part())), (
        "run `python -m tests.verifier.diff.gen_diff_doc`")
