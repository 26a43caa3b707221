"""What a firing changed in the guard's state, said in words, and the pauses it started."""

from __future__ import annotations

from datetime import UTC, datetime

from interlock.ir.nodes import Program
from interlock.semantics import State, effective_param
from interlock.verifier.describe import fmt_duration


def _until(after: State, until: int) -> str:
    at = datetime.fromtimestamp(until, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"until {at} ({fmt_duration(until - int(after.now))})"


def pause_changes(
    program: Program, before: State, after: State
) -> list[tuple[str, tuple[int, int]]]:
    """(scope, (paused since, paused until)) for every scope whose pause the step set."""
    return [
        (s.name, (int(after.paused_since[s.name]), int(after.paused_until[s.name])))
        for s in program.scopes
        if after.paused_until[s.name] != before.paused_until[s.name]
    ]


def describe_effects(program: Program, before: State, after: State) -> tuple[str, ...]:
    """`pause withdrawals until 2023-03-13 14:57:12 UTC (6h)`, `suspend ETH_USD until ...`,
    `set max_leverage to 10 (was 20)`, `block 0xab.. from releases until ...`; a pause that
    `gap` refused or `max` left unchanged does not appear (each effect applies on its own)."""
    out = [f"pause {scope} {_until(after, until)}" for scope, (_, until) in
           pause_changes(program, before, after)]
    out += [f"suspend {f.name} {_until(after, int(after.suspended_until[f.name]))}"
            for f in program.feeds
            if after.suspended_until[f.name] != before.suspended_until[f.name]]
    for p in program.params:
        was, now = effective_param(program, before, p.name), effective_param(program, after, p.name)
        if was != now:
            out.append(f"set {p.name} to {now} (was {was})")
    for (sender, scope), until in sorted(after.blocked_until.items()):
        if before.blocked_until.get((sender, scope)) != until:
            where = "every scope" if scope == "*" else scope
            out.append(f"block {sender} from {where} {_until(after, int(until))}")
    return tuple(out)
