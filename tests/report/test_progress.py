"""Progress on stderr: plain lines off a terminal, a live line on one; driven by real runs."""

from __future__ import annotations

import io

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Program
from interlock.report.progress import progress_reporter
from interlock.verifier.engine import verify

RULES = """protocol P
signer alice 0x1111111111111111111111111111111111111111
signer bob   0x2222222222222222222222222222222222222222
role ops = 2 of [alice, bob]
role solo = 1 of [alice]
scope s
allow ops to pause s for at most 1h
allow solo to unpause s
invariant one: no unilateral signer
invariant two: every power needs 2 signers
"""


def program() -> Program:
    result = compile_text(RULES, "p.guard")
    assert result.program is not None, result.diagnostics
    return result.program


def test_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with progress_reporter(stream) as on_progress:
        verify(program(), timeout_s=10, on_progress=on_progress)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("[1/2] violated one (exhaustive, ")
    assert lines[1].startswith("[2/2] violated two (exhaustive, ")


def test_live_line_on_a_terminal() -> None:
    stream = io.StringIO()
    with progress_reporter(stream, "p.guard", live=True) as on_progress:
        verify(program(), timeout_s=10, jobs=2, on_progress=on_progress)
    out = stream.getvalue()
    assert "proving p.guard" in out and "2/2" in out
