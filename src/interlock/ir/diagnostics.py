"""Diagnostics as data: every phase reports problems as `Diagnostic` values.

Renderings (text with a caret, JSON, SARIF, JUnit) live in `interlock.report`; nothing here
formats for a particular output.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

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

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """`did you mean `x`?` for the closest candidate (a fuzzy match on names), else None."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
