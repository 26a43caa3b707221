"""The result of `interlock check` over several files, before any rendering."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from interlock.ir.diagnostics import Diagnostic
from interlock.verifier.result import PropertyResult


class FileReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    path: str
    protocol: str | None
    source: str = Field(default="", repr=False)  # for carets in text output; not in JSON
    diagnostics: tuple[Diagnostic, ...] = ()
    properties: tuple[PropertyResult, ...] = ()


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    proved: int
    violated: int
    unknown: int
    errors: int


class Report(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    files: tuple[FileReport, ...]

    @property
    def summary(self) -> Summary:
        props = [p for f in self.files for p in f.properties]
        return Summary(
            proved=sum(p.status == "proved" for p in props),
            violated=sum(p.status == "violated" for p in props),
            unknown=sum(p.status == "unknown" for p in props),
            errors=sum(d.is_error for f in self.files for d in f.diagnostics),
        )

    def exit_code(self) -> int:
        """SPEC §6: 2 invalid input, 1 a violation, 3 unknown only, 0 all proved.

        A finding promoted to an error by `--strict` is not invalid input: it fails the check
        like a violation (1). Front-end errors have codes starting with `E`; findings with `W`.
        """
        errors = [d for f in self.files for d in f.diagnostics if d.is_error]
        if any(d.code.startswith("E") for d in errors):
            return 2
        summary = self.summary
        if summary.violated or errors:
            return 1
        if summary.unknown:
            return 3
        return 0
