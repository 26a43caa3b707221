"""Plain-text lines for a counterexample timeline, shared by the SARIF and JUnit renderings.

A timeline row is `time` seconds from the start, the actor and the action (SPEC §6). CI
annotations are plain text, so this module renders without colour or markup.
"""

from __future__ import annotations

from interlock.verifier.result import Counterexample, PropertyResult

_UNITS = (("w", 7 * 86_400), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def format_duration(seconds: int) -> str:
    """`93784` -> `1d 2h 3m 4s`; `0` -> `0s`; the language's own units, largest first."""
    if seconds <= 0:
        return "0s"
    parts: list[str] = []
    rest = seconds
    for unit, size in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts)


def timeline_lines(counterexample: Counterexample) -> list[str]:
    """One line per step: `t+6h  guardian (alice, carol)  pause withdrawals for 72h`."""
    rows = counterexample.timeline
    width_time = max((len(format_duration(r.time)) for r in rows), default=0) + 2
    width_actor = max((len(r.actor) for r in rows), default=0)
    lines: list[str] = []
    cycle = _cycle_row(counterexample)
    for index, row in enumerate(rows):
        marker = "  <- the cycle repeats from here" if index == cycle else ""
        time = f"t+{format_duration(row.time)}".ljust(width_time)
        lines.append(f"{time}  {row.actor.ljust(width_actor)}  {row.action}{marker}".rstrip())
    return lines


def _cycle_row(counterexample: Counterexample) -> int | None:
    """The first timeline row at or after the time the lasso's cycle starts (`loop_start`
    indexes the steps, not the rows)."""
    start = counterexample.loop_start
    if start is None:
        return None
    at = sum(s.seconds for s in counterexample.steps[:start] if s.kind == "advance")
    rows = [i for i, e in enumerate(counterexample.timeline) if e.time >= at]
    return rows[0] if rows else None


def property_summary(result: PropertyResult) -> str:
    """One line saying what the verifier concluded, in the user's terms."""
    if result.status == "proved":
        how = f" ({result.method})" if result.method else ""
        bound = f"; tightest bound {format_duration(result.bound)}" if result.bound else ""
        return f"invariant `{result.name}` is proved{how}{bound}"
    if result.status == "violated":
        return f"invariant `{result.name}` is violated"
    reason = result.reason or "the verifier could not decide it"
    depth = f", checked to depth {result.depth} only" if result.depth is not None else ""
    return f"invariant `{result.name}` is unknown: {reason}{depth}"


def property_details(result: PropertyResult) -> str:
    """The summary line, then the counterexample timeline when there is one."""
    lines = [property_summary(result)]
    if result.counterexample is not None and result.counterexample.timeline:
        lines.append("counterexample:")
        lines.extend(f"  {line}" for line in timeline_lines(result.counterexample))
    return "\n".join(lines)
