"""Plain-text summaries of a property result, shared by the SARIF and JUnit renderings.

CI annotations are plain text: one summary line, then the counterexample timeline exactly as
the text report prints it (`interlock.report.text.timeline`), so a violation reads the same in
a terminal, a code-scanning alert and a JUnit failure.
"""

from __future__ import annotations

from interlock.report.text import timeline
from interlock.verifier.describe import fmt_duration
from interlock.verifier.result import PropertyResult


def property_summary(result: PropertyResult) -> str:
    """One line saying what the verifier concluded, in the user's terms."""
    if result.status == "proved":
        how = f" ({result.method})" if result.method else ""
        bound = f"; tightest bound {fmt_duration(result.bound)}" if result.bound else ""
        return f"invariant `{result.name}` is proved{how}{bound}"
    if result.status == "violated":
        return f"invariant `{result.name}` is violated"
    reason = result.reason or "the verifier could not decide it"
    depth = f", checked to depth {result.depth} only" if result.depth is not None else ""
    return f"invariant `{result.name}` is unknown: {reason}{depth}"


def property_details(result: PropertyResult) -> str:
    """The summary line, then the counterexample timeline (and what it breaks) if any."""
    lines = [property_summary(result)]
    cex = result.counterexample
    if cex is not None and cex.timeline:
        lines.append("counterexample:")
        lines.extend(
            "  " + line.strip() if line.lstrip().startswith("↻") else line[2:]
            for line in timeline(cex)
        )
        if result.breaks and cex.timeline[-1].actor != "property":
            lines.append(f"breaks: {result.breaks}")
    return "\n".join(lines)
