"""Diagnostics as data: every phase reports problems as `Diagnostic` values.

Renderings (text with a caret, JSON, SARIF, JUnit) live in `interlock.report`; nothing here
formats for a particular output.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from interlock.ir.nodes import Span


class Label(BaseModel):
    """A secondary location that explains the primary one (e.g. the first declaration)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    span: Span
    message: str


class Diagnostic(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str  # `E0101`, `W0301`, ... listed in docs/diagnostics.md
    severity: Literal["error", "warning"]
    message: str  # lowercase, one line, user input in backticks, no trailing period
    span: Span
    labels: tuple[Label, ...] = ()
    help: str | None = None  # e.g. "did you mean `alice`?"
    subjects: tuple[str, ...] = ()  # the declarations a finding is about (`accept CODE NAME`)
    suppressed: str | None = None  # accepted on purpose: the `accept` declaration's reason

    @model_validator(mode="after")
    def _instance_notes(self) -> Diagnostic:
        """A problem inside a `for each` instance names the template (the span) and, as a
        note per level of repetition, the list item that produced the instance."""
        notes = list(self.labels)
        via = self.span.via
        while via is not None:
            if not any(label.span == via for label in notes):
                notes.append(Label(span=via, message="in the `for each` instance for this item"))
            via = via.via
        if len(notes) != len(self.labels):
            object.__setattr__(self, "labels", tuple(notes))
        return self

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """`did you mean `x`?` for the closest candidate (a fuzzy match on names), else None."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
