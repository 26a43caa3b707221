"""The result of `interlock diff` over one or more pairs of rule files, before rendering."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from interlock.ir.diagnostics import Diagnostic
from interlock.verifier.diff.model import Change


class FileDiff(BaseModel):
    """One rule file compared with its old version (`old` empty: the file is new)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    path: str  # the new file (the old path when the file was deleted)
    old: str  # `OLD.guard`, or `REF:path` with `--base`; "" when there was no old version
    protocol: str | None
    deleted: bool = False
    diagnostics: tuple[Diagnostic, ...] = ()  # front-end errors of either version
    sources: dict[str, str] = Field(default_factory=dict, repr=False)  # span.file -> text
    changes: tuple[Change, ...] = ()


class DiffSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    weakens: int
    strengthens: int
    neutral: int
    incomparable: int
    accepted: int  # weakening changes the new rule file accepts
    errors: int


class DiffReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    base: str | None  # the git ref with `--base`
    files: tuple[FileDiff, ...]

    @property
    def summary(self) -> DiffSummary:
        changes = [c for f in self.files for c in f.changes if c.changed]
        count = {v: sum(c.verdict == v for c in changes)
                 for v in ("weakens", "strengthens", "neutral", "incomparable")}
        return DiffSummary(**count, accepted=sum(c.accepted is not None for c in changes),
                           errors=sum(d.is_error for f in self.files for d in f.diagnostics))

    def exit_code(self) -> int:
        """2 invalid input (either version), 1 a weakening the rule file does not accept
        (`incomparable` included: it weakens in some direction), 0 otherwise."""
        if any(d.is_error for f in self.files for d in f.diagnostics):
            return 2
        return 1 if any(c.fails for f in self.files for c in f.changes) else 0
