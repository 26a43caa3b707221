"""Text rendering of one diagnostic: location header, source line, caret, notes, help."""

from __future__ import annotations

from interlock.ir.diagnostics import Diagnostic, Label
from interlock.ir.nodes import Span
from interlock.report.diagnostic_text import render_diagnostic

SOURCE = "protocol P\nrole guardian = 2 of [alise, carol]\n"


def _diag(**kw: object) -> Diagnostic:
    span = Span(file="p.guard", line=2, column=23, end_line=2, end_column=28)
    return Diagnostic(code="E0201", severity="error", message="unknown name `alise`",
                      span=span, **kw)  # type: ignore[arg-type]


def test_header_line_and_caret() -> None:
    text = render_diagnostic(_diag(help="did you mean `alice`?"), SOURCE)
    assert text == (
        "p.guard:2:23: error[E0201]: unknown name `alise`\n"
        "  |\n"
        "2 | role guardian = 2 of [alise, carol]\n"
        "  |                       ^~~~~\n"
        "  = help: did you mean `alice`?\n")


def test_labels_become_notes() -> None:
    first = Span(file="p.guard", line=1, column=10, end_line=1, end_column=11)
    text = render_diagnostic(_diag(labels=(Label(span=first, message="first here"),)), SOURCE)
    assert "  = note: first here at p.guard:1:10\n" in text


def test_multi_line_span_underlines_to_the_end_of_its_first_line() -> None:
    span = Span(file="p.guard", line=2, column=1, end_line=3, end_column=2)
    d = Diagnostic(code="E0501", severity="error", message="x", span=span)
    caret = render_diagnostic(d, SOURCE).splitlines()[3]
    assert caret == "  | ^" + "~" * (len("role guardian = 2 of [alise, carol]") - 1)


def test_without_source_only_the_header() -> None:
    span = Span(file="gone.guard", line=1, column=1, end_line=1, end_column=1)
    d = Diagnostic(code="E0001", severity="error", message="cannot read `gone.guard`",
                   span=span)
    assert render_diagnostic(d, "") == "gone.guard:1:1: error[E0001]: cannot read `gone.guard`\n"
