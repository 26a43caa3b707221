"""The findings' registry: each check registers itself with `@finding(CODE, TITLE)`.

Kept apart from the checks (`findings_rules`, `findings_powers`) and from running them
(`findings`) so that every check module imports only this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Program, Span

Check = Callable[[Program], Iterable[Diagnostic]]


@dataclass(frozen=True)
class Finding:
    code: str
    title: str
    severity: Literal["warning", "error"]
    check: Check

    @property
    def doc(self) -> str:
        return (self.check.__doc__ or "").strip()


REGISTRY: list[Finding] = []


def finding(code: str, title: str) -> Callable[[Check], Check]:
    """Register a check under `code`."""

    def register(check: Check) -> Check:
        REGISTRY.append(Finding(code, title, "warning", check))
        return check

    return register

def diag(code: str, message: str, span: Span, **kw: object) -> Diagnostic:
    return Diagnostic(code=code, severity="warning", message=message, span=span, **kw)
