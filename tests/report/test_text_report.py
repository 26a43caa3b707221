"""Golden tests of the text report (`INTERLOCK_UPDATE_GOLDEN=1` rewrites the golden files)."""

from __future__ import annotations

import os
from pathlib import Path

from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Span
from interlock.report.model import FileReport, Report
from interlock.report.text import property_table, render_text, timeline
from interlock.semantics.trace import Advance, Fire, UsePower
from interlock.verifier.result import Counterexample, PropertyResult, TimelineEntry

GOLDEN = Path(__file__).parent.parent / "golden" / "report"
PAUSE_W = "pause withdrawals for 6h"
HALT = "breaker `halt` fires: pause trading for 6h"
UPDATE = os.environ.get("INTERLOCK_UPDATE_GOLDEN") == "1"


def span(line: int) -> Span:
    return Span(file="examples/venue.guard", line=line, column=1, end_line=line, end_column=30)


def row(time: int, actor: str, action: str) -> TimelineEntry:
    return TimelineEntry(time=time, actor=actor, action=action)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}; run with INTERLOCK_UPDATE_GOLDEN=1"
    assert text == path.read_text()


def venue_report() -> Report:
    drain = Counterexample(
        timeline=(
            row(0, "agent", f"breaker `drain` fires: {PAUSE_W}"),
            row(21600, "guardian (alice, carol)", "pause withdrawals for 72h"),
        ),
        steps=(
            Fire(breaker="drain"),
            Advance(seconds=21600),
            UsePower(power=0, targets=("withdrawals",), value=259200, signers=("alice", "carol")),
        ),
    )
    lasso = Counterexample(
        timeline=(
            row(0, "agent", HALT),
            row(21600, "agent", HALT),
        ),
        steps=(Fire(breaker="halt"), Advance(seconds=21600), Fire(breaker="halt")),
        loop_start=1,
    )
    single = Counterexample(
        timeline=(row(0, "foundation", "guardian: pause * for at most 72h"),),
        steps=(UsePower(power=0, targets=("trading",), value=3600, signers=("alice", "bob")),),
    )
    props = (
        PropertyResult(
            name="no_single_key", status="proved", method="exhaustive", seconds=0.004, span=span(40)
        ),
        PropertyResult(
            name="no_single_org",
            status="violated",
            method="exhaustive",
            seconds=0.006,
            counterexample=single,
            span=span(41),
        ),
        PropertyResult(
            name="withdrawals_escape",
            status="violated",
            method="bmc",
            depth=3,
            seconds=0.41,
            counterexample=drain,
            span=span(42),
            breaks="at +6h: `withdrawals` is paused from +0s to +78h: 78h continuously, "
            "more than 72h",
        ),
        PropertyResult(
            name="feed_halts_liqs", status="proved", method="induction", seconds=0.05, span=span(43)
        ),
        PropertyResult(
            name="trading_unlocks",
            status="violated",
            method="bmc (lasso)",
            seconds=1.2,
            counterexample=lasso,
            span=span(44),
            breaks="`trading` stays paused from +0s forever (the marked steps repeat)",
        ),
        PropertyResult(
            name="liqs_bounded",
            status="proved",
            method="k-induction (k=2)",
            seconds=0.3,
            bound=108000,
            span=span(45),
        ),
        PropertyResult(
            name="leverage_bounds",
            status="unknown",
            method="bmc",
            depth=12,
            seconds=60.0,
            reason="timeout after 60s",
            span=span(46),
        ),
    )
    return Report(
        version="0.1.0",
        files=(
            FileReport(path="examples/venue.guard", protocol="Venue", properties=props),
            FileReport(path="examples/empty.guard", protocol="Empty"),
        ),
    )


def test_text_report_golden() -> None:
    check_golden("venue.txt", render_text(venue_report()))


SOURCE = (
    "protocol Bad\n"
    "signer alice 0x1111111111111111111111111111111111111111\n"
    "role r = 2 of [alice, bobb]\n"
)


def diagnostics_report() -> Report:
    unknown = Diagnostic(
        code="E0201",
        severity="error",
        message="unknown name `bobb`",
        span=Span(file="bad.guard", line=3, column=22, end_line=3, end_column=26),
        help="did you mean `alice`?",
    )
    warn = Diagnostic(
        code="W0804",
        severity="warning",
        message="score `risk` is not used by any breaker",
        span=Span(file="ok.guard", line=2, column=1, end_line=2, end_column=12),
    )
    ok_source = "protocol Ok\nscore risk {\n  40 when deviation(ETH) > 2%\n}\n"
    proved = PropertyResult(
        name="no_single_key", status="proved", method="exhaustive", seconds=0.001, span=span(5)
    )
    return Report(
        version="0.1.0",
        files=(
            FileReport(path="bad.guard", protocol=None, source=SOURCE, diagnostics=(unknown,)),
            FileReport(
                path="ok.guard",
                protocol="Ok",
                source=ok_source,
                diagnostics=(warn,),
                properties=(proved,),
            ),
        ),
    )


def test_text_report_with_diagnostics_golden() -> None:
    text = render_text(diagnostics_report())
    check_golden("diagnostics.txt", text)
    assert "bad.guard:3:22: error[E0201]: unknown name `bobb`" in text
    assert "(Bad)" not in text  # a file with input errors has no property table
    assert text.rstrip().endswith("1 proved, 0 violated, 0 unknown, 1 error(s)")


def test_table_aligns_columns() -> None:
    lines = property_table(venue_report().files[0].properties)
    assert lines[0].split() == ["property", "status", "method", "time", "notes"]
    starts = {line.index("proved") for line in lines if " proved " in line}
    assert len(starts) == 1  # the status column starts at the same offset on every row


def test_timeline_marks_the_cycle_and_offsets() -> None:
    lasso = venue_report().files[0].properties[4].counterexample
    assert lasso is not None
    lines = timeline(lasso)
    assert lines[0].strip().startswith("+0s")
    assert "repeat forever" in lines[1]
    assert lines[2].strip().startswith("+6h")


def test_summary_counts() -> None:
    text = render_text(venue_report())
    assert text.rstrip().endswith("3 proved, 3 violated, 1 unknown, 0 error(s)")


def test_time_rows_are_hidden_and_the_cycle_mark_moves_to_the_next_row() -> None:
    cex = Counterexample(
        timeline=(
            row(0, "breaker halt", "fires: pause trading until +6h"),
            row(0, "time", "passes 6h"),
            row(21600, "breaker halt", "fires: pause trading until +12h"),
            row(21600, "time", "passes 6h"),
        ),
        steps=(
            Fire(breaker="halt"),
            Advance(seconds=21600),
            Fire(breaker="halt"),
            Advance(seconds=21600),
        ),
        loop_start=1,
    )
    lines = [line.strip() for line in timeline(cex)]
    assert lines == [
        "+0s  breaker halt  fires: pause trading until +6h",
        "↻ from here the steps repeat forever",
        "+6h  breaker halt  fires: pause trading until +12h",
    ]


def _checked_timeline(text: str) -> str:
    """The text timeline of the file's first property, checked for real."""
    from interlock.dsl.frontend import compile_text
    from interlock.verifier.temporal import check_temporal

    program = compile_text(text, "issue18.guard").program
    assert program is not None
    result = check_temporal(program, program.invariants[0], 30)
    assert result.status == "violated" and result.counterexample is not None
    return "\n".join(timeline(result.counterexample)) + "\n"


def test_folded_lasso_timeline_golden() -> None:
    """A breaker re-pausing every 6h forever: the never-ending loop, marked, in a few lines."""
    from bench.issue_cases import retrigger

    text = retrigger("30d").replace("paused at most 30d", "never locked forever")
    lines = _checked_timeline(text)
    assert len(lines.splitlines()) <= 10
    check_golden("lasso_folded.txt", lines)


def test_long_bounded_counterexample_golden() -> None:
    """`paused at most 90d` broken by 2,160 firings of a 1h breaker: folded to two lines."""
    from bench.issue_cases import retrigger

    lines = _checked_timeline(retrigger("90d", "1h"))
    assert len(lines.splitlines()) <= 10
    assert "2160 times" in lines
    check_golden("long_bounded_folded.txt", lines)
