"""What the report renderings are tested on (SARIF, JUnit): property results (one proved, one
violated with a three-step counterexample, one unknown at depth 12, in `PATH` at lines 4-6) and
a file that does not parse."""

from __future__ import annotations

from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Span
from interlock.report.model import FileReport
from interlock.semantics.trace import Advance, Fire, UsePower
from interlock.verifier.result import Counterexample, PropertyResult, TimelineEntry

PATH = "examples/perp_venue.guard"


def span(line: int, col: int = 1, end_col: int = 20, path: str = PATH) -> Span:
    return Span(file=path, line=line, column=col, end_line=line, end_column=end_col)


def violated(line: int = 5) -> PropertyResult:
    cex = Counterexample(
        timeline=(
            TimelineEntry(time=0, actor="breaker drain", action="pause withdrawals for 6h"),
            TimelineEntry(time=21_600, actor="guardian (alice, carol)", action="pause for 72h"),
            TimelineEntry(time=280_800, actor="governor", action="extend withdrawals by 7d"),
        ),
        steps=(
            Fire(breaker="drain"),
            Advance(seconds=21_600),
            UsePower(power=0, targets=("withdrawals",), value=259_200, signers=("alice", "carol")),
        ),
    )
    return PropertyResult(
        name="withdrawals_escape",
        status="violated",
        method="bmc",
        seconds=0.42,
        counterexample=cex,
        span=span(line, 11, 29),
    )


def unknown(line: int = 6) -> PropertyResult:
    return PropertyResult(
        name="leverage_bounds",
        status="unknown",
        method="bmc",
        depth=12,
        seconds=30.0,
        reason="timeout after 30s",
        span=span(line, 11, 26),
    )


def proved(line: int = 4) -> PropertyResult:
    return PropertyResult(
        name="no_single_key", status="proved", method="exhaustive", seconds=0.01, span=span(line)
    )


def bad_file(path: str) -> FileReport:
    """A file whose `protocol` line has no name (E0101 with its help)."""
    return FileReport(
        path=path,
        protocol=None,
        source="protocol\n",
        diagnostics=(
            Diagnostic(
                code="E0101",
                severity="error",
                message="expected a name after `protocol`",
                span=Span(file=path, line=1, column=9, end_line=1, end_column=9),
                help="write `protocol NAME`",
            ),
        ),
    )
