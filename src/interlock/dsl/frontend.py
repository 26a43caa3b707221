"""The front end's facade: text or file -> `FrontendResult` (parse, then analyse).

`program` is set only when there is no error; `diagnostics` holds everything reported, in
source order. Nothing here raises on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.dsl.analysis import analyze
from interlock.dsl.parser import parse, too_deep
from interlock.ir import codes as C
from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Program, Span


@dataclass(frozen=True)
class FrontendResult:
    program: Program | None  # None when there is any error
    diagnostics: tuple[Diagnostic, ...]
    source: str

    @property
    def ok(self) -> bool:
        return self.program is not None


def compile_text(text: str, path: str) -> FrontendResult:
    parsed = parse(text, path)
    if parsed.module is None:
        return FrontendResult(None, parsed.diagnostics, text)
    try:
        result = analyze(parsed.module, text, path)
    except RecursionError:
        return FrontendResult(None, (too_deep(path),), text)
    return FrontendResult(result.program, result.diagnostics, text)


def compile_file(path: str) -> FrontendResult:
    try:
        with open(path, encoding="utf-8-sig") as f:  # a leading BOM is dropped
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else (
            "not UTF-8 text" if isinstance(err, UnicodeDecodeError) else str(err))
        diag = Diagnostic(code=C.UNREADABLE, severity="error",
                          message=f"cannot read `{path}`: {reason.lower()}",
                          span=Span(file=path, line=1, column=1, end_line=1, end_column=1))
        return FrontendResult(None, (diag,), "")
    return compile_text(text, path)
