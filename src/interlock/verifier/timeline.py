"""Counterexample steps as SPEC §6 timeline rows, one row per step.

    +0s    time                passes 2d
    +2d    breaker drain       fires: pause withdrawals until +2d 6h
    +2d 6h agent watcher       fires breaker halt: pause deposits until +2d 12h
    +3d    alice, carol, dave  pause withdrawals for 72h (`allow guardian to pause * for at most
                               72h`, rules.guard:41)

The actor is `breaker NAME` for a breaker the guard evaluates itself, the agent for an
off-chain breaker, the signers for a power and `time` for time passing. Rows are one-to-one with
`steps`, so a lasso's `loop_start` indexes both.
"""

from __future__ import annotations

from collections.abc import Sequence

from interlock.ir.nodes import Program
from interlock.ir.notional import PART_KIND, VALUE_KINDS, value_text
from interlock.semantics import StepRefused, initial_state, step
from interlock.semantics.state import State
from interlock.semantics.trace import Advance, Fire, MetricValue, Step
from interlock.verifier.describe import fmt_duration, power_source
from interlock.verifier.replay import T0
from interlock.verifier.result import TimelineEntry


def timeline(program: Program, steps: Sequence[Step]) -> tuple[TimelineEntry, ...]:
    """The rows of `steps` from the initial state; a pause the guard clamps (`max`), refuses
    (`gap`) or that changes nothing says so, from a replay on the reference semantics."""
    rows: list[TimelineEntry] = []
    st: State | None = initial_state(program, T0)
    t = 0
    for s in steps:
        before = st
        try:
            st = step(program, st, s) if st is not None else None
        except StepRefused:
            st = None
        if isinstance(s, Advance):
            action = f"passes {fmt_duration(s.seconds)}"
            rows.append(TimelineEntry(time=t, actor="time", action=action))
            t += s.seconds
            continue
        if isinstance(s, Fire):
            row = _fire_row(program, s, t)
            b = program.breaker(s.breaker)
            wanted = {sc: t + e.duration for e in b.effects if e.kind == "pause" for sc in e.scopes}
        else:
            w = program.powers[s.power]
            what = ", ".join(s.targets) if w.kind != "set" else w.targets[0]
            action = _power_action(w.kind, what, s.value)
            if s.sender is not None:
                action = f"{action} for sender {s.sender}"
            where = f"{w.span.file}:{w.span.line}"
            lock = ", timelocked" if w.delay else ""
            suffix = f"(`{power_source(program, w)}`, {where}{lock})"
            actor = ", ".join(s.signers) or w.role
            row = TimelineEntry(time=t, actor=actor, action=f"{action} {suffix}")
            wanted = {sc: t + (s.value or 0) for sc in s.targets} if w.kind == "pause" else {}
        notes = _pause_notes(program, wanted, before, st) if before and st else []
        if notes:
            row = row.model_copy(update={"action": f"{row.action} — {'; '.join(notes)}"})
        rows.append(row)
    return tuple(rows)


def _pause_notes(
    program: Program, wanted: dict[str, int], before: State, after: State
) -> list[str]:
    """What the guard made of pauses requested until `wanted` (offsets from the start)."""
    notes = []
    for sc, want in wanted.items():
        old, new = before.paused_until[sc] - T0, after.paused_until[sc] - T0
        if new == want:
            continue
        gap = program.scope(sc).gap
        now = before.now - T0
        if new != old:
            notes.append(f"{sc} clamped to +{fmt_duration(new)} by its max")
        elif gap is not None and before.paused_until[sc] != 0 and old <= now < old + gap:
            notes.append(f"{sc} refused by its gap (open since +{fmt_duration(old)})")
        elif old >= want:
            notes.append(f"{sc} already paused until +{fmt_duration(old)}")
        elif old > now:
            notes.append(f"{sc} stays paused until +{fmt_duration(old)}: its max is reached")
        else:
            notes.append(f"{sc} not paused: its max is reached")
    return notes


def _power_action(kind: str, what: str, value: int | None) -> str:
    if kind in ("pause", "suspend"):
        return f"{kind} {what} for {fmt_duration(value or 0)}"
    if kind == "extend":
        return f"extend {what} by {fmt_duration(value or 0)}"
    if kind == "set":
        return f"set {what} to {value}"
    return f"{kind} {what}"


def _fire_row(program: Program, s: Fire, t: int) -> TimelineEntry:
    b = program.breaker(s.breaker)
    effects = []
    for e in b.effects:
        until = f"until +{fmt_duration(t + e.duration)}" if e.kind != "alert" else ""
        if e.kind == "pause":
            effects.append(f"pause {', '.join(e.scopes)} {until}")
        elif e.kind == "suspend":
            effects.append(f"suspend {', '.join(e.feeds)} {until}")
        elif e.kind == "set":
            effects.append(f"set {e.param} to {e.value} {until}")
        elif e.kind == "block":
            frm = f" from {e.scope}" if e.scope else ""
            effects.append(f"block {s.sender or 'sender'}{frm} {until}")
        elif e.kind == "hold":
            effects.append(f"hold the flow for {fmt_duration(e.duration)}")
        else:
            effects.append(f'alert "{e.text}"')
    inputs = ", ".join(_input(program, m) for m in s.metrics)
    if s.failed_reads:
        inputs = "a feed or token read failed"
    what = "; ".join(effects) + (f" [{inputs}]" if inputs else "")
    if b.onchain or not program.agents:
        return TimelineEntry(time=t, actor=f"breaker {b.name}", action=f"fires: {what}")
    agent = program.agents[0].name
    return TimelineEntry(time=t, actor=f"agent {agent}", action=f"fires breaker {b.name}: {what}")


def _input(program: Program, m: MetricValue) -> str:
    """`outflow(USDC)=5`; a value as written and in its quote unit:
    `value(outflow(*, 1h))=1000000.5 USD`."""
    a = m.atom
    if a.kind not in VALUE_KINDS:
        return f"{a.kind}({a.target})={m.value}"
    window = f", {fmt_duration(a.window)}" if a.window is not None else ""
    return f"value({PART_KIND[a.kind]}({a.target}{window}))={value_text(program, a, m.value)}"
